# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The job waiter: backoff, 404 grace, FAIL, timeout, progress, image IDs of every job shape."""

import pytest

from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import JobFailedError, JobTimeoutError, NotFoundError
from ansible_collections.hwcloud.ims.plugins.module_utils._client.ims_client import ImsClient
from ansible_collections.hwcloud.ims.plugins.module_utils._client.models import Job
from ansible_collections.hwcloud.ims.plugins.module_utils._client.waiting import Poller, PollSchedule, poll_until, wait_for_job
from ansible_collections.hwcloud.ims.tests.unit.plugins.module_utils.fakes import Router, answer

NOT_FOUND = {"error": {"code": "IMG.0027", "message": "job not found"}}


def job(status, **fields):
    return dict({"job_id": "j1", "job_type": "imsCreateImageByInstance", "status": status, "begin_time": "04-Jun-2015 18:11:06:586", "end_time": ""}, **fields)


@pytest.fixture
def ims_with_jobs(make_session):
    """An ImsClient whose job endpoint plays the given answers (the last repeats)."""

    def build(*answers):
        pending = list(answers)

        def handler(_request, _match):
            return pending.pop(0) if len(pending) > 1 else pending[0]

        router = Router().add("GET", "/v1/p1/jobs/j1", handler)
        return ImsClient(make_session(router), "https://ims.example.com", "p1", auth=None), router

    return build


def poller(clock, timeout=600):
    return Poller(timeout, sleep=clock.sleep, clock=clock)


def test_success_returns_every_image_id(ims_with_jobs, clock):
    entities = {
        "image_id": "sys",
        "process_percent": 1.0,
        "sub_jobs_result": [{"status": "SUCCESS", "entities": {"image_id": "data-1"}}, {"status": "SUCCESS", "entities": {"image_id": "data-2"}}],
        "results": [{"image_id": "sys", "project_id": "p2", "status": "success"}, {"image_id": "shared", "project_id": "p3", "status": "success"}],
    }
    ims, router = ims_with_jobs(answer(200, job("RUNNING", entities={"process_percent": 0.5})), answer(200, job("SUCCESS", entities=entities)))
    done = ims.wait_for_job("j1", poller=poller(clock))
    assert done.image_ids == ["sys", "data-1", "data-2", "shared"]
    assert len(router.requests) == 2 and clock.sleeps == [1.0]


@pytest.mark.parametrize(
    "entities, image_ids",
    [
        ({"image_id": "a"}, ["a"]),
        ({"sub_jobs_result": [{"entities": {"image_id": "b"}}, {"entities": {}}], "sub_jobs_list": ["s1", "s2"]}, ["b"]),
        ({"results": [{"image_id": "c", "status": "success"}]}, ["c"]),
        ({}, []),
    ],
)
def test_image_ids_from_each_shape(entities, image_ids):
    assert Job.from_api(job("SUCCESS", entities=entities)).image_ids == image_ids


def test_poll_intervals_grow_to_a_cap(ims_with_jobs, clock):
    ims, _router = ims_with_jobs(*([answer(200, job("RUNNING"))] * 12 + [answer(200, job("SUCCESS"))]))
    ims.wait_for_job("j1", poller=poller(clock))
    assert clock.sleeps[:3] == [1.0, 1.5, 2.25] and max(clock.sleeps) == 10.0 and clock.sleeps == sorted(clock.sleeps)


def test_404_right_after_submission_is_tolerated(ims_with_jobs, clock):
    ims, router = ims_with_jobs(answer(404, NOT_FOUND), answer(404, NOT_FOUND), answer(200, job("SUCCESS", entities={"image_id": "a"})))
    assert ims.wait_for_job("j1", poller=poller(clock), not_found_grace=30).image_ids == ["a"]
    assert len(router.requests) == 3


def test_404_beyond_the_grace_period_raises(ims_with_jobs, clock):
    ims, _router = ims_with_jobs(answer(404, NOT_FOUND))
    with pytest.raises(NotFoundError) as caught:
        ims.wait_for_job("j1", poller=poller(clock), not_found_grace=5)
    assert caught.value.code == "IMG.0027" and "get job j1" in str(caught.value)
    assert sum(clock.sleeps) >= 5


@pytest.mark.parametrize(
    "failed, code, reason",
    [
        (job("FAIL", error_code="IMG.0008", fail_reason="The ECS is not stopped"), "IMG.0008", "The ECS is not stopped"),
        (job("FAIL", error_code=None, fail_reason=None, entities={"error_code": "IMG.0014", "fail_reason": "task failed"}), "IMG.0014", "task failed"),
        (job("FAIL"), None, None),
    ],
)
def test_fail_raises_with_code_and_reason(ims_with_jobs, clock, failed, code, reason):
    ims, _router = ims_with_jobs(answer(200, job("INIT")), answer(200, failed))
    with pytest.raises(JobFailedError) as caught:
        ims.wait_for_job("j1", poller=poller(clock))
    assert (caught.value.error_code, caught.value.fail_reason, caught.value.job_id) == (code, reason, "j1")
    assert str(caught.value).startswith("job j1 (imsCreateImageByInstance) failed: ")
    if code is None:
        assert str(caught.value).endswith("no reason given")


def test_timeout_reports_the_last_state(ims_with_jobs, clock):
    ims, router = ims_with_jobs(answer(200, job("RUNNING", entities={"process_percent": 42})))
    started = clock.now
    with pytest.raises(JobTimeoutError) as caught:
        ims.wait_for_job("j1", poller=poller(clock, timeout=60))
    assert clock.now - started == 60  # the last sleep is cut to the deadline, then one final poll
    assert caught.value.job.status == "RUNNING" and caught.value.timeout == 60
    assert str(caught.value) == "job j1 did not finish within 60 seconds (last status RUNNING, 42% done); it may still be running"
    assert len(router.requests) == len(clock.sleeps) + 1


def test_timeout_of_a_never_seen_job(clock):
    def never(_job_id):
        raise NotFoundError("get job", 404)

    with pytest.raises(JobTimeoutError) as caught:
        wait_for_job(never, "j1", not_found_grace=1000, poller=Poller(20, sleep=clock.sleep, clock=clock))
    assert "never found" in str(caught.value)


def test_progress_is_reported_on_change_only(ims_with_jobs, clock):
    answers = [
        job("INIT"),
        job("RUNNING", entities={"process_percent": 0.1}),
        job("RUNNING", entities={"process_percent": 0.1}),
        job("RUNNING", entities={"process_percent": 0.6}),
        job("SUCCESS", entities={"image_id": "a"}),
    ]
    ims, _router = ims_with_jobs(*[answer(200, body) for body in answers])
    seen = []
    ims.wait_for_job("j1", poller=poller(clock), on_progress=lambda progress: seen.append((progress.status, progress.process_percent)))
    assert seen == [("INIT", None), ("RUNNING", 0.1), ("RUNNING", 0.6), ("SUCCESS", None)]


def test_schedule_defaults():
    schedule = PollSchedule()
    assert [schedule.interval(number) for number in range(8)][:2] == [1.0, 1.5] and schedule.interval(50) == 10.0


def test_poll_until_returns_the_first_true_answer_or_none_after_the_timeout(clock):
    answers = iter([None, 0, "found"])
    assert poll_until(lambda: next(answers), 600, poller(clock)) == "found"
    assert clock.sleeps == [1.0, 1.5]
    looks = []
    assert poll_until(lambda: looks.append(clock()), 5, poller(clock, timeout=5)) is None
    assert looks[-1] - looks[0] == 5  # the last look happens at the deadline
