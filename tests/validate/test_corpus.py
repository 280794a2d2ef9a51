"""One bad marketplace per rule: every diagnostic pinned, every rule exercised."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus import CASES, Case, build
from validate.corpus_expected import EXPECTED

from skillport_build.repo.rules import RULES
from skillport_build.validate import validate_path


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case_reports_exactly_what_is_pinned(case: Case, tmp_path: Path) -> None:
    report = validate_path(build(case, tmp_path / "m"))
    got = [(d.path, d.line, d.rule, str(d.severity), d.message) for d in report.diagnostics]
    assert got == EXPECTED[case.id]
    assert report.failed(strict=True) or {d.severity for d in report.diagnostics} == {"note"}


def test_every_rule_is_exercised_by_the_corpus() -> None:
    fired = {rule for expected in EXPECTED.values() for (_, _, rule, _, _) in expected}
    assert set(RULES) - fired == set()


def test_every_case_is_pinned() -> None:
    assert {c.id for c in CASES} == set(EXPECTED)


def test_the_base_tree_is_clean(market: Path) -> None:
    report = validate_path(market)
    assert report.diagnostics == ()
