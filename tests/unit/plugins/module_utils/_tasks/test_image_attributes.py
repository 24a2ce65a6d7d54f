# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The PATCH planning of image_update: exactly the needed operations, chosen by what the image has."""

import pytest

from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import ApiError, ValidationError
from ansible_collections.hwcloud.ims.plugins.module_utils._client.models import Image
from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.image_attributes import patch_image, plan_update, validate_wanted
from ansible_collections.hwcloud.ims.tests.unit.plugins.module_utils.fakes import WaitsOnFakeClock

IMAGE = {
    "id": "i-1",
    "name": "web",
    "description": "old",
    "min_ram": 0,
    "support_xen": True,
    "hw_vif_multiqueue_enabled": False,
    "support_xen_gpu_type": "M60_vGPU",
}


def test_nothing_wanted_is_nothing_to_do():
    plan = plan_update(IMAGE, {})
    assert plan.operations == [] and not plan.changed


def test_equal_values_and_defaults_of_absent_attributes_are_no_change():
    wanted = {
        "description": "old",
        "min_ram": 0,
        "support_xen": True,
        "support_largememory": False,
        "hw_firmware_type": "bios",
        "is_config_init": False,
        "hw_vif_multiqueue_enabled": False,
        "support_kvm_gpu_type": "",
    }
    assert plan_update(IMAGE, wanted).operations == []


def test_present_attributes_are_replaced_absent_ones_added():
    plan = plan_update(IMAGE, {"name": "web-2", "description": "new", "min_ram": 1024, "hw_firmware_type": "uefi", "support_largememory": True})
    assert plan.operations == [
        {"op": "replace", "path": "/name", "value": "web-2"},
        {"op": "replace", "path": "/__description", "value": "new"},
        {"op": "replace", "path": "/min_ram", "value": "1024"},
        {"op": "add", "path": "/__support_largememory", "value": "true"},
        {"op": "add", "path": "/hw_firmware_type", "value": "uefi"},
    ]
    assert plan.before["description"] == "old" and plan.after["description"] == "new"


def test_flags_are_removed_and_booleans_written_as_strings():
    plan = plan_update(IMAGE, {"support_xen": False, "support_xen_gpu_type": "", "hw_vif_multiqueue_enabled": True, "is_config_init": True})
    assert plan.operations == [
        {"op": "remove", "path": "/__support_xen"},
        {"op": "remove", "path": "/__support_xen_gpu_type"},
        {"op": "replace", "path": "/hw_vif_multiqueue_enabled", "value": "true"},
        {"op": "add", "path": "/__is_config_init", "value": "true"},
    ]


def test_clearing_a_description_replaces_it_with_empty_text():
    assert plan_update(IMAGE, {"description": ""}).operations == [{"op": "replace", "path": "/__description", "value": ""}]
    assert plan_update(dict(IMAGE, description=None), {"description": ""}).operations == []


def test_string_flags_as_the_service_may_return_them():
    image = dict(IMAGE, support_xen="True", hw_vif_multiqueue_enabled="false")
    assert plan_update(image, {"support_xen": True, "hw_vif_multiqueue_enabled": False}).operations == []


def test_force_add_writes_every_value_with_add():
    plan = plan_update(IMAGE, {"description": "new", "support_xen": False}, force_add=True)
    assert plan.operations == [{"op": "add", "path": "/__description", "value": "new"}, {"op": "remove", "path": "/__support_xen"}]


@pytest.mark.parametrize("wanted, field", [({"name": " x"}, "name"), ({"description": "a\nb"}, "description"), ({"min_ram": -1}, "min_ram")])
def test_wanted_values_are_checked(wanted, field):
    with pytest.raises(ValidationError) as raised:
        validate_wanted(wanted)
    assert raised.value.field == field


class FakeIms(WaitsOnFakeClock):
    """Answers PATCH with a conflict once, then applies what it gets."""

    def __init__(self, raw):
        super().__init__()
        self.raw = raw
        self.patches = []

    def update_image(self, image_id, operations):
        self.patches.append(operations)
        if len(self.patches) == 1:
            raise ApiError("update image", 400, code="IMG.0035")
        return Image.from_api(dict(self.raw, __description=operations[0]["value"]))

    def get_image(self, image_id):
        return Image.from_api(self.raw)


def test_an_attribute_conflict_is_answered_with_add():
    raw = {"id": "i-1", "name": "web", "__description": "old", "status": "active"}
    ims = FakeIms(raw)
    updated = patch_image(ims, Image.from_api(raw), {"description": "new"})
    assert ims.patches == [[{"op": "replace", "path": "/__description", "value": "new"}], [{"op": "add", "path": "/__description", "value": "new"}]]
    assert updated.description == "new"


def test_no_patch_when_nothing_changes():
    ims = FakeIms({})
    image = Image.from_api({"id": "i-1", "name": "web", "__description": "same"})
    assert patch_image(ims, image, {"description": "same"}) is image and ims.patches == []
