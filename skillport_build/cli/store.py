"""Commands that talk to a store: publish, fetch-catalog, reconcile, prune."""

from __future__ import annotations

import os
from pathlib import Path

import click

from skillport_build.cli.common import EXIT_FAILED, EXIT_OK, folder
from skillport_build.cli.progress import ProgressBar
from skillport_build.errors import SkillportError, UsageError
from skillport_build.models.texts import PREFIX as TEXTS_PREFIX
from skillport_build.release import maintain
from skillport_build.release.notify import notify_proxy
from skillport_build.release.publish import publish as publish_build
from skillport_build.stores import open_store
from skillport_build.trust import keys
from skillport_build.trust.notice import SECRET_ENV

_store = click.option(
    "--store", "url", required=True, help="Store URL: a folder, file://, github://, oci://."
)


@click.command()
@click.argument("directory", type=folder)
@_store
@click.option("--dry-run", is_flag=True, help="Say what would be uploaded; change nothing.")
@click.option(
    "--notify",
    "proxies",
    multiple=True,
    help=f"Proxy URL to tell at once (repeatable); signed with ${SECRET_ENV}.",
)
def publish(directory: Path, url: str, dry_run: bool, proxies: tuple[str, ...]) -> int:
    """Publish a signed build folder to a store as one transaction."""
    secret = notify_secret(proxies)
    with ProgressBar("Publishing bundles") as bar:
        result = publish_build(directory, open_store(url), dry_run=dry_run, progress=bar.update)
    if result.already_published:
        click.echo(f"catalog {result.catalog_version} is already the store's current catalog; nothing to do")
        return EXIT_OK
    verb = "would upload" if dry_run else "uploaded"
    texts = sum(key.startswith(TEXTS_PREFIX) for key in result.uploaded)
    click.echo(
        f"{verb} {len(result.uploaded) - texts} bundle(s) and {texts} search texts document(s); "
        f"{len(result.present)} already in the store"
    )
    if not dry_run:
        click.echo(f"✓ {url} now serves catalog {result.catalog_version}")
        return notify_all(proxies, secret, result.catalog_version)
    return EXIT_OK


def notify_secret(proxies: tuple[str, ...]) -> bytes:
    """The publish notices' key from the environment; a usage error when proxies are to be told."""
    secret = os.environ.get(SECRET_ENV, "")
    if proxies and not secret:
        raise UsageError(f"--notify signs the notice with ${SECRET_ENV}: set it to the proxy's notify_secret")
    return secret.encode()


def notify_all(proxies: tuple[str, ...], secret: bytes, catalog_version: int) -> int:
    """Tell each proxy; one that cannot be told still polls the store, so this is a warning."""
    for proxy in proxies:
        try:
            served = notify_proxy(proxy, secret, catalog_version)
        except SkillportError as exc:
            click.echo(f"warning: {exc}; it will find catalog {catalog_version} at its next poll", err=True)
            continue
        click.echo(f"✓ {proxy} notified; it serves catalog {served}")
    return EXIT_OK


@click.command("fetch-catalog")
@_store
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Where to write it."
)
def fetch_catalog(url: str, out: Path) -> int:
    """Download the store's current catalog (CI passes it to build as --previous)."""
    catalog = maintain.fetch_catalog(open_store(url), out)
    if catalog is None:
        click.echo(f"{url} has no catalog yet: the next build is the first release")
        return EXIT_OK
    click.echo(f"catalog {catalog.catalog_version} → {out} (+ {out.name}.minisig)")
    return EXIT_OK


@click.command()
@_store
@click.option("--repair", is_flag=True, help="Move a pointer left behind by an interrupted publish.")
@click.option(
    "--key",
    "key_paths",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    multiple=True,
    help="With --repair: only move to a catalog signed by one of these keys.",
)
def reconcile(url: str, repair: bool, key_paths: tuple[Path, ...]) -> int:
    """Check that every blob the current catalog names is in the store with the right digest."""
    trusted = keys.load_public_keys(key_paths) or None
    with ProgressBar("Checking blobs") as bar:
        result = maintain.reconcile(open_store(url), repair=repair, keys=trusted, progress=bar.update)
    click.echo(
        f"pointer: catalog {result.pointer_version if result.pointer_version is not None else '(none)'}"
    )
    for path in result.missing:
        click.echo(f"missing: {path}")
    for path in result.corrupt:
        click.echo(f"wrong digest: {path}")
    if result.repaired_to is not None:
        click.echo(f"repaired: the pointer now names catalog {result.repaired_to}")
    for version in result.ahead:
        click.echo(f"catalog {version} was written but never made current (run with --repair)")
    if result.healthy:
        click.echo("✓ consistent")
    return EXIT_OK if result.healthy else EXIT_FAILED


@click.command()
@_store
@click.option("--keep", type=click.IntRange(min=1), required=True, help="Immutable catalogs to keep.")
@click.option("--dry-run", is_flag=True, help="List what would be removed.")
def prune(url: str, keep: int, dry_run: bool) -> int:
    """Remove old catalogs and blobs no kept catalog names (never what the current one names)."""
    removed = maintain.prune(open_store(url), keep, dry_run=dry_run)
    for key in removed:
        click.echo(f"{'would remove' if dry_run else 'removed'} {key}")
    click.echo(f"{len(removed)} object(s) {'to remove' if dry_run else 'removed'}")
    return EXIT_OK
