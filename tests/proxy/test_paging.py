"""GET /api/skills pages: a default and a largest limit, a cursor to the next page, and 400 for a
cursor that is malformed, made for another query, or names a catalog no longer served."""

from __future__ import annotations

import pytest
from proxy.served import ALL_SKILLS, SEES, Served

from skillport_build.proxy import paging


def follow(served: Served, who: str, url: str) -> list[dict]:
    """Every page of a list, following `next`."""
    pages = [served.get(who, url).json()]
    while pages[-1]["next"]:
        joiner = "&" if "?" in url else "?"
        pages.append(served.get(who, f"{url}{joiner}cursor={pages[-1]['next']}").json())
    return pages


def test_a_list_is_one_page_of_at_most_the_default_limit(served: Served) -> None:
    answer = served.get("admin", "/api/skills").json()
    assert (answer["count"], answer["total"], answer["next"]) == (len(ALL_SKILLS), len(ALL_SKILLS), None)
    assert paging.DEFAULT_LIMIT == 50 and paging.MAX_LIMIT == 200


@pytest.mark.parametrize("url", ["/api/skills?limit=2", "/api/skills?q=the&limit=1", "/api/skills?limit=5"])
def test_following_the_cursor_gives_the_whole_list_once_in_order(served: Served, url: str) -> None:
    pages = follow(served, "admin", url)
    joined = [s["name"] for page in pages for s in page["skills"]]
    whole = served.get("admin", url.replace("limit=", "was=") + "&limit=200").json()
    assert joined == [s["name"] for s in whole["skills"]]
    assert len(joined) == len(set(joined)) == whole["total"] == pages[0]["total"]
    assert all(page["total"] == whole["total"] for page in pages)


def test_pages_never_name_a_hidden_skill_nor_count_it(served: Served) -> None:
    pages = follow(served, "anyone", "/api/skills?limit=1")
    assert {s["name"] for page in pages for s in page["skills"]} == SEES["anyone"]
    assert {page["total"] for page in pages} == {len(SEES["anyone"])}


@pytest.mark.parametrize("limit", ["0", "201", "ten", "-1", "1.5"])
def test_a_limit_out_of_range_is_refused(served: Served, limit: str) -> None:
    response = served.get("anyone", f"/api/skills?limit={limit}")
    assert response.status_code == 400
    assert response.json()["error"] == "limit must be a whole number from 1 to 200"


def test_a_cursor_for_another_query_or_catalog_or_garbage_is_refused(served: Served) -> None:
    cursor = served.get("admin", "/api/skills?limit=2").json()["next"]
    version = served.get("admin", "/api/skills").json()["catalog_version"]
    assert served.get("admin", f"/api/skills?limit=2&cursor={cursor}").status_code == 200
    other_query = served.get("admin", f"/api/skills?q=csv&limit=2&cursor={cursor}")
    assert (other_query.status_code, other_query.json()["error"]) == (
        400,
        "the cursor was made for another query or filters; start again without it",
    )
    older = paging.cursor(version - 1, "\nFilters(surface=None, category=None, tag=None, plugin=None)", 2)
    moved = served.get("admin", f"/api/skills?limit=2&cursor={older}")
    assert (moved.status_code, moved.json()["error"]) == (
        400,
        f"the cursor is for catalog {version - 1}, but catalog {version} is served now; "
        "start again from the first page",
    )
    for garbage in ("nope", "W10", "WyJhIiwxLCJ4Il0", "%00"):
        refused = served.get("admin", f"/api/skills?cursor={garbage}")
        assert refused.status_code == 400, garbage
        assert refused.json()["error"] == "the cursor is not one this proxy made; start again without it"
