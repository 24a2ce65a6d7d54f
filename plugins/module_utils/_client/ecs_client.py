# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What IMS cannot tell and ECS can, read-only: an ECS's status and disks (``GET /v1/{project_id}/cloudservers/{id}``),
with the IMS client's own authentication (token or SDK-HMAC-SHA256, which ECS takes alike) over the shared session.

Internal to this collection, may change in any release.
"""

from dataclasses import dataclass

from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import NotFoundError
from ansible_collections.hwcloud.ims.plugins.module_utils._client.session import quote_segment, read_json


class EcsClient:
    """ECS reads of one project at one endpoint."""

    def __init__(self, session, endpoint, project_id, auth):
        self.session = session
        self.endpoint = endpoint.rstrip("/")
        self.project_id = project_id
        self._auth = auth

    def __repr__(self):
        return "EcsClient(endpoint=%r, project_id=%r)" % (self.endpoint, self.project_id)

    def get_server(self, server_id):
        """The Server, or None when the project has no ECS of this ID."""
        action = "read ECS %s" % server_id
        path = "/v1/%s/cloudservers/%s" % (quote_segment(self.project_id), quote_segment(server_id))
        try:
            raw = read_json(self.session.request("GET", self.endpoint, path, action, auth=self._auth), action).get("server") or {}
        except NotFoundError:
            return None
        volumes = tuple(volume.get("id") for volume in raw.get("os-extended-volumes:volumes_attached") or () if volume.get("id"))
        return Server(raw.get("id") or server_id, raw.get("name") or "", raw.get("status") or "", volumes)


@dataclass(frozen=True)
class Server:
    """An ECS: ``status`` as ECS reports it (SHUTOFF, ACTIVE, ...), ``volume_ids`` of every attached disk."""

    id: str
    name: str
    status: str
    volume_ids: tuple

    def __str__(self):
        return "ECS %s (%s, %s)" % (self.id, self.name, self.status)
