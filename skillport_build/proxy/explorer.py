"""The access explorer: "who can read X" and "what can Y read", answered from the signed catalog's
policy by the same evaluation every route uses (`view_for`, `AccessPolicy.readers`), so the
dashboard cannot disagree with what people are actually served."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from skillport_build.models.access import Identity
from skillport_build.models.catalog import Catalog, PluginRecord, SkillRecord
from skillport_build.proxy.access import view_for


@dataclass(frozen=True)
class Person:
    """Someone who signed in here, with the groups of their latest sign-in."""

    email: str
    groups: tuple[str, ...]
    signed_in: str


@dataclass(frozen=True)
class SkillAccess:
    """One skill of the inventory and the principals the policy lets read it."""

    skill: SkillRecord
    readers: tuple[str, ...]  # the rule's principals, admins last
    rule: str  # which rule decided: "skill", "plugin", "defaults" or "admins only"
    everyone: bool  # `*` is among the readers


@dataclass(frozen=True)
class Reach:
    """What one person may read."""

    identity: Identity
    admin: bool
    skills: tuple[SkillRecord, ...]
    plugins: tuple[PluginRecord, ...]
    hidden: int  # skills of the catalog this person may not read


def _rule(catalog: Catalog, skill: SkillRecord) -> str:
    policy = catalog.access
    for name, rule in (
        ("skill", policy.skills.get(skill.name)),
        ("plugin", policy.plugins.get(skill.plugin)),
        ("defaults", policy.defaults),
    ):
        if rule is not None and rule.read is not None:
            return name
    return "admins only"


def skill_access(catalog: Catalog, skill: SkillRecord) -> SkillAccess:
    """Who may read `skill`, and which rule of the policy says so."""
    readers = catalog.access.readers(skill.plugin, skill.name)
    return SkillAccess(skill, readers, _rule(catalog, skill), "*" in readers)


def inventory(catalog: Catalog, query: str = "") -> list[SkillAccess]:
    """Every skill (whose name, plugin or a reader contains `query`), in catalog order."""
    needle = query.strip().lower()
    rows = [skill_access(catalog, s) for s in catalog.skills]
    if not needle:
        return rows
    return [
        row
        for row in rows
        if needle in row.skill.ref.lower() or any(needle in r.lower() for r in row.readers)
    ]


def who_can_read(catalog: Catalog, skill: SkillRecord, people: Iterable[Person]) -> list[Person]:
    """The people known here (by their latest sign-in) whom the policy lets read `skill`."""
    readers = catalog.access.readers(skill.plugin, skill.name)
    return [p for p in people if identity_of(p).matches(readers)]


def identity_of(person: Person) -> Identity:
    """The identity a person signs in with, as far as this proxy last saw it."""
    return Identity(person.email, frozenset(person.groups))


def reach(catalog: Catalog, identity: Identity) -> Reach:
    """What `identity` may read of the catalog, as every route would serve it."""
    view = view_for(catalog, identity)
    return Reach(
        identity,
        identity.matches(catalog.access.admins),
        view.skills,
        view.plugins,
        len(catalog.skills) - len(view.skills),
    )
