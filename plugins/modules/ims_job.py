#!/usr/bin/python
# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ims_job
short_description: Show an asynchronous IMS job, or wait for it to finish
version_added: 1.0.0
author: hwcloud.ims developers (@hwcloud-ims)
description:
  - IMS answers every image creation, import, copy, export and sharing change with the ID of an asynchronous job.
    This module shows that job and, by default, waits until it has finished, then returns its status, progress and
    every image it produced.
  - Fails when the job ends in C(FAIL), or is still running when O(wait_timeout) has passed; the failed result
    still holds the RV(job) as last seen.
  - A job can be unknown to the service for a moment after it was submitted. When waiting, the module keeps asking
    for up to a minute (at most O(wait_timeout)) before it reports that the job does not exist.
extends_documentation_fragment:
  - hwcloud.ims.connection
  - ansible.builtin.action_common_attributes
options:
  job_id:
    description:
      - ID of the job, as returned by the IMS call that started it.
    type: str
    required: true
  wait:
    description:
      - Whether to wait until the job has finished (C(SUCCESS) or C(FAIL)).
      - With V(false), the job is shown as it is now; the module still fails when the job has already failed.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait at most. Image jobs take minutes; copies of large images can take an hour.
      - Every module of this collection that waits waits at most one hour (3600 s) by default, long enough for the
        slowest IMS job, a copy or import of a large image.
      - The service is asked again after 1 second, then at growing intervals of up to 10 seconds.
    type: int
    default: 3600
attributes:
  check_mode:
    support: full
    details:
      - The module only reads, so check mode changes nothing in its behaviour - it also waits when O(wait=true), and
        its result is the job's real state, which later tasks can rely on.
  diff_mode:
    support: N/A
    details: The module changes nothing.
  platform:
    platforms: all
seealso:
  - module: hwcloud.ims.ims_image_info
"""

EXAMPLES = r"""
- name: Wait for an image job started earlier, for up to an hour
  hwcloud.ims.ims_job:
    job_id: "{{ create_job_id }}"
    wait_timeout: 3600
  register: job

- name: Look the new images up
  hwcloud.ims.ims_image_info:
    id: "{{ item }}"
  loop: "{{ job.job.image_ids }}"

- name: Only show how far a job is
  hwcloud.ims.ims_job:
    job_id: ff8080814dbd65d7014dbe0d84db0013
    wait: false
  register: job_now

- name: Report its progress
  ansible.builtin.debug:
    msg: "{{ job_now.job.job_type }}: {{ job_now.job.status }}, {{ job_now.job.progress | default(0, true) }}% done"

- name: Wait, but carry on when the job failed
  hwcloud.ims.ims_job:
    job_id: "{{ copy_job_id }}"
  register: copy_job
  ignore_errors: true

- name: Explain the failure
  ansible.builtin.debug:
    msg: "{{ copy_job.job.error_code }}: {{ copy_job.job.fail_reason }}"
  when: copy_job is failed and copy_job.job is defined
"""

RETURN = r"""
job:
  description:
    - The job as last seen, also when the module failed because the job failed or did not finish in time.
  type: dict
  returned: success, and when the job failed or did not finish in time
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
      returned: always
      sample: imsCreateImageByInstance
    status:
      description:
        - C(INIT), C(RUNNING), C(SUCCESS) or C(FAIL).
      type: str
      returned: always
      sample: SUCCESS
    begin_time:
      description:
        - Start time (UTC, ISO 8601), if known.
      type: str
      returned: always
      sample: "2024-05-02T09:00:03.586000Z"
    end_time:
      description:
        - End time (UTC, ISO 8601), if finished.
      type: str
      returned: always
      sample: "2024-05-02T09:12:41.120000Z"
    error_code:
      description:
        - Error code of a failed job.
      type: str
      returned: always
      sample: IMG.0014
    fail_reason:
      description:
        - Failure reason of a failed job.
      type: str
      returned: always
    process_percent:
      description:
        - Progress as the service reports it (a fraction from 0 to 1), if any.
      type: float
      returned: always
      sample: 1.0
    progress:
      description:
        - Progress in percent (0 to 100); 100 once the job succeeded.
      type: float
      returned: always
      sample: 100.0
    image_ids:
      description:
        - IDs of every image the job produced (system, data disk and sub-job images), in order.
      type: list
      elements: str
      returned: always
      sample: ["e9e91bff-14b6-4a0b-8377-4ed0813e3360"]
    entities:
      description:
        - The job's raw C(entities) object.
      type: dict
      returned: always
      sample:
        image_id: e9e91bff-14b6-4a0b-8377-4ed0813e3360
        image_name: web-1042
        process_percent: 1.0
        current_task: CreateImageByInstanceTask
"""

from ansible_collections.hwcloud.ims.plugins.module_utils._ims_module import ImsModule
from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.job import show_job


def main():
    module = ImsModule(
        argument_spec={
            "job_id": {"type": "str", "required": True},
            "wait": {"type": "bool", "default": True},
            "wait_timeout": {"type": "int", "default": 3600},
        }
    )
    params = module.params
    module.run(lambda ims: show_job(ims, params["job_id"], params["wait"], params["wait_timeout"]))


if __name__ == "__main__":
    main()
