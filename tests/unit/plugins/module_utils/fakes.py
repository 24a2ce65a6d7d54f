# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test doubles shared by the client and task tests: a fake clock, scripted or routed httpx transports, a small fake IMS."""

import itertools
import json
import re
from dataclasses import dataclass

import httpx

from ansible_collections.hwcloud.ims.plugins.module_utils._client.ims_client import ImsClient
from ansible_collections.hwcloud.ims.plugins.module_utils._client.waiting import Poller
from ansible_collections.hwcloud.ims.plugins.module_utils._client.wire import tags_to_dict, tags_to_list


class FakeClock:
    """A monotonic clock that only moves when something sleeps."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class WaitsOnFakeClock:
    """What a fake client offers for waiting, as ImsClient does: pollers and the time of ``self.fake_clock``."""

    def __init__(self, clock=None):
        self.fake_clock = clock or FakeClock()

    def poller(self, timeout):
        return Poller(timeout, sleep=self.fake_clock.sleep, clock=self.fake_clock)

    def clock(self):
        return self.fake_clock()

    # The real one: it only needs the poller above.
    send_once = ImsClient.send_once


def answer(status=200, body=None, headers=None, text=None):
    """An httpx.Response with a JSON body (or a text body)."""
    if text is not None:
        return httpx.Response(status, text=text, headers=headers)
    return httpx.Response(status, json=body, headers=headers) if body is not None else httpx.Response(status, headers=headers)


class Script:
    """A MockTransport handler that plays answers in order (the last one repeats) and records every request.

    An answer is an httpx.Response, an exception to raise, or a callable taking the request.
    """

    def __init__(self, *answers):
        self.answers = list(answers)
        self.requests = []

    def __call__(self, request):
        request.read()
        self.requests.append(request)
        reply = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(reply, Exception):
            raise reply
        return reply(request) if callable(reply) else reply

    @property
    def transport(self):
        return httpx.MockTransport(self)


class Router:
    """A MockTransport handler routing ``(METHOD, path regex)`` to handlers ``handler(request, match)``; records requests."""

    def __init__(self):
        self.routes = []
        self.requests = []

    def add(self, method, pattern, handler):
        self.routes.append((method, re.compile(pattern + "$"), handler))
        return self

    def __call__(self, request):
        request.read()
        self.requests.append(request)
        for method, pattern, handler in self.routes:
            match = pattern.match(request.url.path)
            if method == request.method and match:
                return handler(request, match)
        return answer(404, {"error": {"code": "TEST.404", "message": "no route for %s %s" % (request.method, request.url.path)}})

    @property
    def transport(self):
        return httpx.MockTransport(self)

    def calls(self, method, pattern):
        compiled = re.compile(pattern + "$")
        return [request for request in self.requests if request.method == method and compiled.match(request.url.path)]


def body_of(request):
    return json.loads(request.content) if request.content else None


def image_id_of(number):
    """An image ID in UUID form (what ``image_ref.is_image_id`` takes for an ID), numbered for readable tests."""
    return "00000000-0000-4000-8000-%012d" % number


def ims_error(status, code, message):
    return answer(status, {"error": {"code": code, "message": message}})


@dataclass
class FakeJob:
    """A job of FakeIms: done after ``polls`` looks at it (or at one of its images by ID); then SUCCESS (its images
    take ``final_status``) or, with a ``failure`` ``(error_code, fail_reason)``, FAIL (its images are killed)."""

    job_id: str
    job_type: str
    image_ids: list
    polls: int
    failure: tuple = None
    final_status: str = "active"
    looks: int = 0

    @property
    def done(self):
        return self.looks >= self.polls

    def as_json(self):
        status = "RUNNING" if not self.done else "FAIL" if self.failure else "SUCCESS"
        entities = {"image_id": self.image_ids[0]} if self.image_ids else {}
        if len(self.image_ids) > 1:
            entities["sub_jobs_result"] = [{"status": status, "entities": {"image_id": image_id}} for image_id in self.image_ids[1:]]
        code, reason = self.failure if status == "FAIL" else (None, None)
        return {"job_id": self.job_id, "job_type": self.job_type, "status": status, "error_code": code, "fail_reason": reason, "entities": entities}


@dataclass
class _Fault:
    method: str
    pattern: object
    reply: object = None  # an httpx.Response played instead of the real answer
    executed: bool = False  # for a lost response: whether the request took effect before its answer was lost


# Attributes the API names without the "__" prefix; every other attribute of an image carries it.
_UNPREFIXED = frozenset(
    ("id", "name", "status", "owner", "visibility", "protected", "min_disk", "min_ram", "max_ram", "disk_format", "container_format", "virtual_env_type")
    + ("hw_firmware_type", "hw_vif_multiqueue_enabled")
)


def _api_name(attribute):
    """The API's name of a normalized image attribute: os_version -> __os_version, system_cmkid -> __system__cmkid."""
    if attribute in _UNPREFIXED:
        return attribute
    return "__system__cmkid" if attribute == "system_cmkid" else "__" + attribute


def _handles(method, pattern):
    """Mark a FakeIms method as the handler of ``method`` requests whose path matches ``pattern``."""

    def mark(handler):
        handler.routes = getattr(handler, "routes", ()) + ((method, pattern),)
        return handler

    return mark


class FakeIms(Router):
    """A small stateful IMS, as the image life cycle uses it: the query API (by name, owner or ID), jobs, quota, the
    OS version catalog, tags, PATCH, DELETE, the creation calls and the metadata, register and upload steps.

    Images are kept as the API shows them (``__os_version``, ``tags`` as "key=value"). Creations make their images
    ``saving`` behind a FakeJob of ``job_polls`` looks. ``answer_next`` and ``lose_next`` change the next matching
    request: another answer, or a response lost (ReadTimeout) after or before the request took effect; ``observe``
    lets a test look at the world when a request arrives.
    """

    def __init__(self, project_id="p1", quota=20, os_versions=("Ubuntu 22.04 server 64bit",), job_polls=2):
        super().__init__()
        self.project_id = project_id
        self.images = {}
        self.jobs = {}
        self.quota = quota
        self.os_versions = set(os_versions)
        self.job_polls = job_polls
        self.job_failure = None  # (error_code, fail_reason) for the jobs started from now on
        self.job_final_status = "active"
        # How many looks by ID a deleted image stays listed (the query API is eventually consistent).
        self.deleted_linger = 0
        self._lingering = {}
        self._busy = set()  # queued images whose file step is running: register and upload answer IMG.0046
        self._faults = []
        self._observers = []
        self._numbers = itertools.count(1)
        # Each handler below is marked with the requests it answers; "{project}" stands for the project ID.
        for name, member in vars(FakeIms).items():
            for method, pattern in getattr(member, "routes", ()):
                self.add(method, pattern.format(project=re.escape(project_id)), getattr(self, name))

    # --- what tests set up and look at ------------------------------------------------------------------------

    def add_image(self, name, status="active", tags=None, **attributes):
        """An image of this project (unless ``owner`` says otherwise). ``attributes`` have their normalized names
        (``os_version``, ``whole_image``) and are stored under the API's (``__os_version``, ``__whole_image``)."""
        image_id = attributes.pop("id", None) or image_id_of(next(self._numbers))
        image = {
            "id": image_id,
            "name": name,
            "status": status,
            "owner": self.project_id,
            "visibility": "private",
            "__imagetype": "private",
            "protected": False,
            "min_disk": 40,
            "min_ram": 0,
            "disk_format": "zvhd2",
            "virtual_env_type": "FusionCompute",
            "tags": ["%s=%s" % item for item in sorted((tags or {}).items())],
        }
        image.update((_api_name(key), value) for key, value in attributes.items() if value is not None)
        self.images[image_id] = image
        return image_id

    def creating(self, image_id, status="saving"):
        """The image is being created by someone else: it shows ``status`` until its job of ``job_polls`` looks ends."""
        return self._start_job("createImage", [image_id], status).job_id

    def start_file_step(self, image_id):
        """The file step of a queued image has started elsewhere: the image stays queued until the step ends, and
        registering or uploading a file into it answers IMG.0046."""
        self._busy.add(image_id)
        self._start_job("registerImage", [image_id], status="queued")

    def answer_next(self, method, pattern, reply):
        self._faults.append(_Fault(method, re.compile(pattern + "$"), reply=reply))

    def lose_next(self, method, pattern, executed):
        self._faults.append(_Fault(method, re.compile(pattern + "$"), executed=executed))

    def observe(self, method, pattern, callback):
        """Call ``callback(request)`` for every matching request, before it is answered."""
        self._observers.append((method, re.compile(pattern + "$"), callback))

    def tags_of(self, image_id):
        return tags_to_dict(self.images[image_id]["tags"])

    def writes(self):
        """(method, path, body) of every request sent that is no read; a body that is no JSON is left out (None)."""
        return [
            (request.method, request.url.path, body_of(request) if "json" in request.headers.get("Content-Type", "") else None)
            for request in self.requests
            if request.method != "GET"
        ]

    # --- the transport ----------------------------------------------------------------------------------------

    def __call__(self, request):
        for method, pattern, callback in self._observers:
            if method == request.method and pattern.match(request.url.path):
                callback(request)
        fault = next((f for f in self._faults if f.method == request.method and f.pattern.match(request.url.path)), None)
        if fault is None:
            return super().__call__(request)
        self._faults.remove(fault)
        if fault.reply is not None:
            request.read()
            self.requests.append(request)
            return fault.reply
        if fault.executed:
            super().__call__(request)
        else:
            request.read()
            self.requests.append(request)
        raise httpx.ReadTimeout("the response was lost", request=request)

    # --- the API ----------------------------------------------------------------------------------------------

    @_handles("GET", r"/v2/cloudimages")
    def _list(self, request, _match):
        query = request.url.params
        if "id" in query:
            self._look_at(query["id"])
        elif "name" in query:  # a look at every image of the name, as the watch of a creation takes
            for image_id in [image_id for image_id, image in self.images.items() if image.get("name") == query["name"]]:
                self._look_at(image_id)
        found = [image for image in self.images.values() if all(image.get(key) == query[key] for key in ("id", "name", "owner", "status") if key in query)]
        return answer(200, {"images": found})

    def _look_at(self, image_id):
        for job in self.jobs.values():
            if image_id in job.image_ids and not job.done:
                self._advance(job)
        if image_id in self._lingering:
            self._lingering[image_id] -= 1
            if self._lingering[image_id] <= 0:
                del self._lingering[image_id], self.images[image_id]

    def _advance(self, job):
        job.looks += 1
        if job.done:
            for image_id in job.image_ids:
                self._busy.discard(image_id)
                if image_id in self.images:
                    self.images[image_id]["status"] = "killed" if job.failure else job.final_status

    @_handles("GET", r"/v1/{project}/jobs/([^/]+)")
    def _job(self, _request, match):
        job = self.jobs.get(match.group(1))
        if job is None:
            return ims_error(404, "IMG.0221", "the job does not exist")
        if not job.done:
            self._advance(job)
        return answer(200, job.as_json())

    def _start_job(self, job_type, image_ids, status="saving"):
        for image_id in image_ids:
            self.images[image_id]["status"] = status
        job = FakeJob("job-%d" % next(self._numbers), job_type, list(image_ids), self.job_polls, self.job_failure, self.job_final_status)
        self.jobs[job.job_id] = job
        return job

    def _job_started(self, job_type, image_ids):
        return answer(200, {"job_id": self._start_job(job_type, image_ids).job_id})

    @_handles("GET", r"/v1/cloudimages/quota")
    def _quota(self, _request, _match):
        used = sum(1 for image in self.images.values() if image["owner"] == self.project_id)
        return answer(200, {"quotas": {"resources": [{"type": "image", "used": used, "quota": self.quota, "min": 1, "max": 100}]}})

    @_handles("GET", r"/v1/cloudimages/os_version")
    def _os_versions(self, _request, _match):
        return answer(200, [{"platform": "Any", "version_list": [{"os_version": version} for version in sorted(self.os_versions)]}])

    def _new_image(self, body, **attributes):
        return self.add_image(body["name"], tags=tags_to_dict(body.get("image_tags")), description=body.get("description"), **attributes)

    @_handles("POST", r"/v2/cloudimages/action")
    @_handles("POST", r"/v2/cloudimages/quickimport/action")
    def _create(self, request, _match):
        body = body_of(request)
        origin = "instance,%s" % body["instance_id"] if body.get("instance_id") else "file,%s" % body.get("image_url")
        image_ids = [self._new_image(body, data_origin=origin, os_version=body.get("os_version"), min_ram=body.get("min_ram"))]
        image_ids += [self._new_image(data_image, virtual_env_type="DataImage") for data_image in body.get("data_images") or ()]
        return self._job_started("createImage", image_ids)

    @_handles("POST", r"/v1/cloudimages/wholeimages/action")
    def _create_whole(self, request, _match):
        body = body_of(request)
        return self._job_started("createWholeImage", [self._new_image(body, whole_image="true", backup_id=body.get("backup_id"))])

    @_handles("POST", r"/v1/cloudimages/([^/]+)/copy")
    def _copy(self, request, match):
        body = body_of(request)
        return self._job_started("copyImage", [self._new_image(body, originalimagename=match.group(1), system_cmkid=body.get("cmk_id"))])

    @_handles("POST", r"/v2/images")
    def _create_metadata(self, request, _match):
        body = body_of(request)
        tags = dict(tag.split("=", 1) for tag in body.get("tags") or ())
        image_id = self.add_image(
            body["name"], status="queued", tags=tags, disk_format=body.get("disk_format"), os_version=body.get("__os_version"), min_disk=body.get("min_disk", 0)
        )
        return answer(201, self.images[image_id])

    def _file_step(self, image_id):
        """None when the file of the image can be given now, else the error IMS answers."""
        image = self.images.get(image_id)
        if image is None:
            return ims_error(404, "IMG.0001", "the image does not exist")
        if image["status"] != "queued" or image_id in self._busy:
            return ims_error(400, "IMG.0046", "The image is unavailable.")
        return None

    @_handles("PUT", r"/v1/cloudimages/([^/]+)/upload")
    def _register(self, request, match):
        refused = self._file_step(match.group(1))
        if refused is not None:
            return refused
        self.images[match.group(1)][_api_name("data_origin")] = "file,%s" % body_of(request)["image_url"]
        return self._job_started("registerImage", [match.group(1)])

    @_handles("PUT", r"/v2/images/([^/]+)/file")
    def _upload(self, _request, match):
        refused = self._file_step(match.group(1))
        if refused is not None:
            return refused
        self.images[match.group(1)]["status"] = "active"
        return answer(204)

    @_handles("PATCH", r"/v2/cloudimages/([^/]+)")
    def _patch(self, request, match):
        image = self.images.get(match.group(1))
        if image is None:
            return ims_error(404, "IMG.0001", "the image does not exist")
        for operation in body_of(request):
            key = operation["path"].lstrip("/")
            if operation["op"] in ("replace", "remove") and key not in image:
                return ims_error(400, "IMG.0035", "the attribute %s does not exist" % key)
            if operation["op"] == "remove":
                del image[key]
            else:
                image[key] = operation["value"]
        return answer(200, image)

    @_handles("DELETE", r"/v2/images/([^/]+)")
    def _delete(self, _request, match):
        image_id = match.group(1)
        if image_id not in self.images or image_id in self._lingering:
            return ims_error(404, "IMG.0001", "the image does not exist")
        if self.deleted_linger:
            self._lingering[image_id] = self.deleted_linger
        else:
            del self.images[image_id]
        return answer(204)

    @_handles("GET", r"/v2/{project}/images/([^/]+)/tags")
    def _tags(self, _request, match):
        return answer(200, {"tags": tags_to_list(self.tags_of(match.group(1)))})

    @_handles("POST", r"/v2/{project}/images/([^/]+)/tags/action")
    def _tag_action(self, request, match):
        body = body_of(request)
        tags = self.tags_of(match.group(1))
        for item in body["tags"]:
            if body["action"] == "create":
                tags[item["key"]] = item["value"]
            else:
                tags.pop(item["key"], None)
        self.images[match.group(1)]["tags"] = ["%s=%s" % item for item in sorted(tags.items())]
        return answer(204)
