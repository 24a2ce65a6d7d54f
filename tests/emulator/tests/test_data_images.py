# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Data disk images on their own, as the official SDK makes them: of data disks (CreateImage with ``data_images`` and
no ``instance_id``) and of an OBS file (CreateDataImage, ``POST /v1/cloudimages/dataimages/action``)."""

from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkims.v2 import CreateDataImage, CreateDataImageRequest, CreateDataImageRequestBody, CreateImageRequest, CreateImageRequestBody
from test_official_sdk import sdk_client, wait

from ims_emulator.testing import unique_name

DEBIAN_DATA = ["0e386a7c-bf7b-4a44-bb62-e4a453ce97fa", "7c20f3be-e7e8-4605-ae2a-905458a5a7d4"]
WEB_DATA = "f8c84ba8-d4e5-4459-8b91-21fa690b23f5"
SPARE = "605fe443"


def images_of(owner, job):
    return [owner.image(image_id) for image_id in [job.entities.image_id] + [sub.entities.image_id for sub in job.entities.sub_jobs_result or ()]]


def test_data_disks_alone_become_data_disk_images(info, projects, owner):
    client = sdk_client(info, projects[0])
    names = [unique_name("disk") for _volume in DEBIAN_DATA]
    body = CreateImageRequestBody(data_images=[CreateDataImage(name=name, volume_id=volume) for name, volume in zip(names, DEBIAN_DATA, strict=True)])
    job = wait(client, client.create_image(CreateImageRequest(body=body)).job_id)
    assert job.job_type == "imsVolumeCreateImageJob"
    made = {image["name"]: image for image in images_of(owner, job)}
    assert set(made) == set(names)
    assert all(image["virtual_env_type"] == "DataImage" and image["status"] == "active" for image in made.values())
    assert made[names[0]]["__data_origin"] == "volume,%s" % DEBIAN_DATA[0]


def test_data_disks_alone_are_refused_as_the_reference_says(info, projects, world):
    client = sdk_client(info, projects[0])
    spare = next(volume["id"] for volume in world.volumes(projects[0]["id"]) if volume["id"].startswith(SPARE))
    for volumes, code in (([spare], "IMG.0120"), ([DEBIAN_DATA[0], WEB_DATA], "IMG.0140")):
        body = CreateImageRequestBody(data_images=[CreateDataImage(name=unique_name("disk"), volume_id=volume) for volume in volumes])
        try:
            client.create_image(CreateImageRequest(body=body))
        except ClientRequestException as refused:
            assert (refused.status_code, refused.error_code) == (400, code)
        else:
            raise AssertionError("%s was not refused" % volumes)


def test_a_data_disk_image_of_an_obs_file(info, projects, owner):
    client = sdk_client(info, projects[0])
    name = unique_name("datafile")
    body = CreateDataImageRequestBody(name=name, image_url="ims-images:datadisk.qcow2", min_disk=2048, os_type="Linux")
    job = wait(client, client.create_data_image(CreateDataImageRequest(body=body)).job_id)
    image = owner.image(job.entities.image_id)
    assert (image["name"], image["virtual_env_type"], image["min_disk"]) == (name, "DataImage", 2048)
