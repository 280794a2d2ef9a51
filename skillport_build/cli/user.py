"""The commands people run against a skillport proxy: `login`, `logout`, `search`, `install`,
`updates`, `claude-code sync`, `claude-code settings` and `auth-header`."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
import webbrowser
from pathlib import Path
from typing import Any

import click

from skillport_build.cli.common import EXIT_OK, SURFACE_HELP, Group, explain, folder, migrate_places
from skillport_build.client import credentials
from skillport_build.client.agents import AGENTS, Placement, known_folders
from skillport_build.client.api import Client
from skillport_build.client.claude_settings import marketplace_settings
from skillport_build.client.install import check_folders, install_for, save_zip
from skillport_build.client.login import browser_login, check_token
from skillport_build.client.sync import sync
from skillport_build.client.trust import (
    Pin,
    Verifier,
    key_ids,
    load_pins,
    parse_keys,
    save_pin,
    verifier_for,
)
from skillport_build.errors import UsageError
from skillport_build.models.api import SkillSummary, UpdateStatus
from skillport_build.models.text import printable

URL_HELP = "The proxy to use [SKILLPORT_URL] (default: the one you signed in to last)."
url_option = click.option("--url", "url", help=URL_HELP)
url_flag = click.option("--url", "url_flag", help="The same as URL.")


def _client(url: str | None) -> Client:
    migrate_places()
    found = credentials.resolve(url)
    return Client(found.url, found.token)


def _verifier(client: Client) -> Verifier:
    return verifier_for(client, lambda text: click.echo(text, err=True))


def _one_url(argument: str | None, option: str | None) -> str | None:
    if argument and option and credentials.normalize_url(argument) != credentials.normalize_url(option):
        raise UsageError(f"two proxies given ({argument} and --url {option}); give one")
    chosen = argument or option
    return credentials.normalize_url(chosen) if chosen else None


@click.command()
@click.argument("url")
@click.option(
    "--token",
    "token_value",
    metavar="TOKEN",
    is_flag=False,
    flag_value="-",
    help="Sign in with a personal token made on URL/tokens instead of the browser; `-` (or no "
    "value) reads it from stdin, which keeps it out of your shell history.",
)
@click.option("--no-browser", is_flag=True, help="Print the sign-in URL; do not open a browser.")
@click.option(
    "--key",
    "key_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Your organisation's public signing key (repeat for several); pinned for URL.",
)
def login(url: str, token_value: str | None, no_browser: bool, key_files: tuple[Path, ...]) -> int:
    """Sign in to the proxy at URL and remember it as the default.

    Opens the browser to sign in; or give a personal token (made on URL/tokens) with --token TOKEN,
    or pipe one in with --token -. Everything installed from URL is checked against your
    organisation's signing key: --key FILE pins the key your admin publishes; without it, the keys
    the proxy names are pinned on first use.
    """
    migrate_places()
    base = credentials.normalize_url(url)
    pinned = _pin_key_files(base, key_files) if key_files else None
    user = None
    if token_value is not None:
        token = _read_token(base) if token_value == "-" else _given_token(base, token_value)
        user = check_token(base, token)
    else:
        opener = None if no_browser else webbrowser.open
        with Client(base) as client:
            grant = browser_login(client, lambda link: click.echo(f"Sign in at: {link}", err=True), opener)
        token, user = grant.token, grant.user
    credentials.remember(base, token, user)
    click.echo(f"signed in to {base} as {user}" if user else f"signed in to {base} with a personal token")
    if pinned:
        click.echo(f"trusting the signing key {pinned} for {base}")
    elif base not in load_pins():
        with Client(base, token) as client:
            _verifier(client)
    return EXIT_OK


def _pin_key_files(base: str, paths: tuple[Path, ...]) -> str:
    """Pin the public key files given with --key for `base`; their ids."""
    texts = [path.read_text("utf-8", "replace") for path in paths]
    keys = [key for path, text in zip(paths, texts, strict=True) for key in parse_keys([text], str(path))]
    before = load_pins().get(base)
    save_pin(base, before.model_copy(update={"keys": texts}) if before else Pin(keys=texts))
    return key_ids(keys)


def _given_token(base: str, value: str) -> str:
    token = value.strip()
    if not token:
        raise UsageError(f"--token is empty; create a token on {base}/tokens, or give --token - to paste it")
    return token


def _read_token(base: str) -> str:
    if sys.stdin.isatty():
        token = str(click.prompt("Personal token", hide_input=True, err=True))
    else:
        token = sys.stdin.readline()
    token = token.strip()
    if not token:
        raise UsageError(f"no token given; create one on {base}/tokens and paste it, or pipe it in")
    return token


@click.command()
@click.argument("url", required=False)
@url_flag
def logout(url: str | None, url_flag: str | None) -> int:
    """Forget the token for URL (default: the default proxy)."""
    migrate_places()
    gone = credentials.forget(_one_url(url, url_flag))
    click.echo(f"signed out of {gone}; the token stays valid until you revoke it on {gone}/tokens")
    return EXIT_OK


@click.command()
@click.argument("query", required=False, default="")
@click.option(
    "--surface",
    type=click.Choice(list(SURFACE_HELP)),
    help=f"Only skills offered on this surface: {explain(SURFACE_HELP)}.",
)
@click.option("--category", help="Only skills of this category.")
@click.option("--limit", type=click.IntRange(1, 200), help="Skills per page (the proxy's default: 50).")
@click.option("--all", "every", is_flag=True, help="Every match, following the pages.")
@click.option("--json", "as_json", is_flag=True, help="The proxy's answer as JSON.")
@url_option
def search(
    query: str,
    surface: str | None,
    category: str | None,
    limit: int | None,
    every: bool,
    as_json: bool,
    url: str | None,
) -> int:
    """List the skills you may install, best matches first when QUERY is given (the first page;
    --all for every one)."""
    with _client(url) as client:
        result = client.search(query, surface=surface, category=category, limit=limit, follow=every)
    if as_json:
        _echo_json(result.model_dump(mode="json", exclude_unset=True))
    elif not result.skills:
        click.echo("no skills match" if query or surface or category else "no skills you may read")
    else:
        click.echo(skills_table(result.skills, shutil.get_terminal_size((100, 24)).columns))
        more = (result.total or 0) - len(result.skills)
        if more > 0:
            click.echo(f"… and {more} more; narrow the query, or add --all to list every one", err=True)
    return EXIT_OK


def skills_table(skills: list[SkillSummary], width: int) -> str:
    """Name, version, plugin and a description cut to the terminal's width."""
    rows = [("NAME", "VERSION", "PLUGIN", "DESCRIPTION")]
    for skill in skills:
        note = "(deprecated) " if skill.deprecated else ""
        name, version, plugin = printable(skill.name), printable(skill.version), printable(skill.plugin)
        rows.append((name, version, plugin, printable(note + skill.description)))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    room = max(20, width - sum(widths) - 6)
    lines = []
    for row in rows:
        text = row[3] if len(row[3]) <= room else row[3][: room - 1].rstrip() + "…"
        lines.append("  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), text]))
    return "\n".join(lines)


@click.command()
@click.argument("skill")
@click.option("--version", help="A published version other than the current one.")
@click.option(
    "--agent",
    "agents",
    multiple=True,
    type=click.Choice(list(AGENTS)),
    help="Into this agent's skills folder (repeat for several).",
)
@click.option("--project", is_flag=True, help="Into the agents' folders in the current folder, not yours.")
@click.option("--claude-code", "claude_code", is_flag=True, help="The same as --agent claude-code.")
@click.option(
    "--zip",
    "zip_path",
    type=click.Path(),
    help="Save the upload zip for Claude.ai or Claude Desktop here (a file, or a folder to put it in).",
)
@url_option
def install(
    skill: str,
    version: str | None,
    agents: tuple[str, ...],
    project: bool,
    claude_code: bool,
    zip_path: str | None,
    url: str | None,
) -> int:
    """Download SKILL, check it against the signed catalog, and install it.

    --agent AGENT unpacks it where that agent reads skills, replacing an installed version: for
    claude-code ~/.claude/skills/SKILL (or $CLAUDE_CONFIG_DIR/skills), for the others
    ~/.agents/skills/SKILL; with --project, .claude/skills or .agents/skills in the current folder.
    --zip PATH saves the zip to upload in Claude.ai or Claude Desktop.
    """
    chosen = (*agents, "claude-code") if claude_code else agents
    if bool(chosen) == (zip_path is not None) or (project and zip_path is not None):
        raise UsageError(
            "say where: --agent AGENT (or --claude-code), or --zip PATH for Claude.ai and Claude Desktop"
        )
    with _client(url) as client:
        if zip_path is not None:
            into = zip_path.endswith(("/", os.sep))
            record, written = save_zip(client, _verifier(client), skill, version, Path(zip_path), into)
            click.echo(
                f"saved {record.name} {record.version} to {written}; upload it in Claude.ai or Claude Desktop"
            )
            return EXIT_OK
        where = Path.cwd() if project else None
        for folder, record in install_for(client, _verifier(client), skill, version, chosen, where):
            click.echo(f"installed {record.name} {record.version} into {folder / record.name}")
    return EXIT_OK


@click.command()
@click.option("--json", "as_json", is_flag=True, help="The proxy's answers as JSON.")
@url_option
def updates(as_json: bool, url: str | None) -> int:
    """Check the skills installed with `skillport install` for updates, in every agent's folder
    they were installed into (project folders too)."""
    folders = known_folders()
    with _client(url) as client:
        checked = check_folders(client, _verifier(client), folders)
    for _, report in checked:
        for path in report.unreadable:
            click.echo(f"warning: {path}: not a skillport install record; skipped", err=True)
    if as_json:
        results = [
            r.model_dump(mode="json", exclude_unset=True) | {"folder": str(place)}
            for place, report in checked
            for r in report.results
        ]
        _echo_json({"results": results})
        return EXIT_OK
    mine = [(folder, report) for folder, report in checked if report.results]
    if not mine:
        click.echo(f"no skills installed from {client.base_url} in {', '.join(map(str, folders))}")
    for place, report in mine:
        if len(mine) > 1:
            click.echo(f"{place} ({', '.join(folders[place].agents)}):")
        _echo_report(report.results, place, folders[place])
    for record in {r.name: r for _, report in checked for r in report.elsewhere}.values():
        click.echo(f"{record.name}: installed from {record.source}; check it with --url {record.source}")
    return EXIT_OK


def _echo_report(results: list[UpdateStatus], folder: Path, placement: Placement) -> None:
    """One folder's lines and its count."""
    how = reinstall_flags(placement)
    for result in results:
        click.echo(update_line(result, folder, how) or f"{result.name}: {result.installed}, up to date")
    current = sum(r.status == "current" for r in results)
    click.echo(f"{current} of {len(results)} up to date")


def reinstall_flags(placement: Placement) -> str:
    """The `skillport install` flags that put a skill back where it was."""
    if placement.agents == ["claude-code"] and placement.scope == "user":
        return "--claude-code"
    flags = " ".join(f"--agent {name}" for name in placement.agents)
    return f"{flags} --project" if placement.scope == "project" else flags


def update_line(result: UpdateStatus, skills: Path, how: str = "--claude-code") -> str | None:
    """One line per skill that needs attention; None for a current one."""
    name, installed = result.name, result.installed or "?"
    reinstall = f"skillport install {name} {how}"
    if result.status == "update":
        return f"{name}: {installed} -> {result.latest}  ({reinstall})"
    if result.status == "yanked":
        return f"{name}: {installed} was withdrawn ({result.reason}); install {result.latest}: {reinstall}"
    if result.status == "deprecated":
        instead = f"; use {result.replacement} instead" if result.replacement else ""
        return f"{name}: deprecated ({result.reason}){instead}"
    if result.status == "removed":
        return f"{name}: removed from the catalog after {result.last_version}; delete {skills / name}"
    if result.status == "unknown":
        return f"{name}: not in the catalog, or no longer yours to read"
    return None


@click.group("claude-code", cls=Group)
def claude_code() -> None:
    """Claude Code: your plugins from the proxy as a local marketplace."""


@claude_code.command("sync")
@click.option(
    "--dir",
    "folder_path",
    type=folder,
    help="Where (default: claude-code/NAME in skillport's data folder, ~/.local/share/skillport on Linux).",
)
@url_option
def claude_code_sync(folder_path: Path | None, url: str | None) -> int:
    """Copy the plugins you may read into a local marketplace folder, then print the command that
    adds it to Claude Code (or updates it, once added) and one `claude plugin install` line for each
    plugin new to the folder. Run it again to pick up changes."""
    with _client(url) as client:
        result = sync(client, _verifier(client), folder_path)
    counts = (
        f"{len(result.added)} added, {len(result.updated)} updated, {len(result.removed)} removed, "
        f"{len(result.unchanged)} unchanged"
    )
    click.echo(f"synced {result.name} into {result.folder} ({counts})", err=True)
    if result.known_to_claude:
        click.echo(f"claude plugin marketplace update {shlex.quote(result.name)}")
    else:
        click.echo(f"claude plugin marketplace add {shlex.quote(str(result.folder))}")
    for plugin in result.added:
        click.echo(f"claude plugin install {shlex.quote(f'{plugin}@{result.name}')}")
    return EXIT_OK


@claude_code.command("settings")
@click.option("--managed", is_flag=True, help="The fragment an admin deploys in managed settings.")
@url_option
def claude_code_settings(managed: bool, url: str | None) -> int:
    """Print the Claude Code settings that add the proxy as a marketplace Claude Code reads itself
    (over https, the token from `skillport auth-header`, plugins updated at each session start)."""
    with _client(url) as client:
        name = client.marketplace().name
        fragment = marketplace_settings(name, client.base_url, managed)
    _echo_json(fragment.settings)
    where = " or ".join(fragment.files)
    click.echo(f"merge this into {where}; Claude Code adds {name} when a session starts", err=True)
    click.echo("each person signs in once with `skillport login`; the helper reads that token", err=True)
    return EXIT_OK


@click.command("auth-header")
@click.argument("url", required=False)
@url_flag
def auth_header(url: str | None, url_flag: str | None) -> int:
    """Print the Authorization header for URL, as JSON: for Claude Code's `headersHelper`.

    Lets Claude Code read the proxy's marketplace directly (URL/claude-code/marketplace.json) with
    your token: in the marketplace source, set "headersHelper": "skillport auth-header URL".
    The output holds your token; it is meant for that helper, not for a terminal.
    """
    migrate_places()
    found = credentials.resolve(_one_url(url, url_flag))
    _echo_json({"Authorization": f"Bearer {found.token}"}, indent=None)
    return EXIT_OK


def _echo_json(value: Any, indent: int | None = 2) -> None:
    click.echo(json.dumps(value, indent=indent, ensure_ascii=False))
