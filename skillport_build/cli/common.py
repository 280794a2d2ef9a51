"""What every command shares: exit codes, argument types, and a group whose help is not cut off."""

from __future__ import annotations

from pathlib import Path

import click

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BUG = 0, 1, 2, 3
folder = click.Path(file_okay=False, path_type=Path)
existing_file = click.Path(exists=True, dir_okay=False, path_type=Path)

# What each value of --surface means, spelled out here so that `--help` loads no models (a test
# holds these to models.marketplace.SURFACE_TAGS and ALL_SURFACES).
SURFACE_TAG_HELP = {
    "CALL": "every surface",
    "CC": "Claude Code",
    "CD": "Claude Desktop",
    "CAI": "Claude.ai",
    "CDAI": "Claude Desktop and Claude.ai",
}
SURFACE_HELP = {"claude-code": "Claude Code", "desktop": "Claude Desktop", "claude-ai": "Claude.ai"}


def explain(values: dict[str, str]) -> str:
    """`A = what A means, B = …` for an option's help."""
    return "; ".join(f"{value} = {meaning}" for value, meaning in values.items())


class Group(click.Group):
    """A command group that lists each subcommand with its whole first sentence, wrapped."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, summary(self.get_command(ctx, name))) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def summary(command: click.Command | None) -> str:
    """A command's first sentence, uncut (click shortens it to fit 45 characters by default)."""
    return command.get_short_help_str(limit=1_000) if command is not None and not command.hidden else ""


def migrate_places() -> None:
    """Move what an older skillport kept in its old folders, once, and say so on stderr."""
    from skillport_build.client.places import migrate

    for moved in migrate():
        if moved.kept_old:
            click.echo(
                f"note: {moved.old} is left over from an older skillport; {moved.new} is used", err=True
            )
        else:
            click.echo(f"moved {moved.old} to {moved.new} (skillport now keeps it there)", err=True)
