from __future__ import annotations

import pytest
from pydantic import ValidationError

from skillport_build.models.access import AccessPolicy, Identity, check_principal, from_legacy_json

ALICE = Identity("alice@example.com", frozenset({"sre"}), frozenset({"google:111"}))
BOB = Identity("bob@other.org")


@pytest.mark.parametrize(
    "principal",
    ["*", "user:alice@example.com", "domain:example.com", "group:sre", "group:eng/platform", "google:1142"],
)
def test_well_formed_principals(principal: str) -> None:
    assert check_principal(principal) == principal


@pytest.mark.parametrize(
    "principal", ["alice@example.com", "user:alice", "domain:localhost", "group:", "team:x", "**"]
)
def test_malformed_principals_fail_closed(principal: str) -> None:
    with pytest.raises(ValueError, match="not well-formed"):
        AccessPolicy.model_validate({"defaults": {"read": [principal]}})


def test_most_specific_rule_wins_and_admins_always_read() -> None:
    policy = AccessPolicy.model_validate(
        {
            "defaults": {"read": ["*"]},
            "plugins": {"ops": {"read": ["group:sre"]}},
            "skills": {"postmortem": {"read": ["user:bob@other.org"]}},
            "admins": ["user:root@example.com"],
        }
    )
    assert policy.readers("writing") == ("*", "user:root@example.com")
    assert policy.readers("ops", "runbook") == ("group:sre", "user:root@example.com")
    assert policy.readers("ops", "postmortem") == ("user:bob@other.org", "user:root@example.com")
    assert ALICE.matches(policy.readers("ops", "runbook"))
    assert not BOB.matches(policy.readers("ops", "runbook"))
    assert BOB.matches(policy.readers("ops", "postmortem"))
    assert not ALICE.matches(policy.readers("ops", "postmortem"))


def test_no_defaults_means_nobody_but_admins() -> None:
    policy = AccessPolicy.model_validate({"admins": ["group:platform"]})
    assert policy.readers("anything") == ("group:platform",)
    assert not BOB.matches(policy.readers("anything"))


def test_writers_fall_back_to_editors() -> None:
    policy = AccessPolicy.model_validate(
        {"editors": ["group:sre"], "plugins": {"ops": {"write": ["user:bob@other.org"]}}}
    )
    assert policy.writers("writing") == ("group:sre",)
    assert policy.writers("ops") == ("user:bob@other.org",)


def test_identity_matching_is_case_insensitive_for_emails_and_domains() -> None:
    carol = Identity("Carol@Example.COM")
    assert carol.matches(["user:carol@example.com"])
    assert carol.matches(["domain:EXAMPLE.com"])
    assert not carol.matches(["group:carol@example.com"])


def test_a_domain_principal_names_that_domain_only_not_one_ending_like_it() -> None:
    assert not Identity("mallory@notexample.com").matches(["domain:example.com"])
    assert not Identity("mallory@evil.example.com").matches(["domain:example.com"])
    assert not Identity("example.com@evil.org").matches(["domain:example.com"])


def test_reference_access_json_migrates_unchanged() -> None:
    legacy = {
        "$schema": "https://skillport.dev/schemas/access.json",
        "version": "1.0",
        "editors": [{"id": "google:111", "label": "alice@example.com"}],
        "skills": {"secret-sauce": {"read": [{"id": "google:111", "label": "alice"}]}, "open": {"read": "*"}},
        "defaults": {"read": "*", "write": "editors"},
    }
    policy = AccessPolicy.model_validate(from_legacy_json(legacy))
    assert policy.editors == ("google:111",)
    assert policy.readers("any", "secret-sauce") == ("google:111",)
    assert policy.readers("any", "open") == ("*",)
    assert policy.writers("any") == ("google:111",)
    assert ALICE.matches(policy.readers("any", "secret-sauce"))
    assert not BOB.matches(policy.readers("any", "secret-sauce"))


def test_unknown_keys_are_refused() -> None:
    with pytest.raises(ValidationError):
        AccessPolicy.model_validate({"default": {"read": ["*"]}})
