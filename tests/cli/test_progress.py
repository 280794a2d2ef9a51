"""Progress: a bar for a person at a terminal, silence in CI and in pipes; and the long steps
(publish, reconcile, site) report every unit of work to it."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

from factory import TEMPLATE
from releasing import release

from skillport_build.cli.progress import ProgressBar, shows_progress
from skillport_build.release.maintain import reconcile
from skillport_build.release.publish import publish
from skillport_build.site.render import folder_reader, render_site
from skillport_build.stores import LocalStore, current_catalog


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_bar_on_a_terminal() -> None:
    screen = Terminal()
    with ProgressBar("Publishing bundles", screen, {}) as bar:
        for done in range(1, 5):
            bar.update(done, 4)
    assert "Publishing bundles" in screen.getvalue() and "100%" in screen.getvalue()


def test_quiet_in_ci_and_when_not_a_terminal() -> None:
    assert shows_progress(Terminal(), {}) and not shows_progress(Terminal(), {"CI": "true"})
    assert not shows_progress(io.StringIO(), {})
    for stream, environ in ((Terminal(), {"CI": "1"}), (io.StringIO(), {})):
        with ProgressBar("Publishing bundles", stream, environ) as bar:
            bar.update(1, 2)
            bar.update(2, 2)
        assert stream.getvalue() == ""


def test_publish_reconcile_and_site_report_each_unit_of_work(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(TEMPLATE, repo)
    store = LocalStore(tmp_path / "store")
    build = release(repo, tmp_path / "out", store)
    seen: dict[str, list[tuple[int, int]]] = {"publish": [], "reconcile": [], "site": []}
    publish(build, store, progress=lambda done, total: seen["publish"].append((done, total)))
    bundles = len(list((build / "bundles").rglob("*.zip"))) + len(list((build / "plugins").rglob("*.zip")))
    bundles += len(list((build / "texts").glob("*.json.zst")))  # the search texts go up like bundles
    assert seen["publish"] == [(n, 2 * bundles) for n in range(1, 2 * bundles + 1)]
    assert reconcile(store, progress=lambda d, t: seen["reconcile"].append((d, t))).healthy
    assert seen["reconcile"] == [(n, bundles) for n in range(1, bundles + 1)]
    catalog = current_catalog(store)
    assert catalog is not None
    render_site(
        catalog, folder_reader(build), tmp_path / "site", progress=lambda d, t: seen["site"].append((d, t))
    )
    skills = len(catalog.skills)
    assert seen["site"] == [(n, skills) for n in range(1, skills + 1)]
