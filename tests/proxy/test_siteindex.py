"""The website's index as the proxy answers it: a search, paged, with why each hit matched; the
header and error pages every person sees."""

from __future__ import annotations

import re

from proxy.served import Served
from proxy.test_access_matrix import sign_in


def cards(html: str) -> list[str]:
    return re.findall(r'<li class="card" data-name="([^"]+)"', html)


def test_the_index_answers_a_search_with_why_each_skill_matched(served: Served) -> None:
    sign_in(served, "anyone")
    page = served.client.get("/?q=delimiter").text
    assert cards(page) == ["csv-profiler"]
    assert "In SKILL.md: " in page and "<mark>delimiter</mark>" in page.lower()
    assert re.findall(r'<li data-plugin="([^"]+)"', page) == ["data-tools"]  # the plugins follow the search
    assert 'value="delimiter"' in page  # the form shows what was asked
    part = served.client.get("/?q=delimiter&part=results").text
    assert part.startswith('<div id="results">') and "<form" not in part and cards(part) == ["csv-profiler"]
    empty = served.client.get("/?q=zzzznothing&surface=desktop").text
    assert cards(empty) == [] and "No skill matches “zzzznothing” with these filters." in empty
    assert 'href="/">Reset search and filters</a>' in empty
    assert cards(served.client.get("/?page=99").text) == cards(served.client.get("/").text)  # the last page


def test_the_header_links_admin_for_admins_only_and_the_version_is_theirs(served: Served) -> None:
    sign_in(served, "anyone")
    for path in ("/", "/skills/csv-profiler.html", "/tokens"):
        text = served.client.get(path).text
        assert 'href="/tokens"' in text and 'href="/oauth/apps"' in text and 'href="/admin"' not in text, path
        assert "Catalog 1 ·" not in text
    served.client.cookies.clear()
    sign_in(served, "admin")
    for path in ("/", "/skills/csv-profiler.html", "/tokens", "/admin"):
        assert '<a href="/admin"' in served.client.get(path).text, path
    assert "Catalog 1 · published" in served.client.get("/tokens").text


def test_error_pages_offer_the_way_home_and_sign_out_says_so(served: Served) -> None:
    missing = served.client.get(
        "/skills/nothing.html", headers={"Accept": "text/html"}, follow_redirects=False
    )
    assert missing.status_code == 303  # not signed in: to the sign-in page first
    sign_in(served, "anyone")
    missing = served.client.get("/skills/nothing.html", headers={"Accept": "text/html"})
    assert missing.status_code == 404 and 'href="/">Back to the catalog</a>' in missing.text
    hidden = served.client.get("/admin", headers={"Accept": "text/html"})  # admins only: as if missing
    assert hidden.status_code == 404 and hidden.text == missing.text.replace("/skills/nothing.html", "/admin")
    csrf = re.search(r'name="csrf" value="([^"]+)"', served.client.get("/logout").text)
    assert csrf
    out = served.client.post("/logout", data={"csrf": csrf[1]}, follow_redirects=False)
    assert out.headers["location"] == "/login?signed_out=1"
    assert "You are signed out." in served.client.get(out.headers["location"]).text
    assert "You are signed out." not in served.client.get("/login").text
