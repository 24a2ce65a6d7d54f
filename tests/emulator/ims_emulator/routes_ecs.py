# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ECS, as far as IMS clients read it: the details of one server (``GET /v1/{project_id}/cloudservers/{server_id}``),
served on the ECS endpoint behind the same API gateway as IMS (token or SDK-HMAC-SHA256). Errors are ECS-shaped:
``{"error": {"code": "Ecs.xxxx", "message": "..."}}``."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .route_helpers import locked_world

router = APIRouter()

#: ECS's vm_state and power_state for each status of the seed.
VM_STATES = {"ACTIVE": ("active", 1), "SHUTOFF": ("stopped", 4), "BUILD": ("building", 0), "REBOOT": ("active", 1), "RESIZE": ("resized", 1)}


def ecs_error(status, code, message):
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


@router.get("/v1/{project_id}/cloudservers/{server_id}")
async def show_server(project_id: str, server_id: str, request: Request):
    """A server of the caller's project; another project in the path is refused (403 Ecs.0001, the emulator's choice),
    an unknown server answers 404 Ecs.0114."""
    if project_id != request.state.auth.project_id:
        return ecs_error(403, "Ecs.0001", "The project in the path is not the project of the request.")
    with locked_world(request) as world:
        project = world.projects.get(project_id)
        server = project.servers.get(server_id) if project else None
        if server is None:
            return ecs_error(404, "Ecs.0114", "Instance[%s] could not be found." % server_id)
        return JSONResponse({"server": _server_body(project, server)})


def _server_body(project, server):
    vm_state, power_state = VM_STATES.get(server.status, ("error", 0))
    disks = [(server.system_volume_id, "0", "/dev/vda")] if server.system_volume_id else []
    disks += [(volume_id, None, "/dev/vd%s" % chr(ord("b") + number)) for number, volume_id in enumerate(server.data_volume_ids)]
    return {
        "id": server.id,
        "name": server.name,
        "status": server.status,
        "tenant_id": project.id,
        "OS-EXT-STS:vm_state": vm_state,
        "OS-EXT-STS:power_state": power_state,
        "OS-EXT-STS:task_state": None,
        "image": {"id": server.image_id or ""},
        "metadata": {"os_type": "Windows" if "Windows" in server.os_version else "Linux", "image_name": ""},
        "os-extended-volumes:volumes_attached": [
            {"id": volume_id, "bootIndex": boot_index, "device": device, "delete_on_termination": "false"} for volume_id, boot_index, device in disks
        ],
    }
