from __future__ import annotations

from skillport_build.site.templating import breakable, environment, when


def test_when_reads_utc_stamps_and_leaves_anything_else() -> None:
    assert when("2026-12-01T18:10:35Z") == "2026-12-01 18:10 UTC"
    assert when("2026-12-01T18:10:35.123+00:00") == "2026-12-01 18:10 UTC"
    assert when("2026-12-01 18:10 UTC") == "2026-12-01 18:10 UTC" and when(None) == ""


def test_breakable_escapes_and_breaks_only_after_separators() -> None:
    assert str(breakable("scripts/profile_csv.py")) == "scripts/<wbr>profile_<wbr>csv.<wbr>py"
    assert str(breakable("<b>-x")) == "&lt;b&gt;-<wbr>x"
    assert environment().filters["breakable"] is breakable
