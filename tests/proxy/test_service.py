"""The serving core without HTTP: who may download which bundle, by link, token or session."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from proxy.served import PEOPLE, config

from skillport_build.errors import Refused
from skillport_build.models.access import Identity
from skillport_build.models.api import SearchResult, SkillSummary
from skillport_build.models.catalog import Deprecation
from skillport_build.proxy.bundles import BundleCache
from skillport_build.proxy.identity import Caller
from skillport_build.proxy.links import LinkSigner
from skillport_build.proxy.live import LiveCatalog
from skillport_build.proxy.search import Filters
from skillport_build.proxy.service import Proxy
from skillport_build.proxy.state import State
from skillport_build.stores import LocalStore
from skillport_build.trust.keys import load_public_keys


@pytest.fixture
def proxy(published: tuple[Path, LocalStore, Path], tmp_path: Path) -> Iterator[Proxy]:
    _, store, public = published
    settings = config(tmp_path, store, public)
    state = State(settings.db)
    waits: dict[str, float] = {}
    core = Proxy(
        settings,
        LiveCatalog(store, load_public_keys(settings.keys)),
        state,
        BundleCache(store, 0),  # nothing kept in memory: every read goes to the store
        LinkSigner(b"test secret"),
        lambda key: waits.get(key, 0.0),
    )
    core.waits = waits  # type: ignore[attr-defined]
    assert core.refresh()
    yield core
    state.close()


def caller(who: str) -> Caller:
    email, groups = PEOPLE[who]
    return Caller(Identity(email, frozenset(groups)), "token", "tok1")


def path_of(proxy: Proxy, skill: str) -> str:
    return next(s.bundle.path for s in proxy.indexed().catalog.skills if s.name == skill)


def link_params(proxy: Proxy, skill: str, who: str) -> dict[str, str]:
    view = proxy.view(caller(who).identity)
    record = view.skill(skill)
    assert record is not None
    return dict(parse_qsl(urlsplit(proxy.link(view, record, caller(who).email).url).query))


def refused(action: object) -> Refused:
    with pytest.raises(Refused) as caught:
        action()  # type: ignore[operator]
    return caught.value


def test_a_caller_downloads_what_their_view_holds(proxy: Proxy) -> None:
    path = path_of(proxy, "incident-postmortem")
    allowed = proxy.allow_download(path, {}, caller("sre"))
    assert (allowed.ref.name, allowed.user) == ("incident-postmortem", PEOPLE["sre"][0])
    data = proxy.read_download(allowed)
    proxy.record_download(allowed)
    assert len(data) == allowed.ref.bundle.size
    assert proxy.state.audit_tail(1)[0]["event"] == "download"


def test_hidden_and_missing_bundles_are_refused_alike(proxy: Proxy) -> None:
    hidden = refused(
        lambda: proxy.allow_download(path_of(proxy, "incident-postmortem"), {}, caller("anyone"))
    )
    missing = refused(lambda: proxy.allow_download("bundles/nope/1.0.0/nope-1.0.0.zip", {}, caller("anyone")))
    assert (hidden.status, str(hidden)) == (missing.status, str(missing)) == (404, "no such bundle")


def test_no_credential_is_told_how_to_get_one(proxy: Proxy) -> None:
    problem = refused(lambda: proxy.allow_download(path_of(proxy, "release-notes"), {}, None))
    assert problem.status == 401 and problem.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_signed_link_needs_no_caller_but_must_be_theirs_and_intact(proxy: Proxy) -> None:
    path = path_of(proxy, "incident-postmortem")
    params = link_params(proxy, "incident-postmortem", "sre")
    assert proxy.allow_download(path, params, None).user == PEOPLE["sre"][0]
    assert refused(lambda: proxy.allow_download(path, params, caller("admin"))).status == 403
    forged = {**params, "s": params["s"][:-1] + ("A" if params["s"][-1] != "A" else "B")}
    assert refused(lambda: proxy.allow_download(path, forged, None)).status == 403
    other = path_of(proxy, "release-notes")
    assert refused(lambda: proxy.allow_download(other, params, None)).status == 403
    assert proxy.state.audit_tail(1)[0] | {"at": None} == {
        "at": None,
        "event": "download.refused",
        "actor": None,
        "path": other,
        "reason": "bad link",
    }


def test_a_caller_over_their_rate_is_told_when_to_come_back(proxy: Proxy) -> None:
    who = caller("sre")
    proxy.waits[who.rate_key] = 2.4  # type: ignore[attr-defined]
    problem = refused(lambda: proxy.allow_download(path_of(proxy, "release-notes"), {}, who))
    assert (problem.status, problem.headers) == (429, {"Retry-After": "2"})


def test_bytes_that_differ_from_the_catalog_are_not_served(proxy: Proxy, tmp_path: Path) -> None:
    path = path_of(proxy, "release-notes")
    allowed = proxy.allow_download(path, {}, caller("anyone"))
    store = proxy.bundles.store
    assert isinstance(store, LocalStore)
    original = (store.root / path).read_bytes()
    (store.root / path).write_bytes(original + b"x")
    try:
        problem = refused(lambda: proxy.read_download(allowed))
    finally:
        (store.root / path).write_bytes(original)
    assert problem.status == 502
    assert proxy.state.audit_tail(1)[0]["event"] == "download.refused"


@pytest.mark.parametrize("query", ["", "review", "incident", "re", "zebra"])
def test_the_list_answer_joined_from_summary_bytes_is_the_models_dump(proxy: Proxy, query: str) -> None:
    view = proxy.view(caller("admin").identity)
    total, summaries = proxy.search(view, query, Filters(), 0, 3)
    _, parts = proxy.search_json(view, query, Filters(), 0, 3)
    for cursor in (None, "eyJhIjoxfQ"):
        made = SearchResult(
            catalog_version=7, count=len(summaries), total=total, skills=summaries, next=cursor
        )
        assert SearchResult.joined(7, total, parts, cursor) == made.dump_json()


@pytest.mark.parametrize("score", [0.0, 0.01, 1.5, 50.0, 123.45, 98765.43])
def test_a_summarys_bytes_with_a_score_are_its_dump(proxy: Proxy, score: float) -> None:
    skill = proxy.indexed().catalog.skills[0]
    assert proxy.summary_json(skill, score) == proxy.summary(skill, score).dump_json()
    assert proxy.summary_json(skill) == proxy.summary(skill).dump_json()
    assert json.loads(proxy.summary_json(skill, score))["score"] == score


def test_a_summarys_bytes_are_what_the_model_writes_for_any_text(proxy: Proxy) -> None:
    skill = proxy.indexed().catalog.skills[0]
    odd = skill.model_copy(
        update={
            "description": 'Quotes " and \\ slashes, é, 漢字, tabs\t, a bell \u0007, </script>, \u2028',
            "deprecated": Deprecation(reason="use the new one", replacement=None),
            "category": None,
            "tags": ("ünïcode", "two words"),
        }
    )
    summary = proxy.summary_json(odd, 12.5)
    fields = json.loads(summary)
    assert SkillSummary(**fields).dump_json() == summary
    assert fields["description"] == odd.description
