"""A small file read whole and parsed as JSON or YAML; what goes wrong becomes a diagnostic."""

from __future__ import annotations

from pathlib import Path

from skillport_build.repo.diagnostics import Diagnostic
from skillport_build.repo.documents import DocumentError, JsonDocument, YamlDocument, decode_text
from skillport_build.repo.rules import rule


def read_small(path: Path, rel: str, problems: list[Diagnostic], rule_id: str) -> bytes | None:
    """The bytes of the regular file `path` (`rel` in diagnostics), or None with a problem."""
    try:
        if path.is_symlink() or not path.is_file():
            problems.append(rule(rule_id)(rel, None, "must be a regular file, not a link or folder"))
            return None
        return path.read_bytes()
    except OSError as exc:
        problems.append(rule("file-unreadable")(rel, None, f"cannot read: {exc.strerror}"))
        return None


def parse_json(rel: str, raw: bytes, problems: list[Diagnostic], rule_id: str) -> JsonDocument | None:
    """`raw` as a JSON document, or None with a `rule_id` problem at the line that is wrong."""
    try:
        return JsonDocument.parse(rel, raw)
    except DocumentError as exc:
        problems.append(rule(rule_id)(rel, exc.line, f"{rel} {exc.message}"))
        return None


def parse_yaml(rel: str, raw: bytes, problems: list[Diagnostic], rule_id: str) -> YamlDocument | None:
    """`raw` as a YAML document, or None with a `rule_id` problem at the line that is wrong."""
    try:
        return YamlDocument.parse(rel, decode_text(raw))
    except DocumentError as exc:
        problems.append(rule(rule_id)(rel, exc.line, f"{rel} {exc.message}"))
        return None
