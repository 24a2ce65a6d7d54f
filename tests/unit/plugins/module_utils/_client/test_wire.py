# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How IMS writes attribute names and tags."""

import pytest

from ansible_collections.hwcloud.ims.plugins.module_utils._client.wire import attribute_name, tags_to_dict, tags_to_list, without_none


@pytest.mark.parametrize(
    "raw, name", [("__os_version", "os_version"), ("__system__cmkid", "system_cmkid"), ("name", "name"), ("__support_kvm_infiniband", "support_kvm_infiniband")]
)
def test_attribute_name(raw, name):
    assert attribute_name(raw) == name


def test_tags_conversions():
    assert tags_to_dict(["a=b=c", "k.v.w", "solo", "x=", "dot.=eq"]) == {"a": "b=c", "k": "v.w", "solo": "", "x": "", "dot.": "eq"}
    assert tags_to_dict([{"key": "k", "value": None}, {"key": "j", "value": "v"}]) == {"k": "", "j": "v"}
    assert tags_to_dict(None) == {}
    assert tags_to_list({"b": "2", "a": "1"}) == [{"key": "a", "value": "1"}, {"key": "b", "value": "2"}]


def test_bodies_leave_out_what_was_not_given():
    assert without_none({"name": "web", "description": None, "min_ram": 0, "tags": []}) == {"name": "web", "min_ram": 0, "tags": []}
