# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AK/SK signer against the official SDK's signer (huaweicloudsdkcore) as an oracle."""

import hashlib
from datetime import datetime, timezone
from types import SimpleNamespace
from urllib.parse import quote, unquote

import httpx
import pytest
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer as SdkSigner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.hwcloud.ims.plugins.module_utils._client.auth import AkSkAuth
from ansible_collections.hwcloud.ims.plugins.module_utils._client.signer import (
    EMPTY_BODY_SHA256,
    AkSkSigner,
    canonical_path,
    canonical_query,
    is_payload_signed,
)
from ansible_collections.hwcloud.ims.tests.unit.plugins.module_utils.fakes import Script, answer

FIXED_DATE = "20240102T030405Z"
HOSTS = ["ims.eu-de.otc.t-systems.com", "ims.ap-southeast-1.myhuaweicloud.com", "127.0.0.1:8443", "localhost:40123", "ims.example.com:443", "[::1]:9000"]
CONTENT_TYPES = [
    None,
    "application/json",
    "application/json;charset=UTF-8",
    "application/openstack-images-v2.1-json-patch",
    "application/octet-stream",
    "application/bson",
    "text/plain",
    "multipart/form-data",
]
# Text with the characters that trip encoders: space, +, %, =, &, /, ?, #, ~, quotes, unicode (BMP and astral).
TRICKY = st.text(alphabet=st.sampled_from(list("abcXYZ019-_.~ +%=&/?#:@!$'()*,;[]\"<>\\^`{|}") + ["é", "中", "文", "😀", "ß"]), max_size=12)
KEYS = st.one_of(st.sampled_from(["limit", "marker", "name", "__imagetype", "tag", "sort_key", "a b", "x+y", "ключ"]), TRICKY.filter(bool))


@st.composite
def query_pairs(draw):
    """(key, value) pairs as the SDK takes them: repeated keys with text values, unique keys with lists or bools."""
    pairs = [(draw(KEYS), draw(TRICKY)) for _index in range(draw(st.integers(0, 6)))]
    used = {key for key, _value in pairs}
    for _index in range(draw(st.integers(0, 2))):
        key = draw(KEYS.filter(lambda k: k not in used))
        used.add(key)
        pairs.append((key, draw(st.one_of(st.lists(TRICKY, min_size=1, max_size=3), st.booleans()))))
    return pairs


@st.composite
def headers(draw):
    result = {}
    content_type = draw(st.sampled_from(CONTENT_TYPES))
    if content_type:
        result["Content-Type"] = content_type
    if draw(st.booleans()):
        result["X-Project-Id"] = draw(st.sampled_from(["e9993fc787d94b6c886cbaa340f9c0f4", "0b1e494e2660441a957313163095fe5c"]))
    if draw(st.booleans()):
        result["X-Security-Token"] = draw(st.text(alphabet="abcdefABCDEF0123456789+/=", min_size=1, max_size=60))
    for index in range(draw(st.integers(0, 3))):
        name = draw(st.sampled_from(["X-Custom-%d" % index, "X_Custom_%d" % index, "User-Agent", "Accept"]))
        padding = st.sampled_from(["", " ", "  ", "\t"])
        result.setdefault(name, draw(padding) + draw(st.text(alphabet="ab c;=/,é中", max_size=10)) + draw(padding))
    return result


@st.composite
def requests(draw):
    segments = draw(st.lists(st.one_of(st.sampled_from(["v2", "cloudimages", "images", "tags", "v1", "jobs"]), TRICKY.filter(bool)), min_size=1, max_size=4))
    body = draw(st.one_of(st.none(), st.just(b""), st.binary(max_size=64), st.builds(lambda t: ('{"name": "%s"}' % t).encode("utf-8"), TRICKY)))
    return SimpleNamespace(
        method=draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"])),
        host=draw(st.sampled_from(HOSTS)),
        path="/" + "/".join(quote(segment, safe="") for segment in segments) + draw(st.sampled_from(["", "/"])),
        query=draw(query_pairs()),
        headers=draw(headers()),
        body=body,
        ak=draw(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=20)),
        sk=draw(st.text(min_size=1, max_size=40).filter(lambda s: "\x00" not in s)),
    )


def sdk_sign(req, with_date_header=True):
    headers = dict(req.headers)
    if with_date_header:
        headers["X-Sdk-Date"] = FIXED_DATE
    sdk_request = SdkRequest(
        method=req.method,
        schema="https",
        host=req.host,
        resource_path=req.path,
        query_params=[(key, list(value) if isinstance(value, list) else value) for key, value in req.query],
        header_params=headers,
        body=req.body,
    )
    SdkSigner(SimpleNamespace(ak=req.ak, sk=req.sk)).sign(sdk_request)
    # The SDK re-encodes header values for the requests library (UTF-8 bytes as Latin-1 text); undo that.
    signed = {name: value.encode("iso-8859-1").decode("utf-8") for name, value in sdk_request.header_params.items()}
    return signed, sdk_request.uri


@settings(max_examples=300, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests())
def test_headers_and_uri_identical_to_sdk(req):
    expected_headers, expected_uri = sdk_sign(req)
    query_string = canonical_query(req.query)
    signed = AkSkSigner(req.ak, req.sk).sign(req.method, req.host, req.path, query_string, dict(req.headers, **{"X-Sdk-Date": FIXED_DATE}), req.body)
    assert signed == expected_headers
    assert (req.path + "?" + query_string if query_string else req.path) == expected_uri


@settings(max_examples=50, derandomize=True, deadline=None)
@given(requests())
def test_date_from_now_matches_sdk_date_header(req):
    expected_headers, _uri = sdk_sign(req)
    now = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    signed = AkSkSigner(req.ak, req.sk).sign(req.method, req.host, req.path, canonical_query(req.query), dict(req.headers), req.body, now=now)
    assert signed == expected_headers


def test_known_vector():
    """A fixed request, so that a change in both implementations at once would still be caught."""
    signed = AkSkSigner("AKEXAMPLE", "SKEXAMPLE").sign(
        "GET",
        "ims.eu-de.otc.t-systems.com",
        "/v2/cloudimages",
        canonical_query({"name": "web 1", "limit": 2}),
        {"X-Project-Id": "p1", "X-Sdk-Date": FIXED_DATE},
    )
    assert signed["Authorization"].startswith("SDK-HMAC-SHA256 Access=AKEXAMPLE, SignedHeaders=host;x-project-id;x-sdk-date, Signature=")
    assert signed["Host"] == "ims.eu-de.otc.t-systems.com"
    expected, _uri = sdk_sign(
        SimpleNamespace(
            method="GET",
            host="ims.eu-de.otc.t-systems.com",
            path="/v2/cloudimages",
            query=[("name", "web 1"), ("limit", 2)],
            headers={"X-Project-Id": "p1"},
            body=None,
            ak="AKEXAMPLE",
            sk="SKEXAMPLE",
        )
    )
    assert signed == expected


def test_canonical_query_encoding_rules():
    assert canonical_query([("b", "x y"), ("a", "1+1"), ("a", "0"), ("c", ["z", "é"]), ("d", True), ("e", None)]) == "a=0&a=1%2B1&b=x%20y&c=z&c=%C3%A9&d=true"
    assert canonical_query({}) == ""
    assert canonical_query({"k": ""}) == "k="
    assert canonical_query({"t": "a~b-c_d.e"}) == "t=a~b-c_d.e"


def test_canonical_path():
    assert canonical_path("/v2/cloudimages") == "/v2/cloudimages/"
    assert canonical_path("/v2/images/a%20b/tags/k%2Bv/") == "/v2/images/a%20b/tags/k%2Bv/"
    assert canonical_path("/v2/images/%7Eid") == "/v2/images/~id/"


def test_unsigned_payload_types():
    assert is_payload_signed(None) and is_payload_signed("application/json;charset=UTF-8") and is_payload_signed("application/bson")
    assert not is_payload_signed("application/openstack-images-v2.1-json-patch")
    assert not is_payload_signed("application/octet-stream")


def test_streamed_body_needs_unsigned_payload():
    signer = AkSkSigner("AK", "SK")
    with open(__file__, "rb") as stream:
        signed = signer.sign("PUT", "h", "/v2/images/x/file", "", {"Content-Type": "application/octet-stream"}, stream)
        assert signed["X-Sdk-Content-Sha256"] == "UNSIGNED-PAYLOAD"
        with pytest.raises(ValueError):
            signer.sign("PUT", "h", "/v2/images/x/file", "", {"Content-Type": "application/json"}, stream)


def test_empty_body_hash_and_secret_not_in_repr():
    assert EMPTY_BODY_SHA256 == hashlib.sha256(b"").hexdigest()
    signer = AkSkSigner("AKVISIBLE", "SK-TOP-SECRET")
    assert "SK-TOP-SECRET" not in repr(signer) and "AKVISIBLE" in repr(signer)
    with pytest.raises(ValueError):
        AkSkSigner("AK", "")


def _sdk_verify(received, ak, sk):
    """Verify a received request the way a server does: with its own SignedHeaders list and its exact query string."""
    authorization = received.headers["Authorization"]
    signed_names = authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
    raw_path, _sep, raw_query = received.url.raw_path.decode("ascii").partition("?")
    # Decode the query by hand: parse_qsl would turn "+" into a space.
    query = [tuple(unquote(part) for part in pair.split("=", 1)) for pair in raw_query.split("&")] if raw_query else []
    request = SdkRequest(
        method=received.method,
        schema="https",
        host=received.headers["Host"],
        resource_path=raw_path,
        query_params=query,
        header_params={name: received.headers[name] for name in signed_names},
        body=received.content,
    )
    SdkSigner(SimpleNamespace(ak=ak, sk=sk)).sign(request)
    return request.header_params["Authorization"] == authorization


@pytest.mark.parametrize(
    "params",
    [
        {"name": "web 1042", "tag": "family=web+x"},
        [("name", "a b"), ("name", "a+b"), ("marker", "é/?&=")],
        {"__imagetype": "private", "protected": False, "limit": 500},
    ],
)
@pytest.mark.parametrize(
    "content_type, body",
    [
        (None, None),
        ("application/json", {"name": "x y", "tags": ["a=b"]}),
        ("application/openstack-images-v2.1-json-patch", [{"op": "replace", "path": "/name", "value": "n"}]),
    ],
)
def test_the_query_string_sent_is_the_one_signed(make_session, params, content_type, body):
    script = Script(answer(200, {}))
    session = make_session(script)
    auth = AkSkAuth(AkSkSigner("AKID", "secret key é"), project_id="proj", security_token="tmp-token")
    session.request(
        "POST" if body else "GET", "http://127.0.0.1:40123", "/v2/cloudimages", "test", params=params, json_body=body, content_type=content_type, auth=auth
    )
    received = script.requests[0]
    query = canonical_query(params)
    assert received.url.raw_path.decode("ascii") == "/v2/cloudimages?" + query
    assert "+" not in query.replace("%2B", "")
    assert received.headers["X-Project-Id"] == "proj" and received.headers["X-Security-Token"] == "tmp-token"
    assert _sdk_verify(received, "AKID", "secret key é")


def test_sent_path_with_special_characters_verifies(make_session):
    script = Script(answer(204))
    session = make_session(script)
    auth = AkSkAuth(AkSkSigner("AKID", "SK"), project_id="proj")
    session.request("DELETE", "https://ims.example.com:8443/prefix", "/v2/proj/images/id%201/tags/k%C3%A9y%2B1", "test", auth=auth)
    received = script.requests[0]
    assert received.url.raw_path == b"/prefix/v2/proj/images/id%201/tags/k%C3%A9y%2B1"
    assert received.headers["Host"] == "ims.example.com:8443"
    assert _sdk_verify(received, "AKID", "SK")


def test_httpx_params_would_have_encoded_differently():
    """Why the client builds URLs itself: httpx's own encoding of a space is "+", the signature's is "%20"."""
    assert httpx.Request("GET", "http://h/p", params={"name": "a b"}).url.query == b"name=a+b"
    assert canonical_query({"name": "a b"}) == "name=a%20b"
