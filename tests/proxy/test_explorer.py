"""The access explorer answers "who can read X" and "what can Y read" exactly as the routes serve."""

from __future__ import annotations

from pathlib import Path

import pytest
from proxy.served import ALL_SKILLS, PEOPLE, SEES

from skillport_build.models.access import Identity
from skillport_build.models.catalog import Catalog
from skillport_build.proxy import explorer
from skillport_build.proxy.explorer import Person
from skillport_build.stores import current_catalog


@pytest.fixture(scope="module")
def catalog(published: tuple[Path, object, Path]) -> Catalog:
    found = current_catalog(published[1])  # type: ignore[arg-type]
    assert found is not None
    return found


def test_the_inventory_names_each_skills_readers_and_the_rule_that_decides(catalog: Catalog) -> None:
    rows = {row.skill.ref: row for row in explorer.inventory(catalog)}
    assert set(rows) == ALL_SKILLS
    assert rows["decision-record"].rule == "skill"
    assert rows["decision-record"].readers == (
        "group:engineering",
        "group:product",
        "user:cto@acme.example",
        "group:platform",
    )
    assert rows["incident-postmortem"].rule == "plugin"
    assert rows["incident-postmortem"].readers == (
        "group:sre",
        "group:engineering-managers",
        "group:platform",
    )
    assert rows["release-notes"].rule == "defaults" and rows["release-notes"].everyone
    assert not rows["decision-record"].everyone


def test_the_inventory_filters_by_name_or_reader(catalog: Catalog) -> None:
    assert {r.skill.ref for r in explorer.inventory(catalog, "group:SRE")} == {"incident-postmortem"}
    assert {r.skill.ref for r in explorer.inventory(catalog, "decision")} == {"decision-record"}
    assert explorer.inventory(catalog, "nothing-like-it") == []


@pytest.mark.parametrize("who", sorted(PEOPLE))
def test_what_a_person_can_read_is_what_they_are_served(catalog: Catalog, who: str) -> None:
    email, groups = PEOPLE[who]
    reach = explorer.reach(catalog, Identity(email, frozenset(groups)))
    assert {s.ref for s in reach.skills} == SEES[who]
    assert reach.hidden == len(ALL_SKILLS - SEES[who])
    assert reach.admin == (who == "admin")


def test_a_person_named_by_the_policy_reads_without_a_group(catalog: Catalog) -> None:
    reach = explorer.reach(catalog, Identity("cto@acme.example"))
    assert "decision-record" in {s.ref for s in reach.skills}
    assert "incident-postmortem" not in {s.ref for s in reach.skills}


def test_who_can_read_a_skill_among_the_people_who_signed_in(catalog: Catalog) -> None:
    people = [Person(email, groups, "2026-12-01T00:00:00Z") for email, groups in PEOPLE.values()]
    skill = catalog.skill("incident-postmortem")
    assert skill is not None
    assert [p.email for p in explorer.who_can_read(catalog, skill, people)] == [
        "sam@acme.example",
        "ada@acme.example",
    ]
    release = catalog.skill("release-notes")
    assert release is not None
    assert len(explorer.who_can_read(catalog, release, people)) == len(people)
