# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The reference's rules for names, descriptions, tags and OBS addresses."""

import pytest

from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import ValidationError
from ansible_collections.hwcloud.ims.plugins.module_utils._client.rules import (
    split_obs_url,
    tag_filter,
    tag_strings,
    validate_description,
    validate_image_name,
    validate_tags,
)


@pytest.mark.parametrize("name", ["web-1042", "CentOS 7.3 64bit", "a", "x" * 128, "ims_test.v2"])
def test_valid_image_names(name):
    assert validate_image_name(name) == name


@pytest.mark.parametrize(
    "name, rule",
    [
        ("", "required"),
        (None, "required"),
        ("x" * 129, "at most 128"),
        (" web", "start or end with a space"),
        ("web ", "start or end"),
        ("web/1", "only letters"),
        ("web:1", "only letters"),
        ("wéb", "only letters"),
        ("web\n", "only letters"),  # a trailing line feed too
        ("web\t1", "only letters"),
    ],
)
def test_invalid_image_names(name, rule):
    with pytest.raises(ValidationError) as caught:
        validate_image_name(name)
    assert caught.value.field == "name" and rule in str(caught.value) and str(caught.value).startswith("name: ")


@pytest.mark.parametrize("profile", [None, "otc", "huaweicloud"])
def test_image_names_by_cloud(profile):
    """Huawei Cloud's reference allows Chinese characters in names; the reference's 9.1 set applies elsewhere."""
    assert validate_image_name("web 1-a_b.c", cloud_profile=profile) == "web 1-a_b.c"
    for name in ("镜像-web", "黄金镜像 2", "\u3400x"):
        if profile == "huaweicloud":
            assert validate_image_name(name, cloud_profile=profile) == name
        else:
            with pytest.raises(ValidationError) as caught:
                validate_image_name(name, cloud_profile=profile)
            assert "letters, digits, hyphens (-), periods (.), underscores (_) and spaces" in str(caught.value)
    for name in ("wéb", "이미지", "イメージ", "web/1"):
        with pytest.raises(ValidationError) as caught:
            validate_image_name(name, cloud_profile=profile)
        assert "Chinese characters" in str(caught.value) if profile == "huaweicloud" else "Chinese" not in str(caught.value)


def test_tag_strings():
    assert tag_strings({"role": "data", "tier": "", "团队": "蓝"}) == ["role.data", "tier.", "团队.蓝"]
    for tags in ({"my key": "v"}, {"k": "1.2"}, {"k": "a b"}):
        with pytest.raises(ValidationError) as caught:
            tag_strings(tags, field="data_disks[1].tags")
        assert str(caught.value).startswith("data_disks[1].tags: tag ") and "key.value strings" in str(caught.value)


def test_description_rules():
    assert validate_description("web golden image, commit 1a2b3c (CI #42)") is not None
    assert validate_description(None) is None
    bad_descriptions = (
        ("x" * 1025, "at most 1024"),
        ("a\nb", "line breaks"),
        ("a\rb", "line breaks"),
        ("a\tb", "control characters"),
        ("a\x1b[31m", "control characters"),
        ("<b>", "angle brackets"),
        (5, "string"),
    )
    for bad, rule in bad_descriptions:
        with pytest.raises(ValidationError) as caught:
            validate_description(bad, field="description")
        assert rule in caught.value.rule and caught.value.field == "description"


def test_tag_rules():
    assert validate_tags({"family": "web", "channel": "", "build": None, "中文": "值"}) == {"family": "web", "channel": "", "build": "", "中文": "值"}
    cases = [
        ({str(index): "v" for index in range(11)}, "at most 10 tags"),
        ({"": "v"}, "cannot be empty"),
        ({"k" * 37: "v"}, "longer than 36"),
        ({"k": "v" * 44}, "longer than 43"),
        ({"a=b": "v"}, "contains ="),
        ({"k": "a|b/c"}, "contains / |"),
        ({" k": "v"}, "start or end with a space"),
        ({"k": "v "}, "start or end with a space"),
        ({"k": 5}, "must be a string"),
        (["k"], "dictionary"),
        ({"k": "v\n"}, "control character"),
        ({"k\tk": "v"}, "control character"),
    ]
    for tags, rule in cases:
        with pytest.raises(ValidationError) as caught:
            validate_tags(tags, field="tags")
        assert rule in caught.value.rule, (tags, caught.value.rule)


def test_tag_filter():
    assert tag_filter({"family": "web", "channel": ["stable", "candidate"], "any": None}) == [
        {"key": "any", "values": []},
        {"key": "channel", "values": ["stable", "candidate"]},
        {"key": "family", "values": ["web"]},
    ]
    with pytest.raises(ValidationError):
        tag_filter({str(index): "v" for index in range(11)})
    with pytest.raises(ValidationError):
        tag_filter({"k": ["v"] * 2})
    with pytest.raises(ValidationError):
        tag_filter({"k": [str(index) for index in range(11)]})


@pytest.mark.parametrize("url, parts", [("ims-images:centos7.qcow2", ("ims-images", "centos7.qcow2")), ("b:dir/sub/file.vhd", ("b", "dir/sub/file.vhd"))])
def test_valid_obs_addresses(url, parts):
    assert split_obs_url(url, "image_url") == parts


@pytest.mark.parametrize(
    "url, rule",
    [
        ("no-colon", "bucket:file"),
        (":file", "bucket:file"),
        ("bucket:", "bucket:file"),
        ("bucket:../etc/passwd", "'..' folder"),
        ("bucket:dir/../file", "'..' folder"),
        ("bucket:./file", "'.' or '..' folder"),
        ("bucket:/rooted", "empty"),
        ("bucket:dir//file", "empty"),
        ("bucket:dir/", "names a folder"),
        ("bucket:file\n", "control character"),
        ("bucket:dir\\file", "backslash"),
        ("bucket:" + "f" * 1025, "at most 1024 bytes"),
    ],
)
def test_invalid_obs_addresses(url, rule):
    with pytest.raises(ValidationError) as caught:
        split_obs_url(url, "bucket_url")
    assert caught.value.field == "bucket_url" and rule in caught.value.rule, caught.value.rule
