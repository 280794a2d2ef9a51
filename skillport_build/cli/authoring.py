"""Commands for skill creators: validate, rules, init, new."""

from __future__ import annotations

from pathlib import Path

import click

from skillport_build.cli.common import EXIT_FAILED, EXIT_OK, SURFACE_TAG_HELP, Group, explain, folder
from skillport_build.repo import scaffold
from skillport_build.repo.rules import RULES
from skillport_build.validate import validate_path
from skillport_build.validate.render import RENDERERS


@click.command()
@click.argument("path", type=folder, default=".")
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


@click.command()
@click.option("--format", "fmt", type=click.Choice(["text", "markdown"]), default="text")
def rules(fmt: str) -> int:
    """List every validation rule with its id, severity and FORMATS.md number.

    Columns: RULE the id a finding names, # its number in the format rules (FORMATS.md), SEVERITY
    error (fails validation) or warning (fails only with --strict), CHECKS what it checks.
    """
    if fmt == "markdown":
        click.echo("| rule | # | severity | checks | sources |\n|---|---|---|---|---|")
        for r in RULES.values():
            click.echo(f"| `{r.id}` | {r.number} | {r.severity} | {r.summary} | {r.sources} |")
    else:
        width = max(len(r) for r in RULES)
        click.echo(f"{'RULE':<{width}}  {'#':>2}  {'SEVERITY':<8}  CHECKS")
        for r in RULES.values():
            click.echo(f"{r.id:<{width}}  {r.number:>2}  {r.severity:<8}  {r.summary}")
    return EXIT_OK


@click.command()
@click.argument("dest", type=folder)
@click.option("--name", help="Marketplace name (default: the folder's name).")
def init(dest: Path, name: str | None) -> int:
    """Create a new private marketplace repository in DEST from the template."""
    root = scaffold.init(dest, name)
    click.echo(f"Created marketplace in {root}")
    click.echo(f"Next: cd {root} && git init && skillport validate --strict")
    return EXIT_OK


@click.group(cls=Group)
def new() -> None:
    """Add a plugin, a skill or an access policy to the marketplace in the current folder."""


@new.command("access")
@click.option("--root", type=folder, default=".", help="Marketplace root.")
def new_access(root: Path) -> int:
    """Write .skillport/access.yaml: every signed-in user may read everything, to edit from there."""
    click.echo(f"wrote {scaffold.new_access(root)}")
    click.echo("Next: edit who may read what, then run skillport validate --strict")
    return EXIT_OK


@new.command("plugin")
@click.argument("name")
@click.option("--description", help="One sentence for listings.")
@click.option(
    "--surface",
    type=click.Choice(list(SURFACE_TAG_HELP)),
    default="CALL",
    show_default=True,
    help=f"Where its skills are meant to run: {explain(SURFACE_TAG_HELP)}.",
)
@click.option("--root", type=folder, default=".", help="Marketplace root.")
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
@click.option("--root", type=folder, default=".", help="Marketplace root.")
def new_skill(name: str, plugin: str, description: str | None, root: Path) -> int:
    """Create skills/NAME/SKILL.md in PLUGIN."""
    for path in scaffold.new_skill(root, name, plugin, description=description):
        click.echo(f"wrote {path}")
    todo = "" if description else "replace the TODO description and "
    click.echo(f"Next: {todo}edit SKILL.md, then run skillport validate --strict")
    return EXIT_OK
