"""`skillport ci …`: the steps the GitHub workflows (and action.yml) run, reading the Actions
environment (GITHUB_EVENT_PATH, GITHUB_REPOSITORY, GITHUB_SHA, GITHUB_STEP_SUMMARY, GITHUB_TOKEN)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from skillport_build.cli.common import EXIT_FAILED, EXIT_OK, Group, folder
from skillport_build.release.maintain import reconcile
from skillport_build.release.plan import LEVELS
from skillport_build.release.pr_report import pull_request_report
from skillport_build.release.resign import resign as resign_catalog
from skillport_build.repo.remote import RemoteSources, user_cache
from skillport_build.stores import current_catalog, open_store
from skillport_build.trust import keys
from skillport_build.trust.minisign import SecretKey
from skillport_build.validate.render import as_github


@click.group(cls=Group)
def ci() -> None:
    """Steps of the marketplace's GitHub workflows (see action.yml)."""


def _summary(markdown: str) -> None:
    if target := os.environ.get("GITHUB_STEP_SUMMARY"):
        with Path(target).open("a", encoding="utf-8") as handle:
            handle.write(markdown + "\n")


def _remote() -> RemoteSources:
    """Remote entries fetched with the job's tokens, into the runner's cache folder."""
    return RemoteSources(user_cache())


def _signing_key() -> SecretKey:
    text, what = keys.secret_key_text_from(None)
    return keys.load_secret_key(text, what, None)


@ci.command("pull-request")
@click.option("--path", type=folder, default=".", show_default=True)
@click.option("--store", "url", help="The published store (omit before the first release).")
@click.option("--level", type=click.Choice(LEVELS), default="patch", show_default=True)
def pull_request(path: Path, url: str | None, level: str) -> int:
    """Validate with annotations, plan, and post the report comment on the pull request."""
    previous = current_catalog(open_store(url)) if url else None
    result = pull_request_report(path, previous, level, _remote())
    click.echo(as_github(result.report), nl=False)
    _summary(result.markdown)
    event = os.environ.get("GITHUB_EVENT_PATH")
    token = os.environ.get("GITHUB_TOKEN")
    if event and token and Path(event).is_file():
        number = json.loads(Path(event).read_text()).get("pull_request", {}).get("number")
        if number:
            from skillport_build.release.github_pr import client, upsert_report

            done = upsert_report(client(token), os.environ["GITHUB_REPOSITORY"], int(number), result.markdown)
            click.echo(f"report comment {done} on #{number}")
    return EXIT_FAILED if result.failed else EXIT_OK


@ci.command()
@click.option("--path", type=folder, default=".", show_default=True)
@click.option("--store", "url", required=True)
@click.option(
    "--level", type=click.Choice(LEVELS), help="Default: from the merged PR's release:* label, else patch."
)
@click.option("--push/--no-push", default=True, help="Push the version-bump commit.")
@click.option(
    "--notify",
    "proxies",
    multiple=True,
    help="Proxy URL to tell of a new catalog (repeatable; $SKILLPORT_NOTIFY_SECRET).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Build here and keep it (the workflow caches it): the next release rebuilds only what changed.",
)
def release(
    path: Path, url: str, level: str | None, push: bool, proxies: tuple[str, ...], out: Path | None
) -> int:
    """Bump what changed, build, sign and publish; write the job summary."""
    from skillport_build.cli.store import notify_all, notify_secret
    from skillport_build.release.job import release as run_release

    secret = notify_secret(proxies)
    level = level or _level_from_labels()
    outcome = run_release(
        path, open_store(url), _signing_key(), level=level, git_push=push, remote=_remote(), out=out
    )
    click.echo(outcome.summary, nl=False)
    _summary(outcome.summary)
    if outcome.catalog_version is not None:
        notify_all(proxies, secret, outcome.catalog_version)
    return EXIT_OK


def _level_from_labels() -> str:
    token, sha, repository = (os.environ.get(k) for k in ("GITHUB_TOKEN", "GITHUB_SHA", "GITHUB_REPOSITORY"))
    if not (token and sha and repository):
        return "patch"
    from skillport_build.release.github_pr import client, level_for_commit

    return level_for_commit(client(token), repository, sha)


@ci.command()
@click.option("--store", "url", required=True)
@click.option("--expires-in", type=click.IntRange(1, 3650), default=30, show_default=True, help="Days.")
def resign(url: str, expires_in: int) -> int:
    """Re-sign the current catalog with a new expiry, then reconcile the store."""
    store = open_store(url)
    renewed = resign_catalog(store, _signing_key(), datetime.now(UTC), timedelta(days=expires_in))
    health = reconcile(store)
    text = f"## Skillport re-sign\n\nCatalog **{renewed.catalog_version}** now expires {renewed.expires}.\n"
    text += "\nThe store is consistent.\n" if health.healthy else f"\nReconcile found problems: {health}\n"
    click.echo(text, nl=False)
    _summary(text)
    return EXIT_OK if health.healthy else EXIT_FAILED
