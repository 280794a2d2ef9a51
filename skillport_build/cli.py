"""The `skillport` command line: each command parses, calls one core function, prints."""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

import click

from skillport_build import __version__, scaffold
from skillport_build.errors import SkillportError
from skillport_build.render import RENDERERS
from skillport_build.rules import RULES
from skillport_build.validate import validate_path

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BUG = 0, 1, 2, 3
_path = click.Path(file_okay=False, path_type=Path)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="skillport")
def cli() -> None:
    """Share Claude Skills privately: validate, build, sign, publish and serve a marketplace."""


@cli.command()
@click.argument("path", type=_path, default=".")
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(RENDERERS)),
    default="text",
    show_default=True,
    help="text for people, json for tools, github for workflow annotations.",
)
def validate(path: Path, strict: bool, fmt: str) -> int:
    """Check a marketplace repository against every rule (see `skillport rules`)."""
    report = validate_path(path)
    click.echo(RENDERERS[fmt](report, strict=strict), nl=False)
    return EXIT_FAILED if report.failed(strict=strict) else EXIT_OK


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["text", "markdown"]), default="text")
def rules(fmt: str) -> int:
    """List every validation rule with its id, severity and FORMATS.md number."""
    if fmt == "markdown":
        click.echo("| rule | # | severity | checks | sources |\n|---|---|---|---|---|")
        for r in RULES.values():
            click.echo(f"| `{r.id}` | {r.number} | {r.severity} | {r.summary} | {r.sources} |")
    else:
        width = max(len(r) for r in RULES)
        for r in RULES.values():
            click.echo(f"{r.id:<{width}}  {r.number:>2}  {r.severity:<7}  {r.summary}")
    return EXIT_OK


@cli.command()
@click.argument("dest", type=_path)
@click.option("--name", help="Marketplace name (default: the folder's name).")
def init(dest: Path, name: str | None) -> int:
    """Create a new private marketplace repository in DEST from the template."""
    root = scaffold.init(dest, name)
    click.echo(f"Created marketplace in {root}")
    click.echo(f"Next: cd {root} && git init && skillport validate --strict")
    return EXIT_OK


@cli.group()
def new() -> None:
    """Add a plugin or a skill to the marketplace in the current folder."""


@new.command("plugin")
@click.argument("name")
@click.option("--description", help="One sentence for listings.")
@click.option(
    "--surface",
    type=click.Choice(["CALL", "CC", "CD", "CAI", "CDAI"]),
    default="CALL",
    show_default=True,
    help="Where its skills are meant to run (CC = Claude Code only).",
)
@click.option("--root", type=_path, default=".", help="Marketplace root.")
def new_plugin(name: str, description: str | None, surface: str, root: Path) -> int:
    """Create plugins/NAME with a plugin.json and list it in marketplace.json."""
    for path in scaffold.new_plugin(root, name, description=description, surface=surface):
        click.echo(f"wrote {path}")
    click.echo(f"Next: skillport new skill SKILL --plugin {name}")
    return EXIT_OK


@new.command("skill")
@click.argument("name")
@click.option("--plugin", "plugin", required=True, help="The plugin the skill belongs to.")
@click.option("--description", help="What the skill does and when to use it.")
@click.option("--root", type=_path, default=".", help="Marketplace root.")
def new_skill(name: str, plugin: str, description: str | None, root: Path) -> int:
    """Create skills/NAME/SKILL.md in PLUGIN."""
    for path in scaffold.new_skill(root, name, plugin, description=description):
        click.echo(f"wrote {path}")
    click.echo("Next: edit SKILL.md, then run skillport validate --strict")
    return EXIT_OK


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and map outcomes to exit codes: 0 ok, 1 failed, 2 usage, 3 bug."""
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
