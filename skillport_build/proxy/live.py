"""The catalog the proxy serves: verified before use, refreshed from the store, and kept when the
store is down or serves something that fails verification (health says so)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from skillport_build.errors import CatalogError, SignatureError, StoreError
from skillport_build.models.catalog import Catalog, SkillRecord, format_time
from skillport_build.models.catalog_parse import ParsedCatalog, parse_catalog
from skillport_build.proxy.texts import Counts, Shards, by_bundle, load_shards
from skillport_build.stores.base import Store
from skillport_build.trust.minisign import PublicKey
from skillport_build.trust.verify import verify_catalog

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Health:
    """What /healthz reports."""

    ok: bool  # a verified, unexpired catalog is being served
    catalog_version: int | None
    expires: str | None
    checked_at: str | None
    problem: str | None  # why the last refresh did not take, if it did not


def _keep(into: list[ParsedCatalog], parsed: ParsedCatalog) -> Catalog:
    into.append(parsed)
    return parsed.catalog


class LiveCatalog:
    """The verified catalog in memory, indexed by name; thread-safe."""

    def __init__(self, store: Store, keys: list[PublicKey], clock: Clock = utc_now) -> None:
        self.store, self.keys, self.clock = store, keys, clock
        self._lock = threading.Lock()
        self._catalog: Catalog | None = None
        self._parsed: ParsedCatalog | None = None  # the served catalog's text and record spans
        self._shards: Shards = {}  # its verified search texts documents
        self._texts: dict[str, str] = {}
        self._counts: Counts = {}  # the term counts of the documents the last refresh fetched
        self._pointer_sha: str | None = None
        self._pointer_tag: str | None = None
        self._checked_at: str | None = None
        self._problem: str | None = None

    @property
    def catalog(self) -> Catalog | None:
        """The last verified catalog (None before the first successful load)."""
        return self._catalog

    @property
    def texts(self) -> dict[str, str]:
        """The served catalog's search texts by bundle sha256 (empty for a catalog without them)."""
        return self._texts

    def take_counts(self) -> Counts:
        """The build's term counts of the texts the last refresh fetched, by bundle sha256, once
        (the index takes them; the texts alone are kept)."""
        with self._lock:
            counts, self._counts = self._counts, {}
        return counts

    def skill(self, name: str) -> SkillRecord | None:
        """A skill of the served catalog by name."""
        return self._catalog.skill(name) if self._catalog else None

    def refresh(self) -> bool:
        """Load the store's pointer if it changed; True when a new catalog is now served.

        The store's cheap pointer fingerprint is compared first (a conditional request), so an
        unchanged catalog is neither downloaded nor verified again. The search texts documents the
        catalog names are fetched and checked against it before it is taken."""
        now = self.clock()
        try:
            tag = self.store.pointer_tag()
            if tag is not None and tag == self._pointer_tag:
                self._note(now, None)
                return False
            pointer = self.store.pointer()
            if pointer is None:
                raise CatalogError(f"{self.store.url} has no catalog yet")
            if pointer.sha256 == self._pointer_sha:
                self._pointer_tag = tag
                self._note(now, None)
                return False
            parsed: list[ParsedCatalog] = []
            catalog, _ = verify_catalog(
                pointer.catalog,
                pointer.signature.decode("utf-8", "replace"),
                self.keys,
                now,
                None,
                lambda raw: _keep(parsed, parse_catalog(raw, self._parsed)),
            )
            current = self._catalog
            if current is not None and catalog.catalog_version < current.catalog_version:
                raise SignatureError(
                    f"rollback refused: the store offers catalog {catalog.catalog_version}, "
                    f"older than the {current.catalog_version} being served"
                )
            shards, counts = load_shards(self.store, catalog.texts or (), self._shards)
        except (StoreError, CatalogError, SignatureError) as exc:
            self._note(now, str(exc))
            return False
        with self._lock:
            self._catalog, self._pointer_sha, self._pointer_tag = catalog, pointer.sha256, tag
            kept = parsed[0] if pointer.compressed is None else parsed[0].packed_as(pointer.compressed)
            self._parsed, self._shards, self._texts = kept, shards, by_bundle(shards)
            self._counts = counts
        self._note(now, None)
        return True

    def _note(self, now: datetime, problem: str | None) -> None:
        self._checked_at, self._problem = format_time(now), problem

    def health(self) -> Health:
        """Whether a verified, unexpired catalog is served, and what the last refresh found."""
        catalog = self._catalog
        fresh = catalog is not None and not catalog.is_expired(self.clock())
        problem = self._problem
        if catalog is not None and not fresh:
            problem = f"catalog {catalog.catalog_version} expired at {catalog.expires}; it must be re-signed"
        return Health(
            ok=fresh,
            catalog_version=catalog.catalog_version if catalog else None,
            expires=catalog.expires if catalog else None,
            checked_at=self._checked_at,
            problem=problem,
        )
