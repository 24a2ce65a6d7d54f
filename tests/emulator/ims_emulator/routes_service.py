# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The IMS extension APIs about the service rather than one image: the image quota, the status of asynchronous jobs
(5.6.1, and the job progress call the official SDK also makes) and the OS version catalog (the SDK's
ListOsVersions).

An unknown job (or another project's) answers 400 IMG.0023, as the error table has it; a new one still within the
consistency lag answers 404 IMG.0023, as IMS does right after a submission.
"""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .attributes import check_choice
from .errors import GuardedRoute, ImsError
from .params import single_params
from .route_helpers import locked_world, transaction

router = APIRouter(route_class=GuardedRoute)


@router.get("/v1/cloudimages/quota")
async def show_quota(request: Request):
    with transaction(request) as (world, project_id):
        return JSONResponse({"quotas": {"resources": [world.project(project_id).quota_json()]}})


def _job(world, project_id, job_id):
    now = world.now()
    job = world.jobs.find(job_id, project_id, now)
    if job is None:
        lagging = world.jobs.lagging(job_id, project_id, now)
        raise ImsError("IMG.0023", "The job is not visible yet." if lagging else "The job does not exist.", 404 if lagging else None)
    return job


@router.get("/v1/{project_id}/jobs/{job_id}")
async def show_job(project_id: str, job_id: str, request: Request):
    with locked_world(request, project_id) as world:
        return JSONResponse(_job(world, project_id, job_id).as_json(world.now()))


@router.get("/v1/cloudimages/job/{job_id}")
async def show_job_progress(job_id: str, request: Request):
    with transaction(request) as (world, project_id):
        return JSONResponse(_job(world, project_id, job_id).as_json(world.now()))


@router.get("/v1/cloudimages/os_version")
async def list_os_versions(request: Request):
    """The __os_version catalog by platform (the SDK's ListOsVersions). ``tag`` (bms, uefi, arm, x86) is checked
    but does not narrow the list: the catalog does not record those features."""
    tag = single_params(request.query_params).get("tag")
    check_choice(tag, ("bms", "uefi", "arm", "x86"), "IMG.0001")
    with locked_world(request) as world:
        platforms = {}
        for os_version in world.os_versions:
            fields = world.os_fields(os_version)
            platforms.setdefault(fields["__platform"], []).append(
                {
                    "platform": fields["__platform"],
                    "os_version_key": os_version,
                    "os_version": os_version,
                    "os_bit": int(fields["__os_bit"]),
                    "os_type": fields["__os_type"],
                }
            )
        return JSONResponse([{"platform": platform, "version_list": versions} for platform, versions in platforms.items()])
