"""The one error hierarchy; the CLI catches `SkillportError` once and maps it to an exit code.

    SkillportError          expected failure the user can fix (exit 1)
    ├── UsageError          the command line itself is wrong (exit 2)
    ├── ManifestError       a marketplace cannot be read at all (no folder, no marketplace.json)
    ├── ValidationFailed    validation found errors (the report says which)
    ├── ScaffoldError       `init` / `new` would overwrite or cannot write
    ├── CatalogError        a catalog cannot be read or does not have the catalog's shape
    ├── BuildError          a build would break a rule: a published version rebuilt, a version
    │                       going backwards, an output folder that cannot be written
    ├── KeyFileError        a signing key cannot be read, decrypted or written
    ├── SignatureError      verification refused something: bad or unknown signature, expired,
    │                       rolled back, a bundle whose digest differs
    ├── ClientError         a skillport proxy cannot be reached, refused a request, or answered
    │                       something unusable; or what it sent cannot be installed
    └── ProposalError       a change proposed through the connector cannot become a pull request:
                            bad paths or sizes, an unknown plugin, validation errors, GitHub refused

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
    """Validation found errors that stop the operation; `lines` are the first few findings."""

    def __init__(self, count: int, lines: list[str]) -> None:
        shown = "\n".join(f"  {line}" for line in lines)
        more = f"\n  … and {count - len(lines)} more" if count > len(lines) else ""
        super().__init__(
            f"the marketplace has {count} validation error{'s' if count != 1 else ''}; fix them "
            f"first (`skillport validate` lists them all):\n{shown}{more}"
        )


class ScaffoldError(SkillportError):
    """Scaffolding cannot create what was asked without losing something."""


class CatalogError(SkillportError):
    """A catalog is unreadable or malformed."""


class BuildError(SkillportError):
    """A build cannot go ahead."""


class KeyFileError(SkillportError):
    """A key file cannot be used."""


class SignatureError(SkillportError):
    """Verification refused a catalog or a bundle."""


class ClientError(SkillportError):
    """Talking to a skillport proxy failed, or what it sent cannot be used."""


class ProposalError(SkillportError):
    """A proposed change to a skill was refused before, or while, opening its pull request."""
