# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""RETURN of every module documents the images and jobs it returns as the models define them, key by key."""

import pytest
import yaml

from ansible_collections.hwcloud.ims.plugins.module_utils._client.models import IMAGE_FIELDS, IMAGE_REPORTED_FIELDS, JOB_FIELDS, MEMBER_FIELDS, QUOTA_FIELDS
from ansible_collections.hwcloud.ims.plugins.modules import ims_image, ims_image_export, ims_image_info, ims_image_member, ims_job, ims_quota_info

# (module, return key): what the key holds.
IMAGE_RETURNS = [(ims_image, "image"), (ims_image, "images"), (ims_image_info, "images")]
JOB_RETURNS = [(ims_image, "job"), (ims_image_export, "job"), (ims_job, "job")]


def documented(module, key):
    return yaml.safe_load(module.RETURN)[key]["contains"]


def descriptions(contains):
    return {name: entry["description"] for name, entry in contains.items()}


@pytest.mark.parametrize("module, key", IMAGE_RETURNS, ids=lambda value: getattr(value, "__name__", value))
def test_every_returned_image_documents_every_image_field(module, key):
    contains = documented(module, key)
    expected = {name: [text] for name, text in dict(IMAGE_FIELDS, **IMAGE_REPORTED_FIELDS).items()}
    assert descriptions(contains) == expected
    for name in IMAGE_FIELDS:
        assert contains[name]["returned"] == "always", name
    for name in IMAGE_REPORTED_FIELDS:
        assert contains[name]["returned"] == "when the service reports it", name


@pytest.mark.parametrize("module, key", IMAGE_RETURNS[:-1], ids=lambda value: getattr(value, "__name__", value))
def test_images_are_documented_alike_everywhere(module, key):
    assert documented(module, key) == documented(ims_image_info, "images")


@pytest.mark.parametrize("module, key", JOB_RETURNS, ids=lambda value: getattr(value, "__name__", value))
def test_every_returned_job_documents_every_job_field(module, key):
    contains = documented(module, key)
    assert descriptions(contains) == {name: [text] for name, text in JOB_FIELDS.items()}
    reference = documented(ims_job, "job")
    for name, entry in contains.items():
        assert (entry["type"], entry.get("elements")) == (reference[name]["type"], reference[name].get("elements")), name


@pytest.mark.parametrize(
    "module, key, fields", [(ims_quota_info, "quota", QUOTA_FIELDS), (ims_image_member, "members", MEMBER_FIELDS)], ids=["quota", "members"]
)
def test_quota_and_members_are_documented_as_the_models_define_them(module, key, fields):
    assert descriptions(documented(module, key)) == {name: [text] for name, text in fields.items()}
