"""The one error hierarchy; the CLI catches `SkillportError` once and maps it to an exit code.

    SkillportError          expected failure the user can fix (exit 1)
    ├── UsageError          the command line itself is wrong (exit 2)
    ├── ManifestError       a marketplace cannot be read at all (no marketplace.json, not a folder)
    ├── ValidationFailed    validation found errors (the report says which)
    └── ScaffoldError       `init` / `new` would overwrite or cannot write

Anything else that escapes is a bug: the CLI prints its traceback and exits 3.
"""

from __future__ import annotations


class SkillportError(Exception):
    """An expected failure with a message that says what to do."""

    exit_code = 1


class UsageError(SkillportError):
    """The command was called wrongly."""

    exit_code = 2


class ManifestError(SkillportError):
    """A marketplace tree cannot be read at all."""


class ValidationFailed(SkillportError):
    """Validation found problems that stop the operation."""


class ScaffoldError(SkillportError):
    """Scaffolding cannot create what was asked without losing something."""
