"""The website's index for one person: a page of their search's hits, answered from the proxy's
search index (never a list of the whole catalog), with the plugins that hold a match and the
filters' choices of their view. People who see the same skills share each answer."""

from __future__ import annotations

from dataclasses import replace

from skillport_build.models.marketplace import SURFACE_LABELS
from skillport_build.proxy.access import View
from skillport_build.proxy.search import Filters
from skillport_build.proxy.service import Proxy
from skillport_build.site.listing import (
    PAGE_SIZE,
    Hit,
    Listing,
    Options,
    Query,
    options,
    pages_of,
    plugins_holding,
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
    if query.narrowed:
        numbers = index.matching(view.key, view.skill_names, query.q, filters)
        plugins, more = plugins_holding(view.catalog.plugins, (index.skills[n] for n in numbers))
    else:
        plugins, more = plugins_holding(view.catalog.plugins, view.skills)
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


def index_body(proxy: Proxy, view: View, query: Query, part: bool) -> bytes:
    """The index page (or only its results, `part`) for this view and query, shared by its audience."""
    key = (view.key, "site index", query.key(), "part" if part else "page")

    def produce() -> bytes:
        return render_index(view.catalog, listing_for(proxy, view, query, part), part=part).encode()

    return proxy.answer(key, produce)
