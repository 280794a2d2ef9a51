"""`skillport site`: the static catalog website."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from skillport_build.cli.common import EXIT_OK, existing_file, folder
from skillport_build.cli.progress import ProgressBar
from skillport_build.errors import CatalogError, NotFound, UsageError
from skillport_build.models.catalog import Catalog
from skillport_build.site.discovery import write_discovery
from skillport_build.site.render import BundleReader, folder_reader, link_bundles, render_site, store_reader
from skillport_build.stores import open_store
from skillport_build.trust import keys
from skillport_build.trust.verify import verify_catalog


@click.command()
@click.option("--from", "source", type=folder, help="A build or local store folder (catalog.json + bundles).")
@click.option("--store", "url", help="Read the current catalog and bundles from this store.")
@click.option("--out", type=folder, required=True, help="Where to write the site.")
@click.option("--only", multiple=True, help="Only this skill (repeatable): a site for one audience.")
@click.option(
    "--link-base", help="Prefix for download links (e.g. the proxy's URL); default: relative paths."
)
@click.option(
    "--key", "key_paths", type=existing_file, multiple=True, help="Verify the catalog's signature first."
)
@click.option(
    "--discovery/--no-discovery",
    default=None,
    help="Write .well-known/skills/index.json and its archives for `npx skills add` "
    "(default: yes, unless --link-base sends downloads elsewhere).",
)
def site(
    source: Path | None,
    url: str | None,
    out: Path,
    only: tuple[str, ...],
    link_base: str | None,
    key_paths: tuple[Path, ...],
    discovery: bool | None,
) -> int:
    """Generate the catalog website from a signed catalog and its bundles.

    The site holds the Agent Skills discovery index too, so `npx skills add SITE-URL` installs from
    it: that client sends no credentials, so publish it only for a catalog anyone may read.
    """
    if bool(source) == bool(url):
        raise UsageError("give exactly one of --from DIR or --store URL")
    catalog, reader = _open(source, url, key_paths)
    if unknown := sorted(name for name in only if catalog.skill(name) is None):
        raise NotFound(f"--only names skills the catalog does not have: {', '.join(unknown)}")
    chosen = [found.ref for name in only if (found := catalog.skill(name))] or None
    with ProgressBar("Rendering pages") as bar:
        result = render_site(catalog, reader, out, only=chosen, link_base=link_base, progress=bar.update)
    if link_base is None and source is not None:
        link_bundles(catalog, source, out, chosen)
    click.echo(f"{result.pages} pages for {result.skills} skills ({result.size_bytes / 1e6:.1f} MB) → {out}")
    if discovery if discovery is not None else link_base is None:
        listed = write_discovery(catalog, reader, out, chosen)
        click.echo(f"{listed} skills in {out / '.well-known/skills/index.json'} (for `npx skills add`)")
    return EXIT_OK


def _open(source: Path | None, url: str | None, key_paths: tuple[Path, ...]) -> tuple[Catalog, BundleReader]:
    if source is not None:
        if not (source / "catalog.json").is_file():
            raise CatalogError(
                f"{source} holds no catalog.json: pass the folder `skillport build --out` wrote, or a "
                "local store folder (or use --store URL)"
            )
        raw = (source / "catalog.json").read_bytes()
        signature_file = source / "catalog.json.minisig"
        signature = signature_file.read_text() if signature_file.is_file() else ""
        reader = folder_reader(source)
    else:
        store = open_store(url or "")
        pointer = store.pointer()
        if pointer is None:
            raise CatalogError(f"{url} has no catalog yet; publish a build to it first")
        raw, signature = pointer.catalog, pointer.signature.decode("utf-8", "replace")
        reader = store_reader(store)
    if key_paths:
        catalog, _ = verify_catalog(raw, signature, keys.load_public_keys(key_paths), datetime.now(UTC), None)
        return catalog, reader
    return Catalog.from_bytes(raw), reader
