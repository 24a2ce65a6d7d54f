# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""RETURN of the read modules documents every key of the normalized models, with the models' own descriptions."""

import yaml

from ansible_collections.hwcloud.ims.plugins.module_utils._client.models import IMAGE_FIELDS, JOB_FIELDS
from ansible_collections.hwcloud.ims.plugins.modules import ims_image_info, ims_job


def documented(module, key):
    return yaml.safe_load(module.RETURN)[key]["contains"]


def test_ims_image_info_documents_every_image_field():
    contains = documented(ims_image_info, "images")
    for name, text in IMAGE_FIELDS.items():
        assert contains[name]["description"] == [text], name
        assert contains[name]["returned"] == "always", name


def test_ims_job_documents_every_job_field_and_nothing_else():
    contains = documented(ims_job, "job")
    assert {name: entry["description"] for name, entry in contains.items()} == {name: [text] for name, text in JOB_FIELDS.items()}
