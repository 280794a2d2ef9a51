"""The `skillport` command line: each command parses, calls one core function, prints.

Exit codes are decided here, once: 0 ok, 1 an expected failure (its message says what to do),
2 a wrong command line, 3 a bug (the traceback is printed).
"""

from __future__ import annotations

import sys
import traceback

import click

from skillport_build import __version__
from skillport_build.cli import authoring, ci, release, serve, site, store, trust, user
from skillport_build.cli.common import EXIT_BUG, EXIT_FAILED, EXIT_OK, EXIT_USAGE
from skillport_build.errors import SkillportError

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="skillport")
def cli() -> None:
    """Share Claude Skills privately: validate, build, sign, publish and serve a marketplace."""


for command in (
    authoring.validate,
    authoring.rules,
    authoring.init,
    authoring.new,
    release.plan,
    release.bump,
    release.build,
    release.yank,
    release.deprecate,
    trust.keygen,
    trust.sign,
    trust.verify,
    store.publish,
    store.fetch_catalog,
    store.reconcile,
    store.prune,
    site.site,
    ci.ci,
    serve.serve,
    serve.tokens,
    serve.audit,
    user.login,
    user.logout,
    user.search,
    user.install,
    user.updates,
    user.claude_code,
    user.auth_header,
):
    cli.add_command(command)


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
