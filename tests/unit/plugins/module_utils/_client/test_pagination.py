# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lazy pagination, counted in requests: marker (/v2/cloudimages), next links (/v2/images), offset (tag search)."""

import math
from urllib.parse import parse_qs

import pytest

from ansible_collections.hwcloud.ims.plugins.module_utils._client.ims_client import ImsClient
from ansible_collections.hwcloud.ims.plugins.module_utils._client.pagination import by_marker, by_next_link, by_offset
from ansible_collections.hwcloud.ims.tests.unit.plugins.module_utils.fakes import Router, answer, body_of

IMAGES = [{"id": "img-%04d" % index, "name": "web-%d" % index, "status": "active", "tags": ["family=web"]} for index in range(1234)]


def query(request):
    return {key: values[-1] for key, values in parse_qs(request.url.query.decode("ascii"), keep_blank_values=True).items()}


def cloudimages(request, _match):
    params = query(request)
    limit = int(params.get("limit", 500))
    start = next(index + 1 for index, image in enumerate(IMAGES) if image["id"] == params["marker"]) if "marker" in params else 0
    return answer(200, {"images": IMAGES[start : start + limit]})


def glance_images(request, _match):
    params = query(request)
    limit = int(params.get("limit", 25))
    start = next(index + 1 for index, image in enumerate(IMAGES) if image["id"] == params["marker"]) if "marker" in params else 0
    page = IMAGES[start : start + limit]
    body = {"images": page, "first": "/v2/images?limit=%d" % limit, "schema": "/v2/schemas/images"}
    if start + limit < len(IMAGES):
        body["next"] = "/v2/images?__imagetype=private&marker=%s&limit=%d" % (page[-1]["id"], limit)
    return answer(200, body)


def tag_search(request, _match):
    body = body_of(request)
    offset, limit = int(body["offset"]), int(body["limit"])
    resources = [
        {"resource_id": image["id"], "resource_name": image["name"], "resource_detail": {"status": "active"}, "tags": [{"key": "family", "value": "web"}]}
        for image in IMAGES[offset : offset + limit]
    ]
    return answer(200, {"resources": resources, "total_count": len(IMAGES)})


@pytest.fixture
def fake(make_session):
    router = Router()
    router.add("GET", "/v2/cloudimages", cloudimages).add("GET", "/v2/images", glance_images)
    router.add("POST", "/v2/p1/images/resource_instances/action", tag_search)
    return router, ImsClient(make_session(router), "https://ims.example.com", "p1", auth=None)


@pytest.mark.parametrize(
    "page_size, limit, expected_requests",
    [
        (500, None, 3),
        (500, 1000, 2),
        (500, 1001, 3),
        (100, 250, 3),
        (500, 1, 1),
        (2000, None, 1),
        (500, 5000, 3),
        (1, 3, 3),
    ],
)
def test_marker_pagination_request_count(fake, page_size, limit, expected_requests):
    router, ims = fake
    images = list(ims.list_images({"imagetype": "private"}, page_size=page_size, limit=limit))
    wanted = len(IMAGES) if limit is None else min(limit, len(IMAGES))
    assert [image.id for image in images] == [image["id"] for image in IMAGES[:wanted]]
    requests = router.calls("GET", "/v2/cloudimages")
    assert len(requests) == expected_requests
    if limit is not None and limit <= len(IMAGES):
        assert len(requests) == math.ceil(limit / page_size)
    assert query(requests[0])["__imagetype"] == "private" and "marker" not in query(requests[0])
    assert all(int(query(request)["limit"]) <= page_size for request in requests)


def test_marker_pagination_is_lazy(fake):
    router, ims = fake
    images = ims.list_images()
    assert router.requests == []
    assert next(images).id == "img-0000" and len(router.requests) == 1
    for _image in zip(range(499), images, strict=False):
        pass
    assert len(router.requests) == 1
    next(images)
    assert len(router.requests) == 2 and query(router.requests[1])["marker"] == "img-0499"


def test_exact_multiple_needs_one_empty_page():
    calls = []

    def fetch(marker, limit):
        calls.append((marker, limit))
        return [{"id": "%d-%d" % (len(calls), index)} for index in range(limit)] if len(calls) <= 2 else []

    assert len(list(by_marker(fetch, page_size=10))) == 20 and len(calls) == 3
    calls.clear()
    assert len(list(by_marker(fetch, page_size=10, limit=20))) == 20 and len(calls) == 2


@pytest.mark.parametrize("page_size, limit, expected_requests", [(25, None, 50), (500, None, 3), (100, 250, 3), (500, 1000, 2), (25, 1, 1)])
def test_next_link_pagination(fake, page_size, limit, expected_requests):
    router, ims = fake
    images = list(ims.list_glance_images({"imagetype": "private"}, page_size=page_size, limit=limit))
    assert len(images) == (limit or len(IMAGES))
    requests = router.calls("GET", "/v2/images")
    assert len(requests) == expected_requests
    assert all(query(request)["__imagetype"] == "private" for request in requests)
    if limit:
        assert int(query(requests[-1])["limit"]) == limit - page_size * (expected_requests - 1)


def test_next_link_stops_without_next():
    pages = iter([(["a", "b"], "/v2/images?marker=b&limit=2"), (["c"], None)])
    params_seen = []

    def fetch(params):
        params_seen.append(params)
        return next(pages)

    assert list(by_next_link(fetch, {"name": "x"}, page_size=2)) == ["a", "b", "c"]
    assert params_seen == [[("name", "x"), ("limit", 2)], [("marker", "b"), ("limit", 2)]]


@pytest.mark.parametrize("page_size, limit, expected_requests", [(1000, None, 2), (100, None, 13), (500, 600, 2), (1000, 1000, 1), (10, 5, 1)])
def test_offset_pagination(fake, page_size, limit, expected_requests):
    router, ims = fake
    found = list(ims.search_images_by_tags(tags={"family": "web"}, page_size=page_size, limit=limit))
    assert len(found) == (limit or len(IMAGES))
    assert found[0] == {"id": "img-0000", "name": "web-0", "status": "active", "tags": {"family": "web"}}
    requests = router.calls("POST", "/v2/p1/images/resource_instances/action")
    assert len(requests) == expected_requests
    assert [body_of(request)["offset"] for request in requests] == [str(index * page_size) for index in range(expected_requests)]
    assert body_of(requests[0])["tags"] == [{"key": "family", "values": ["web"]}] and body_of(requests[0])["action"] == "filter"


def test_offset_stops_on_short_page_without_total():
    calls = []

    def fetch(offset, limit):
        calls.append(offset)
        return (list(range(offset, offset + limit)) if offset < 20 else [20, 21]), None

    assert len(list(by_offset(fetch, page_size=10))) == 22 and calls == [0, 10, 20]
