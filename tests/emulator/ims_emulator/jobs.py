# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Asynchronous IMS jobs, advanced lazily from the clock.

There is no background thread: a job's status follows from its submission time and duration, and whatever a job
does to the world (an image becomes active, a member is added) happens in ``Timeline.run_due``, which the world
calls before every access. A job spends its first tenth in INIT, then RUNNING with a rising ``process_percent``
(a fraction, 0.0 to 1.0), then ends in SUCCESS or FAIL.
"""

import heapq
import itertools
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

#: Share of a job's duration it spends in INIT.
INIT_SHARE = 0.1

#: Job types of the API reference (5.6.1) and of the extras, with the task name a running job reports.
TASKS = {
    "imsCreateImageByInstance": "CreateImageByInstanceTask",
    "imsImportImageJob": "ImportImageTask",
    "imsVolumeCreateImageJob": "VolumeCreateImageTask",
    "imsImportDataImageJob": "ImportDataImageTask",
    "imsCreateWholeImageByInstanceJob": "CreateWholeImageByInstanceTask",
    "imsCreateWholeImageByBackupJob": "CreateWholeImageByBackupTask",
    "imsNativeImportImageJob": "NativeImportImageTask",
    "imsNativeExportImageJob": "NativeExportImageTask",
    "imsAddImageMembersJob": "AddImageMembersTask",
    "imsDelImageMembersJob": "DelImageMembersTask",
    "imsUpdateImageMembersJob": "UpdateImageMembersTask",
    "imsCopyImageInRegionJob": "CopyImageInRegionTask",
    "imsGlanceUploadImageJob": "UploadImageFileTask",
    "imsCopyImageCrossRegionJob": "CopyImageCrossRegionTask",
}


def job_time(moment):
    """A job time as the reference's example shows it: ``04-Jun-2015 18:11:06:586`` (UTC)."""
    stamp = datetime.fromtimestamp(moment, timezone.utc)
    return stamp.strftime("%d-%b-%Y %H:%M:%S:") + "%03d" % (stamp.microsecond // 1000)


class Timeline:
    """Callbacks due at given times, run in time order by ``run_due``."""

    def __init__(self):
        self._events = []
        self._order = itertools.count()

    def at(self, moment, callback):
        heapq.heappush(self._events, (moment, next(self._order), callback))

    def run_due(self, now):
        while self._events and self._events[0][0] <= now:
            callback = heapq.heappop(self._events)[2]
            callback()


@dataclass
class SubJob:
    """A sub-job of a job that makes several images: one image each."""

    id: str
    job_type: str
    image_id: str
    image_name: str


@dataclass
class Job:
    """One asynchronous job. ``source`` is the server, backup or image it reads (one job at a time may);
    ``failure`` is (error_code, fail_reason) when it is bound to fail."""

    id: str
    job_type: str
    project_id: str
    begin: float
    duration: float
    visible_at: float
    image_id: str | None = None
    image_name: str | None = None
    sub_jobs: list[SubJob] = field(default_factory=list)
    member_pairs: list[tuple[str, str]] | None = None
    source: str | None = None
    failure: tuple[str, str] | None = None
    internal: bool = False
    finished: bool = False

    @property
    def end(self):
        return self.begin + self.duration

    def status(self, now):
        if self.finished or now >= self.end:
            return "FAIL" if self.failure else "SUCCESS"
        if now < self.begin + self.duration * INIT_SHARE:
            return "INIT"
        return "RUNNING"

    def progress(self, now):
        if self.duration <= 0 or now >= self.end:
            return 1.0
        return round(max(0.0, now - self.begin) / self.duration, 2)

    def _times(self, status):
        final = status in ("SUCCESS", "FAIL")
        return {"begin_time": job_time(self.begin), "end_time": job_time(self.end) if final else ""}

    def _failure_fields(self, status):
        code, reason = self.failure if status == "FAIL" else (None, None)
        return {"error_code": code, "fail_reason": reason}

    def as_json(self, now):
        """The job as ``GET /v1/{project_id}/jobs/{job_id}`` shows it."""
        status = self.status(now)
        entities = {"process_percent": self.progress(now), "current_task": TASKS.get(self.job_type, self.job_type)}
        if self.image_id:
            entities.update(image_id=self.image_id, image_name=self.image_name)
        if self.sub_jobs:
            entities["sub_jobs_result"] = [self._sub_job_json(sub_job, status) for sub_job in self.sub_jobs]
            entities["sub_jobs_list"] = [sub_job.id for sub_job in self.sub_jobs]
        if self.member_pairs is not None and status in ("SUCCESS", "FAIL"):
            outcome = "failed" if status == "FAIL" else "success"
            entities["results"] = [{"image_id": image_id, "project_id": project_id, "status": outcome} for image_id, project_id in self.member_pairs]
        if status == "FAIL":
            entities.update(self._failure_fields(status))
        return {"status": status, "job_id": self.id, "job_type": self.job_type, **self._times(status), **self._failure_fields(status), "entities": entities}

    def _sub_job_json(self, sub_job, status):
        return {
            "status": status,
            "job_id": sub_job.id,
            "job_type": sub_job.job_type,
            **self._times(status),
            **self._failure_fields(status),
            "entities": {"image_id": sub_job.image_id, "image_name": sub_job.image_name},
        }


@dataclass
class _FailureRule:
    remaining: int
    job_type: str | None
    error_code: str
    fail_reason: str

    def matches(self, job):
        # An untyped rule fails the next job a client asked for, never the emulator's own internal ones.
        return self.job_type == job.job_type or (self.job_type is None and not job.internal)


def new_job_id():
    return uuid.uuid4().hex


class JobBoard:
    """Every job of the world, and the failures tests asked for."""

    def __init__(self, timeline):
        self._timeline = timeline
        self._jobs = {}
        self._failure_rules = []

    def fail_next(self, count, job_type, error_code, fail_reason):
        self._failure_rules.append(_FailureRule(count, job_type, error_code, fail_reason))

    def _take_failure(self, job):
        for rule in self._failure_rules:
            if rule.matches(job):
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self._failure_rules.remove(rule)
                return (rule.error_code, rule.fail_reason)
        return None

    def submit(self, job, on_start: Callable | None = None, on_success: Callable | None = None, on_failure: Callable | None = None):
        """Schedule ``job``: ``on_start`` when it leaves INIT, then ``on_success`` or ``on_failure`` at its end."""
        job.failure = self._take_failure(job)
        self._jobs[job.id] = job

        def finish():
            job.finished = True
            callback = on_failure if job.failure else on_success
            if callback:
                callback()

        if on_start:
            self._timeline.at(job.begin + job.duration * INIT_SHARE, on_start)
        self._timeline.at(job.end, finish)
        return job

    def find(self, job_id, project_id, now):
        """The job as its project may see it now: not another project's, not internal, not before it is visible."""
        job = self._owned(job_id, project_id)
        if job is None or now < job.visible_at:
            return None
        return job

    def lagging(self, job_id, project_id, now):
        """Whether the project's job exists but is not visible yet (the consistency lag)."""
        job = self._owned(job_id, project_id)
        return job is not None and now < job.visible_at

    def _owned(self, job_id, project_id):
        job = self._jobs.get(job_id)
        return job if job is not None and not job.internal and job.project_id == project_id else None

    def unfinished(self, predicate):
        """Whether an unfinished job matches ``predicate``."""
        return self.count_unfinished(predicate) > 0

    def count_unfinished(self, predicate):
        """How many unfinished jobs match ``predicate``."""
        return sum(1 for job in self._jobs.values() if not job.finished and predicate(job))

    def as_json(self):
        return [
            {
                "job_id": job.id,
                "job_type": job.job_type,
                "project_id": job.project_id,
                "finished": job.finished,
                "failure": job.failure,
                "internal": job.internal,
            }
            for job in self._jobs.values()
        ]
