from __future__ import annotations

import pytest

from skillport_build.site.markdown import plain_text, render


@pytest.mark.parametrize(
    ("source", "absent"),
    [
        ("<script>alert(1)</script>", "<script"),
        ('<img src=x onerror="alert(1)">', "<img"),
        ("[click](javascript:alert(1))", 'href="javascript'),
        ("<javascript:alert(1)>", 'href="javascript'),
        ("[x](vbscript:msgbox)", 'href="vbscript'),
        ("![pixel](https://tracker.example/p.gif)", "<img"),
        ('<a href="https://x" onclick="steal()">x</a>', "<a href"),
        ("<iframe src=https://evil.example></iframe>", "<iframe"),
    ],
)
def test_nothing_in_skill_content_runs_or_loads(source: str, absent: str) -> None:
    html = render(source)
    assert absent not in html


def test_links() -> None:
    html = render("[docs](https://docs.example/x) [ref](references/guide.md) [top](#steps)")
    assert '<a href="https://docs.example/x" rel="noopener noreferrer nofollow">docs</a>' in html
    assert (
        '<span class="bundled-file" title="references/guide.md: a file in the skill bundle">ref</span>'
        in html
    )
    assert '<a href="#steps">top</a>' in html


def test_images_never_load() -> None:
    html = render("![chart](https://cdn.example/c.png) ![local](assets/a.png)")
    assert html == (
        '<p><a href="https://cdn.example/c.png" rel="noopener noreferrer nofollow">[image: chart]</a> '
        '<span class="bundled-file">[image: local]</span></p>\n'
    )


def test_tables_and_code_render() -> None:
    html = render("| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\nprint('<x>')\n```\n")
    assert "<table>" in html and "&lt;x&gt;" in html


def test_plain_text_for_search() -> None:
    assert plain_text("# Title\n\nSome *emphasis* and `code`.\n\n```\nfenced words\n```\n") == (
        "Title Some emphasis and code . fenced words"
    )
