"""The Claude Code settings fragment: a `url` marketplace whose headersHelper is `skillport auth-header`."""

from __future__ import annotations

import pytest

from skillport_build.client.claude_settings import MANAGED_FILES, USER_FILE, marketplace_settings
from skillport_build.errors import ClientError


def test_a_person_and_an_admin_get_the_same_declaration_for_different_files() -> None:
    person = marketplace_settings("acme-skills", "https://skills.acme.example/")
    admin = marketplace_settings("acme-skills", "https://skills.acme.example", managed=True)
    assert (
        person.settings
        == admin.settings
        == {
            "extraKnownMarketplaces": {
                "acme-skills": {
                    "source": {
                        "source": "url",
                        "url": "https://skills.acme.example/claude-code/marketplace.json",
                        "headersHelper": "skillport auth-header https://skills.acme.example",
                    },
                    "autoUpdate": True,
                }
            }
        }
    )
    assert person.files == (USER_FILE,)
    assert admin.files == MANAGED_FILES


def test_a_proxy_without_https_is_refused_with_the_other_route() -> None:
    with pytest.raises(ClientError) as refused:
        marketplace_settings("acme-skills", "http://127.0.0.1:8000")
    assert str(refused.value) == (
        "http://127.0.0.1:8000 is not an https address: Claude Code downloads plugin archives only over "
        "https from a host that is not loopback, so it cannot install from this proxy directly; use "
        "`skillport claude-code sync` instead"
    )


def test_an_address_claude_code_would_not_run_as_a_helper_is_refused() -> None:
    with pytest.raises(ClientError, match="printable ASCII"):
        marketplace_settings("acme-skills", "https://skills.acme.example/" + "x" * 200)
    with pytest.raises(ClientError, match="printable ASCII"):
        marketplace_settings("acme-skills", "https://skïlls.example")
