"""The access policy: who may read (and propose changes to) which plugins and skills.

`.skillport/access.yaml` is the native form. The reference Skillport's `.skillport/access.json`
(`editors`, `skills.<name>.read/write`, `defaults`, ids like `google:<uid>`) is read too and turned
into the same model, so existing repositories migrate without edits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, ConfigDict, Field

from skillport_build.models.base import Model, fail, type_name

# Identity providers whose stable subject ids (`google:<uid>`) the reference Skillport uses.
SUBJECT_PROVIDERS = frozenset({"google", "github", "microsoft", "entra", "okta", "keycloak", "oidc"})
_EMAIL = re.compile(r"^[^@\s:]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_DOMAIN = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_GROUP = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@/-]*$")
_SUBJECT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._|@-]*$")
PRINCIPAL_FORMS = "`*`, `user:<email>`, `domain:<domain>`, `group:<name>` or `google:<uid>`"


def check_principal(value: str) -> str:
    """Check one principal's form; the policy fails closed on anything it does not understand."""
    kind, _, rest = value.partition(":")
    ok = (
        value == "*"
        or (kind == "user" and bool(_EMAIL.match(rest)))
        or (kind == "domain" and bool(_DOMAIN.match(rest)))
        or (kind == "group" and bool(_GROUP.match(rest)))
        or (kind in SUBJECT_PROVIDERS and bool(_SUBJECT.match(rest)))
    )
    if not ok:
        fail("access-principal", f"principal {value!r} is not well-formed; use {PRINCIPAL_FORMS}")
    return value


Principal = Annotated[str, AfterValidator(check_principal)]


class AccessRule(Model):
    """Who may read, and who may propose changes to, one plugin, one skill or everything."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    DEFAULT_RULE: ClassVar[str] = "access-schema"

    read: tuple[Principal, ...] | None = Field(default=None, description="who may see and install")
    write: tuple[Principal, ...] | None = Field(default=None, description="who may propose changes")


class AccessPolicy(Model):
    """The whole policy; rules for a skill win over its plugin's, which win over the defaults."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    DEFAULT_RULE: ClassVar[str] = "access-schema"

    defaults: AccessRule = Field(default_factory=AccessRule, description="rules for everything")
    plugins: dict[str, AccessRule] = Field(default_factory=dict, description="per-plugin rules")
    skills: dict[str, AccessRule] = Field(default_factory=dict, description="per-skill rules")
    admins: tuple[Principal, ...] = Field(default=(), description="may read and administer all")
    editors: tuple[Principal, ...] = Field(default=(), description="may propose changes by default")

    def readers(self, plugin: str, skill: str | None = None) -> tuple[str, ...]:
        """Return the principals that may read a plugin, or one of its skills."""
        for rule in (self.skills.get(skill or ""), self.plugins.get(plugin), self.defaults):
            if rule is not None and rule.read is not None:
                return rule.read + self.admins
        return self.admins

    def writers(self, plugin: str, skill: str | None = None) -> tuple[str, ...]:
        """Return the principals that may propose changes to a plugin or skill."""
        for rule in (self.skills.get(skill or ""), self.plugins.get(plugin), self.defaults):
            if rule is not None and rule.write is not None:
                return rule.write + self.admins
        return self.editors + self.admins


@dataclass(frozen=True)
class Identity:
    """A signed-in person as the proxy knows them."""

    email: str
    groups: frozenset[str] = frozenset()
    subjects: frozenset[str] = field(default_factory=frozenset)  # e.g. {"google:1234"}

    def matches(self, principals: Iterable[str]) -> bool:
        """Tell whether any of `principals` names this person."""
        email = self.email.lower()
        domain = email.rpartition("@")[2]
        for principal in principals:
            kind, _, rest = principal.partition(":")
            if (
                principal == "*"
                or (kind == "user" and rest.lower() == email)
                or (kind == "domain" and rest.lower() == domain)
                or (kind == "group" and rest in self.groups)
                or principal in self.subjects
            ):
                return True
        return False


def from_legacy_json(data: Any) -> dict[str, Any]:
    """Turn the reference Skillport's access.json into this policy's shape (then validate it)."""
    if not isinstance(data, dict):
        fail("access-schema", f"access.json must hold an object, not {type_name(data)}")
    defaults = data.get("defaults") or {"read": "*", "write": "editors"}
    return {
        "editors": _legacy_refs(data.get("editors", [])),
        "defaults": _legacy_rule(defaults),
        "skills": {name: _legacy_rule(rule) for name, rule in (data.get("skills") or {}).items()},
    }


def _legacy_rule(rule: Any) -> Any:
    if not isinstance(rule, dict):
        return rule  # let the model report it with its line
    out: dict[str, Any] = {}
    if "read" in rule:
        out["read"] = ["*"] if rule["read"] == "*" else _legacy_refs(rule["read"])
    if "write" in rule and rule["write"] != "editors":
        out["write"] = _legacy_refs(rule["write"])
    return out


def _legacy_refs(refs: Any) -> Any:
    if not isinstance(refs, list):
        return refs
    return [ref.get("id") if isinstance(ref, dict) else ref for ref in refs]
