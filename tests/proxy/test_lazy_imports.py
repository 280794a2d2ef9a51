"""What the proxy imports only when a request needs it: authlib at the first sign-in."""

from __future__ import annotations

import subprocess
import sys

from proxy.served import Served


def test_starting_the_proxy_does_not_import_authlib() -> None:
    code = (
        "import sys, skillport_build.proxy.app\n"
        "late = sorted(m for m in sys.modules if m.split('.')[0] in ('authlib', 'joserfc'))\n"
        "print(late)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_providers_are_made_at_the_first_sign_in(served: Served) -> None:
    providers = served.client.app.state.oauth  # type: ignore[attr-defined]
    assert providers._oauth is None  # nothing signed in yet
    answer = served.client.get("/login/github", follow_redirects=False)
    assert answer.status_code == 404  # not configured here: still refused, as before
    assert providers._oauth is not None
    assert providers.create_client("github") is None
