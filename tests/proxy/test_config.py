"""Settings from a file, the environment and flags; refusals for unsafe or broken settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from skillport_build.errors import ConfigError, UsageError
from skillport_build.proxy.config import is_loopback, load_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "skillport.yaml"
    path.write_text(text)
    return path


def test_file_then_environment_then_flags(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "store: /srv/store\nkeys: [a.pub]\nport: 9000\noidc:\n  issuer: https://idp.example\n"
        "  client_id: skillport\n  client_secret: from-file\nallowed_domains: ['@Acme.example']\n",
    )
    env = {
        "SKILLPORT_PORT": "9100",
        "SKILLPORT_OIDC_CLIENT_SECRET": "from-env",
        "SKILLPORT_KEYS": "b.pub, c.pub",
    }
    config = load_config(path, env, {"port": 9200, "host": None})
    assert config.port == 9200
    assert config.keys == (Path("b.pub"), Path("c.pub"))
    assert (
        config.oidc is not None
        and config.oidc.client_secret == "from-env"
        and config.oidc.client_id == "skillport"
    )
    assert config.allowed_domains == ("acme.example",)
    assert config.db == str(tmp_path / "skillport.db")  # next to the config file
    assert "from-env" not in repr(config)


def test_dev_sign_in_only_on_loopback(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="loopback"):
        load_config(None, {}, {"store": "s", "keys": ("k",), "dev": True, "host": "0.0.0.0"})
    assert load_config(None, {}, {"store": "s", "keys": ("k",), "dev": True, "host": "::1"}).dev
    assert is_loopback("localhost") and is_loopback("127.0.0.2") and not is_loopback("example.org")


def test_no_sign_in_configured_is_refused() -> None:
    with pytest.raises(UsageError, match="no sign-in is configured"):
        load_config(None, {}, {"store": "s", "keys": ("k",)})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("store: [1\n", "not valid YAML"),
        ("- a\n", "must hold a mapping"),
        ("store: s\nkeys: [k]\ndev: true\nport: 99999\n", "port"),
        ("store: s\nkeys: [k]\ndev: true\nsurprise: 1\n", "surprise"),
    ],
)
def test_bad_files_say_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, text), {})


def test_base_url_and_cookie_security(tmp_path: Path) -> None:
    plain = load_config(None, {}, {"store": "s", "keys": ("k",), "dev": True, "port": 8123})
    assert plain.base_url == "http://127.0.0.1:8123" and not plain.secure_cookies
    public = load_config(
        None,
        {"SKILLPORT_PUBLIC_URL": "https://skills.acme.example/"},
        {"store": "s", "keys": ("k",), "dev": True},
    )
    assert public.base_url == "https://skills.acme.example" and public.secure_cookies


def test_listening_beyond_loopback_needs_the_public_url() -> None:
    with pytest.raises(UsageError, match="set public_url"):
        load_config(
            None,
            {},
            {
                "store": "s",
                "keys": ("k",),
                "host": "0.0.0.0",
                "github": {"client_id": "a", "client_secret": "b", "org": "acme"},
            },
        )
    config = load_config(
        None,
        {"SKILLPORT_PUBLIC_URL": "https://skills.acme.example"},
        {
            "store": "s",
            "keys": ("k",),
            "host": "0.0.0.0",
            "github": {"client_id": "a", "client_secret": "b", "org": "acme"},
        },
    )
    assert config.base_url == "https://skills.acme.example"


def test_connector_settings_from_the_file_and_the_environment(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "store: s\nkeys: [k]\ndev: true\nmcp_access_ttl: 900\npropose:\n  repository: acme/skills\n",
    )
    env = {
        "SKILLPORT_PROPOSE_TOKEN": "ghs_secret_value",
        "SKILLPORT_MCP_ORIGINS": "https://a.example, https://b.example",
        "SKILLPORT_MCP_REFRESH_TTL": "3600",
    }
    config = load_config(path, env)
    assert (config.mcp_access_ttl, config.mcp_refresh_ttl) == (900, 3600)
    assert config.mcp_origins == ("https://a.example", "https://b.example")
    assert config.propose is not None and config.propose.repository == "acme/skills"
    assert config.propose.token == "ghs_secret_value" and "ghs_secret_value" not in repr(config)
    with pytest.raises(ConfigError, match="propose"):
        load_config(write(tmp_path, "store: s\nkeys: [k]\ndev: true\npropose:\n  repository: a/b\n"), {})


def test_https_needs_the_certificate_and_its_key() -> None:
    served = {"store": "s", "keys": ("k",), "dev": True, "port": 8443}
    for half in ({"tls_cert": "cert.pem"}, {"tls_key": "key.pem"}):
        with pytest.raises(UsageError) as refused:
            load_config(None, {}, served | half)
        assert str(refused.value) == (
            "https needs both a certificate and its private key: give --tls-cert and --tls-key "
            "(tls_cert and tls_key in the config file), or neither"
        )
    both = load_config(None, {"SKILLPORT_TLS_KEY": "key.pem"}, served | {"tls_cert": "cert.pem"})
    assert (both.base_url, both.secure_cookies) == ("https://127.0.0.1:8443", True)
    assert "key.pem" not in repr(both)


def test_replica_settings_from_the_file_and_the_environment(tmp_path: Path) -> None:
    path = write(
        tmp_path, "store: s\nkeys: [a.pub]\ndev: true\ndb: postgresql+psycopg://skillport@db/skillport\n"
    )
    env = {
        "SKILLPORT_NOTIFY_SECRET": "s3cret-notify",
        "SKILLPORT_WORKERS": "4",
        "SKILLPORT_DB_UPGRADE": "false",
    }
    config = load_config(path, env)
    assert config.db == "postgresql+psycopg://skillport@db/skillport"  # a URL is kept as given
    assert (config.workers, config.db_upgrade, config.notify_secret) == (4, False, "s3cret-notify")
    assert "s3cret-notify" not in repr(config)
    with pytest.raises(ConfigError, match="workers: Input should be less than or equal to 64"):
        load_config(path, {"SKILLPORT_WORKERS": "65"})
