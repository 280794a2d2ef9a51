"""Diagnostics: what validation found, where, and what to do about it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    """How bad a finding is: errors always fail, warnings fail only with --strict, notes never."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One finding: file, 1-based line (when known), rule id, severity and what to do."""

    path: str
    line: int | None
    rule: str
    severity: Severity
    message: str

    def location(self) -> str:
        """Return `path:line` (or just `path`) for messages."""
        return f"{self.path}:{self.line}" if self.line else self.path


def _sort_key(d: Diagnostic) -> tuple[str, int, str, str]:
    return (d.path, d.line or 0, d.rule, d.message)


@dataclass(frozen=True)
class Report:
    """All diagnostics of one validation run, sorted by file and line."""

    diagnostics: tuple[Diagnostic, ...] = field(default_factory=tuple)
    root: str = "."
    plugins: int = 0  # how many plugins and skills were checked
    skills: int = 0

    @classmethod
    def of(
        cls, diagnostics: Iterable[Diagnostic], root: str = ".", plugins: int = 0, skills: int = 0
    ) -> Report:
        """Build a report with duplicates removed and a stable order."""
        return cls(tuple(sorted(set(diagnostics), key=_sort_key)), root, plugins, skills)

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """The diagnostics that fail every run."""
        return tuple(d for d in self.diagnostics if d.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        """The diagnostics that fail only a strict run."""
        return tuple(d for d in self.diagnostics if d.severity is Severity.WARNING)

    @property
    def notes(self) -> tuple[Diagnostic, ...]:
        """What is worth knowing and fails nothing."""
        return tuple(d for d in self.diagnostics if d.severity is Severity.NOTE)

    def failed(self, *, strict: bool = False) -> bool:
        """Tell whether this report fails a run (warnings count only when strict)."""
        return bool(self.errors) or (strict and bool(self.warnings))

    def rules(self) -> set[str]:
        """Return the ids of every rule that fired."""
        return {d.rule for d in self.diagnostics}
