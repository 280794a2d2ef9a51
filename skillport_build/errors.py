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
    ├── ProposalError       a change proposed through the connector cannot become a pull request:
    │                       bad paths or sizes, an unknown plugin, validation errors, GitHub refused
    ├── StoreError          a store operation failed (after retries, where retrying made sense)
    │   ├── StoreAuthError  the store refused our credentials
    │   ├── TransientStoreError  worth retrying: a dropped connection, a 5xx, a 429
    │   ├── BlobConflict    a key already holds other bytes (versions are immutable)
    │   └── PointerMoved    another publish moved the catalog pointer since this one began
    ├── PublishConflict     another publish got there first; this build is stale
    ├── Unavailable         the proxy has no verified, unexpired catalog to serve right now
    ├── Refused             the proxy refuses a request; `status` is its HTTP answer
    ├── ToolRefused         an MCP tool call that cannot be answered, with what to do instead
    └── StateError          the proxy's database cannot be opened, or a newer release upgraded it

Three internal signals never reach the CLI: `repo.documents.DocumentError` (a parse failure and its
line; callers turn it into a diagnostic or one of the errors above), `proxy.login.SignInRefused` (a
sign-in page says why) and `proxy.connector.documents.DocumentRefused` (an OAuth error answer).

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


class StoreError(SkillportError):
    """A store operation failed (after retries, where retrying made sense)."""


class StoreAuthError(StoreError):
    """The store refused our credentials; the message names which ones and where."""


class TransientStoreError(StoreError):
    """A failure worth retrying: a dropped connection, a 5xx, a 429."""


class BlobConflict(StoreError):
    """A key already holds different bytes: versions are immutable."""

    def __init__(self, key: str, existing: str, ours: str) -> None:
        super().__init__(
            f"{key} already holds other bytes (sha256 {existing}; ours {ours}): a published version "
            "is never replaced; bump the version and rebuild"
        )
        self.key = key


class PointerMoved(StoreError):
    """Another publish moved the pointer since this build was planned."""


class PublishConflict(SkillportError):
    """Another publish got there first; the store is consistent, this build is stale."""


class Unavailable(SkillportError):
    """No verified, unexpired catalog can be served right now."""


class Refused(SkillportError):
    """The proxy refuses a request: `status` is the HTTP status it answers with, the message why."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


class ToolRefused(SkillportError):
    """A tool call that cannot be answered, with what to do instead (shown to the model)."""


class StateError(SkillportError):
    """The proxy's database cannot be used: unreachable, or its schema is newer than this code."""
