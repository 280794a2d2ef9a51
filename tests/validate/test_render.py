from __future__ import annotations

import json

from skillport_build.repo.diagnostics import Diagnostic, Report, Severity
from skillport_build.validate.render import as_github, as_json, as_text

REPORT = Report.of(
    [
        Diagnostic("b.md", 3, "skill-link", Severity.WARNING, "link 'x' is missing"),
        Diagnostic("a, b:c.json", None, "plugin-field", Severity.ERROR, "50% wrong\nsecond line"),
    ]
)


def test_text_is_sorted_and_summarised() -> None:
    assert as_text(REPORT).splitlines() == [
        "a, b:c.json: error plugin-field: 50% wrong\nsecond line".splitlines()[0],
        "second line",
        "b.md:3: warning skill-link: link 'x' is missing",
        "1 error, 1 warning in 0 plugins, 0 skills: failed",
    ]


def test_github_annotations_escape_properties_and_data() -> None:
    lines = as_github(REPORT).splitlines()
    assert lines[0] == "::error file=a%2C b%3Ac.json,title=skillport plugin-field::50%25 wrong%0Asecond line"
    assert lines[1] == "::warning file=b.md,line=3,title=skillport skill-link::link 'x' is missing"


def test_strict_turns_warnings_into_failing_annotations() -> None:
    assert as_github(REPORT, strict=True).splitlines()[1].startswith("::error file=b.md")


def test_json_has_counts_and_every_diagnostic() -> None:
    data = json.loads(as_json(REPORT))
    assert (data["ok"], data["errors"], data["warnings"]) == (False, 1, 1)
    assert data["diagnostics"][1] == {
        "path": "b.md",
        "line": 3,
        "rule": "skill-link",
        "severity": "warning",
        "message": "link 'x' is missing",
    }


def test_clean_report() -> None:
    assert as_text(Report.of([], plugins=1, skills=2)) == "✓ 1 plugin, 2 skills: no problems found\n"
    assert Report.of([Diagnostic("a", 1, "r", Severity.WARNING, "m")]).failed() is False
