# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Choosing the creation source and building its request, without any request."""

import pytest

from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import ValidationError
from ansible_collections.hwcloud.ims.plugins.module_utils._client.models import Image
from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.image import immutable_differences
from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.image_sources import CREATION_OPTIONS, select_source

BASE = dict(dict.fromkeys(CREATION_OPTIONS), name="img", description=None, tags=None, min_ram=None, whole_image=False, quick_import=False, register=False)


def params(**changes):
    return dict(BASE, **changes)


class Recorder:
    """Records the client call a source makes."""

    def __init__(self):
        self.calls = []

    def __getattr__(self, method):
        def record(*args, **kwargs):
            self.calls.append((method,) + args + ((kwargs,) if kwargs else ()))
            return "job-1"

        return record


@pytest.mark.parametrize(
    "changes, kind",
    [
        ({"instance_id": "s"}, "instance"),
        ({"instance_id": "s", "whole_image": True}, "whole_image"),
        ({"backup_id": "b", "whole_image": True}, "whole_image"),
        ({"volume_id": "v", "os_version": "CentOS 7.6 64bit"}, "volume"),
        ({"image_url": "b:f", "min_disk": 40}, "file"),
        ({"image_url": "b:f", "min_disk": 40, "quick_import": True, "os_version": "CentOS 7.6 64bit"}, "quick_import"),
        ({"image_url": "b:f", "register": True}, "register"),
        ({"source_image": "other"}, "copy"),
        ({"source_image": "other", "source_region": "r2", "agency_name": "a"}, "replica"),
        ({"volume_id": "v", "image_type": "DataImage"}, "data_disk"),
        ({"data_disks": [{"volume_id": "v", "name": "img"}]}, "data_disk"),
        ({"image_url": "b:f", "min_disk": 2048, "image_type": "DataImage"}, "data_file"),
    ],
)
def test_the_source_follows_the_options(changes, kind):
    assert select_source(params(**changes)).kind == kind


@pytest.mark.parametrize(
    "changes, field",
    [
        ({}, "name"),
        ({"instance_id": "s", "image_url": "b:f"}, "name"),
        ({"instance_id": "s", "min_disk": 40}, "min_disk"),
        ({"image_url": "b:f", "min_disk": 0}, "min_disk"),
        ({"image_url": "b:f", "min_disk": 40, "data_images": [{"image_url": "b:g", "min_disk": 4096}]}, "data_images[1].min_disk"),
        ({"image_url": "b:f", "min_disk": 2048, "image_type": "DataImage", "data_images": [{"image_url": "b:g", "min_disk": 40}]}, "data_images"),
        ({"image_url": "b:f", "min_disk": 2049, "image_type": "DataImage"}, "min_disk"),
        ({"image_url": "b:f", "min_disk": 40, "image_type": "DataImage", "os_type": "Other"}, "os_type"),
        ({"data_disks": [{"volume_id": "v", "name": "other"}]}, "name"),
        ({"image_url": "b:f", "min_disk": 40, "image_type": "IsoImage"}, "os_version"),
        ({"image_url": "b:f", "quick_import": True, "register": True}, "quick_import"),
        ({"volume_id": "v", "os_version": "x", "image_type": "DataImage"}, "os_version"),
        ({"source_image": "other", "max_ram": 1024}, "max_ram"),
        ({"whole_image": True}, "whole_image"),
        ({"source_image": "other", "source_region": "r2"}, "agency_name"),
        ({"source_image": "other", "source_region": "r2", "agency_name": "a", "cmk_id": "k"}, "cmk_id"),
        ({"source_image": "other", "vault_id": "v"}, "vault_id"),
        ({"instance_id": "s", "data_disks": [{"volume_id": "v1", "name": "镜像", "description": None, "tags": None}]}, "data_disks[1].name"),
    ],
)
def test_rules_that_need_no_request(changes, field):
    with pytest.raises(ValidationError) as raised:
        select_source(params(**changes))
    assert raised.value.field == field


def test_an_ecs_image_with_data_disks_and_tags():
    ims = Recorder()
    source = select_source(
        params(instance_id="s", tags={"b": "2", "a": "1"}, min_ram=512, data_disks=[{"volume_id": "v1", "name": "d1", "description": None, "tags": None}])
    )
    assert source.image_count == 2
    source.submit(ims)
    tags = [{"key": "a", "value": "1"}, {"key": "b", "value": "2"}]
    assert ims.calls == [
        ("create_image", {"name": "img", "instance_id": "s", "min_ram": 512, "image_tags": tags, "data_images": [{"name": "d1", "volume_id": "v1"}]})
    ]


def test_data_disk_images_of_an_ecs_get_their_tags_as_strings():
    """5.1.3 Table 5-5: an ECS's data disks take ``tags`` strings; a file import's data images take ``image_tags``."""
    ims = Recorder()
    disks = [{"volume_id": "v1", "name": "d1", "description": None, "tags": {"role": "data"}}]
    select_source(params(instance_id="s", data_disks=disks)).submit(ims)
    assert ims.calls[0][1]["data_images"] == [{"name": "d1", "volume_id": "v1", "tags": ["role.data"]}]
    files = [{"image_url": "b:g", "min_disk": 40, "name": "g", "tags": {"role": "data"}, "quick_import": False}]
    select_source(params(image_url="b:f", min_disk=40, data_images=files)).submit(ims)
    assert ims.calls[1][1]["data_images"] == [{"image_url": "b:g", "min_disk": 40, "name": "g", "image_tags": [{"key": "role", "value": "data"}]}]
    with pytest.raises(ValidationError) as raised:
        select_source(params(instance_id="s", data_disks=[dict(disks[0], tags={"my role": "data"})]))
    assert raised.value.field == "data_disks[1].tags"


def test_names_of_further_images_follow_the_cloud():
    disks = [{"volume_id": "v1", "name": "数据盘", "description": None, "tags": None}]
    assert select_source(params(instance_id="s", data_disks=disks), "huaweicloud").image_count == 2
    with pytest.raises(ValidationError) as raised:
        select_source(params(instance_id="s", data_disks=disks), "otc")
    assert raised.value.field == "data_disks[1].name"


def test_a_replica_is_requested_from_the_source_region():
    target, source_region = Recorder(), Recorder()
    target.region = "r1"
    source = select_source(params(source_image="web", source_region="r2", agency_name="ims_admin_agency", vault_id="v-1", description="d"))
    source.source, source.source_client, source.project_name = Image.from_api({"id": "i-9"}), source_region, "r1_apps"
    submitted = source.submit(target)
    assert target.calls == [] and submitted.job_client is source_region
    assert source_region.calls == [("copy_image_cross_region", "i-9", "img", "r1", "r1_apps", "ims_admin_agency", {"description": "d", "vault_id": "v-1"})]


def test_a_quick_import_of_a_data_disk_sends_the_os_type():
    ims = Recorder()
    select_source(params(image_url="b:f", quick_import=True, min_disk=100, image_type="DataImage", os_type="Windows")).submit(ims)
    assert ims.calls == [("quick_import_image", {"name": "img", "image_url": "b:f", "min_disk": 100, "type": "DataImage", "os_type": "Windows"})]


def test_data_disk_images_of_a_volume_alone_and_more_disks():
    ims = Recorder()
    disk = {"volume_id": "v2", "name": "d2", "description": "second", "tags": {"k": "v"}}
    source = select_source(params(volume_id="v1", image_type="DataImage", description="first", data_disks=[disk]))
    assert source.image_count == 2
    source.submit(ims)
    bodies = [
        {"volume_id": "v1", "name": "img", "description": "first"},
        {"volume_id": "v2", "name": "d2", "description": "second", "tags": ["k.v"]},
    ]
    assert ims.calls == [("create_image", {"data_images": bodies})]


def test_data_disks_alone_send_the_image_of_the_name_first():
    ims = Recorder()
    disks = [{"volume_id": "v1", "name": "other", "description": None, "tags": None}, {"volume_id": "v2", "name": "img", "description": None, "tags": None}]
    select_source(params(data_disks=disks)).submit(ims)
    assert [body["name"] for body in ims.calls[0][1]["data_images"]] == ["img", "other"]
    assert "instance_id" not in ims.calls[0][1]


def test_a_data_disk_image_of_a_file_uses_the_data_image_api():
    ims = Recorder()
    select_source(params(image_url="b:f", min_disk=2048, image_type="DataImage", os_type="Windows", cmk_id="k", tags={"a": "1"})).submit(ims)
    body = {"name": "img", "image_url": "b:f", "min_disk": 2048, "os_type": "Windows", "cmk_id": "k", "image_tags": [{"key": "a", "value": "1"}]}
    assert ims.calls == [("create_data_image", body)]


def test_differences_in_creation_options_are_found():
    image = Image.from_api({"id": "i", "__data_origin": "instance,s1", "__os_version": "CentOS 7.6 64bit", "min_disk": 40})
    found = list(immutable_differences(image, params(instance_id="s2", min_disk=40), None))
    assert found == [("instance_id", "s2", "instance,s1")]
    assert list(immutable_differences(image, params(instance_id="s1"), None)) == []
