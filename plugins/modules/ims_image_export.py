#!/usr/bin/python
# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ims_image_export
short_description: Export a private image to an OBS bucket
version_added: 1.0.0
author: hwcloud.ims developers (@hwcloud-ims)
description:
  - Exports one of the project's private images to a file in an OBS bucket of the Standard storage class
    (C(POST /v1/cloudimages/{id}/file)), waits for the export job and returns it.
  - An action, not a state - every run exports, and reports C(changed=true). IMS refuses to overwrite an existing
    file (C(IMG.0070)); guard the task with a condition when it may run again.
  - Images the API reference says cannot be exported fail before the request, with the reason - public images,
    full-ECS images, ISO images, images larger than 128 GB without O(quick_export) (1 TB with it), and images made
    from a Windows, SUSE, Red Hat, Ubuntu or Oracle Linux public image. The module recognizes that lineage by
    following the image's C(__originalimagename) chain (the image each one was made from) up to the public image it
    starts from, and looking at that image's platform; when the chain cannot be followed to a public image (an image
    imported from a file, or an ancestor that is no longer visible), IMS decides, and refuses with C(IMG.0071).
extends_documentation_fragment:
  - hwcloud.ims.connection
  - ansible.builtin.action_common_attributes
options:
  image:
    description:
      - ID or name of the image; a name is looked up among the project's own images.
    type: str
    required: true
  bucket_url:
    description:
      - Where to write the file, as C(bucket:file); the file name cannot contain spaces and must not exist yet.
    type: str
    required: true
  file_format:
    description:
      - Format of the exported file. Required unless O(quick_export=true).
    type: str
    choices: [qcow2, vhd, zvhd, vmdk]
  quick_export:
    description:
      - Export without converting, in the image's own format (required above 128 GB). Excludes O(file_format).
    type: bool
    default: false
  wait:
    description:
      - Wait until the export job has finished. With V(false), return its RV(job) ID for M(hwcloud.ims.ims_job).
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait at most.
    type: int
    default: 3600
attributes:
  check_mode:
    support: full
    details:
      - Check mode looks the image up, makes the same pre-flight checks and reports C(changed=true) with a message
        saying what would be exported where, without sending the export request.
  diff_mode:
    support: none
  platform:
    platforms: all
seealso:
  - module: hwcloud.ims.ims_image
  - module: hwcloud.ims.ims_job
"""

EXAMPLES = r"""
- name: Export the Debian base image as QCOW2
  hwcloud.ims.ims_image_export:
    image: base-debian-10
    bucket_url: ims-exports:base-debian-10.qcow2
    file_format: qcow2
  register: exported

- name: Quick export, resumed later
  hwcloud.ims.ims_image_export:
    image: 3804438f-f910-4d39-acbb-9430ce68708e
    bucket_url: ims-exports:base-debian-10-fast.zvhd2
    quick_export: true
    wait: false
  register: export_started

- name: Wait for the export
  hwcloud.ims.ims_job:
    job_id: "{{ export_started.job.job_id }}"
"""

RETURN = r"""
msg:
  description:
    - What was exported where (in check mode, what would be).
  type: str
  returned: always
  sample: exported image 3804438f-f910-4d39-acbb-9430ce68708e (base-debian-10) to ims-exports:base-debian-10.qcow2
image_id:
  description:
    - ID of the exported image.
  type: str
  returned: always
  sample: 3804438f-f910-4d39-acbb-9430ce68708e
job:
  description:
    - The export job, as M(hwcloud.ims.ims_job) returns it; V(null) in check mode; only RV(job.job_id) with
      O(wait=false).
  type: dict
  returned: always
  contains:
    job_id:
      description:
        - Job ID.
      type: str
      returned: always
      sample: edc89b490d7d4392898e19b2deb34797
    status:
      description:
        - C(SUCCESS) once waited for.
      type: str
      returned: when waited for
      sample: SUCCESS
"""

from ansible_collections.hwcloud.ims.plugins.module_utils.image_export import check_export_request, check_exportable
from ansible_collections.hwcloud.ims.plugins.module_utils.image_ref import is_image_id, require_image
from ansible_collections.hwcloud.ims.plugins.module_utils.module_base import ImsModule


def main():
    module = ImsModule(argument_spec={
        "image": {"type": "str", "required": True},
        "bucket_url": {"type": "str", "required": True},
        "file_format": {"type": "str", "choices": ["qcow2", "vhd", "zvhd", "vmdk"]},
        "quick_export": {"type": "bool", "default": False},
        "wait": {"type": "bool", "default": True},
        "wait_timeout": {"type": "int", "default": 3600},
    })
    params = module.params

    def export(ims):
        check_export_request(params["bucket_url"], params["file_format"], params["quick_export"])
        # By ID any visible image, so that a public or foreign one is refused with its reason, not as "no such image".
        image = require_image(ims, params["image"], own_only=not is_image_id(params["image"]))
        check_exportable(ims, image, params["quick_export"])
        what = "image %s (%s) to %s" % (image.id, image.name, params["bucket_url"])
        if module.check_mode:
            return {"changed": True, "msg": "would export " + what, "image_id": image.id, "job": None}
        job_id = ims.export_image(image.id, params["bucket_url"], params["file_format"], params["quick_export"] or None)
        job = ims.wait_for_job(job_id, timeout=params["wait_timeout"]).to_dict() if params["wait"] else {"job_id": job_id}
        return {"changed": True, "msg": "exported " + what if params["wait"] else "started exporting " + what, "image_id": image.id, "job": job}

    module.run(export)


if __name__ == "__main__":
    main()
