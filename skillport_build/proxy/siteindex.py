"""The website's index for one person: a page of their search's hits, answered from the proxy's
search index (never a list of the whole catalog), with the plugins that hold a match and the
filters' choices of their view. People who see the same skills share each answer."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from skillport_build.models.catalog import Catalog, PluginRecord
from skillport_build.models.marketplace import SURFACE_LABELS
from skillport_build.proxy.access import View
from skillport_build.proxy.search import Filters
from skillport_build.proxy.service import Proxy
from skillport_build.site.listing import (
    PAGE_SIZE,
    PLUGINS_SHOWN,
    Hit,
    Listing,
    Options,
    Query,
    options,
    pages_of,
    why,
)
from skillport_build.site.render import render_index


def listing_for(proxy: Proxy, view: View, query: Query, part: bool = False) -> Listing:
    """The hits of `query`'s page among what `view` may read, and why each matched (with the
    filters' choices unless only the results are asked for, `part`)."""
    index = proxy.indexed().search
    filters = Filters(query.surface or None, query.category or None, query.tag or None)
    total, ranked = index.search(
        view.key, view.skill_names, query.q, filters, (query.page - 1) * PAGE_SIZE, PAGE_SIZE
    )
    if query.page > pages_of(total):  # past the end: the last page
        query = replace(query, page=pages_of(total))
        _, ranked = index.search(
            view.key, view.skill_names, query.q, filters, (query.page - 1) * PAGE_SIZE, PAGE_SIZE
        )
    terms = query.words
    hits = tuple(Hit(skill, why(skill, proxy.search_text(skill), terms)) for skill, _ in ranked)
    plugins, more = _plugins_holding(proxy, view, query.q, filters)
    count = pages_of(total)
    return Listing(
        query=query,
        hits=hits,
        total=total,
        plugins=plugins,
        options=Options() if part else options(view.skills, SURFACE_LABELS),
        prev_href=query.href(query.page - 1) if query.page > 1 else None,
        next_href=query.href(query.page + 1) if query.page < count else None,
        reset_href="/",
        pages=count,
        more_plugins=more,
    )


def _plugins_holding(
    proxy: Proxy, view: View, q: str, filters: Filters
) -> tuple[tuple[PluginRecord, ...], int]:
    """The first PLUGINS_SHOWN plugins, in catalog order, holding a match, and how many more do:
    from the skills' plugin places in one array, not a walk over every match and plugin."""
    index, catalog = proxy.indexed().search, view.catalog
    places = index.groups(_plugin_names(catalog))[index.matching(view.key, view.skill_names, q, filters)]
    held = np.flatnonzero(np.bincount(places[places >= 0], minlength=len(catalog.plugins)))  # in order
    shown = tuple(catalog.plugins[i] for i in held[:PLUGINS_SHOWN].tolist())
    return shown, max(0, len(held) - PLUGINS_SHOWN)


_NAMES: dict[int, tuple[Catalog, tuple[str, ...]]] = {}


def _plugin_names(catalog: Catalog) -> tuple[str, ...]:
    """The catalog's plugin names in order, one tuple per catalog (the index keeps its places)."""
    known = _NAMES.get(id(catalog))
    if known is None or known[0] is not catalog:
        _NAMES.clear()
        known = _NAMES[id(catalog)] = (catalog, tuple(p.name for p in catalog.plugins))
    return known[1]


def index_body(proxy: Proxy, view: View, query: Query, part: bool) -> bytes:
    """The index page (or only its results, `part`) for this view and query, shared by its audience."""
    key = (view.key, "site index", query.key(), "part" if part else "page")

    def produce() -> bytes:
        return render_index(view.catalog, listing_for(proxy, view, query, part), part=part).encode()

    return proxy.answer(key, produce)
