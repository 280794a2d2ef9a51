"""Commands that turn the repository into a release: plan, bump, build, yank, deprecate."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from skillport_build.cli.common import EXIT_FAILED, EXIT_OK, existing_file, folder
from skillport_build.cli.progress import ProgressBar
from skillport_build.errors import UsageError

if TYPE_CHECKING:
    from skillport_build.models.catalog import Catalog

# The core is imported inside each command, so that `skillport build --help` starts at once and
# `build` does not load the stores, bump or the plan renderers. The choices are spelled out here
# for the same reason (a test holds them equal to release.plan.LEVELS and render_plan.RENDERERS).
LEVELS = ("patch", "minor", "major", "prerelease")
PLAN_FORMATS = ("json", "markdown", "text")
LIFECYCLE_YAML = ".skillport/lifecycle.yaml"
REMOTE_MODES = ("fetch", "skip")
_remote_option = click.option(
    "--remote",
    "remote_mode",
    type=click.Choice(REMOTE_MODES),
    default="fetch",
    show_default=True,
    help="Fetch remote entries (github, url, git-subdir, npm) at their pin, or skip them (listed).",
)


def _remote(
    mode: str, cache: Path | None = None, strict: bool = False, bar: ProgressBar | None = None
) -> Any:
    """The remote sources of a command: the build's cache folder, else the user's."""
    from skillport_build.repo.remote import RemoteSources, user_cache

    return RemoteSources(
        cache or user_cache(), skip=mode == "skip", strict=strict, progress=bar.update if bar else None
    )


def _previous(previous: Path | None, store: str | None) -> Catalog | None:
    from skillport_build.models.catalog import Catalog

    if previous and store:
        raise UsageError("give --previous or --store, not both")
    if previous:
        return Catalog.load(previous)
    if not store:
        return None
    from skillport_build.stores import current_catalog, open_store

    return current_catalog(open_store(store))


def _previous_bytes(previous: Path | None, store: str | None) -> tuple[bytes | None, str]:
    """The last published catalog's bytes as they are, and how to name them: the build checks
    them itself, and parses them only when they are not the catalog its cache saw written."""
    from skillport_build.errors import CatalogError

    if previous and store:
        raise UsageError("give --previous or --store, not both")
    if previous:
        path = previous / "catalog.json" if previous.is_dir() else previous
        try:
            return path.read_bytes(), str(path)
        except OSError as exc:
            raise CatalogError(f"cannot read catalog {path}: {exc.strerror}") from None
    if not store:
        return None, ""
    from skillport_build.stores import open_store

    pointer = open_store(store).pointer()
    return (pointer.catalog if pointer else None), f"{store}/catalog.json"


@click.command()
@click.argument("path", type=folder, default=".")
@click.option("--previous", type=existing_file, help="The last published catalog.json.")
@click.option("--store", help="Read the last published catalog from this store.")
@click.option(
    "--level", type=click.Choice(LEVELS), default="patch", show_default=True, help="Bump for changes."
)
@click.option("--format", "fmt", type=click.Choice(PLAN_FORMATS), default="text", show_default=True)
@_remote_option
def plan(path: Path, previous: Path | None, store: str | None, level: str, fmt: str, remote_mode: str) -> int:
    """Show what a build would publish compared with the last published catalog."""
    from skillport_build.release.plan import make_plan
    from skillport_build.release.render_plan import RENDERERS
    from skillport_build.repo.loader import load

    if not previous and not store:
        raise UsageError("give --previous CATALOG or --store URL (an empty store means a first release)")
    result = make_plan(load(path, None, _remote(remote_mode)), _previous(previous, store), level)
    click.echo(RENDERERS[fmt](result), nl=False)
    return EXIT_FAILED if result.problems else EXIT_OK


@click.command()
@click.argument("path", type=folder, default=".")
@click.option("--level", type=click.Choice(LEVELS), default="patch", show_default=True)
@click.option("--plugin", "plugins", multiple=True, help="Bump only this plugin (repeatable).")
@click.option("--changed", is_flag=True, help="Bump only plugins whose content changed since --previous.")
@click.option("--previous", type=existing_file, help="The last published catalog.json.")
@click.option("--store", help="Read the last published catalog from this store.")
@_remote_option
def bump(
    path: Path,
    level: str,
    plugins: tuple[str, ...],
    changed: bool,
    previous: Path | None,
    store: str | None,
    remote_mode: str,
) -> int:
    """Raise plugin versions in plugin.json and marketplace.json together."""
    from skillport_build.release.bump import bump as bump_versions

    if changed and not (previous or store):
        raise UsageError("--changed needs --previous CATALOG or --store URL")
    since = _previous(previous, store) if changed else None
    if changed and since is None:
        click.echo("nothing published yet: nothing to bump")
        return EXIT_OK
    done = bump_versions(path, level, plugins, since, _remote(remote_mode))
    for change in done:
        click.echo(f"{change.plugin}: {change.old} → {change.new}")
    if not done:
        click.echo("nothing to bump")
    return EXIT_OK


@click.command()
@click.argument("path", type=folder, default=".")
@click.option("--out", type=folder, required=True, help="Output folder, in store layout.")
@click.option("--previous", type=existing_file, help="The last published catalog.json.")
@click.option("--store", help="Read the last published catalog from this store.")
@click.option("--expires-in", type=click.IntRange(1, 3650), default=30, show_default=True, help="Days.")
@click.option("--commit", help="Source commit to record (default: git HEAD).")
@click.option("--now", "now_text", help="Build time, RFC 3339 (default: SOURCE_DATE_EPOCH, else now).")
@_remote_option
@click.option("--strict", is_flag=True, help="Refuse remote entries not pinned to a commit by `sha`.")
def build(
    path: Path,
    out: Path,
    previous: Path | None,
    store: str | None,
    expires_in: int,
    commit: str | None,
    now_text: str | None,
    remote_mode: str,
    strict: bool,
) -> int:
    """Build every bundle and the catalog into OUT."""
    from skillport_build.repo.gitindex import GitIndex

    with GitIndex.start(path) as reading:  # git walks the tree while the build's modules load
        from skillport_build.models.catalog import parse_time
        from skillport_build.release import build as build_step

        raw, source = _previous_bytes(previous, store)
        fetching = ProgressBar("Fetching remote plugins")
        options = build_step.BuildOptions(
            out=out,
            previous_bytes=raw,
            previous_source=source,
            validity=timedelta(days=expires_in),
            commit=commit,
            now=parse_time(now_text) if now_text else None,
            remote=_remote(remote_mode, build_step.remote_cache(out), strict, fetching),
            git_index=reading,
        )
        with fetching, ProgressBar("Building bundles") as bar:
            result = build_step.build(path, options, progress=bar.update)
        click.echo(
            f"catalog {result.catalog_version}: {result.skills} skills, {result.plugins} plugins; "
            f"{len(result.written)} bundles written, {len(result.reused)} reused → {out}"
        )
        fetched = result.remote
        if fetched.fetched or fetched.reused:
            click.echo(
                f"remote plugins: {len(fetched.fetched)} fetched, {len(fetched.reused)} from the cache"
            )
        for warning in result.warnings:
            click.echo(f"warning: {warning}", err=True)
        return EXIT_OK


@click.command()
@click.argument("ref", metavar="NAME@VERSION")
@click.option("--reason", default="", help="Why: shown to everyone who has it installed.")
@click.option("--undo", is_flag=True, help="Withdraw the yank.")
@click.option("--root", type=folder, default=".", help="Marketplace root.")
def yank(ref: str, reason: str, undo: bool, root: Path) -> int:
    """Withdraw a published version; the next catalog records it."""
    from skillport_build.release import lifecycle

    name, version = lifecycle.split_ref(ref)
    lifecycle.yank(root, name, version, reason, undo=undo)
    click.echo(f"{'un-yanked' if undo else 'yanked'} {name}@{version} in {LIFECYCLE_YAML}")
    return EXIT_OK


@click.command()
@click.argument("name")
@click.option("--reason", default="", help="Why, and what to use instead.")
@click.option("--replacement", help="The skill or plugin to use instead.")
@click.option("--undo", is_flag=True, help="Withdraw the deprecation.")
@click.option("--root", type=folder, default=".", help="Marketplace root.")
def deprecate(name: str, reason: str, replacement: str | None, undo: bool, root: Path) -> int:
    """Mark a skill or plugin deprecated; the next catalog records it."""
    from skillport_build.release import lifecycle

    lifecycle.deprecate(root, name, reason, replacement, undo=undo)
    click.echo(f"{'un-deprecated' if undo else 'deprecated'} {name} in {LIFECYCLE_YAML}")
    return EXIT_OK
