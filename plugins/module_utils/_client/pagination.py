# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lazy iteration over the three paging styles of IMS.

* ``by_marker``: the query API ``GET /v2/cloudimages`` (``marker`` = ID of the last image seen, ``limit``);
* ``by_next_link``: Glance ``GET /v2/images``, which answers with a ``next`` link until the last page;
* ``by_offset``: the tag search ``POST /v2/{project_id}/images/resource_instances/action`` (``offset``, ``limit``,
  ``total_count``).

Each is a generator: no request is made before the first item is asked for, and none after the caller stops.
With ``limit`` (a cap on the number of items), page sizes shrink so that at most ceil(limit / page_size) requests
are made and nothing is fetched beyond the cap. A service that does not advance (the same marker, next link or
page again: it ignores the paging parameter) raises PagingError instead of being asked forever.

Internal to this collection, may change in any release.
"""

import hashlib
from urllib.parse import parse_qsl, urlsplit

from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import PagingError


class _Budget:
    """How many items may still be yielded (None: no cap)."""

    def __init__(self, limit):
        self.remaining = limit

    def page_limit(self, page_size):
        return page_size if self.remaining is None else min(page_size, self.remaining)

    def take(self, items):
        if self.remaining is not None:
            items = items[: self.remaining]
            self.remaining -= len(items)
        return items

    @property
    def spent(self):
        return self.remaining is not None and self.remaining <= 0


def by_marker(fetch_page, page_size=500, limit=None, marker_of=lambda item: item["id"], action="list"):
    """Items from ``fetch_page(marker, page_limit) -> list``; the first call gets marker None.

    A page shorter than requested is the last one. ``action`` names the listing in a PagingError.
    """
    budget = _Budget(limit)
    seen = _Progress(action, "marker")
    marker = None
    while not budget.spent:
        page_limit = budget.page_limit(page_size)
        items = list(fetch_page(marker, page_limit))
        yield from budget.take(items)
        if len(items) < page_limit:
            return
        marker = seen.advance(marker_of(items[-1]))


def by_next_link(fetch_page, params=None, page_size=25, limit=None, action="list"):
    """Items from ``fetch_page(params) -> (items, next_link)``; ``params`` is a list of ``(key, value)`` pairs.

    The first call gets ``params`` plus ``limit``; each following one the query of the previous ``next`` link,
    with ``limit`` set again to respect the cap.
    """
    budget = _Budget(limit)
    seen = _Progress(action, "next link")
    params = list(params.items() if hasattr(params, "items") else params or ())
    while not budget.spent:
        page_limit = budget.page_limit(page_size)
        items, next_link = fetch_page(_with_limit(params, page_limit))
        items = list(items)
        yield from budget.take(items)
        if not next_link or not items:
            return
        params = parse_qsl(urlsplit(seen.advance(next_link)).query, keep_blank_values=True)


def by_offset(fetch_page, page_size=1000, limit=None, action="list"):
    """Items from ``fetch_page(offset, page_limit) -> (items, total_count)``; ``total_count`` may be None."""
    budget = _Budget(limit)
    seen = _Progress(action, "page")
    offset = 0
    while not budget.spent:
        page_limit = budget.page_limit(page_size)
        items, total_count = fetch_page(offset, page_limit)
        items = list(items)
        yield from budget.take(items)
        offset += len(items)
        if len(items) < page_limit or (total_count is not None and offset >= total_count):
            return
        seen.advance(hashlib.sha256(repr(items).encode("utf-8")).hexdigest())


class _Progress:
    """What each page led to (its marker, next link or content): one seen before means the listing goes round in
    circles."""

    def __init__(self, action, what):
        self.action = action
        self.what = what
        self.seen = set()

    def advance(self, step):
        if step in self.seen:
            raise PagingError(
                "%s: the service answered page %d with the same %s as an earlier page, so it ignores the paging "
                "parameters; stopped after %d requests instead of asking forever" % (self.action, len(self.seen) + 1, self.what, len(self.seen) + 1)
            )
        self.seen.add(step)
        return step


def _with_limit(params, page_limit):
    return [(key, value) for key, value in params if key != "limit"] + [("limit", page_limit)]
