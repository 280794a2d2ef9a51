"""The website's skill and plugin pages, rendered once and kept on disk.

A skill's own page is the same for everyone who may read that skill, and a plugin's page the same
for everyone who sees the same skills of it: each is rendered on its first request and shared by
every audience that sees the same (the route checks that the caller may). A skill page is named by
what it shows (the skill's record and the marketplace's name), not by the catalog, so a new
catalog that changed other skills serves it unrendered; a plugin page lists its skills' versions
and lives as long as its catalog. The index is no file: it is a search answer, rendered per
audience and query (proxy/siteindex.py).

    ROOT/skills/                     <slug>-<what it shows>.html, one per skill asked for
    ROOT/<version>-pages/plugins/    <name>-<what is shown>.html, one per plugin and view of it
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from skillport_build.models.catalog import Catalog, PluginRecord, SkillRecord
from skillport_build.proxy.access import View
from skillport_build.site.render import (
    BundleReader,
    render_plugin_page,
    render_skill_page,
    shown_skills,
)

LINK_BASE = "/bundles/"
DIGEST = 16  # hex digits naming what a skill page shows
SHOWN_KEPT = 100_000  # records whose page digest is remembered


def _slug_of(name: str) -> str | None:
    """The skill slug of a page file `<slug>-<digest>.html` (None for another name)."""
    stem, dot, suffix = name.rpartition(".")
    slug, dash, digest = stem.rpartition("-")
    whole = dot and dash and suffix == "html" and len(digest) == DIGEST
    return slug if whole and all(c in "0123456789abcdef" for c in digest) else None


class SiteCache:
    """Rendered pages under `root`: skill pages by what they show, plugin pages per catalog."""

    def __init__(self, root: Path, read_bundle: BundleReader) -> None:
        self.root, self.read_bundle = root, read_bundle
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._building: dict[str, threading.Lock] = {}
        self._version: int | None = None
        self._shown: dict[int, tuple[SkillRecord, str, str]] = {}

    def skill_page(self, catalog: Catalog, skill: SkillRecord) -> Path:
        """A skill's page, shared by every audience that may read it (the caller checks that)."""
        target = self.root / "skills" / f"{skill.slug}-{self._shows(catalog, skill)}.html"

        def render(scratch: Path) -> None:
            made = render_skill_page(
                catalog, skill, self.read_bundle, scratch, link_base=LINK_BASE, proxy=True
            )
            made.rename(scratch / "skills" / target.name)

        if not target.is_file():
            self._once(catalog, target, f"s/{target.name}", render, into="skills")
            self._drop_others(target, skill.slug)
        return target

    def _shows(self, catalog: Catalog, skill: SkillRecord) -> str:
        """What a skill's page shows, as a short digest (kept per record object)."""
        known = self._shown.get(id(skill))
        if known is not None and known[0] is skill and known[1] == catalog.marketplace.name:
            return known[2]
        shown = f"{catalog.marketplace.name}\n{skill.model_dump_json()}"
        digest = hashlib.sha256(shown.encode()).hexdigest()[:DIGEST]
        with self._lock:
            if len(self._shown) > SHOWN_KEPT:
                self._shown.clear()
            self._shown[id(skill)] = (skill, catalog.marketplace.name, digest)
        return digest

    @staticmethod
    def _drop_others(target: Path, slug: str) -> None:
        """Remove the pages the same skill had in earlier catalogs."""
        for other in target.parent.glob(f"{slug}-*.html"):
            if other != target and _slug_of(other.name) == slug:
                other.unlink(missing_ok=True)

    def plugin_page(self, view: View, plugin: PluginRecord) -> Path | None:
        """A plugin's page as this audience sees it (None when they see none of its skills)."""
        visible = {(s.plugin, s.name): s for s in view.skills if s.plugin == plugin.name}
        shown = shown_skills(plugin, visible)
        if not shown:
            return None
        offered = plugin.name in view.plugin_names
        what = hashlib.sha256(("\n".join(s.name for s in shown) + f"\n{offered}").encode()).hexdigest()[:16]
        folder = self.root / f"{view.catalog.catalog_version}-pages"
        target = folder / "plugins" / f"{plugin.name}-{what}.html"

        def render(scratch: Path) -> None:
            made = render_plugin_page(
                view.catalog,
                plugin,
                shown,
                offered,
                self.read_bundle,
                scratch,
                link_base=LINK_BASE,
                proxy=True,
            )
            made.rename(scratch / "plugins" / target.name)

        if not target.is_file():
            folder.mkdir(parents=True, exist_ok=True)
            self._once(view.catalog, target, f"{folder.name}/p/{target.name}", render, into="plugins")
        return target

    def _once(
        self,
        catalog: Catalog,
        target: Path,
        key: str,
        render: Callable[[Path], None],
        into: str | None = None,
    ) -> None:
        """Render into a scratch folder and rename into place, once, whoever asks at the same time.

        `into` set: the scratch holds one page in that subfolder, named as `target`, renamed to it."""
        if target.exists():
            return
        with self._lock:
            lock = self._building.setdefault(key, threading.Lock())
            if self._version != catalog.catalog_version:
                self._drop_old(catalog)
        with lock:
            if target.exists():
                return
            scratch = Path(tempfile.mkdtemp(prefix=".render-", dir=self.root))
            try:
                render(scratch)
                made = scratch if into is None else scratch / into / target.name
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    made.rename(target)
                except OSError:  # rendered at the same moment by a request of a newer catalog
                    if not target.exists():
                        raise
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
        with self._lock:
            self._building.pop(key, None)

    def _drop_old(self, catalog: Catalog) -> None:
        """Remove plugin pages of older catalogs, and skill pages of skills no longer in this one
        (a request still reading one may see it vanish: it retries)."""
        self._version = catalog.catalog_version
        self._building.clear()
        for child in self.root.iterdir():
            if child.is_dir() and child.name.endswith("-pages") and child.name != f"{self._version}-pages":
                shutil.rmtree(child, ignore_errors=True)
        skills = self.root / "skills"
        if skills.is_dir():
            slugs = {s.slug for s in catalog.skills}
            for page in skills.iterdir():
                if _slug_of(page.name) not in slugs:
                    page.unlink(missing_ok=True)
