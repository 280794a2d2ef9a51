from __future__ import annotations

from pathlib import Path
from typing import Any

from proxy.served import state_db

from skillport_build.proxy.guard import LEASE_SECONDS, RateLimiter
from skillport_build.proxy.state import State


class Clock:
    def __init__(self) -> None:
        self.at = 1_000_000.0

    def __call__(self) -> float:
        return self.at


class Counted(State):
    """A state that counts its rate transactions (each is one database round trip)."""

    trips = 0

    def take_rate(self, *args: Any, **kwargs: Any) -> tuple[int, float]:
        self.trips += 1
        return super().take_rate(*args, **kwargs)


def test_processes_sharing_an_allowance_stay_within_the_lease_bound(tmp_path: Path) -> None:
    clock = Clock()
    state = State(state_db(tmp_path), clock=clock)
    rate, burst, processes, seconds = 10.0, 40, 3, 5.0
    limiters = [RateLimiter(rate, burst, now=clock, shared=state) for _ in range(processes)]
    assert limiters[0].lease_most == 10
    sent: list[float] = []
    start = clock.at
    while clock.at - start < seconds:  # every process asks every 2 ms: far more than the allowance
        for limiter in limiters:
            if limiter.allow("user:ann@example.com") == 0:
                sent.append(clock.at - start)
        clock.at += 0.002
    most = burst + rate * (seconds + LEASE_SECONDS)
    least = burst + rate * seconds - processes * (limiters[0].lease_most - 1)
    assert least <= len(sent) <= most, (least, len(sent), most)
    for begin in (1.0, 2.0, 3.0):  # and in any window after the burst: rate * (window + a lease)
        assert sum(begin <= at < begin + 1.0 for at in sent) <= rate * (1.0 + LEASE_SECONDS)
    state.close()


def test_a_lease_is_one_round_trip_for_many_requests(tmp_path: Path) -> None:
    state = Counted(state_db(tmp_path))
    limiter = RateLimiter(1_000_000, 1_000_000, shared=state)
    assert all(limiter.allow("token:abc") == 0 for _ in range(1000))
    assert state.trips <= 1000 // limiter.lease_most + 6  # 1, 2, 4, … 32, then 32 at a time
    state.close()


def test_a_small_burst_is_counted_one_request_at_a_time_and_a_refusal_is_remembered(
    tmp_path: Path,
) -> None:
    state = Counted(state_db(tmp_path))
    limiters = [RateLimiter(0.05, 6, shared=state) for _ in range(2)]
    answers = [limiters[n % 2].allow("user:sam@example.com") for n in range(12)]
    assert [a == 0 for a in answers] == [True] * 6 + [False] * 6  # one bucket of 6, exactly
    assert all(a >= 1 for a in answers[6:])
    trips = state.trips
    assert all(limiters[0].allow("user:sam@example.com") > 0 for _ in range(100))
    assert state.trips == trips  # refused from memory until the wait the database named is over
    state.close()
