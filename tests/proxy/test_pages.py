"""Sign-in, sessions, CSRF, the tokens page, the admin page and the CLI's loopback sign-in."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import parse_qs, urlsplit

from proxy.served import PEOPLE, Served
from proxy.test_access_matrix import sign_in


def csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found[1]


def test_dev_sign_in_requires_the_forms_csrf_secret(served: Served) -> None:
    served.client.get("/login")
    response = served.client.post("/login/dev", data={"email": "ann@acme.example", "csrf": "forged"})
    assert response.status_code == 403
    assert served.client.get("/tokens", follow_redirects=False).status_code == 303


def test_sign_in_returns_to_the_page_asked_for_but_never_off_site(served: Served) -> None:
    page = served.client.get("/login?next=/skills/release-notes.html").text
    response = served.client.post(
        "/login/dev",
        data={"email": "ann@acme.example", "csrf": csrf(page), "next": "/skills/release-notes.html"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/skills/release-notes.html"
    served.client.cookies.clear()
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        page = served.client.get("/login").text
        response = served.client.post(
            "/login/dev",
            data={"email": "ann@acme.example", "csrf": csrf(page), "next": evil},
            follow_redirects=False,
        )
        assert response.headers["location"] == "/"


def test_session_cookie_is_httponly_and_samesite(served: Served) -> None:
    response = served.client.get("/login")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_tokens_page_creates_shows_once_and_revokes(served: Served) -> None:
    sign_in(served, "sre")
    page = served.client.get("/tokens").text
    created = served.client.post("/tokens", data={"csrf": csrf(page), "name": "laptop"})
    secret = re.search(r'<code class="secret">(sp_[^<]+)</code>', created.text)
    assert secret
    headers = {"Authorization": f"Bearer {secret[1]}"}
    listed = served.client.get("/api/skills", headers=headers).json()
    assert "incident-postmortem" in {
        s["name"] for s in listed["skills"]
    }  # the token keeps the session's groups
    again = served.client.get("/tokens").text
    assert secret[1] not in again and "laptop" in again
    token_id = secret[1].split("_")[1]
    assert served.client.post(f"/tokens/{token_id}/revoke", data={"csrf": "x"}).status_code == 403
    served.client.post(f"/tokens/{token_id}/revoke", data={"csrf": csrf(again)})
    assert served.client.get("/api/skills", headers=headers).status_code == 401
    events = [e["event"] for e in served.state.audit_tail(20)]
    assert "token.create" in events and "token.revoke" in events


def test_nobody_revokes_another_persons_token(served: Served) -> None:
    victim = served.state.tokens("ann@acme.example")[0]
    sign_in(served, "sre")
    page = served.client.get("/tokens").text
    response = served.client.post(f"/tokens/{victim.id}/revoke", data={"csrf": csrf(page)})
    assert response.status_code == 404
    assert served.get("anyone", "/api/skills").status_code == 200


def test_admin_page_is_for_admins_and_shows_counts_and_events(served: Served) -> None:
    served.get("anyone", "/bundles/bundles/release-notes/1.0.0/release-notes-1.0.0.zip")
    sign_in(served, "anyone")
    assert served.client.get("/admin").status_code == 404  # the answer a missing page gets
    served.client.cookies.clear()
    sign_in(served, "admin")
    page = served.client.get("/admin")
    assert page.status_code == 200
    assert "release-notes" in page.text and "download" in page.text
    assert served.state.download_counts()[("release-notes", "1.0.0")] == 1


def test_audit_has_a_line_for_each_kind_of_action(served: Served) -> None:
    sign_in(served, "admin")
    served.get("anyone", "/api/skills")
    served.get("anyone", "/api/skills/release-notes")
    served.post("anyone", "/api/skills/release-notes/link")
    served.get("anyone", "/bundles/bundles/release-notes/1.0.0/release-notes-1.0.0.zip")
    served.client.get("/admin")
    events = {e["event"] for e in served.state.audit_tail(100)}
    assert {"signin", "list", "read", "link", "download", "token.create", "admin.view"} <= events


def test_sign_out_needs_the_form(served: Served) -> None:
    sign_in(served, "anyone")
    page = served.client.get("/logout").text
    assert served.client.post("/logout", data={"csrf": "x"}).status_code == 403
    served.client.post("/logout", data={"csrf": csrf(page)})
    assert served.client.get("/tokens", follow_redirects=False).status_code == 303


def pkce() -> tuple[str, str]:
    verifier = base64.urlsafe_b64encode(b"v" * 40).rstrip(b"=").decode()
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def test_cli_loopback_sign_in_hands_a_token_to_the_verifier_holder_only(served: Served) -> None:
    verifier, challenge = pkce()
    state = "s" * 20
    url = f"/cli/login?port=45678&state={state}&challenge={challenge}"
    assert served.client.get(url, follow_redirects=False).headers["location"].startswith("/login?next=")
    sign_in(served, "engineer")
    page = served.client.get(url).text
    link = re.search(r'href="(http://127\.0\.0\.1:45678/callback\?[^"]+)"', page)
    assert link
    query = parse_qs(urlsplit(link[1].replace("&amp;", "&")).query)
    assert query["state"] == [state]
    code = query["code"][0]
    assert served.client.post("/api/cli/token", json={"code": code, "verifier": "wrong"}).status_code == 400
    # A failed attempt used the code up.
    assert served.client.post("/api/cli/token", json={"code": code, "verifier": verifier}).status_code == 400
    page = served.client.get(url).text
    code = parse_qs(urlsplit(re.search(r'href="([^"]+callback[^"]+)"', page)[1].replace("&amp;", "&")).query)[
        "code"
    ][0]  # type: ignore[index]
    issued = served.client.post(
        "/api/cli/token", json={"code": code, "verifier": verifier, "host": "laptop"}
    ).json()
    assert issued["user"] == PEOPLE["engineer"][0]
    listed = served.client.get("/api/skills", headers={"Authorization": f"Bearer {issued['token']}"}).json()
    assert "decision-record" in {s["name"] for s in listed["skills"]}


def test_cli_sign_in_links_only_to_loopback_ports(served: Served) -> None:
    sign_in(served, "anyone")
    _, challenge = pkce()
    for bad in (
        "port=80",
        "port=abc",
        "port=45678&state=short",
        "port=45678&state=" + "s" * 20 + "&challenge=x",
    ):
        query = bad if "challenge" in bad else f"{bad}&challenge={challenge}"
        if "state" not in query:
            query += "&state=" + "s" * 20
        assert served.client.get(f"/cli/login?{query}").status_code == 400, bad


def test_a_skill_page_is_rendered_once_for_every_audience_that_may_read_it(served: Served) -> None:
    sites = served.client.app.state.sites.root  # type: ignore[attr-defined]
    pages = {}
    for who in ("anyone", "engineer"):
        served.client.cookies.clear()
        sign_in(served, who)
        assert served.client.get("/").status_code == 200
        pages[who] = served.client.get("/skills/csv-profiler.html")
        assert pages[who].status_code == 200 and "csv-profiler" in pages[who].text
    assert pages["anyone"].text == pages["engineer"].text
    assert [p.name for p in sites.iterdir() if not p.name.startswith(".")] == [
        "skills"
    ]  # no audience has a folder of its own: the index is a search answer
    shared = [p.name for p in sites.glob("skills/*.html")]
    assert len(shared) == 1 and shared[0].startswith("csv-profiler-")
    served.client.cookies.clear()
    sign_in(served, "anyone")  # a skill this audience may not read: its shared page is not theirs
    hidden = served.client.get("/skills/incident-postmortem.html")
    missing = served.client.get("/skills/no-such-skill.html")
    assert hidden.status_code == missing.status_code == 404 and hidden.text == missing.text
