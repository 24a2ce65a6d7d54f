# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sending an export: an existing file, and a request whose response was lost, never fail or export twice."""

import pytest

from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import ApiError, ResponseLostError, WaitTimeoutError
from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.image_export import submit_export
from ansible_collections.hwcloud.ims.tests.unit.plugins.module_utils.fakes import WaitsOnFakeClock


def refusal(code):
    return ApiError("export image img1", 400, code=code, message="refused")


class ExportService(WaitsOnFakeClock):
    """Plays one answer per export request: a job ID, or an exception to raise."""

    def __init__(self, *answers, clock=None):
        super().__init__(clock)
        self.answers = list(answers)
        self.requests = 0

    def export_image(self, image_id, bucket_url, file_format=None, quick=None):
        assert (image_id, bucket_url, file_format, quick) == ("img1", "exports:img1.qcow2", "qcow2", None)
        self.requests += 1
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


LOST = ResponseLostError("export image img1", "https://ims.example/v1/cloudimages/img1/file", "connection dropped")


def submit(service, warnings, grace=0):
    return submit_export(service, "img1", "exports:img1.qcow2", "qcow2", False, warnings.append, grace=grace)


@pytest.mark.parametrize(
    "answers, job_id, existed, lost",
    [
        (["job-1"], "job-1", False, False),
        ([refusal("IMG.0070")], None, True, False),  # the file was there before: nothing exported
        ([LOST, refusal("IMG.0070")], None, False, True),  # the lost request wrote it
        ([LOST, "job-2"], "job-2", False, False),  # the lost request was not executed
    ],
)
def test_what_an_export_request_led_to(answers, job_id, existed, lost):
    service, warnings = ExportService(*answers), []
    submission = submit(service, warnings)
    assert (submission.job_id, submission.existed, submission.lost) == (job_id, existed, lost)
    assert service.requests == len(answers)
    assert len(warnings) == (1 if LOST in answers else 0)


def test_after_a_lost_response_a_running_export_is_waited_for(clock):
    service = ExportService(LOST, refusal("IMG.0148"), refusal("IMG.0148"), refusal("IMG.0070"), clock=clock)
    assert submit(service, [], grace=30).lost
    assert service.requests == 4 and clock.sleeps == [1.0]  # found running at the first look, then polled


def test_an_export_still_running_after_the_grace_fails_clearly():
    with pytest.raises(WaitTimeoutError, match="still running after 0 seconds; run the task again"):
        submit(ExportService(LOST, refusal("IMG.0148"), refusal("IMG.0148")), [])


@pytest.mark.parametrize("answers", [[refusal("IMG.0069")], [LOST, refusal("IMG.0069")]])
def test_other_refusals_are_raised(answers):
    with pytest.raises(ApiError, match="refused"):
        submit(ExportService(*answers), [])
