# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""hwcloud.ims.ims_image_info through ansible-playbook against the emulator: every filter, the requests each query
costs, tag conditions, shared images and input checks.

The bundled seed (tests/emulator/README.md) has seven public images and six images of project eu-de.
"""

import re
from datetime import datetime, timedelta, timezone
from urllib.parse import unquote

import pytest
from seed import BASE_DEBIAN, KMS_KEY, OWNER, PUBLIC_OWNER, WEB_GOLDEN

PUBLIC = {
    "Standard_CentOS_7.6_latest",
    "Standard_Ubuntu_18.04_latest",
    "Standard_Debian_10_latest",
    "Standard_EulerOS_2.5_latest",
    "Enterprise_Windows_STD_2016_CN",
    "Standard_openEuler_20.03_latest",
    "Standard_EulerOS_2.9_ARM_latest",
}
OWN = {"web-golden-1", "base-debian-10", "db-encrypted-1", "app-full-ecs-1", "rescue-iso-1", "data-disk-1"}
UNTAGGED = {"app-full-ecs-1", "rescue-iso-1", "data-disk-1"}
BULK = 1234
PAGE = 500


def info_task(title, /, **args):
    return {"name": title, "hwcloud.ims.ims_image_info": args}


def names(play, task):
    return [image["name"] for image in play.task(task)["result"]["images"]]


def is_ims(entry):
    return not entry["path"].startswith(("/v3", "/_emulator"))


def sent(play, task, log):
    """(method, decoded query or "tag search") of every IMS request the task made."""
    return [(entry["method"], unquote(entry["query"]) if entry["method"] == "GET" else "tag search") for entry in play.requests_of(task, log) if is_ims(entry)]


def pages(count):
    """Requests of a marker listing of ``count`` images: only a short page ends it."""
    return count // PAGE + 1


@pytest.mark.parametrize("auth, check", [("aksk", False), ("password", True), ("token", False)])
def test_requests_per_query_over_many_images(ansible, control, auth, check):
    bulk_ids = control.bulk_images(OWNER, BULK, name_prefix="bulk", tags={"batch": "b1", "family": "bulk"})["ids"]
    own = len(OWN) + BULK
    control.clear_requests()
    play = ansible.play(
        [
            info_task("own", owner=OWNER),
            info_task("latest", latest=True),
            info_task("capped", limit=700),
            info_task("one tag", tags={"batch": "b1"}),
            info_task("two tags", tags={"batch": "b1", "family": "bulk"}),
            info_task("two tags latest", tags={"batch": "b1", "family": "bulk"}, latest=True),
        ],
        auth=auth,
        check=check,
    )
    assert play.rc == 0, play.stdout
    log = control.requests()

    assert len(names(play, "own")) == own and len(sent(play, "own", log)) == pages(own)
    assert [image["id"] for image in play.task("latest")["result"]["images"]] == [bulk_ids[-1]]
    assert sent(play, "latest", log) == [("GET", "limit=1&sort_dir=desc&sort_key=created_at")]
    assert len(names(play, "capped")) == 700
    assert [query for _method, query in sent(play, "capped", log)] == ["limit=500", "limit=200&marker=%s" % play.task("capped")["result"]["images"][499]["id"]]
    # One tag with one value: the query API's own tag filter, no tag search.
    assert len(names(play, "one tag")) == BULK
    assert [method for method, _query in sent(play, "one tag", log)] == ["GET"] * pages(BULK)
    assert "owner=%s&tag=batch=b1" % OWNER in sent(play, "one tag", log)[0][1]
    # Two tags: the tag search (1000 per request) for the IDs, then the listing narrowed by one of the tags.
    assert len(names(play, "two tags")) == BULK
    assert [method for method, _query in sent(play, "two tags", log)] == ["POST", "POST"] + ["GET"] * pages(BULK)
    assert [image["id"] for image in play.task("two tags latest")["result"]["images"]] == [bulk_ids[-1]]
    assert [method for method, _query in sent(play, "two tags latest", log)] == ["POST", "POST", "GET"]

    token_requests = [entry for entry in log if entry["path"] == "/v3/auth/tokens"]
    # password: one token for the whole play (cached across tasks); token: the one the test issued; AK/SK: none.
    assert len(token_requests) == {"aksk": 0, "password": 1, "token": 1}[auth]
    assert [entry for entry in log if entry["path"].startswith("/v3") and entry["path"] != "/v3/auth/tokens"] == []
    assert {entry["method"] for entry in log if is_ims(entry) and entry["path"] == "/v2/cloudimages"} == {"GET"}


# (task name, arguments, expected image names (a list: in this order), what the query API must have been sent)
ATTRIBUTE_CASES = [
    ("name", {"name": "web-golden-1"}, ["web-golden-1"], "name=web-golden-1"),
    ("id", {"id": BASE_DEBIAN}, ["base-debian-10"], "id=" + BASE_DEBIAN),
    ("status", {"status": "active", "owner": OWNER}, OWN, "status=active"),
    ("visibility", {"visibility": "public"}, PUBLIC, "visibility=public"),
    ("imagetype gold", {"imagetype": "gold"}, PUBLIC, "__imagetype=gold"),
    ("imagetype shared", {"imagetype": "shared"}, {"web-golden-1", "base-debian-10"}, "__imagetype=shared"),
    ("owner", {"owner": PUBLIC_OWNER}, PUBLIC, "owner=%s" % PUBLIC_OWNER),
    ("protected", {"protected": True}, PUBLIC, "protected=true"),
    ("unprotected", {"protected": False}, OWN, "protected=false"),
    ("registered", {"isregistered": True, "imagetype": "gold"}, PUBLIC, "__isregistered=true"),
    ("full-ECS", {"whole_image": True}, ["app-full-ecs-1"], "__whole_image=true"),
    ("not full-ECS", {"whole_image": False, "owner": OWNER}, OWN - {"app-full-ecs-1"}, "__whole_image=false"),
    ("encrypted", {"system_cmkid": KMS_KEY}, ["db-encrypted-1"], "__system__cmkid=" + KMS_KEY),
    ("container", {"container_format": "bare", "visibility": "public"}, PUBLIC, "container_format=bare"),
    ("disk format", {"disk_format": "iso"}, ["rescue-iso-1"], "disk_format=iso"),
    ("min_ram", {"min_ram": 2048}, ["Enterprise_Windows_STD_2016_CN"], "min_ram=2048"),
    ("min_disk", {"min_disk": 50}, ["base-debian-10"], "min_disk=50"),
    ("os", {"os_type": "Windows", "os_bit": 64}, ["Enterprise_Windows_STD_2016_CN"], "__os_bit=64&__os_type=Windows"),
    ("platform", {"platform": "Debian"}, ["base-debian-10", "Standard_Debian_10_latest"], "__platform=Debian"),
    ("kvm", {"support_kvm": True}, PUBLIC, "__support_kvm=true"),
    ("xen", {"support_xen": True}, ["Standard_CentOS_7.6_latest"], "__support_xen=true"),
    ("not xen", {"support_xen": False, "visibility": "public"}, PUBLIC - {"Standard_CentOS_7.6_latest"}, "visibility=public"),
    (
        "special hardware",
        {
            "support_largememory": True,
            "support_diskintensive": True,
            "support_highperformance": True,
            "support_xen_hana": True,
            "support_kvm_infiniband": True,
            "support_xen_gpu_type": "V100_vGPU",
            "support_kvm_gpu_type": "V100",
        },
        [],
        "__support_diskintensive=true&__support_highperformance=true&__support_kvm_gpu_type=V100&__support_kvm_infiniband=true"
        "&__support_largememory=true&__support_xen_gpu_type=V100_vGPU&__support_xen_hana=true",
    ),
    ("environment", {"virtual_env_type": "DataImage"}, ["data-disk-1"], "virtual_env_type=DataImage"),
    ("enterprise project", {"enterprise_project_id": "0", "owner": OWNER}, OWN, "enterprise_project_id=0"),
    ("flavor", {"flavor_id": "kc1.large.2"}, ["Standard_EulerOS_2.9_ARM_latest"], "flavor_id=kc1.large.2"),
    ("architecture", {"architecture": "arm"}, ["Standard_EulerOS_2.9_ARM_latest"], "architecture=arm"),
    (
        "created range",
        {"created_at": {"gte": "2024-05-01", "lt": "2024-05-03 00:00:00"}},
        ["web-golden-1", "base-debian-10"],
        "created_at=gte:2024-05-01T00:00:00Z",
    ),
    ("updated before", {"updated_at": {"lt": "2024-01-01T01:00:00+01:00"}}, PUBLIC, "updated_at=lt:2024-01-01T00:00:00Z"),
    # The "last seven days" example of the module documentation.
    (
        "last week",
        {"created_at": {"gte": "{{ '%Y-%m-%dT%H:%M:%SZ' | strftime(now().timestamp() - 7 * 86400, utc=true) }}"}},
        [],
        lambda started, ended: {"created_at=gte:%s" % (moment - timedelta(days=7)).strftime("%Y-%m-%dT") for moment in (started, ended)},
    ),
    ("sorted", {"imagetype": "gold", "sort_key": "name", "sort_dir": "asc"}, sorted(PUBLIC), "sort_dir=asc&sort_key=name"),
    ("capped", {"protected": True, "sort_key": "name", "limit": 2}, sorted(PUBLIC, reverse=True)[:2], "limit=2"),
]


@pytest.mark.parametrize("cases", [ATTRIBUTE_CASES[:16], ATTRIBUTE_CASES[16:]], ids=["first", "second"])
def test_attribute_filters(ansible, control, cases):
    started = datetime.now(timezone.utc)
    play = ansible.play([info_task(name, **args) for name, args, _expected, _query in cases])
    ended = datetime.now(timezone.utc)
    assert play.rc == 0, play.stdout
    log = control.requests()
    for name, _args, expected, query in cases:
        found = names(play, name)
        assert (found if isinstance(expected, list) else set(found)) == expected, name
        requests = sent(play, name, log)
        # A query relative to now (the documented "last seven days") is of the day the play ran, or, across midnight, the next.
        queries = query(started, ended) if callable(query) else {query}
        assert len(requests) == 1 and any(text in requests[0][1] for text in queries), (name, requests)


@pytest.mark.compat
def test_normalized_images_and_service_errors(ansible):
    play = ansible.play(
        [
            info_task("golden", name="web-golden-1"),
            info_task("unknown flavor", flavor_id="no-such-flavor"),
        ],
        auth="token",
    )

    image = play.task("golden")["result"]["images"][0]
    assert image["tags"] == {"family": "web", "channel": "stable"}
    assert (image["protected"], image["isregistered"], image["min_disk"], image["image_size"]) == (False, True, 40, 3221225472)
    assert (image["os_type"], image["platform"], image["owner"], image["created_at"]) == ("Linux", "Ubuntu", OWNER, "2024-05-02T09:00:00Z")
    assert not any(key.startswith("_") for key in image)
    failed = play.task("unknown flavor")
    assert failed["status"] == "failed" and failed["result"]["error"]["code"] == "IMG.0192"
    assert failed["result"]["msg"].startswith("list images failed: HTTP 400 IMG.0192")


def test_tag_conditions(ansible, control):
    play = ansible.play(
        [
            info_task("one tag", tags={"family": "web"}),
            info_task("two values", tags={"family": ["web", "base"]}, sort_key="name"),
            info_task("two tags", tags={"family": "web", "channel": "stable"}),
            info_task("any value", tags={"family": None}, sort_key="name", sort_dir="asc"),
            info_task("any of", tags_any={"channel": "stable", "family": "db"}),
            info_task("not all of", not_tags={"family": "web", "channel": "stable"}),
            info_task("none of", not_tags_any={"family": ["web", "base"]}),
            info_task("untagged", without_any_tag=True),
            info_task("name match", name_match="golden"),
            info_task("with attributes", tags_any={"family": ["web", "base", "db"]}, platform="Ubuntu"),
            info_task("newest tagged", tags={"family": None}, name_match="e", latest=True),
            info_task("foreign owner", tags={"family": "web"}, owner=PUBLIC_OWNER),
        ],
        auth="token",
    )
    assert play.rc == 0, play.stdout
    log = control.requests()

    assert names(play, "one tag") == ["web-golden-1"]
    assert sent(play, "one tag", log) == [("GET", "limit=500&owner=%s&tag=family=web" % OWNER)]
    assert names(play, "two values") == ["web-golden-1", "base-debian-10"]
    assert names(play, "two tags") == ["web-golden-1"]
    # The tag search found one image: it is fetched by its ID.
    assert sent(play, "two tags", log) == [("POST", "tag search"), ("GET", "id=%s&limit=500&owner=%s&tag=channel=stable" % (WEB_GOLDEN, OWNER))]
    assert names(play, "any value") == ["base-debian-10", "db-encrypted-1", "web-golden-1"]
    assert set(names(play, "any of")) == {"web-golden-1", "db-encrypted-1"}
    assert set(names(play, "not all of")) == OWN - {"web-golden-1"}
    assert set(names(play, "none of")) == OWN - {"web-golden-1", "base-debian-10"}
    assert set(names(play, "untagged")) == UNTAGGED
    assert names(play, "name match") == ["web-golden-1"]
    assert names(play, "with attributes") == ["web-golden-1"]
    assert names(play, "newest tagged") == ["db-encrypted-1"]
    assert names(play, "foreign owner") == [] and sent(play, "foreign owner", log) == []


def test_images_shared_with_the_project(ansible, control):
    play = ansible.play(
        [
            info_task("accepted", member_status="accepted"),
            info_task("pending", member_status="pending", visibility="shared"),
            info_task("rejected", member_status="rejected"),
            info_task("default listing", imagetype="shared"),
        ],
        project="eu-de_apps",
        auth="password",
    )
    assert play.rc == 0, play.stdout
    log = control.requests()

    assert names(play, "accepted") == ["base-debian-10"]
    assert sent(play, "accepted", log) == [("GET", "limit=500&member_status=accepted&visibility=shared")]
    assert names(play, "pending") == ["web-golden-1"]
    assert names(play, "rejected") == []
    assert names(play, "default listing") == ["base-debian-10"]


# (arguments, the message of the failed task); the unit tests of image_query check every rule, these that the module
# applies them before it connects.
BAD_INPUT = [
    ({"limit": 0}, "limit: must be 1 or more; leave it out to get every matching image"),
    ({"limit": "some"}, "argument 'limit' is of type str and we were unable to convert to int"),
    ({"created_at": {"gt": "last week"}}, "created_at.gt: 'last week' is not a time"),
    ({"tags": {"k%d" % number: "v" for number in range(11)}}, "tags: a tag filter has at most 10 keys (got 11)"),
    ({"latest": True, "sort_key": "name"}, "latest: returns the single newest image; it cannot be combined with sort_key"),
    ({"tag": "family=web"}, "Unsupported parameters"),
]


def test_bad_input_fails_before_any_request(ansible, control):
    tasks = [dict(info_task("bad %d" % number, **args), ignore_errors=True) for number, (args, _message) in enumerate(BAD_INPUT)]
    play = ansible.play(tasks)

    for number, (args, message) in enumerate(BAD_INPUT):
        task = play.task("bad %d" % number)
        assert task["status"] == "failed", args
        # ansible-core 2.17 names a type as <class 'str'> where later releases write str.
        assert message in re.sub(r"<class '(\w+)'>", r"\1", task["result"]["msg"]), (args, task["result"]["msg"])
    assert [entry for entry in control.requests() if not entry["path"].startswith("/_emulator")] == []
