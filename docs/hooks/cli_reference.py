"""MkDocs hook: generate cli-reference.md from the click commands of `skillport`.

Every command and subcommand of `skillport_build.cli:cli` gets a heading and its `--help` text,
rendered at a fixed width so the page does not depend on the terminal that runs `mkdocs build`.
The page exists only in the built site; there is nothing to keep in step by hand.
"""

from __future__ import annotations

from typing import Any

import click
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

PAGE = "cli-reference.md"
PROG = "skillport"
WIDTH = 80

INTRO = """\
# CLI reference (generated)

This page is generated from the `skillport` command definitions each time the documentation is
built, so it always matches the code: every command and subcommand with its `--help` text. For
what the commands are for and how they fit together, see the [CLI overview](cli.md).

"""


def _context(command: click.Command, name: str, parent: click.Context | None) -> click.Context:
    """A context as click makes one (with the command's context_settings), at a fixed width."""
    settings = {"terminal_width": WIDTH, "max_content_width": WIDTH, **command.context_settings}
    return click.Context(command, info_name=name, parent=parent, **settings)


def _sections(command: click.Command, path: list[str], parent: click.Context | None) -> list[str]:
    ctx = _context(command, path[-1], parent)
    with ctx:
        help_text = command.get_help(ctx).rstrip()
    heading = "#" * min(len(path) + 1, 6)
    out = [f"{heading} `{' '.join(path)}`\n\n```text\n{help_text}\n```\n"]
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                out.extend(_sections(sub, [*path, name], ctx))
    return out


def render() -> str:
    """The whole page as Markdown."""
    from skillport_build.cli import cli

    return INTRO + "\n".join(_sections(cli, [PROG], None))


def on_files(files: Files, config: MkDocsConfig, **_: Any) -> Files:
    """Add the generated page to the site (it is not a file in docs/)."""
    files.append(File.generated(config, PAGE, content=render()))
    return files
