"""Find likely secrets in the files that would be bundled (FORMATS.md rule 41).

A finding prints a fingerprint (a hash of the matched text, never the text) so that a reviewed
false positive can be waived in `.skillport/validate.yaml` without copying the secret there.

Two kinds of finding: a value in a known key format (private keys, cloud and GitHub tokens, …), and
a literal value assigned to a secret-sounding name. Only a literal counts: a reference to the
environment (`process.env.X`, `os.environ["X"]`, `${X}`, `$X`), an identifier, a call, and elided or
placeholder values (`eyJhbGciOi...`, `<your-key>`, `changeme`) are not secrets. Files with the same
bytes (a symlinked copy, a shared file) are scanned once.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator

from skillport_build.models.config import ValidateConfig
from skillport_build.repo.diagnostics import Diagnostic
from skillport_build.repo.marketplace import FileEntry
from skillport_build.repo.rules import rule

_PATTERNS: dict[str, str] = {
    "a private key": r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY(?: BLOCK)?-----",
    "an AWS access key id": r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
    "a GitHub token": r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{60,})\b",
    "a Slack token": r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b",
    "a Google API key": r"\bAIza[0-9A-Za-z_-]{35}\b",
    "a Stripe secret key": r"\b[rs]k_live_[0-9A-Za-z]{20,}\b",
    "an Anthropic API key": r"\bsk-ant-[A-Za-z0-9_-]{20,}",
    "an OpenAI API key": r"\bsk-(?:proj-)?[A-Za-z0-9_-]{32,}",
    "a JSON web token": r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}",
}
_KNOWN = re.compile("|".join(f"(?P<p{i}>{p})" for i, p in enumerate(_PATTERNS.values())))
_LABELS = list(_PATTERNS)
# Literal markers, one of which every known pattern contains: a cheap `in` test before any regex.
_MARKERS = (
    "PRIVATE KEY",
    "AKIA",
    "ASIA",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "xox",
    "AIza",
    "_live_",
    "sk-",
    "eyJ",
)
# A long value right after `:` or `=`, quoted or bare; the regex engine skips ahead to those two.
_ASSIGNED_VALUE = re.compile(r"[:=][ \t]*(?:([\"'])([^\"'\s]{16,})\1|([A-Za-z0-9+/_\-=.~]{20,}))")
# What a bare value looks like when it is code rather than a literal: a dotted name, a NAME in
# capitals (an environment variable), or anything followed by a call or an index.
_CODE = re.compile(r"^(?:[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+|[A-Z][A-Z0-9_]*|(?:process|os|env)\b.*)$")
_SECRET_NAME = re.compile(
    r"(?:secret|token|passw(?:or)?d|pwd|api[_-]?key|access[_-]?key|private[_-]?key|auth)[a-z_-]*[\"']?\s*$"
)
_PLACEHOLDER = re.compile(
    r"(?i)example|sample|dummy|placeholder|changeme|your|xxxx|\$\{|<|redacted|fake|\.\.\.|…|\*\*\*"
)
_ENTROPY_MIN = 3.5
_ENTROPY_MIN_HEX = 3.0  # sixteen symbols: a random hex key scores lower than a base64 one
_HEX = re.compile(r"^[0-9a-fA-F]{32,}$")


def fingerprint(secret: str) -> str:
    """Return the stable, non-reversible id a finding is waived by."""
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


def scan(owner: str, files: Iterable[FileEntry], config: ValidateConfig) -> Iterator[Diagnostic]:
    """Yield a `secret` diagnostic for each likely secret in the text files of a folder."""
    waived = {(w.path, w.fingerprint) for w in config.secrets_allow}
    seen: set[str] = set()
    for f in files:
        if f.data is None or b"\x00" in f.data[:8192] or f.sha256 in seen:
            continue
        seen.add(f.sha256)
        text = f.data.decode("utf-8", "replace")
        path = f.path if owner == "." else f"{owner}/{f.path}"
        for line, label, secret in _findings(text):
            mark = fingerprint(secret)
            if (path, mark) not in waived:
                yield rule("secret")(
                    path,
                    line,
                    f"looks like {label} (fingerprint {mark}); remove it and revoke it, or, if it "
                    "is not a secret, waive it under `secrets_allow` in .skillport/validate.yaml",
                )


def _findings(text: str) -> Iterator[tuple[int, str, str]]:
    if any(marker in text for marker in _MARKERS):
        for match in _KNOWN.finditer(text):
            label = _LABELS[int((match.lastgroup or "p0")[1:])]
            if not _PLACEHOLDER.search(match.group(0)):
                yield _line_of(text, match.start()), label, match.group(0)
    for match in _ASSIGNED_VALUE.finditer(text):
        quoted, value = match.group(2) is not None, match.group(2) or match.group(3)
        start = match.start()
        name = text[max(0, start - 40) : start].lower()
        if (
            _SECRET_NAME.search(name)
            and _is_literal(value, text[match.end() : match.end() + 1], quoted)
            and _entropy(value) >= (_ENTROPY_MIN_HEX if _HEX.match(value) else _ENTROPY_MIN)
            and not _PLACEHOLDER.search(value)
            and not _KNOWN.search(value)
        ):
            yield _line_of(text, start), "a hard-coded credential", value


def _is_literal(value: str, after: str, quoted: bool) -> bool:
    """A value written out, not code that fetches or computes one."""
    if quoted:
        return not value.startswith("$")
    return after not in ("(", "[") and not _CODE.match(value) and any(c.isdigit() for c in value)


def _line_of(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def _entropy(value: str) -> float:
    counts = Counter(value)
    return -sum(c / len(value) * math.log2(c / len(value)) for c in counts.values())
