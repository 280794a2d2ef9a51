"""The website rendered once per audience (the set of skills a group of people may read), with the
site API of `skillport site`, and kept on disk until the catalog changes. A page therefore never lists
a skill its reader may not see, and people who see the same skills share one copy."""

from __future__ import annotations

import shutil
import tempfile
import threading
from pathlib import Path

from skillport_build.proxy.access import View
from skillport_build.site.render import BundleReader, render_site


class SiteCache:
    """Rendered sites under `root`, one folder per audience key."""

    def __init__(self, root: Path, read_bundle: BundleReader) -> None:
        self.root, self.read_bundle = root, read_bundle
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._building: dict[str, threading.Lock] = {}
        self._version: int | None = None

    def site(self, view: View) -> Path:
        """The folder of this audience's site, rendering it first if needed."""
        target = self.root / view.key
        if target.is_dir():
            return target
        with self._lock:
            lock = self._building.setdefault(view.key, threading.Lock())
            if self._version != view.catalog.catalog_version:
                self._drop_old(view.catalog.catalog_version)
        with lock:
            if not target.is_dir():
                scratch = Path(tempfile.mkdtemp(prefix=".render-", dir=self.root))
                try:
                    render_site(
                        view.catalog,
                        self.read_bundle,
                        scratch,
                        only=view.skill_names,
                        link_base="/bundles/",
                        workers=1,
                        plugin_downloads=view.plugin_names,
                        proxy=True,
                    )
                    scratch.rename(target)
                finally:
                    shutil.rmtree(scratch, ignore_errors=True)
        return target

    def _drop_old(self, version: int) -> None:
        """Remove sites of older catalogs (a request still reading one may see it vanish: it retries)."""
        self._version = version
        for child in self.root.iterdir():
            if child.is_dir() and not child.name.startswith(".") and not child.name.startswith(f"{version}-"):
                shutil.rmtree(child, ignore_errors=True)
