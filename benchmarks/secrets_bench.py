"""Weigh Skillport's secret scanner against detect-secrets on a labelled corpus, and time both.

Usage: python benchmarks/secrets_bench.py [--skills N] [--json]

The corpus is written here: fake keys in the real formats a skill folder might leak (each made of
random characters, none of them live), and the shapes that look like secrets in real skills and are
not (references to the environment, identifiers, calls, placeholders, digests, UUIDs). Every line is
labelled; a detector is right about a line when it flags it exactly when the label says secret.
Precision and recall are printed for both, then the time each takes over N skill folders made of
the same lines (detect-secrets from PyPI, with its default plugins and filters).
"""

from __future__ import annotations

import json
import random
import string
import tempfile
import time
from pathlib import Path

from scale import bench_parser, parse_args

from skillport_build.models.config import ValidateConfig
from skillport_build.repo.marketplace import FileEntry
from skillport_build.repo.tree import TreeReader
from skillport_build.validate import secrets


def _random(rng: random.Random, n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def corpus(rng: random.Random) -> list[tuple[str, bool]]:
    """(line, is a secret) pairs."""
    upper = string.ascii_uppercase + string.digits
    hexa = "0123456789abcdef"
    secret = [
        f"aws_access_key_id = AKIA{_random(rng, 16, upper)}",
        f"export GITHUB_TOKEN=ghp_{_random(rng, 36)}",
        f'token: "github_pat_{_random(rng, 82, string.ascii_letters + string.digits + "_")}"',
        f"SLACK_BOT_TOKEN=xoxb-{_random(rng, 12, string.digits)}-{_random(rng, 24)}",
        f'const key = "AIza{_random(rng, 35)}";',
        f"stripe.api_key = 'sk_live_{_random(rng, 24)}'",
        f"ANTHROPIC_API_KEY=sk-ant-api03-{_random(rng, 40)}",
        f'openai.api_key = "sk-proj-{_random(rng, 48)}"',
        "-----BEGIN OPENSSH PRIVATE KEY-----",
        "-----BEGIN RSA PRIVATE KEY-----",
        f'password = "{_random(rng, 20)}"',
        f"db_password: {_random(rng, 24)}",
        f'"client_secret": "{_random(rng, 32)}"',
        f"API_KEY={_random(rng, 32, hexa)}",
        f"auth_token = '{_random(rng, 40)}'",
        f"Authorization: Bearer eyJ{_random(rng, 30)}.eyJ{_random(rng, 40)}.{_random(rng, 43)}",
    ]
    plain = [
        "const token = process.env.DISCORD_BOT_TOKEN;",
        "tokenizer = AutoTokenizer.from_pretrained(model_name)",
        "api_key = os.environ['OPENAI_API_KEY']",
        'api_key = os.getenv("OPENAI_API_KEY")',
        "password = getpass.getpass()",
        "int token_id = next_token(stream);",
        "Set `Authorization: Bearer eyJhbGciOi...` on every call.",
        '"secret": "<your-secret-here>"',
        "export GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "DISCORD_BOT_TOKEN=your-token-here",
        "API_KEY=${API_KEY}",
        "SECRET_KEY=changeme",
        "access_token = response.json()['access_token']",
        "secret_name = config.secrets.database_password_name",
        "token_count = count_tokens(prompt_text, model)",
        f"sha256: {_random(rng, 64, hexa)}",
        f"integrity: sha512-{_random(rng, 86)}==",
        f"commit: {_random(rng, 40, hexa)}",
        "request_id: 3f6c2a9e-8d41-4b7a-9c55-0e2f1a7b6d93",
        "password_field = form.fields['password']",
        "api_key_header = 'X-Api-Key'",
        "Use the token from `skillport login`; never paste it here.",
        "jwt = jwt.encode(payload, settings.SECRET_KEY, algorithm='HS256')",
        "private_key_path = Path.home() / '.ssh' / 'id_ed25519'",
    ]
    return [(line, True) for line in secret] + [(line, False) for line in plain]


def _ours(path: Path, root: Path) -> set[int]:
    reader = TreeReader(root, 10 * 2**20, [], frozenset())
    entry = next(f for f in reader.read_folder(path.parent) if f.path == path.name)
    return {d.line or 0 for d in secrets.scan(".", [entry], ValidateConfig())}


def _detect_secrets(path: Path) -> set[int]:
    from detect_secrets import SecretsCollection
    from detect_secrets.settings import default_settings

    with default_settings():
        found = SecretsCollection()
        found.scan_file(str(path))
    return {s.line_number for s in found[str(path)]}


def score(flagged: set[int], labels: list[bool]) -> dict[str, float]:
    """Precision and recall of the flagged line numbers against the labels."""
    truth = {n for n, is_secret in enumerate(labels, start=1) if is_secret}
    hits = len(flagged & truth)
    return {
        "precision": hits / len(flagged) if flagged else 1.0,
        "recall": hits / len(truth) if truth else 1.0,
        "false_positives": len(flagged - truth),
        "missed": len(truth - flagged),
    }


def _timed(skills: int, root: Path, lines: list[str]) -> dict[str, float]:
    files = []
    for n in range(skills):
        path = root / f"skill-{n}" / "notes.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + f"\n# skill {n}\n")
        files.append(path)
    start = time.perf_counter()
    entries = [
        FileEntry(p.name, p.stat().st_size, str(n), False, p.read_bytes()) for n, p in enumerate(files)
    ]
    list(secrets.scan(".", entries, ValidateConfig()))
    ours = time.perf_counter() - start
    start = time.perf_counter()
    for path in files:
        _detect_secrets(path)
    theirs = time.perf_counter() - start
    return {"skillport_s": ours, "detect_secrets_s": theirs}


def main() -> None:
    parser = bench_parser(__doc__)
    args = parse_args(parser, __file__)
    if args is None:
        return
    rng = random.Random(41)
    labelled = corpus(rng)
    rng.shuffle(labelled)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sample = root / "corpus" / "SKILL.md"
        sample.parent.mkdir()
        sample.write_text("\n".join(line for line, _ in labelled) + "\n")
        labels = [is_secret for _, is_secret in labelled]
        figures = {
            "lines": len(labels),
            "secrets": sum(labels),
            "skillport": score(_ours(sample, root), labels),
            "detect-secrets": score(_detect_secrets(sample), labels),
            "skills": args.skills,
            **_timed(args.skills, root / "timed", [line for line, _ in labelled]),
        }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"labelled corpus: {figures['lines']} lines, {figures['secrets']} secrets")
    for name in ("skillport", "detect-secrets"):
        s = figures[name]
        print(
            f"  {name:<15} precision {s['precision']:.2f}  recall {s['recall']:.2f}  "
            f"({s['false_positives']} false positives, {s['missed']} missed)"
        )
    print(
        f"scan of {args.skills} skill files: skillport {figures['skillport_s']:.2f} s, "
        f"detect-secrets {figures['detect_secrets_s']:.2f} s"
    )


if __name__ == "__main__":
    main()
