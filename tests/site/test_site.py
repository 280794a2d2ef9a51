from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from factory import TEMPLATE
from releasing import build_at

from skillport_build.errors import SignatureError
from skillport_build.site.render import folder_reader, link_bundles, render_site


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    build_at(TEMPLATE, out)
    return out


def _render(built: Path, out: Path, **kw: object):  # type: ignore[no-untyped-def]
    from skillport_build.models.catalog import Catalog

    catalog = Catalog.load(built)
    return catalog, render_site(catalog, folder_reader(built), out, **kw)  # type: ignore[arg-type]


def test_every_page_is_written(built: Path, tmp_path: Path) -> None:
    catalog, result = _render(built, tmp_path / "site")
    assert result.skills == 6 and result.pages == 6 + 5 + 2
    names = sorted(
        p.relative_to(tmp_path / "site").as_posix()
        for p in (tmp_path / "site").rglob("*")
        if p.is_file() and "search" not in p.parts
    )
    assert names == sorted(
        ["404.html", "index.html"]
        + [f"static/{n}" for n in ("copy.js", "favicon.svg", "search.js", "site.css")]
        + [f"skills/{s.name}.html" for s in catalog.skills]
        + [f"plugins/{p.name}.html" for p in catalog.plugins]
    )
    page = (tmp_path / "site/skills/csv-profiler.html").read_text()
    assert "Content-Security-Policy" in page and "default-src &#39;none&#39;" not in page
    assert 'href="../bundles/csv-profiler/1.0.0/csv-profiler-1.0.0.zip" download' in page
    assert "scripts/<wbr>profile_<wbr>csv.<wbr>py" in page and "Version history" in page
    (head,) = (tmp_path / "site/search").glob("*/index.json")
    assert (
        f'data-index="{head.relative_to(tmp_path / "site").as_posix()}"'
        in (tmp_path / "site/index.html").read_text()
    )
    assert len(list(head.parent.glob("skills/*.json"))) == 6 and list(head.parent.glob("terms/*.bin"))


def test_no_page_loads_anything_from_elsewhere(built: Path, tmp_path: Path) -> None:
    _render(built, tmp_path / "site")
    for page in (tmp_path / "site").rglob("*.html"):
        text = page.read_text()
        assert not re.search(r'<(script|link|img)[^>]+(src|href)="(https?:)?//', text), page
        assert re.findall(r"<script[^>]*>", text) in ([], ['<script src="static/search.js" defer>']), page


def test_an_audience_sees_only_its_skills(built: Path, tmp_path: Path) -> None:
    _, result = _render(built, tmp_path / "site", only={"release-notes", "csv-profiler"})
    assert result.skills == 2
    index = (tmp_path / "site/index.html").read_text()
    search = _index_text(tmp_path / "site")
    assert "release-notes" in search and "csv-profiler" in search
    for hidden in ("incident-postmortem", "pr-review", "decision-record", "operations"):
        assert hidden not in index and hidden not in search
    assert not (tmp_path / "site/skills/incident-postmortem.html").exists()
    assert not (tmp_path / "site/plugins/operations.html").exists()
    writing = (tmp_path / "site/plugins/writing.html").read_text()
    assert "release-notes" in writing and "decision-record" not in writing


def _index_text(site: Path) -> str:
    """Every file of the site's search index, as one text."""
    return "\n".join(
        p.read_bytes().decode("utf-8", "replace") for p in sorted((site / "search").rglob("*")) if p.is_file()
    )


def test_the_search_index_is_chunked_and_carries_the_skill_text(built: Path, tmp_path: Path) -> None:
    _render(built, tmp_path / "site")
    (head,) = (tmp_path / "site/search").glob("*/index.json")
    index = json.loads(head.read_text())
    assert index["skills"] == 6 and index["filters"]["surface"] == ["claude-ai", "claude-code", "desktop"]
    cards = [json.loads(p.read_text()) for p in sorted(head.parent.glob("skills/*.json"))]
    assert sorted(c["name"] for c in cards) == [c["name"] for c in cards]  # numbered by name
    csv = next(c for c in cards if c["name"] == "csv-profiler")
    assert csv["plugin"] == "data-tools" and csv["surfaces"] == ["claude-ai", "desktop"]
    assert "delimiter" in csv["text"].lower() and "Version history" not in csv["text"]
    words = json.loads((head.parent / "words.json").read_text())
    assert "delimiter" in words and words == sorted(words)


def test_the_index_pages_through_every_skill(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from skillport_build.site import render as site_module

    monkeypatch.setattr(site_module, "PAGE_SIZE", 4)
    _render(built, tmp_path / "site", search=False)
    first, second = ((tmp_path / "site" / n).read_text() for n in ("index.html", "index-2.html"))
    assert first.count('class="card"') == 4 and second.count('class="card"') == 2
    assert 'href="index-2.html" rel="next"' in first and 'href="index.html" rel="prev"' in second
    assert "page 2 of 2" in second and not (tmp_path / "site/search").exists()


def test_link_base_points_downloads_elsewhere(built: Path, tmp_path: Path) -> None:
    _render(built, tmp_path / "site", link_base="https://skills.acme.example/download/")
    page = (tmp_path / "site/skills/pr-review.html").read_text()
    assert 'href="https://skills.acme.example/download/bundles/pr-review/1.0.0/pr-review-1.0.0.zip"' in page


def test_a_tampered_bundle_is_refused(built: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "dist"
    shutil.copytree(built, copy)
    bundle = copy / "bundles/pr-review/1.0.0/pr-review-1.0.0.zip"
    data = bytearray(bundle.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bundle.write_bytes(bytes(data))
    with pytest.raises(SignatureError, match="does not match the catalog's sha256"):
        _render(copy, tmp_path / "site")


def test_bundles_are_linked_beside_a_static_site(built: Path, tmp_path: Path) -> None:
    catalog, _ = _render(built, tmp_path / "site")
    assert link_bundles(catalog, built, tmp_path / "site") == 11
    assert (tmp_path / "site/bundles/csv-profiler/1.0.0/csv-profiler-1.0.0.zip").read_bytes() == (
        built / "bundles/csv-profiler/1.0.0/csv-profiler-1.0.0.zip"
    ).read_bytes()


def test_rendering_on_every_core_gives_the_same_site(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from skillport_build.site import render as site_module

    _render(built, tmp_path / "serial", workers=1)
    monkeypatch.setattr(site_module, "PARALLEL_FROM", 1)
    _, result = _render(built, tmp_path / "parallel", workers=2)
    serial, parallel = (_files(tmp_path / name) for name in ("serial", "parallel"))
    assert result.size_bytes == sum(len(b) for b in parallel.values())
    assert serial == parallel  # the search index too, byte for byte


def test_a_new_generation_replaces_the_last_index(built: Path, tmp_path: Path) -> None:
    _render(built, tmp_path / "site")
    _render(built, tmp_path / "site", only={"csv-profiler"})
    (head,) = (tmp_path / "site/search").glob("*/index.json")
    assert (
        json.loads(head.read_text())["skills"] == 1 and len(list((tmp_path / "site/search").iterdir())) == 1
    )


def _files(root: Path) -> dict[Path, bytes]:
    return {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file()}
