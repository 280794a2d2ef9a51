"""The checks every route starts with: who is calling (or refuse), and whether they are over their
rate. Routes get a `Caller` or an HTTP error; nothing is served to nobody."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.requests import Request

from skillport_build.proxy.identity import Caller, bearer, from_session, from_token, token_in_query
from skillport_build.proxy.service import BEARER_CHALLENGE, Proxy
from skillport_build.proxy.state import State

SWEEP_SECONDS = 60.0  # how often a shared limiter forgets callers whose allowance is full again
LEASE_SECONDS = 1.0  # a leased request not sent within this is lost (never carried further)
LEASE_MOST = 32  # requests leased at once at most (and a quarter of the burst at most)


@dataclass
class _Lease:
    """Requests this process took from a shared allowance and has not spent yet."""

    left: int
    until: float  # monotonic time the lease ends (or, when refused, the refusal)
    size: int  # how many it took; the next lease doubles it when this one was spent in time
    refused: bool = False


class RateLimiter:
    """A token bucket per caller: `rate` requests a second, `burst` at once. With `shared`, the
    buckets live in the database, so a person's rate is one across every worker and replica;
    without, in this process (for limits that only guard this process).

    A shared limiter leases requests from the database a few at a time (one round trip per lease,
    1 at first, doubling while they are spent within LEASE_SECONDS, at most `lease_most`), and
    remembers a refusal until the wait the database named is over. Every request sent was taken from
    the shared bucket, so in any t seconds a person gets at most burst + rate * (t + LEASE_SECONDS);
    requests a process leased and did not send in time are lost, so one who keeps asking gets at least
    burst + rate * t - processes * (lease_most - 1)."""

    def __init__(
        self,
        rate: float,
        burst: int,
        now: Callable[[], float] = time.monotonic,
        shared: State | None = None,
    ) -> None:
        self.rate, self.burst, self.now, self.shared = rate, burst, now, shared
        self.lease_most = max(1, min(LEASE_MOST, burst // 4))
        self._buckets: dict[str, tuple[float, float]] = {}
        self._leases: dict[str, _Lease] = {}
        self._lock = threading.Lock()
        self._swept = time.monotonic()

    def allow(self, key: str) -> float:
        """0 when the request may go ahead, else the seconds to wait."""
        if self.shared is not None:
            return self._leased(key, self.shared)
        now = self.now()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens < 1:
                self._buckets[key] = (tokens, now)
                return (1 - tokens) / self.rate
            self._buckets[key] = (tokens - 1, now)
            if len(self._buckets) > 100_000:
                self._buckets.clear()  # bounded memory; a reset only forgives
            return 0.0

    def _leased(self, key: str, shared: State) -> float:
        now = self.now()
        with self._lock:
            lease = self._leases.get(key)
            if lease is not None and lease.until > now:
                if lease.refused:
                    return lease.until - now
                if lease.left > 0:
                    lease.left -= 1
                    return 0.0
            spent = lease is not None and not lease.refused and lease.until > now
            size = min(self.lease_most, lease.size * 2) if lease is not None and spent else 1
        if time.monotonic() - self._swept > SWEEP_SECONDS:
            self._swept = time.monotonic()
            shared.sweep_rates()
        taken, wait = shared.take_rate(key, self.rate, self.burst, size)
        with self._lock:
            if len(self._leases) > 100_000:
                self._leases.clear()  # bounded memory; what is dropped was leased, so it only forgives
            if not taken:
                self._leases[key] = _Lease(0, now + wait, 1, refused=True)
                return wait
            self._leases[key] = _Lease(taken - 1, now + LEASE_SECONDS, taken)
            return 0.0


class AuditThrottle:
    """At most `burst` audit rows per key (an event and a client address) each `window` seconds: a
    flood of refusals becomes a few rows a minute, the first of each minute saying how many were held
    back before it, instead of pushing every real event off /admin."""

    def __init__(
        self, burst: int = 10, window: float = 60.0, now: Callable[[], float] = time.monotonic
    ) -> None:
        self.burst, self.window, self.now = burst, window, now
        self._seen: dict[str, tuple[float, int, int]] = {}  # key -> window start, rows written, held
        self._lock = threading.Lock()

    def take(self, key: str) -> int | None:
        """None when this row is held back, else how many were held back before it."""
        now = self.now()
        with self._lock:
            start, written, held = self._seen.get(key, (now, 0, 0))
            if now - start >= self.window:
                start, written = now, 0
            if written >= self.burst:
                self._seen[key] = (start, written, held + 1)
                return None
            if len(self._seen) > 100_000:
                self._seen.clear()
            self._seen[key] = (start, written + 1, 0)
            return held


def address(request: Request) -> str:
    """The client address rate limits and refusal audits of anonymous requests count against."""
    return f"ip:{request.client.host if request.client else '-'}"


def audit_refusal(request: Request, state: State, throttle: AuditThrottle, reason: str) -> None:
    """Audit a refused credential, aggregated per client address (see AuditThrottle)."""
    held = throttle.take(f"auth.refused:{address(request)}")
    if held is not None:
        detail: dict[str, object] = {"path": request.url.path, "reason": reason}
        state.audit("auth.refused", None, detail | ({"held_back": held} if held else {}))


def proxy_of(request: Request) -> Proxy:
    """The serving core the app was built with."""
    proxy: Proxy = request.app.state.proxy
    return proxy


def authenticate(request: Request, *, session: bool = True) -> Caller | None:
    """The caller, None when no credential came; a bad credential is an error, never anonymous."""
    proxy = proxy_of(request)
    if token_in_query(request):
        raise HTTPException(400, "credentials go in the Authorization header, never in the URL")
    if bearer(request) is not None:
        caller = from_token(request, proxy.state)
        if caller is None:
            proxy.limit(address(request))  # guessing tokens is rate-limited per client address
            audit_refusal(request, proxy.state, request.app.state.refusals, "unknown or revoked token")
            raise HTTPException(
                401, "the token is unknown or revoked; create a new one on /tokens", BEARER_CHALLENGE
            )
        return caller
    return from_session(request) if session else None


def require_caller(request: Request, *, session: bool = True) -> Caller:
    """The caller, rate-limited; 401 without credentials."""
    caller = authenticate(request, session=session)
    if caller is None:
        how = "sign in, or send a personal token" if session else "send a personal token"
        raise HTTPException(
            401, f"authentication required: {how} (Authorization: Bearer sp_…)", BEARER_CHALLENGE
        )
    limit(request, caller.rate_key)
    return caller


def limit(request: Request, key: str) -> None:
    """429 when `key` is over its rate."""
    proxy_of(request).limit(key)
