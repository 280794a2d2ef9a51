"""The static catalog website (`skillport site`) in a real headless Chromium: its own chunked search,
ranked as the proxy ranks, and filters in the URL, downloads, inert skill content, every page fitting
a phone and passing axe."""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from factory import TEMPLATE, write
from integration.browser import chromium, static_server
from integration.pagecheck import WIDTHS, Watched, checked_context
from releasing import build_at

from skillport_build.models.catalog import Catalog
from skillport_build.proxy.search import Filters, SearchIndex
from skillport_build.release.bundle import search_text
from skillport_build.site.render import folder_reader, link_bundles, render_site

pytestmark = pytest.mark.integration
# Screenshots go to a scratch folder; SKILLPORT_SCREENSHOTS=docs/assets refreshes the docs' copies.
SCREENSHOTS = Path(
    os.environ.get("SKILLPORT_SCREENSHOTS") or Path(tempfile.gettempdir(), "skillport-screenshots")
)

EVIL = """---
name: evil-notes
description: "Takes notes. Use when asked for notes about zanzibar."
---

# Notes

<script>window.__pwned = 'script'</script>
<img src=x onerror="window.__pwned = 'onerror'">

[click me](javascript:window.__pwned='href') and ![tracker](https://tracker.invalid/pixel.gif)

<a href="javascript:window.__pwned='a'">raw link</a>

Notes in other scripts: ｶﾀｶﾅ, ﾃｽﾄ, 𠀋𡈽 and 日本.
"""


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("site")
    repo = work / "repo"
    shutil.copytree(TEMPLATE, repo)
    write(repo, {"plugins/writing/skills/evil-notes/SKILL.md": EVIL})
    build_at(repo, work / "dist")
    catalog = Catalog.load(work / "dist")
    render_site(catalog, folder_reader(work / "dist"), work / "www")
    link_bundles(catalog, work / "dist", work / "www")
    return work


@pytest.fixture(scope="module")
def site(work: Path) -> Iterator[str]:
    with static_server(work / "www") as url:
        yield url


@pytest.fixture(scope="module")
def proxy_index(work: Path) -> SearchIndex:
    """The proxy's search index over the same catalog and texts as the site's."""
    catalog = Catalog.load(work / "dist")
    read = folder_reader(work / "dist")
    return SearchIndex(catalog.skills, {s.ref: search_text(read(s.bundle), s.name) for s in catalog.skills})


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as running:
        yield running


def _open(browser: Any, url: str, **kw: Any) -> Any:
    page = browser.new_page(**kw)
    page.goto(url)
    page.wait_for_selector("#finder:not([hidden])")
    return page


def _visible(page: Any) -> list[str]:
    return page.eval_on_selector_all("#skills > li", "els => els.map(e => e.dataset.name)")


def _answered(page: Any, action: Any) -> None:
    """Do `action` and wait until search.js has put its answer in the page."""
    with _Answer(page):
        action()


class _Answer:
    """Waits for the `skillport:results` event search.js sends once the list shows an answer."""

    def __init__(self, page: Any) -> None:
        self.page = page

    def __enter__(self) -> None:
        self.page.evaluate(
            "() => { window.__answered = new Promise("
            "r => document.addEventListener('skillport:results', () => r(true), {once: true})); }"
        )

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:  # bounded: an answer that never comes fails the test instead of hanging it
            self.page.evaluate(
                "() => Promise.race([window.__answered, new Promise((_, no) => setTimeout("
                "() => no(new Error('search.js sent no skillport:results within 15 s')), 15000))])"
            )


def test_a_word_from_a_skill_body_finds_it(browser: Any, site: str) -> None:
    page = _open(browser, f"{site}/index.html", viewport={"width": 1200, "height": 900})
    assert len(_visible(page)) == 7
    _answered(page, lambda: page.fill("#q", "delimiter"))  # only in csv-profiler's SKILL.md body
    assert _visible(page) == ["csv-profiler"]
    assert page.inner_text("#count") == "1 skill for “delimiter”"
    assert page.inner_text("#skills .why mark").lower() == "delimiter"
    assert page.url.endswith("/index.html?q=delimiter")
    _answered(page, lambda: page.fill("#q", "zanzibar"))  # only in a description
    assert _visible(page) == ["evil-notes"]
    _answered(page, lambda: page.fill("#q", "zzzznothing"))
    assert page.is_visible(".empty >> text=Reset search and filters")
    _answered(page, lambda: page.fill("#q", ""))
    assert len(_visible(page)) == 7
    _answered(page, lambda: page.fill("#q", "incident"))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "catalog-index.png"))


# (query, surface filter): prefixes as typed, one letter, typos, several words, a name in full, none
SAME_AS_PROXY = [
    ("incident", ""),
    ("inci", ""),
    ("in", ""),
    ("i", ""),
    ("the", ""),
    ("pull request", ""),
    ("csv-profiler", ""),
    ("postmortm", ""),
    ("reveiw", ""),
    ("write record", ""),
    ("notes", ""),
    ("delimiter", ""),
    ("zebra", ""),
    ("review", "claude-code"),
    ("the", "desktop"),
    ("", "claude-code"),
    ("ｶﾀｶﾅ", ""),  # halfwidth kana and CJK Extension B: JavaScript and Python order them apart
    ("𠀋𡈽", ""),
    ("ﾃｽﾄ", ""),
]


@pytest.mark.parametrize(("query", "surface"), SAME_AS_PROXY)
def test_the_static_search_ranks_as_the_proxy_does(
    browser: Any, site: str, work: Path, proxy_index: SearchIndex, query: str, surface: str
) -> None:
    page = _open(browser, f"{site}/index.html")
    if surface:
        _answered(page, lambda: page.select_option("#surface", surface))
    if query:
        _answered(page, lambda: page.fill("#q", query))
    everyone = [s.ref for s in proxy_index.skills]
    total, hits = proxy_index.search("all", everyone, query, Filters(surface=surface or None))
    assert _visible(page) == [s.slug for s, _ in hits][:12]
    assert page.inner_text("#count").startswith(f"{total} skill")
    holding = {s.plugin for s, _ in hits}
    plugins = [p.name for p in Catalog.load(work / "dist").plugins if p.name in holding]
    assert page.eval_on_selector_all("#plugins li", "els => els.map(e => e.dataset.plugin)") == plugins
    page.close()


def test_filters_narrow_the_list_and_live_in_the_url(browser: Any, site: str) -> None:
    page = _open(browser, f"{site}/index.html")
    _answered(page, lambda: page.select_option("#surface", "claude-code"))
    code_only = _visible(page)
    assert "csv-profiler" not in code_only and "pr-review" in code_only
    plugins = page.eval_on_selector_all("#plugins li", "els => els.map(e => e.dataset.plugin)")
    assert "engineering" in plugins and "data-tools" not in plugins  # the plugins follow the filters
    _answered(page, lambda: page.select_option("#category", "data"))
    assert _visible(page) == []
    assert page.url.endswith("?category=data&surface=claude-code")
    _answered(page, page.go_back)
    assert page.input_value("#category") == "" and "pr-review" in _visible(page)
    _answered(page, lambda: page.select_option("#surface", ""))
    _answered(page, lambda: page.select_option("#tag", "postmortem"))
    assert _visible(page) == ["incident-postmortem"]
    shared = browser.new_page()  # the URL alone reproduces the search
    shared.goto(f"{site}/index.html?tag=postmortem")
    shared.wait_for_function("() => document.querySelectorAll('#skills > li').length === 1")
    assert _visible(shared) == ["incident-postmortem"] and shared.input_value("#tag") == "postmortem"
    shared.close()


def test_download_link_returns_the_zip(browser: Any, site: str) -> None:
    page = browser.new_page()
    page.goto(f"{site}/skills/pr-review.html")
    href = page.get_attribute("a.button", "href")
    response = page.request.get(f"{site}/skills/{href}")
    assert response.ok
    with zipfile.ZipFile(io.BytesIO(response.body())) as archive:
        assert "pr-review/SKILL.md" in archive.namelist()
    page.set_viewport_size({"width": 1100, "height": 900})
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "catalog-skill.png"))


def test_hostile_skill_content_is_inert(browser: Any, site: str) -> None:
    page = browser.new_page()
    requests: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{site}/skills/evil-notes.html")
    page.wait_for_load_state("networkidle")
    for link in page.query_selector_all("article a"):
        link.click(modifiers=["Alt"], no_wait_after=True, timeout=2000)
    assert page.evaluate("window.__pwned") is None
    assert dialogs == []
    assert all(url.startswith(site) for url in requests), requests
    article = page.inner_html("article")
    assert "<script" not in article and "onerror=" not in article.replace("&quot;", '"').split(">", 1)[0]
    assert "javascript:" not in page.eval_on_selector_all(
        "article a", "els => els.map(e => e.href).join(' ')"
    )


def test_browsing_works_without_javascript(browser: Any, site: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{site}/index.html")
    assert page.is_hidden("#finder")
    assert len(page.query_selector_all("#skills > li")) == 7
    page.click("text=csv-profiler")
    assert page.url.endswith("/skills/csv-profiler.html")
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_fits_logs_nothing_and_passes_axe(browser: Any, site: str, width: int) -> None:
    with checked_context(browser, width) as context:
        watched = Watched(context.new_page())
        for path in (
            "index.html",
            "index.html?q=notes",
            "skills/csv-profiler.html",
            "skills/evil-notes.html",
            "plugins/engineering.html",
            "plugins/data-tools.html",
            "404.html",
        ):
            watched.page.goto(f"{site}/{path}")
            if "?q=" in path:
                watched.page.wait_for_selector("#count:has-text('for')")
            watched.check(f"{path} at {width} px")


def test_surfaces_tell_one_story(browser: Any, site: str) -> None:
    page = browser.new_page()
    page.goto(f"{site}/plugins/data-tools.html")  # tagged for Claude.ai and Desktop only
    text = page.inner_text("main")
    assert "claude plugin install" not in text and "not for Claude Code" in text
    assert page.query_selector("a[href$='.zip']") is None  # the plugin zip is Claude Code's
    page.goto(f"{site}/skills/csv-profiler.html")
    assert "--claude-code" not in page.inner_text(
        "main"
    ) and "Not offered for Claude Code" in page.inner_text("main")
    page.goto(f"{site}/plugins/engineering.html")  # Claude Code only
    parts = page.inner_text("main")
    assert (
        "/review" in parts and "security-reviewer" in parts and "claude plugin install engineering@" in parts
    )
    page.goto(f"{site}/skills/pr-review.html")
    assert "Upload skill" not in page.inner_text("main")
    page.close()


def test_usable_on_a_phone_and_by_keyboard(browser: Any, site: str) -> None:
    page = _open(browser, f"{site}/index.html", viewport={"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "q"
    for control in ("q", "category", "tag", "surface"):
        assert page.query_selector(f"label[for={control}]") is not None
