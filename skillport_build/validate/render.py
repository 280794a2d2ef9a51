"""Render a validation report as text, JSON or GitHub workflow annotations."""

from __future__ import annotations

import json
from collections.abc import Callable

from skillport_build.repo.diagnostics import Diagnostic, Report, Severity


def summary(report: Report, *, strict: bool = False) -> str:
    """One line: how many errors and warnings, and whether that fails the run."""
    errors, warnings = len(report.errors), len(report.warnings)
    checked = f"{_plural(report.plugins, 'plugin')}, {_plural(report.skills, 'skill')}"
    if not errors and not warnings:
        notes = f" ({_plural(len(report.notes), 'note')})" if report.notes else ""
        return f"✓ {checked}: no problems found{notes}"
    verdict = "failed" if report.failed(strict=strict) else "passed with warnings"
    return f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')} in {checked}: {verdict}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def as_text(report: Report, *, strict: bool = False) -> str:
    """`path:line: severity rule: message`, one per line, then the summary."""
    lines = [f"{d.location()}: {d.severity} {d.rule}: {d.message}" for d in report.diagnostics]
    return "\n".join([*lines, summary(report, strict=strict)]) + "\n"


def as_json(report: Report, *, strict: bool = False) -> str:
    """One JSON object with counts and every diagnostic."""
    return (
        json.dumps(
            {
                "root": report.root,
                "ok": not report.failed(strict=strict),
                "errors": len(report.errors),
                "warnings": len(report.warnings),
                "notes": len(report.notes),
                "plugins": report.plugins,
                "skills": report.skills,
                "diagnostics": [
                    {
                        "path": d.path,
                        "line": d.line,
                        "rule": d.rule,
                        "severity": str(d.severity),
                        "message": d.message,
                    }
                    for d in report.diagnostics
                ],
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _annotation(d: Diagnostic, strict: bool) -> str:
    if d.severity is Severity.NOTE:
        level = "notice"
    else:
        level = "error" if d.severity is Severity.ERROR or strict else "warning"
    props = [f"file={_escape_property(d.path)}"]
    if d.line:
        props.append(f"line={d.line}")
    props.append(f"title={_escape_property('skillport ' + d.rule)}")
    return f"::{level} {','.join(props)}::{_escape_data(d.message)}"


def as_github(report: Report, *, strict: bool = False) -> str:
    """GitHub Actions workflow commands: one annotation per diagnostic, then the summary."""
    lines = [_annotation(d, strict) for d in report.diagnostics]
    return "\n".join([*lines, summary(report, strict=strict)]) + "\n"


RENDERERS: dict[str, Callable[..., str]] = {"text": as_text, "json": as_json, "github": as_github}
