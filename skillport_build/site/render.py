"""The catalog website: static pages generated from the catalog and its bundles, never the repo.

`render_site` is the API the proxy calls for each audience (the set of skills a group may read);
`skillport site` calls it for a build folder or a store. Bundles are read through a reader that
checks each one's sha256 against the catalog before anything from it reaches a page.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import shutil
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from skillport_build.errors import SignatureError
from skillport_build.models.catalog import Bundle, Catalog, PluginRecord, SkillRecord
from skillport_build.models.marketplace import SURFACE_LABELS
from skillport_build.release.bundle import SEARCH_TEXT_LIMIT, skill_markdown
from skillport_build.site import markdown
from skillport_build.site.listing import PAGE_SIZE, Hit, Listing, Query, options, pages_of, plugins_holding
from skillport_build.site.parts import Parts, plugin_parts
from skillport_build.site.searchindex import write_search_index
from skillport_build.site.templating import environment, templates_dir
from skillport_build.stores.base import Store

Progress = Callable[[int, int], None]  # (skill pages done, skill pages in all)

BundleReader = Callable[[Bundle], bytes]
PARALLEL_FROM = 200  # skills; below this, forking costs more than it saves


@dataclass(frozen=True)
class SiteResult:
    """What was written."""

    pages: int
    skills: int
    size_bytes: int


def folder_reader(root: Path) -> BundleReader:
    """Read bundles from a build or store folder, refusing any whose bytes differ from the catalog."""

    def read(bundle: Bundle) -> bytes:
        data = (root / bundle.path).read_bytes()
        if len(data) != bundle.size or hashlib.sha256(data).hexdigest() != bundle.sha256:
            raise SignatureError(f"{bundle.path} does not match the catalog's sha256; refusing to publish it")
        return data

    return read


def store_reader(store: Store) -> BundleReader:
    """Read bundles from a store, checking each one's sha256 against the catalog."""
    return lambda bundle: store.read_verified(bundle.path, bundle.sha256)


@dataclass
class _Pages:
    """Writes pages for one site: the environment, the shared context, where downloads point."""

    out: Path
    common: dict[str, Any]
    link_base: str | None
    env: Any = None
    written: list[Path] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)  # each skill's search text, by ref

    def __post_init__(self) -> None:
        self.env = environment()

    def page(self, path: str, template: str, root: str, **context: Any) -> None:
        target = self.out / path
        target.write_text(
            self.env.get_template(template).render(**self.common, root=root, **context), "utf-8"
        )
        self.written.append(target)

    def download(self, bundle: Bundle, root: str) -> str:
        return f"{self.link_base}{bundle.path}" if self.link_base is not None else f"{root}{bundle.path}"

    def plugin(
        self, plugin: PluginRecord, shown: list[SkillRecord], offered: bool, read_bundle: BundleReader
    ) -> None:
        """Write a plugin's page, listing `shown` and its commands and agents, with its zip when `offered`."""
        self.page(
            f"plugins/{plugin.name}.html",
            "plugin.html",
            "../",
            plugin=plugin,
            skills=shown,
            parts=plugin_parts(read_bundle(plugin.bundle)) if plugin.components else Parts(),
            download=self.download(plugin.bundle, "../") if offered else None,
        )

    def skill(self, skill: SkillRecord, read_bundle: BundleReader) -> None:
        """Write a skill's page, keeping the start of its SKILL.md that search reads."""
        body = skill_markdown(read_bundle(skill.bundle), skill.name)
        self.texts[skill.ref] = body[:SEARCH_TEXT_LIMIT]
        html = markdown.render(body)
        self.page(
            f"skills/{skill.slug}.html",
            "skill.html",
            "../",
            skill=skill,
            body_html=Markup(html),
            download=self.download(skill.bundle, "../"),
        )


_FORKED: list[tuple[_Pages, list[SkillRecord], BundleReader]] = []  # what forked workers render


def _render_chunk(indices: list[int]) -> tuple[list[str], dict[str, str]]:
    pages, skills, read_bundle = _FORKED[0]
    start = len(pages.written)  # a worker process renders several chunks
    pages.texts.clear()
    for i in indices:
        pages.skill(skills[i], read_bundle)
    return [str(p) for p in pages.written[start:]], dict(pages.texts)


def _skill_pages(
    pages: _Pages, skills: list[SkillRecord], read_bundle: BundleReader, workers: int, progress: Progress
) -> None:
    """Render every skill page, on every core for big sites (markdown is the cost)."""
    if workers < 2 or len(skills) < PARALLEL_FROM or "fork" not in multiprocessing.get_all_start_methods():
        for done, skill in enumerate(skills, start=1):
            pages.skill(skill, read_bundle)
            progress(done, len(skills))
        return
    chunks = [list(range(start, len(skills), workers * 4)) for start in range(workers * 4)]
    _FORKED[:] = [(pages, skills, read_bundle)]
    results: list[list[str]] = []
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
            done = 0
            for chunk, (paths, texts) in zip(chunks, pool.map(_render_chunk, chunks), strict=True):
                results.append(paths)
                pages.texts.update(texts)
                done += len(chunk)
                progress(done, len(skills))
    finally:
        _FORKED.clear()
    pages.written += [Path(p) for paths in results for p in paths]


def render_site(
    catalog: Catalog,
    read_bundle: BundleReader,
    out: Path,
    *,
    only: Iterable[str] | None = None,
    link_base: str | None = None,
    workers: int = os.cpu_count() or 1,
    plugin_downloads: Iterable[str] | None = None,
    search: bool = True,
    progress: Progress | None = None,
) -> SiteResult:
    """Write the static site for the skills in `only` (all when None) into `out`.

    Downloads link to `link_base + bundle path`; without a link base they are relative paths, and
    the bundles are expected at the site's root. Plugin pages offer the plugin zip only for the
    plugins in `plugin_downloads` (all when None). The index lists every skill, PAGE_SIZE a page
    (index.html, index-2.html, ...); with `search`, a chunked index of those skills alone
    (site/searchindex.py) lets a browser fetch only the few files a search needs, never the catalog.
    `progress(done, total)` after each skill page.
    """
    visible = set(only) if only is not None else None
    skills = sorted(
        (s for s in catalog.skills if visible is None or s.ref in visible), key=lambda s: (s.name, s.plugin)
    )
    shown_in = {(s.plugin, s.name) for s in skills}
    plugins = [p for p in catalog.plugins if any((p.name, n) in shown_in for n in p.skills)]
    pages = _Pages(out, _context(catalog, proxy=False), link_base)
    for folder in ("skills", "plugins"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    _skill_pages(pages, skills, read_bundle, workers, progress or (lambda done, total: None))
    downloadable = set(plugin_downloads) if plugin_downloads is not None else None
    by_name = {(s.plugin, s.name): s for s in skills}
    for plugin in plugins:
        offered = downloadable is None or plugin.name in downloadable
        pages.plugin(plugin, shown_skills(plugin, by_name), offered, read_bundle)
    found: list[Path] = []
    if search:
        head, found = write_search_index(out, skills, plugins, pages.texts, SURFACE_LABELS)
        pages.common["site"] = {**pages.common["site"], "search_index": head}
    index_pages = _index_pages(pages, skills, plugins)
    pages.page("404.html", "404.html", "")
    written = [*pages.written, *_copy_static(out), *found]
    return SiteResult(
        len(skills) + len(plugins) + index_pages + 1, len(skills), sum(p.stat().st_size for p in written)
    )


def _index_pages(pages: _Pages, skills: list[SkillRecord], plugins: list[PluginRecord]) -> int:
    """Write index.html, index-2.html, ...: every skill by name, a page at a time."""
    choices = options(skills, SURFACE_LABELS)
    count = pages_of(len(skills), PAGE_SIZE)
    shown, more = plugins_holding(plugins, skills)
    for n in range(1, count + 1):
        listing = Listing(
            query=Query(page=n),
            hits=tuple(Hit(s) for s in skills[(n - 1) * PAGE_SIZE : n * PAGE_SIZE]),
            total=len(skills),
            plugins=shown,
            options=choices,
            prev_href=index_name(n - 1) if n > 1 else None,
            next_href=index_name(n + 1) if n < count else None,
            pages=count,
            more_plugins=more,
        )
        pages.page(index_name(n), "index.html", "", listing=listing)
    return count


def index_name(page: int) -> str:
    """The file of the static index's page `page`."""
    return "index.html" if page == 1 else f"index-{page}.html"


def render_index(catalog: Catalog, listing: Listing, *, part: bool = False) -> str:
    """The proxy's index page for one listing (only its results when `part`: search as you type)."""
    env = environment()
    context = {**_context(catalog, proxy=True), "root": "/", "listing": listing}
    return env.get_template("_results.html" if part else "index.html").render(**context)


def render_skill_page(
    catalog: Catalog, skill: SkillRecord, read_bundle: BundleReader, out: Path, *, link_base: str, proxy: bool
) -> Path:
    """Write one skill's page into `out`/skills/ (the same page for everyone who may read the skill)."""
    (out / "skills").mkdir(parents=True, exist_ok=True)
    pages = _Pages(out, _context(catalog, proxy), link_base)
    pages.skill(skill, read_bundle)
    return pages.written[-1]


def render_plugin_page(
    catalog: Catalog,
    plugin: PluginRecord,
    shown: list[SkillRecord],
    offered: bool,
    read_bundle: BundleReader,
    out: Path,
    *,
    link_base: str,
    proxy: bool,
) -> Path:
    """Write one plugin's page into `out`/plugins/, listing `shown` (the skills of it the audience may
    read) and offering its zip when `offered`."""
    (out / "plugins").mkdir(parents=True, exist_ok=True)
    pages = _Pages(out, _context(catalog, proxy), link_base)
    pages.plugin(plugin, shown, offered, read_bundle)
    return pages.written[-1]


def shown_skills(plugin: PluginRecord, visible: Mapping[tuple[str, str], SkillRecord]) -> list[SkillRecord]:
    """The skills of `plugin` among `visible` (by (plugin, name)), in the plugin's order."""
    return [visible[(plugin.name, n)] for n in plugin.skills if (plugin.name, n) in visible]


def _context(catalog: Catalog, proxy: bool) -> dict[str, Any]:
    """What every page of one catalog's site shares."""
    site = {
        "name": catalog.marketplace.name,
        "description": catalog.marketplace.description,
        "catalog_version": catalog.catalog_version,
        "generated_at": catalog.generated_at,
        "proxy": proxy,
        "admin": None if proxy else False,  # the proxy fills the header's admin slot for admins
        "show_version": not proxy,
        "search_index": "",  # the static site's search index head, once written
    }
    return {"site": site, "surface_labels": SURFACE_LABELS}


PROXY_ONLY_STATIC = frozenset({"admin.css"})  # the proxy's admin pages; a static site has none


def _copy_static(out: Path) -> list[Path]:
    source = templates_dir() / "static"
    target = out / "static"
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for item in sorted(source.iterdir()):
        if item.name in PROXY_ONLY_STATIC:
            continue
        shutil.copyfile(item, target / item.name)
        copied.append(target / item.name)
    return copied


def link_bundles(catalog: Catalog, source: Path, out: Path, only: Iterable[str] | None = None) -> int:
    """Put the bundles a static site links to beside it (hard links where possible)."""
    visible = set(only) if only is not None else None
    bundles: list[Bundle] = []
    for skill in catalog.skills:
        if visible is None or skill.ref in visible:
            bundles.append(skill.bundle)
    shown = {(s.plugin, s.name) for s in catalog.skills if visible is None or s.ref in visible}
    for plugin in catalog.plugins:
        if any((plugin.name, n) in shown for n in plugin.skills):
            bundles.append(plugin.bundle)
    made: set[Path] = set()
    for bundle in bundles:
        target = out / bundle.path
        if target.exists() or (source / bundle.path).resolve() == target.resolve():
            continue
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        try:
            os.link(source / bundle.path, target)
        except OSError:
            shutil.copyfile(source / bundle.path, target)
    return len(bundles)
