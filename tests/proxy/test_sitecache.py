"""Skill pages on disk: named by what they show, so a new catalog that changed other skills serves
the page rendered before, and a changed or removed skill's old page goes."""

from __future__ import annotations

from pathlib import Path

from skillport_build.models.catalog import Bundle, Catalog
from skillport_build.proxy.sitecache import SiteCache
from skillport_build.stores import LocalStore, current_catalog


def _catalog(published: tuple[Path, LocalStore, Path]) -> tuple[Catalog, SiteCache, list[Bundle]]:
    catalog = current_catalog(published[1])
    assert catalog is not None and len(catalog.skills) >= 3
    read: list[Bundle] = []

    def reader(bundle: Bundle) -> bytes:
        read.append(bundle)
        data = published[1].get(bundle.path)
        assert data is not None
        return data

    return catalog, SiteCache(published[0] / "sitecache-test", reader), read


def test_a_skill_page_outlives_a_catalog_that_changed_other_skills(
    published: tuple[Path, LocalStore, Path],
) -> None:
    catalog, sites, read = _catalog(published)
    first, second, third = catalog.skills[:3]
    page = sites.skill_page(catalog, first)
    assert page.is_file() and len(read) == 1
    changed = second.model_copy(update={"description": "Changed in the next catalog."})
    skills = tuple(changed if s is second else s for s in catalog.skills if s is not third)
    after = catalog.model_copy(update={"catalog_version": catalog.catalog_version + 1, "skills": skills})
    old_second = sites.skill_page(catalog, second)
    assert sites.skill_page(after, first) == page and len(read) == 2  # served as rendered
    sites.skill_page(catalog, third)
    new_second = sites.skill_page(after, changed)
    assert new_second != old_second and not old_second.exists()  # the changed skill's old page went
    assert changed.description in new_second.read_text()
    assert not any(p.name.startswith(f"{third.slug}-") for p in page.parent.iterdir())  # removed skill
