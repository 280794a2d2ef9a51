#!/usr/bin/env python3
"""Print a Markdown profile of a CSV file.

The profile lists the file's encoding, delimiter, row and column counts, and
for every column: the inferred type, null count, distinct count, min/max/mean
for numbers, min/max for dates, lengths for text, the most common values and
anything that looks wrong (numbers stored as text, leading zeros, stray
whitespace, ragged rows).

Standard library only, so it runs anywhere Python 3.8+ does.

Examples:
    profile_csv.py orders.csv
    profile_csv.py export.txt --delimiter ';' --decimal ','
    profile_csv.py big.csv --max-rows 200000 --top 10
    cat data.csv | profile_csv.py -

Exit status: 0 profile printed, 1 the file could not be read, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import codecs
import csv
import io
import math
import os
import re
import sys
from collections import Counter
from datetime import date, datetime, timezone

CANDIDATE_DELIMITERS = [",", ";", "\t", "|"]
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
SNIFF_BYTES = 64 * 1024
SNIFF_LINES = 50
CHUNK_BYTES = 1024 * 1024
BOOLEAN_TOKENS = {"true", "false", "yes", "no", "y", "n", "t", "f"}
MOSTLY = 0.5  # share of numbers/dates above which a "text" column is reported as dirty

INT_RE = re.compile(r"^[+-]?\d+$")
FLOAT_RE = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")
GROUPED_DOT_RE = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")  # 1,234,567.89
GROUPED_COMMA_RE = re.compile(r"^[+-]?\d{1,3}(\.\d{3})*,\d+$")  # 1.234,5 or 3,14
GROUPED_INT_DOT_RE = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+$")  # 1.234.567 with --decimal ,
DATE_RE = re.compile(r"^\d{4}[-/]\d{2}[-/]\d{2}$")
DATETIME_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?$"
)


class ProfileError(Exception):
    """The input cannot be profiled; the message says what to try instead."""


# --------------------------------------------------------------------------- input


def read_source(path: str) -> tuple[bytes | None, str]:
    """Return (bytes for stdin or None for a file path, display name)."""
    if path == "-":
        return sys.stdin.buffer.read(), "<stdin>"
    if not os.path.isfile(path):
        raise ProfileError(f"{path}: no such file")
    return None, os.path.basename(path)


def open_binary(path: str, data: bytes | None):
    return io.BytesIO(data) if data is not None else open(path, "rb")


def decodes_fully(path: str, data: bytes | None, encoding: str) -> bool:
    """Check that the whole input decodes, reading it in chunks."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with open_binary(path, data) as handle:
            for chunk in iter(lambda: handle.read(CHUNK_BYTES), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(path: str, data: bytes | None) -> tuple[str, str]:
    """Return (codec, human note): BOM first, then UTF-8, then Windows-1252, then Latin-1."""
    with open_binary(path, data) as handle:
        head = handle.read(4)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", "UTF-8 with byte-order mark"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", "UTF-16 (byte-order mark)"
    if decodes_fully(path, data, "utf-8"):
        return "utf-8", "UTF-8"
    if decodes_fully(path, data, "cp1252"):
        return "cp1252", "Windows-1252 / Latin-1 (not valid UTF-8)"
    return "latin-1", "Latin-1 (not valid UTF-8 or Windows-1252)"


def open_text(path: str, data: bytes | None, encoding: str):
    raw = open_binary(path, data)
    return io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline="")


def sniff_delimiter(sample: str) -> str:
    """Pick the candidate that splits the first lines into the most consistent field counts."""
    lines = sample.splitlines(keepends=True)
    if len(lines) > 1 and not sample.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample may end mid-line
    text = "".join(lines[:SNIFF_LINES])
    best, best_score = ",", (0.0, 0)
    for candidate in CANDIDATE_DELIMITERS:
        counts = [len(r) for r in csv.reader(io.StringIO(text), delimiter=candidate) if r]
        if not counts:
            continue
        width, seen = Counter(counts).most_common(1)[0]
        if width < 2:
            continue
        score = (seen / len(counts), width)
        if score > best_score:
            best, best_score = candidate, score
    return best


# --------------------------------------------------------------------------- values


def parse_number(text: str, decimal: str) -> int | float | None:
    """Parse an integer or decimal written with '.' or ',' as the decimal mark."""
    if INT_RE.match(text):
        return int(text)
    if decimal == "," and GROUPED_INT_DOT_RE.match(text):
        return int(text.replace(".", ""))
    if FLOAT_RE.match(text):
        return float(text)
    if decimal == "." and GROUPED_DOT_RE.match(text):
        cleaned = text.replace(",", "")
        return int(cleaned) if "." not in cleaned else float(cleaned)
    if decimal == "," and GROUPED_COMMA_RE.match(text):
        return float(text.replace(".", "").replace(",", "."))
    return None


def parse_date(text: str) -> date | None:
    if not DATE_RE.match(text):
        return None
    try:
        return date.fromisoformat(text.replace("/", "-"))
    except ValueError:
        return None


def parse_datetime(text: str) -> datetime | None:
    if not DATETIME_RE.match(text):
        return None
    normalised = text[:-1] + "+00:00" if text.endswith("Z") else text
    if re.search(r"[+-]\d{4}$", normalised):  # +0200 -> +02:00 for older Pythons
        normalised = normalised[:-2] + ":" + normalised[-2:]
    try:
        value = datetime.fromisoformat(normalised)
    except ValueError:
        return None
    if value.tzinfo is not None:  # compare everything in UTC
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


class Column:
    """Running statistics for one column; memory is bounded by max_distinct."""

    def __init__(self, name: str, decimal: str, max_distinct: int) -> None:
        self.name = name
        self.decimal = decimal
        self.max_distinct = max_distinct
        self.nulls = 0
        self.values: Counter[str] = Counter()
        self.capped = False
        self.non_null = 0
        self.booleans = 0
        self.integers = 0
        self.numbers = 0
        self.dates = 0
        self.datetimes = 0
        self.num_min: float | None = None
        self.num_max: float | None = None
        self.num_mean = 0.0
        self.num_m2 = 0.0  # Welford's running sum of squared deviations
        self.time_min: datetime | None = None
        self.time_max: datetime | None = None
        self.len_min: int | None = None
        self.len_max = 0
        self.leading_zeros = 0
        self.padded = 0
        self.not_numbers: list[str] = []
        self.not_dates: list[str] = []

    def add(self, raw: str, is_null: bool) -> None:
        if is_null:
            self.nulls += 1
            return
        self.non_null += 1
        self._count(raw)
        value = raw.strip()
        if value != raw:
            self.padded += 1
        self.len_min = len(value) if self.len_min is None else min(self.len_min, len(value))
        self.len_max = max(self.len_max, len(value))
        if value.lower() in BOOLEAN_TOKENS:
            self.booleans += 1
        self._add_number(value)
        self._add_time(value)

    def _count(self, raw: str) -> None:
        if raw in self.values or len(self.values) < self.max_distinct:
            self.values[raw] += 1
        else:
            self.capped = True

    def _add_number(self, value: str) -> None:
        number = parse_number(value, self.decimal)
        if number is None:
            if len(self.not_numbers) < 3 and value not in self.not_numbers:
                self.not_numbers.append(value)
            return
        try:
            as_float = float(number)
        except OverflowError:  # an integer too long for a float: an identifier, not a quantity
            return
        if not math.isfinite(as_float):
            return
        self.numbers += 1
        if isinstance(number, int):
            self.integers += 1
            digits = value.lstrip("+-")
            if len(digits) > 1 and digits.startswith("0"):
                self.leading_zeros += 1
        self.num_min = number if self.num_min is None else min(self.num_min, number)
        self.num_max = number if self.num_max is None else max(self.num_max, number)
        delta = as_float - self.num_mean
        self.num_mean += delta / self.numbers
        self.num_m2 += delta * (as_float - self.num_mean)

    def _add_time(self, value: str) -> None:
        day = parse_date(value)
        moment = datetime(day.year, day.month, day.day) if day else parse_datetime(value)
        if moment is None:
            if len(self.not_dates) < 3 and value not in self.not_dates:
                self.not_dates.append(value)
            return
        if day:
            self.dates += 1
        else:
            self.datetimes += 1
        self.time_min = moment if self.time_min is None else min(self.time_min, moment)
        self.time_max = moment if self.time_max is None else max(self.time_max, moment)

    @property
    def type(self) -> str:
        n = self.non_null
        if n == 0:
            return "empty"
        if self.booleans == n:
            return "boolean"
        if self.integers == n:
            return "integer"
        if self.numbers == n:
            return "float"
        if self.dates == n:
            return "date"
        if self.dates + self.datetimes == n:
            return "datetime"
        return "text"

    @property
    def distinct(self) -> int:
        return len(self.values)


# --------------------------------------------------------------------------- profile


class Profile:
    def __init__(self, name: str, size: int | None) -> None:
        self.name = name
        self.size = size
        self.encoding_note = ""
        self.delimiter = ","
        self.delimiter_source = "detected"
        self.decimal = "."
        self.columns: list[Column] = []
        self.rows = 0
        self.ragged = 0
        self.blank_lines = 0
        self.truncated = False
        self.renamed: list[str] = []
        self.empty = False


def unique_names(header: list[str]) -> tuple[list[str], list[str]]:
    """Make header names non-blank and unique; return (names, notes on renames)."""
    names, notes, seen = [], [], Counter()
    for index, raw in enumerate(header, start=1):
        base = raw.strip() or f"column_{index}"
        seen[base] += 1
        name = base if seen[base] == 1 else f"{base}_{seen[base]}"
        if name != raw:
            notes.append(f"column {index} header {raw!r} shown as `{name}`")
        names.append(name)
    return names, notes


def build_profile(args: argparse.Namespace) -> Profile:
    data, display = read_source(args.path)
    size = len(data) if data is not None else os.path.getsize(args.path)
    profile = Profile(display, size)
    if size == 0:
        profile.empty = True
        return profile

    if args.encoding:
        encoding = args.encoding
        if codecs.lookup(encoding).name == "utf-8":  # raises LookupError for unknown names
            encoding = "utf-8-sig"  # also accepts files without a byte-order mark
        if not decodes_fully(args.path, data, args.encoding):
            raise ProfileError(
                f"{display}: not valid {args.encoding}; drop --encoding to let the script guess"
            )
        profile.encoding_note = f"{args.encoding} (given)"
    else:
        encoding, profile.encoding_note = detect_encoding(args.path, data)

    with open_text(args.path, data, encoding) as handle:
        sample = handle.read(SNIFF_BYTES)
    if not sample.strip():
        profile.empty = True
        return profile

    if args.delimiter:
        profile.delimiter = "\t" if args.delimiter in ("\\t", "tab") else args.delimiter
        profile.delimiter_source = "given"
    else:
        profile.delimiter = sniff_delimiter(sample)
    profile.decimal = args.decimal or ("," if profile.delimiter == ";" else ".")
    na_tokens = set(args.na or [])

    with open_text(args.path, data, encoding) as handle:
        reader = csv.reader(handle, delimiter=profile.delimiter)
        read_rows(reader, profile, args, na_tokens)
    return profile


def read_rows(reader, profile: Profile, args: argparse.Namespace, na_tokens: set) -> None:
    header: list[str] | None = None
    for row in reader:
        if not row or (len(row) == 1 and not row[0].strip()):
            profile.blank_lines += 1
            continue
        if header is None:
            if args.no_header:
                header = [f"column_{i}" for i in range(1, len(row) + 1)]
            else:
                header, profile.renamed = unique_names(row)
            profile.columns = [Column(n, profile.decimal, args.max_distinct) for n in header]
            if not args.no_header:
                continue
        if args.max_rows and profile.rows >= args.max_rows:
            profile.truncated = True
            break
        profile.rows += 1
        if len(row) != len(profile.columns):
            profile.ragged += 1
        for index, column in enumerate(profile.columns):
            raw = row[index] if index < len(row) else ""
            column.add(raw, not raw.strip() or raw.strip() in na_tokens)


# --------------------------------------------------------------------------- output


def fmt_number(value: float | int | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        return str(value)
    if value == int(value) and abs(value) < 1e15:
        return f"{value:.1f}"
    if abs(value) >= 1e15 or abs(value) < 1e-4:
        return f"{value:.4g}"
    return f"{value:.4f}".rstrip("0").rstrip(".")


def fmt_time(value: datetime | None, kind: str) -> str:
    if value is None:
        return "—"
    return value.date().isoformat() if kind == "date" else value.isoformat(sep=" ")


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "—"


def cell(text: str, limit: int = 40) -> str:
    """Make a value safe and short enough for a Markdown table cell."""
    text = text.replace("\r\n", "\n").replace("\n", "⏎").replace("|", "\\|")
    text = text.replace("`", "'")
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text if text.strip() else f"`{text}`" if text else "(empty)"


def min_max_mean(column: Column) -> tuple[str, str, str]:
    kind = column.type
    if kind in ("integer", "float"):
        mean = column.num_mean
        return fmt_number(column.num_min), fmt_number(column.num_max), fmt_number(mean)
    if kind in ("date", "datetime"):
        return fmt_time(column.time_min, kind), fmt_time(column.time_max, kind), "—"
    return "—", "—", "—"


def render(profile: Profile, top: int) -> str:
    out = [f"# CSV profile: {cell(profile.name, 200)}", ""]
    if profile.empty:
        out.append("The file is empty: no header and no data rows. Nothing to profile.")
        return "\n".join(out) + "\n"

    out += render_summary(profile)
    out += ["", "## Columns", ""]
    out.append("| # | Column | Type | Nulls | Distinct | Min | Max | Mean |")
    out.append("|---|---|---|---|---|---|---|---|")
    for index, column in enumerate(profile.columns, start=1):
        low, high, mean = min_max_mean(column)
        distinct = f"≥{column.distinct}" if column.capped else str(column.distinct)
        out.append(
            f"| {index} | {cell(column.name)} | {column.type} "
            f"| {column.nulls} ({pct(column.nulls, profile.rows)}) | {distinct} "
            f"| {low} | {high} | {mean} |"
        )
    out += ["", "## Column details"]
    for index, column in enumerate(profile.columns, start=1):
        out += render_column(index, column, profile.rows, top)
    findings = observations(profile)
    out += ["", "## Observations", ""]
    out += [f"- {line}" for line in findings] if findings else ["- Nothing unusual found."]
    return "\n".join(out) + "\n"


def render_summary(profile: Profile) -> list[str]:
    name = DELIMITER_NAMES.get(profile.delimiter, repr(profile.delimiter))
    shown = "\\t" if profile.delimiter == "\t" else cell(profile.delimiter)
    rows = f"{profile.rows} (header excluded)"
    if profile.truncated:
        rows = f"{profile.rows} (stopped at --max-rows; the file has more)"
    lines = [
        "| Property | Value |",
        "|---|---|",
        f"| Size | {profile.size} bytes |",
        f"| Encoding | {profile.encoding_note} |",
        f"| Delimiter | {name} (`{shown}`, {profile.delimiter_source}) |",
        f"| Decimal mark | `{profile.decimal}` |",
        f"| Rows | {rows} |",
        f"| Columns | {len(profile.columns)} |",
        f"| Ragged rows | {profile.ragged} |",
    ]
    if profile.blank_lines:
        lines.append(f"| Blank lines skipped | {profile.blank_lines} |")
    return lines


def render_column(index: int, column: Column, rows: int, top: int) -> list[str]:
    out = ["", f"### {index}. {cell(column.name, 80)} ({column.type})", ""]
    out.append(f"- Nulls: {column.nulls} of {rows} ({pct(column.nulls, rows)})")
    approx = " (lower bound: too many distinct values to count all)" if column.capped else ""
    out.append(f"- Distinct: {column.distinct}{approx}")
    if column.type in ("integer", "float") and column.numbers:
        mean = column.num_mean
        variance = column.num_m2 / column.numbers
        out.append(
            f"- Min / max / mean: {fmt_number(column.num_min)} / "
            f"{fmt_number(column.num_max)} / {fmt_number(mean)}"
        )
        out.append(f"- Standard deviation: {fmt_number(math.sqrt(variance))}")
    elif column.type in ("date", "datetime"):
        low, high, _ = min_max_mean(column)
        out.append(f"- Range: {low} to {high}")
    if column.non_null:
        out.append(f"- Length: {column.len_min}–{column.len_max} characters")
    if not column.non_null:
        return out
    if column.values.most_common(1)[0][1] == 1 and column.non_null > top:
        out.append("- Top values: none, no value occurs more than once")
        return out
    out += ["", "| Value | Count | % of rows |", "|---|---|---|"]
    for value, count in column.values.most_common(top):
        out.append(f"| {cell(value)} | {count} | {pct(count, rows)} |")
    return out


def observations(profile: Profile) -> list[str]:
    notes = []
    if profile.rows == 0:
        notes.append("The file has a header but no data rows.")
    if profile.ragged:
        notes.append(
            f"{profile.ragged} row(s) have a different number of fields than the header: "
            "check for an unquoted delimiter inside a value or a wrong delimiter."
        )
    notes += [f"Renamed header: {note}." for note in profile.renamed]
    keys = [c for c in profile.columns if is_candidate_key(c, profile.rows)]
    if keys:
        names = ", ".join(f"`{cell(c.name, 80)}`" for c in keys)
        notes.append(f"Candidate key(s), unique and never empty: {names}.")
    for column in profile.columns:
        notes += column_observations(column, profile.rows)
    return notes


def is_candidate_key(column: Column, rows: int) -> bool:
    return (
        rows > 1
        and column.type in ("integer", "text")
        and column.non_null == rows
        and column.distinct == rows
        and not column.capped
    )


def column_observations(column: Column, rows: int) -> list[str]:
    name, n, notes = f"`{cell(column.name, 80)}`", column.non_null, []
    if rows and n == 0:
        return [f"{name} is entirely empty."]
    if rows and column.nulls / rows > 0.5:
        notes.append(f"{name} is mostly empty ({pct(column.nulls, rows)} nulls).")
    if column.distinct == 1 and rows > 1 and column.nulls == 0:
        notes.append(f"{name} has a single value in every row; it carries no information.")
    if column.type == "text" and n:
        if column.numbers >= MOSTLY * n:
            bad = ", ".join(repr(v) for v in column.not_numbers)
            notes.append(
                f"{name} is text, but {column.numbers} of {n} values are numbers; "
                f"the others look like {bad}. Clean them, or pass them to --na to treat "
                "them as missing."
            )
        elif column.dates + column.datetimes >= MOSTLY * n:
            bad = ", ".join(repr(v) for v in column.not_dates)
            notes.append(
                f"{name} is text, but {column.dates + column.datetimes} of {n} values are "
                f"dates; the others look like {bad}."
            )
    if column.leading_zeros and column.type in ("integer", "text"):
        notes.append(
            f"{name} has {column.leading_zeros} value(s) with leading zeros: probably a code "
            "or identifier; keep it as text so the zeros survive."
        )
    if column.padded:
        notes.append(f"{name} has {column.padded} value(s) with leading or trailing spaces.")
    if column.capped:
        notes.append(f"{name} has more distinct values than --max-distinct; counts are partial.")
    return notes


# --------------------------------------------------------------------------- CLI


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Print a Markdown profile of a CSV file (types, nulls, distinct values, "
        "ranges, top values, data-quality observations).",
    )
    parser.add_argument("path", help="CSV file to profile, or - to read standard input")
    parser.add_argument(
        "--delimiter", help="field delimiter (default: detect among , ; tab |); use \\t for tab"
    )
    parser.add_argument("--encoding", help="text encoding (default: detect UTF-8/Windows-1252)")
    parser.add_argument(
        "--decimal",
        choices=[".", ","],
        help="decimal mark of numbers (default: ',' for semicolon files, else '.')",
    )
    parser.add_argument("--no-header", action="store_true", help="the first row is data")
    parser.add_argument(
        "--na",
        action="append",
        metavar="TOKEN",
        help="extra value to treat as missing, e.g. --na NA --na n/a (blank cells always are)",
    )
    parser.add_argument("--top", type=int, default=5, help="top values to list (default 5)")
    parser.add_argument("--max-rows", type=int, default=0, help="stop after N data rows")
    parser.add_argument(
        "--max-distinct",
        type=int,
        default=100_000,
        help="distinct values tracked per column before counts become partial (default 100000)",
    )
    args = parser.parse_args(argv)
    if args.delimiter and len(args.delimiter) != 1 and args.delimiter not in ("\\t", "tab"):
        parser.error("--delimiter must be a single character (or \\t)")
    if args.top < 1 or args.max_rows < 0 or args.max_distinct < 1:
        parser.error("--top and --max-distinct must be positive, --max-rows not negative")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    if hasattr(sys.stdout, "reconfigure"):  # never crash on a console that cannot show a value
        sys.stdout.reconfigure(errors="replace")
    try:
        profile = build_profile(args)
    except (ProfileError, OSError, LookupError, csv.Error, UnicodeDecodeError) as error:
        print(f"profile_csv: {error}", file=sys.stderr)
        return 1
    sys.stdout.write(render(profile, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
