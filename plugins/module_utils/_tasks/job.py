# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ``ims_job`` does: show an asynchronous IMS job, or wait until it has finished.

Internal to this collection, may change in any release.
"""

from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import JobFailedError

# How long a job may answer 404 right after it was submitted (the service is eventually consistent).
NOT_FOUND_GRACE = 60


def show_job(ims, job_id, wait, wait_timeout):
    """The task result ``{"job": ...}``; a failed job raises JobFailedError, a job still running at the end of the
    wait JobTimeoutError."""
    if wait:
        # A grace as long as the wait: a job still unknown at the end fails as "does not exist", not as a timeout.
        job = ims.wait_for_job(job_id, timeout=wait_timeout, not_found_grace=min(NOT_FOUND_GRACE, wait_timeout))
    else:
        job = ims.get_job(job_id)
        if job.status == "FAIL":
            raise JobFailedError(job)
    return {"job": job.to_dict()}
