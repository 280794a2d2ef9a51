"""Run the template's csv-profiler script as a user would and check its Markdown output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = (
    Path(__file__).resolve().parents[2]
    / "marketplace-template/plugins/data-tools/skills/csv-profiler/scripts/profile_csv.py"
)


def profile(path: Path, *args: str, expect: int = 0) -> str:
    """Run the script on path and return its stdout (stderr when it fails)."""
    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(path), *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert result.returncode == expect, result.stderr
    return result.stdout if expect == 0 else result.stderr


def table_row(output: str, column: str) -> list[str]:
    """Return the cells of the summary-table row for a column."""
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 8 and cells[1] == column:
            return cells
    raise AssertionError(f"no summary row for {column!r} in:\n{output}")


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_script_is_an_executable_stdlib_python_script():
    assert SCRIPT.read_text(encoding="utf-8").startswith("#!/usr/bin/env python3\n")
    assert os.access(SCRIPT, os.X_OK)


def test_numbers_text_and_empty_cells(tmp_path):
    path = write(
        tmp_path,
        "orders.csv",
        "id,customer,amount,shipped\n"
        "1,Alice,10.5,2024-01-05\n"
        "2,Bob,,2024-02-10\n"
        "3,Alice,4.5,\n"
        "4,Carol,-3,2024-03-01\n",
    )
    out = profile(path)

    assert out.startswith("# CSV profile: orders.csv\n")
    assert "| Rows | 4 (header excluded) |" in out
    assert "| Columns | 4 |" in out
    assert "| Delimiter | comma (`,`, detected) |" in out
    assert "| Encoding | UTF-8 |" in out
    assert table_row(out, "id") == ["1", "id", "integer", "0 (0.0%)", "4", "1", "4", "2.5"]
    assert table_row(out, "customer") == ["2", "customer", "text", "0 (0.0%)", "3", "—", "—", "—"]
    assert table_row(out, "amount") == [
        "3",
        "amount",
        "float",
        "1 (25.0%)",
        "3",
        "-3",
        "10.5",
        "4.0",
    ]
    assert table_row(out, "shipped")[2:7] == ["date", "1 (25.0%)", "3", "2024-01-05", "2024-03-01"]
    # Top values of the text column, most common first.
    customer = out.split("### 2. customer (text)")[1].split("###")[0]
    assert "| Alice | 2 | 50.0% |" in customer
    assert customer.index("Alice") < customer.index("Bob")
    assert "Candidate key(s), unique and never empty: `id`." in out


def test_dirty_numeric_column_and_leading_zeros_are_reported(tmp_path):
    path = write(
        tmp_path,
        "stores.csv",
        "zip,revenue\n02134,100\n10001,n/a\n00501,250\n94105,300\n",
    )
    out = profile(path)

    assert table_row(out, "revenue")[2] == "text"
    assert "`revenue` is text, but 3 of 4 values are numbers; the others look like 'n/a'." in out
    assert "`zip` has 2 value(s) with leading zeros" in out

    cleaned = profile(path, "--na", "n/a")
    assert table_row(cleaned, "revenue")[2:8] == [
        "integer",
        "1 (25.0%)",
        "3",
        "100",
        "300",
        "216.6667",
    ]


def test_semicolon_file_with_decimal_commas(tmp_path):
    path = write(
        tmp_path,
        "export.csv",
        "product;price;stock\nTea;3,50;12\nCoffee;1.234,75;0\nCocoa;2,25;1.500\n",
    )
    out = profile(path)

    assert "| Delimiter | semicolon (`;`, detected) |" in out
    assert "| Decimal mark | `,` |" in out
    assert "| Ragged rows | 0 |" in out
    assert table_row(out, "price")[2:8] == ["float", "0 (0.0%)", "3", "2.25", "1234.75", "413.5"]
    # With a decimal comma, "1.500" is one thousand five hundred, not one and a half.
    assert table_row(out, "stock")[2:8] == ["integer", "0 (0.0%)", "3", "0", "1500", "504.0"]


def test_latin1_file_is_decoded_not_mangled(tmp_path):
    path = write(
        tmp_path,
        "people.csv",
        "name,city\nJosé,Málaga\nRenée,Zürich\nJosé,Besançon\n",
        encoding="latin-1",
    )
    out = profile(path)

    assert "| Encoding | Windows-1252 / Latin-1 (not valid UTF-8) |" in out
    assert "| José | 2 | 66.7% |" in out
    assert "Zürich" in out and "Besançon" in out
    assert "\ufffd" not in out


def test_utf8_byte_order_mark_is_not_part_of_the_first_header(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfid,name\n1,a\n2,b\n")
    out = profile(path)

    assert "| Encoding | UTF-8 with byte-order mark |" in out
    assert table_row(out, "id")[2] == "integer"


def test_empty_file(tmp_path):
    path = write(tmp_path, "empty.csv", "")
    out = profile(path)

    assert out == (
        "# CSV profile: empty.csv\n\nThe file is empty: no header and no data rows. Nothing to profile.\n"
    )


def test_header_only_file(tmp_path):
    out = profile(write(tmp_path, "header.csv", "a,b,c\n"))

    assert "| Rows | 0 (header excluded) |" in out
    assert "| Columns | 3 |" in out
    assert table_row(out, "b")[2] == "empty"
    assert "The file has a header but no data rows." in out


def test_ragged_rows_quoted_delimiters_and_pipes(tmp_path):
    path = write(
        tmp_path,
        "notes.csv",
        'id,note\n1,"a, quoted comma"\n2,x | y\n3\n4,ok,extra\n',
    )
    out = profile(path)

    assert "| Ragged rows | 2 |" in out
    assert "2 row(s) have a different number of fields than the header" in out
    assert "| a, quoted comma | 1 | 25.0% |" in out
    assert "| x \\| y | 1 | 25.0% |" in out  # a pipe in a value must not break the table
    assert table_row(out, "note")[3] == "1 (25.0%)"  # the short row's missing cell is a null


def test_tab_delimiter_given_explicitly_and_no_header(tmp_path):
    path = write(tmp_path, "data.tsv", "1\ttrue\n2\tfalse\n3\ttrue\n")
    out = profile(path, "--delimiter", "\\t", "--no-header")

    assert "| Delimiter | tab (`\\t`, given) |" in out
    assert "| Rows | 3 (header excluded) |" in out
    assert table_row(out, "column_1")[2:8] == ["integer", "0 (0.0%)", "3", "1", "3", "2.0"]
    assert table_row(out, "column_2")[2] == "boolean"


def test_max_rows_stops_early_and_says_so(tmp_path):
    rows = "".join(f"{i},{i * 2}\n" for i in range(100))
    out = profile(write(tmp_path, "long.csv", "a,b\n" + rows), "--max-rows", "10")

    assert "| Rows | 10 (stopped at --max-rows; the file has more) |" in out
    assert table_row(out, "a")[5:8] == ["0", "9", "4.5"]


def test_missing_file_fails_with_a_message(tmp_path):
    err = profile(tmp_path / "nope.csv", expect=1)

    assert err.strip().endswith("nope.csv: no such file")


@pytest.mark.parametrize("bad", [["--delimiter", ";;"], ["--top", "0"]])
def test_bad_arguments_are_usage_errors(tmp_path, bad):
    err = profile(write(tmp_path, "x.csv", "a\n1\n"), *bad, expect=2)

    assert "usage:" in err
