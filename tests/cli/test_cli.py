"""The real CLI in a subprocess: output formats and exit codes decided in one place."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from factory import write

from skillport_build import __version__, cli
from skillport_build.cli import authoring


def skillport(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "skillport_build", *args], capture_output=True, text=True, cwd=cwd, check=False
    )


def test_version() -> None:
    result = skillport("--version")
    assert (result.returncode, result.stdout.strip()) == (0, f"skillport, version {__version__}")


def test_clean_marketplace_exits_zero(market: Path) -> None:
    result = skillport("validate", str(market), "--strict")
    assert (result.returncode, result.stdout) == (0, "✓ 1 plugin, 1 skill: no problems found\n")


def test_errors_exit_one_with_file_line_rule_and_message(market: Path) -> None:
    write(market, {"plugins/tools/skills/hello/SKILL.md": "---\nname: Hello\ndescription: x\n---\n"})
    result = skillport("validate", str(market))
    assert result.returncode == 1
    assert result.stdout.splitlines()[0].startswith(
        "plugins/tools/skills/hello/SKILL.md:2: error skill-name-format: `name` 'Hello' must be lowercase"
    )
    assert "Traceback" not in result.stderr


def test_warnings_fail_only_when_strict(market: Path) -> None:
    write(market, {"plugins/tools/CLAUDE.md": "# notes\n"})
    assert skillport("validate", str(market)).returncode == 0
    assert skillport("validate", str(market), "--strict").returncode == 1


def test_json_and_github_formats(market: Path) -> None:
    write(market, {"plugins/tools/CLAUDE.md": "# notes\n"})
    data = json.loads(skillport("validate", str(market), "--format", "json").stdout)
    assert data["warnings"] == 1 and data["diagnostics"][0]["rule"] == "plugin-layout"
    github = skillport("validate", str(market), "--format", "github").stdout
    assert github.startswith("::warning file=plugins/tools/CLAUDE.md,title=skillport plugin-layout::")


def test_usage_errors_exit_two() -> None:
    assert skillport("validate", "--format", "xml").returncode == 2
    assert skillport("no-such-command").returncode == 2


def test_user_errors_exit_one_without_traceback(tmp_path: Path) -> None:
    result = skillport("validate", str(tmp_path / "missing"))
    assert result.returncode in (1, 2)
    assert "Traceback" not in result.stderr
    result = skillport("new", "plugin", "x", "--root", str(tmp_path))
    assert (result.returncode, "Traceback" in result.stderr) == (1, False)
    assert "skillport init" in result.stderr


def test_a_wrong_name_or_state_exits_one_and_a_wrong_command_line_two(market: Path, tmp_path: Path) -> None:
    assert skillport("new", "skill", "s", "--plugin", "nope", "--root", str(market)).returncode == 1
    assert skillport("bump", str(market), "--plugin", "nope").returncode == 1
    assert skillport("tokens", "list", "--db", str(tmp_path / "none.db")).returncode == 1
    bad = tmp_path / "serve.yaml"
    bad.write_text("store: [1\n")
    assert skillport("serve", "--config", str(bad)).returncode == 1
    assert skillport("new", "skill", "s", "--root", str(market)).returncode == 2  # --plugin missing
    assert skillport("bump", str(market), "--level", "huge").returncode == 2


def test_help_groups_commands_by_who_runs_them_without_cutting_them_off() -> None:
    out = skillport("--help").stdout
    titles = [
        line.rstrip(":") for line in out.splitlines() if line.endswith(":") and not line.startswith(" ")
    ]
    assert titles == ["Options", *cli.SECTIONS]
    commands = out.split("Skill creators:")[1]
    assert "..." not in commands and "…" not in commands
    flat = " ".join(out.split())
    assert "updates Check the skills installed with `skillport install` for updates, in every agent's" in flat
    listed = {name for names in cli.SECTIONS.values() for name in names}
    assert set(cli.COMMANDS) - listed == set(), "put each new command in a section of cli.SECTIONS"


def test_surface_help_explains_every_value() -> None:
    from skillport_build.cli.common import SURFACE_HELP, SURFACE_TAG_HELP
    from skillport_build.models.marketplace import ALL_SURFACES, SURFACE_TAGS

    assert set(SURFACE_TAG_HELP) == set(SURFACE_TAGS) and set(SURFACE_HELP) == ALL_SURFACES
    text = " ".join(skillport("new", "plugin", "--help").stdout.split())
    assert (
        "CALL = every surface; CC = Claude Code; CD = Claude Desktop; CAI = Claude.ai; CDAI = Claude" in text
    )
    text = " ".join(skillport("search", "--help").stdout.split())
    assert "claude-code = Claude Code; desktop = Claude Desktop; claude-ai = Claude.ai" in text.replace(
        "- ", "-"
    )


def test_internal_errors_exit_three_with_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def boom(path: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(authoring, "validate_path", boom)
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["validate", "."])
    assert exit_info.value.code == 3
    err = capsys.readouterr().err
    assert "RuntimeError: bug" in err and "internal error" in err


def test_init_new_and_validate_end_to_end(tmp_path: Path) -> None:
    assert skillport("init", str(tmp_path / "corp")).returncode == 0
    root = tmp_path / "corp"
    assert skillport("new", "plugin", "finance", "--root", str(root)).returncode == 0
    assert (
        skillport("new", "skill", "budget-review", "--plugin", "finance", "--root", str(root)).returncode == 0
    )
    result = skillport("validate", "--strict", cwd=root)
    assert result.returncode == 1  # the placeholder description, until someone writes one
    assert "skill-description-placeholder" in result.stdout
    assert skillport("validate", cwd=root).returncode == 0


def test_rules_lists_every_rule() -> None:
    out = skillport("rules", "--format", "markdown").stdout
    assert "| `skill-name-format` | 4 | error |" in out
    text = skillport("rules").stdout.splitlines()
    assert text[0].split() == ["RULE", "#", "SEVERITY", "CHECKS"]
    assert text[1].split()[:3] == ["skill-md-missing", "1", "error"]


def test_validate_inside_a_plugin_folder_finds_the_repository(market: Path) -> None:
    inside = market / "plugins" / "tools" / "skills"
    result = skillport("validate", ".", "--strict", cwd=inside)
    assert (result.returncode, result.stdout) == (0, "✓ 1 plugin, 1 skill: no problems found\n")


def test_site_from_a_folder_without_a_catalog_says_what_to_pass(tmp_path: Path) -> None:
    result = skillport("site", "--from", str(tmp_path), "--out", str(tmp_path / "site"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        f"error: {tmp_path} holds no catalog.json: pass the folder `skillport build --out` wrote, "
        "or a local store folder (or use --store URL)"
    )


def test_no_access_policy_is_a_note_and_new_access_writes_one(market: Path) -> None:
    (market / ".skillport/access.yaml").unlink()
    result = skillport("validate", str(market), "--strict")
    assert result.returncode == 0
    assert "note access-missing" in result.stdout and "(1 note)" in result.stdout
    built = skillport("build", str(market), "--out", str(market.parent / "out"))
    assert built.returncode == 1 and "skillport new access" in built.stderr
    assert skillport("new", "access", "--root", str(market)).returncode == 0
    assert skillport("validate", str(market), "--strict").stdout == "✓ 1 plugin, 1 skill: no problems found\n"
    again = skillport("new", "access", "--root", str(market))
    assert again.returncode == 1 and "already holds an access policy" in again.stderr
