"""The `skillport` command line: each command parses, calls one core function, prints.

Exit codes are decided here, once: 0 ok, 1 an expected failure (its message says what to do),
2 a wrong command line, 3 a bug (the traceback is printed).
"""

from __future__ import annotations

import importlib
import sys
import traceback

import click

from skillport_build import __version__
from skillport_build.cli.common import EXIT_BUG, EXIT_FAILED, EXIT_OK, EXIT_USAGE
from skillport_build.errors import SkillportError

__all__ = ["cli", "main"]

# Each command and where it lives; a module is imported only when one of its commands runs, so
# `skillport validate` does not pay for the proxy, the connector or the store clients.
COMMANDS = {
    "validate": "authoring:validate",
    "rules": "authoring:rules",
    "init": "authoring:init",
    "new": "authoring:new",
    "plan": "release:plan",
    "bump": "release:bump",
    "build": "release:build",
    "yank": "release:yank",
    "deprecate": "release:deprecate",
    "keygen": "trust:keygen",
    "sign": "trust:sign",
    "verify": "trust:verify",
    "publish": "store:publish",
    "fetch-catalog": "store:fetch_catalog",
    "reconcile": "store:reconcile",
    "prune": "store:prune",
    "site": "site:site",
    "ci": "ci:ci",
    "serve": "serve:serve",
    "tokens": "serve:tokens",
    "audit": "serve:audit",
    "db": "serve:db",
    "login": "user:login",
    "logout": "user:logout",
    "search": "user:search",
    "install": "user:install",
    "updates": "user:updates",
    "claude-code": "user:claude_code",
    "auth-header": "user:auth_header",
}


class LazyGroup(click.Group):
    """A group whose commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attribute = target.split(":")
        command: click.Command = getattr(importlib.import_module(f"skillport_build.cli.{module}"), attribute)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="skillport")
def cli() -> None:
    """Share Claude Skills privately: validate, build, sign, publish and serve a marketplace."""


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and map outcomes to exit codes."""
    try:
        code = cli.main(args=argv, prog_name="skillport", standalone_mode=False)
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        code = EXIT_FAILED
    except click.ClickException as exc:
        exc.show()
        code = EXIT_USAGE
    except SkillportError as exc:
        click.echo(f"error: {exc}", err=True)
        code = exc.exit_code
    except Exception:
        click.echo(traceback.format_exc(), err=True, nl=False)
        click.echo(
            "skillport hit an internal error (a bug, not your input); please report it with "
            "the traceback above.",
            err=True,
        )
        code = EXIT_BUG
    sys.exit(code if isinstance(code, int) else EXIT_OK)
