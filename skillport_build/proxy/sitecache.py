"""The website's skill and plugin pages, rendered once and kept on disk until the catalog changes.

A skill's own page is the same for everyone who may read that skill, and a plugin's page the same
for everyone who sees the same skills of it: each is rendered once per catalog, on its first
request, and shared by every audience that sees the same (the route checks that the caller may).
The index is no file: it is a search answer, rendered per audience and query (proxy/siteindex.py).

    ROOT/<version>-pages/skills/     <slug>.html, one per skill asked for
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


class SiteCache:
    """Rendered pages under `root`: one folder of skill and plugin pages per catalog."""

    def __init__(self, root: Path, read_bundle: BundleReader) -> None:
        self.root, self.read_bundle = root, read_bundle
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._building: dict[str, threading.Lock] = {}
        self._version: int | None = None

    def skill_page(self, catalog: Catalog, skill: SkillRecord) -> Path:
        """A skill's page, shared by every audience that may read it (the caller checks that)."""
        folder = self.root / f"{catalog.catalog_version}-pages"
        target = folder / "skills" / f"{skill.slug}.html"

        def render(scratch: Path) -> None:
            render_skill_page(catalog, skill, self.read_bundle, scratch, link_base=LINK_BASE, proxy=True)

        if not target.is_file():
            folder.mkdir(parents=True, exist_ok=True)
            self._once(catalog, target, f"{folder.name}/s/{skill.slug}", render, into="skills")
        return target

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
                self._drop_old(catalog.catalog_version)
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

    def _drop_old(self, version: int) -> None:
        """Remove sites of older catalogs (a request still reading one may see it vanish: it retries)."""
        self._version = version
        self._building.clear()
        for child in self.root.iterdir():
            if child.is_dir() and not child.name.startswith(".") and not child.name.startswith(f"{version}-"):
                shutil.rmtree(child, ignore_errors=True)
