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
  - IMS never overwrites a file. When the file already exists (IMS answers C(IMG.0070)), nothing is exported and the
    task reports C(changed=false), or fails with O(existing_file=fail). A re-run of a playbook therefore does not fail
    and does not export again. Name the file after the image (its name or ID) so an existing file is this image's
    export.
  - Before the request the bucket and the file are read from OBS where possible (see the check mode details), and a
    missing or non-Standard bucket fails, an existing file is kept or refused without asking IMS.
  - When the outcome of the export request is unknown (HTTP 500 to 504, a timeout, a dropped connection), the request
    is sent again - IMS cannot export twice to one file, nor run two exports of one image - and a file that exists by
    then counts as exported by the lost request; an export still running is waited for.
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
      - The file name follows OBS's rules for object names, checked before any request - at most 1024 bytes, no
        control characters or backslashes, C(/) only between non-empty folder names, and no C(.) or C(..) folder.
    type: str
    required: true
  file_format:
    description:
      - Format of the exported file. Required unless O(quick_export=true).
    type: str
    choices: [qcow2, vhd, zvhd, vmdk]
  existing_file:
    description:
      - What to do when the file already exists in the bucket.
      - V(keep) leaves it, exports nothing and reports no change; V(fail) fails the task with the IMS error.
    type: str
    choices: [keep, fail]
    default: keep
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
      - Seconds to wait at most for the export job.
      - Every module of this collection that waits waits at most one hour (3600 s) by default, long enough for the
        slowest IMS job, a copy or import of a large image.
    type: int
    default: 3600
attributes:
  check_mode:
    support: full
    details:
      - Check mode looks the image up, makes the same pre-flight checks and reports C(changed=true) with a message
        saying what would be exported where, without sending the export request.
      - IMS has no API to look into a bucket; OBS has. Where OBS can be read (O(obs_endpoint) known, AK/SK
        credentials, the permission to read the bucket), the file is looked for first (a C(HEAD) with OBS's own
        signature), in check mode too - an existing file is predicted as C(changed=false) (or a failure with
        O(existing_file=fail)) exactly as the real run, which then sends no export request for it. Elsewhere, with a
        warning saying why, check mode predicts an export even for an existing file.
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

- name: Export a release once; fail if a file of that name is already in the bucket
  hwcloud.ims.ims_image_export:
    image: base-debian-10
    bucket_url: "ims-exports:base-debian-10-{{ release }}.vmdk"
    file_format: vmdk
    existing_file: fail

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
    - What was exported where (in check mode, what would be), or that the file already existed.
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
    - The export job, as M(hwcloud.ims.ims_job) returns it; only RV(job.job_id) with O(wait=false).
    - V(null) in check mode, when the file already existed, and when the export was made by a request whose response
      was lost (its job ID is unknown).
  type: dict
  returned: always
  contains:
    job_id:
      description:
        - Job ID.
      type: str
      returned: always
      sample: ff8080814dbd65d7014dbe0d84db0013
    job_type:
      description:
        - Job type, for example C(imsCreateImageByInstance).
      type: str
      returned: when waited for
      sample: imsCreateImageByInstance
    status:
      description:
        - C(INIT), C(RUNNING), C(SUCCESS) or C(FAIL).
      type: str
      returned: when waited for
      sample: SUCCESS
    begin_time:
      description:
        - Start time (UTC, ISO 8601), if known.
      type: str
      returned: when waited for
      sample: "2024-05-02T09:00:03.586000Z"
    end_time:
      description:
        - End time (UTC, ISO 8601), if finished.
      type: str
      returned: when waited for
      sample: "2024-05-02T09:12:41.120000Z"
    error_code:
      description:
        - Error code of a failed job.
      type: str
      returned: when waited for
      sample: IMG.0014
    fail_reason:
      description:
        - Failure reason of a failed job.
      type: str
      returned: when waited for
    process_percent:
      description:
        - Progress as the service reports it (a fraction from 0 to 1), if any.
      type: float
      returned: when waited for
      sample: 1.0
    progress:
      description:
        - Progress in percent (0 to 100); 100 once the job succeeded.
      type: float
      returned: when waited for
      sample: 100.0
    image_ids:
      description:
        - IDs of every image the job produced (system, data disk and sub-job images), in order.
      type: list
      elements: str
      returned: when waited for
      sample: ["e9e91bff-14b6-4a0b-8377-4ed0813e3360"]
    entities:
      description:
        - The job's raw C(entities) object.
      type: dict
      returned: when waited for
      sample:
        image_id: e9e91bff-14b6-4a0b-8377-4ed0813e3360
        image_name: web-1042
        process_percent: 1.0
        current_task: CreateImageByInstanceTask
"""

from ansible_collections.hwcloud.ims.plugins.module_utils._ims_module import ImsModule
from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.image_export import EXISTING_FILE_CHOICES, EXPORT_FORMATS, check_export_request, export_image


def main():
    module = ImsModule(
        argument_spec={
            "image": {"type": "str", "required": True},
            "bucket_url": {"type": "str", "required": True},
            "file_format": {"type": "str", "choices": list(EXPORT_FORMATS)},
            "existing_file": {"type": "str", "choices": list(EXISTING_FILE_CHOICES), "default": "keep"},
            "quick_export": {"type": "bool", "default": False},
            "wait": {"type": "bool", "default": True},
            "wait_timeout": {"type": "int", "default": 3600},
        }
    )
    params = module.params
    module.preflight(check_export_request, params["bucket_url"], params["file_format"], params["quick_export"])
    module.run(lambda ims: export_image(ims, module.params, module.check_mode, module.warn))


if __name__ == "__main__":
    main()
