# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Normalized models: images, jobs, members and quotas as the API returns them."""

import pytest

from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import UnexpectedResponseError
from ansible_collections.hwcloud.ims.plugins.module_utils._client.models import (
    IMAGE_FIELDS,
    JOB_FIELDS,
    MEMBER_FIELDS,
    QUOTA_FIELDS,
    Image,
    Job,
    Member,
    Quota,
)

# An image as GET /v2/cloudimages returns it (API reference 5.1.2 example, trimmed).
RAW_IMAGE = {
    "file": "/v2/images/33ad552d-1149-471c-8190-ff6776174a00/file",
    "owner": "0b1e494e2660441a957313163095fe5c",
    "id": "33ad552d-1149-471c-8190-ff6776174a00",
    "size": 2,
    "status": "active",
    "tags": ["family=web", "channel.stable", "bare"],
    "visibility": "private",
    "name": "ims_test",
    "protected": False,
    "min_ram": 0,
    "min_disk": 40,
    "max_ram": "",
    "__os_bit": "64",
    "__os_version": "Ubuntu 14.04 server 64bit",
    "__description": "ims test",
    "disk_format": "vhd",
    "__isregistered": "true",
    "__platform": "Ubuntu",
    "__os_type": "Linux",
    "__imagetype": "private",
    "__image_size": "449261568",
    "__lazyloading": "True",
    "__support_kvm": "true",
    "__support_xen_gpu_type": "V100_vGPU",
    "__whole_image": "False",
    "__system__cmkid": "bd66288c",
    "__data_origin": None,
    "hw_vif_multiqueue_enabled": "false",
    "created_at": "2015-12-04T09:45:33Z",
}


def test_image_normalization():
    image = Image.from_api(RAW_IMAGE).to_dict()
    assert image["os_version"] == "Ubuntu 14.04 server 64bit" and image["imagetype"] == "private" and image["description"] == "ims test"
    assert image["image_size"] == 449261568 and image["min_disk"] == 40 and image["max_ram"] is None and image["size"] == 2
    assert image["isregistered"] is True and image["whole_image"] is False and image["protected"] is False
    assert image["lazyloading"] is True and image["support_kvm"] is True and image["hw_vif_multiqueue_enabled"] is False
    assert image["support_xen_gpu_type"] == "V100_vGPU" and image["system_cmkid"] == "bd66288c"
    assert image["tags"] == {"family": "web", "channel": "stable", "bare": ""}
    assert image["created_at"] == "2015-12-04T09:45:33Z"
    assert not any(key.startswith("_") for key in image)


def test_text_attributes_stay_text_and_prefixed_wins():
    image = Image.from_api({"id": "i", "name": "true", "description": "plain", "__description": "prefixed", "__os_version": "false"})
    assert image.name == "true" and image.description == "prefixed" and image.os_version == "false"


def test_image_without_id_is_an_unexpected_response():
    with pytest.raises(UnexpectedResponseError) as caught:
        Image.from_api({"name": "x"})
    assert "id" in str(caught.value)


def test_every_declared_field_is_documented():
    for model, fields in ((Image, IMAGE_FIELDS), (Job, JOB_FIELDS), (Member, MEMBER_FIELDS), (Quota, QUOTA_FIELDS)):
        assert set(model.model_fields) == set(fields), model.__name__


def test_job_normalization_and_failure_sources():
    job = Job.from_api(
        {
            "status": "FAIL",
            "job_id": "j",
            "job_type": "imsCopyImageInRegionJob",
            "begin_time": "04-Jun-2015 18:11:06:586",
            "end_time": "",
            "error_code": None,
            "fail_reason": None,
            "entities": {"error_code": "IMG.0014", "fail_reason": "openstack error", "process_percent": "0.5"},
        }
    )
    assert (job.error_code, job.fail_reason, job.process_percent, job.end_time) == ("IMG.0014", "openstack error", 0.5, None)
    assert job.to_dict()["begin_time"] == "2015-06-04T18:11:06.586000Z" and job.finished
    sub = Job.from_api(
        {
            "status": "FAIL",
            "job_id": "j",
            "entities": {
                "sub_jobs_result": [
                    {"status": "SUCCESS", "entities": {"image_id": "a"}},
                    {"status": "FAIL", "error_code": "IMG.0022", "fail_reason": "disk state"},
                ]
            },
        }
    )
    assert (sub.error_code, sub.fail_reason, sub.image_ids) == ("IMG.0022", "disk state", ["a"])
    running = Job.from_api({"status": "running", "job_id": "j", "entities": None})
    assert running.status == "RUNNING" and not running.finished and running.image_ids == []


def test_member_and_quota():
    member = Member.from_api(
        {
            "status": "pending",
            "created_at": "2016-09-01T02:05:14Z",
            "updated_at": "2016-09-01T02:05:14Z",
            "image_id": "i",
            "member_id": "p",
            "schema": "/v2/schemas/member",
        }
    )
    assert member.to_dict() == {
        "image_id": "i",
        "member_id": "p",
        "status": "pending",
        "created_at": "2016-09-01T02:05:14Z",
        "updated_at": "2016-09-01T02:05:14Z",
    }
    resources = [{"type": "other", "used": 9, "quota": 9}, {"type": "image", "used": 3, "quota": 20, "min": 1, "max": 1000}]
    quota = Quota.from_api({"quotas": {"resources": resources}})
    assert quota.to_dict() == {"used": 3, "quota": 20, "min": 1, "max": 1000}


@pytest.mark.parametrize(
    "status, reported, progress",
    [
        ("RUNNING", 0.2, 20.0),
        ("RUNNING", "0.455", 45.5),
        ("RUNNING", 42, 42.0),
        ("INIT", None, None),
        ("SUCCESS", 0.9, 100.0),
    ],
)
def test_job_progress_is_a_percentage(status, reported, progress):
    entities = {} if reported is None else {"process_percent": reported}
    job = Job.from_api({"job_id": "j1", "status": status, "entities": entities})
    assert job.progress == progress
