# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""image_query: the checks of validate_query and the requests find_images plans (against a recording fake client)."""

import pytest

from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import ValidationError
from ansible_collections.hwcloud.ims.plugins.module_utils._client.models import Image
from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.image_query import FILTER_ARGUMENT_SPEC, find_images, validate_query


class FakeIms:
    """Records the calls find_images makes; the listing yields ``images`` whatever the filters, lazily."""

    project_id = "p1"

    def __init__(self, images=(), tagged=()):
        self.images = [Image.from_api(raw) for raw in images]
        self.tagged = list(tagged)
        self.calls = []
        self.listed = 0

    def list_images(self, filters=None, page_size=500, limit=None):
        self.calls.append(("list", dict(filters), limit))
        for image in self.images[:limit]:
            self.listed += 1
            yield image

    def search_images_by_tags(self, **conditions):
        self.calls.append(("search", conditions))
        return iter([{"id": image_id} for image_id in self.tagged])


def image(number, **attributes):
    return dict({"id": "i%d" % number, "name": "image-%d" % number, "created_at": "2024-05-0%dT09:00:00Z" % number}, **attributes)


def test_a_validated_query_has_every_option_and_validates_to_itself():
    query = validate_query(
        {
            "tags": {"family": "web", "build": 42, "ok": True, "any": None, "some": ["a", "b"]},
            "created_at": {"gte": "2024-05-02", "lt": "2024-05-03T11:00:00+02:00"},
            "member_status": "pending",
            "os_bit": "64",
            "protected": "no",
        }
    )
    assert set(query) == set(FILTER_ARGUMENT_SPEC)
    assert query["tags"] == {"family": ["web"], "build": ["42"], "ok": ["true"], "any": [], "some": ["a", "b"]}
    assert query["created_at"] == {"gte": "2024-05-02T00:00:00Z", "lt": "2024-05-03T09:00:00Z"}
    assert (query["visibility"], query["os_bit"], query["protected"], query["latest"], query["limit"]) == ("shared", 64, False, False, None)
    assert validate_query(query) == query


def test_ad_hoc_key_value_text_is_read_as_a_dictionary():
    assert validate_query({"tags": "family=web channel=stable"})["tags"] == {"family": ["web"], "channel": ["stable"]}
    assert validate_query({"created_at": "gt=2024-05-02"})["created_at"] == {"gt": "2024-05-02T00:00:00Z"}


@pytest.mark.parametrize(
    "raw, field, message",
    [
        ({"limit": 0}, "limit", "must be 1 or more"),
        ({"limit": "some"}, "limit", "unable to convert to int"),
        ({"min_ram": -1}, "min_ram", "must be 0 or more"),
        ({"latest": True, "sort_key": "name", "limit": 3}, "latest", "cannot be combined with sort_key, limit"),
        ({"created_at": {"gt": "last week"}}, "created_at.gt", "'last week' is not a time"),
        ({"updated_at": {"lt": " "}}, "updated_at.lt", "is not a time"),
        ({"created_at": {"after": "2024-01-01"}}, "created_at", "unsupported parameter created_at.after"),
        ({"created_at": 5}, "created_at", "must be a dictionary of gt, gte, lt, lte, eq, neq, got a value of type int"),
        ({"updated_at": ["2024-01-01", 5]}, "updated_at", "got a value of type list"),
        ({"tags": {"k%d" % number: "v" for number in range(11)}}, "tags", "at most 10 keys"),
        ({"not_tags": {"family": ["v%d" % number for number in range(11)]}}, "not_tags", "at most 10 values"),
        ({"tags_any": {"family": ["web", "web"]}}, "tags_any", "values must be unique"),
        ({"not_tags_any": {"family": {"web": 1}}}, "not_tags_any", "a value must be a string or a list of strings"),
        ({"tags": "{not json"}, "tags", "unable to convert to dict"),
        ({"without_any_tag": True, "tags": {"a": "b"}, "not_tags": {"c": None}}, "without_any_tag", "cannot be combined with tags, not_tags"),
        ({"member_status": "accepted", "visibility": "private"}, "member_status", "cannot be combined with visibility private"),
        ({"os_bit": 16}, "os_bit", "must be one of: 32, 64"),
        ({"sort_dir": "up"}, "sort_dir", "must be one of: asc, desc"),
        ({"support_kvm": "maybe"}, "support_kvm", "unable to convert to bool"),
        ({"name_match": ""}, "name_match", "must not be empty"),
        ({"tag": "family=web"}, "tag", "unknown image filter"),
        ({"own": True, "owner": "p2"}, "own", "give own or owner, not both"),
        ({"own": True, "member_status": "pending"}, "own", "member_status selects images other projects shared"),
    ],
)
def test_bad_input_names_the_option_and_the_rule(raw, field, message):
    with pytest.raises(ValidationError) as caught:
        validate_query(raw)
    assert caught.value.field == field
    assert message in str(caught.value)


def test_attribute_filters_go_to_the_query_api_with_the_cap():
    ims = FakeIms([image(1), image(2), image(3)])
    found = find_images(ims, {"imagetype": "private", "protected": False, "min_disk": 40, "support_kvm": True, "limit": 2})
    assert [item["id"] for item in found] == ["i1", "i2"]
    assert ims.calls == [("list", {"imagetype": "private", "protected": False, "min_disk": 40, "support_kvm": True}, 2)]


def test_own_lists_the_projects_images_by_its_id():
    ims = FakeIms([image(1)])
    find_images(ims, {"own": True, "status": "active"})
    assert ims.calls == [("list", {"owner": "p1", "status": "active"}, None)]


def test_latest_asks_for_the_newest_image_only():
    ims = FakeIms([image(3), image(2)])
    assert [item["id"] for item in find_images(ims, {"latest": True})] == ["i3"]
    assert ims.calls == [("list", {"sort_key": "created_at", "sort_dir": "desc"}, 1)]


def test_what_the_query_api_cannot_express_is_checked_on_the_listed_images():
    listed = [image(1, __support_xen="true"), image(2), image(3), image(4)]
    ims = FakeIms(listed)
    query = {"support_xen": False, "created_at": {"lt": "2024-05-04", "gte": "2024-05-02"}, "limit": 1}
    assert [item["id"] for item in find_images(ims, query)] == ["i2"]
    # One comparison per attribute is sent (in operator order), the other is checked here; the cap applies after.
    assert ims.calls == [("list", {"created_at": "gte:2024-05-02T00:00:00Z"}, None)]
    assert ims.listed == 2
    # The fake ignores what it is sent (gte): only the neq comparison is applied here.
    assert [item["id"] for item in find_images(FakeIms(listed), {"created_at": {"gte": "2024-05-02", "neq": "2024-05-03T09:00:00Z"}})] == ["i1", "i2", "i4"]


def test_one_tag_with_one_value_uses_the_query_apis_tag_filter():
    ims = FakeIms([image(1)])
    find_images(ims, {"tags": {"family": "web"}, "status": "active"})
    assert ims.calls == [("list", {"status": "active", "owner": "p1", "tag": "family=web"}, None)]


def test_other_tag_conditions_search_the_ids_then_keep_those_of_the_listing():
    ims = FakeIms([image(number) for number in range(1, 7)], tagged=["i4", "i2"])
    found = find_images(ims, {"tags": {"family": "web", "channel": ["stable", "candidate"]}, "name_match": "image"})
    assert [item["id"] for item in found] == ["i2", "i4"]
    assert ims.calls[0] == (
        "search",
        {
            "tags": {"family": ["web"], "channel": ["stable", "candidate"]},
            "tags_any": None,
            "not_tags": None,
            "not_tags_any": None,
            "name": "image",
            "without_any_tag": False,
        },
    )
    # Narrowed by the single-valued tag; the listing stops once both images were seen.
    assert ims.calls[1] == ("list", {"owner": "p1", "tag": "family=web"}, None)
    assert ims.listed == 4


def test_a_single_tag_search_match_is_fetched_by_id():
    ims = FakeIms([image(2)], tagged=["i2"])
    assert [item["id"] for item in find_images(ims, {"without_any_tag": True, "visibility": "private"})] == ["i2"]
    assert ims.calls[1] == ("list", {"visibility": "private", "owner": "p1", "id": "i2"}, None)


def test_no_tag_search_match_means_no_listing():
    ims = FakeIms([image(1)], tagged=[])
    assert find_images(ims, {"not_tags_any": {"family": None}}) == []
    assert [call[0] for call in ims.calls] == ["search"]


def test_tag_conditions_never_match_another_projects_images():
    ims = FakeIms([image(1)], tagged=["i1"])
    assert find_images(ims, {"tags_any": {"family": "web"}, "owner": "someone-else"}) == []
    assert ims.calls == []


def test_an_empty_tag_value_is_left_to_the_tag_search():
    ims = FakeIms([image(1)], tagged=["i1"])
    find_images(ims, {"tags": {"family": ""}})
    assert [call[0] for call in ims.calls] == ["search", "list"]
