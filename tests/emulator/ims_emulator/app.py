# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Assemble the emulator: the world and identity from the seed, the IMS, Glance, IAM, version and control routes, and
the gateway middleware around all of it; and the apps of the ECS and OBS endpoints, which share its state."""

from dataclasses import dataclass

from fastapi import FastAPI

from . import (
    control,
    iam,
    routes_ecs,
    routes_export_copy,
    routes_glance,
    routes_images,
    routes_members,
    routes_obs,
    routes_service,
    routes_tags,
    routes_versions,
)
from .errors import install_error_handlers
from .identity import IdentityStore
from .middleware import EmulatorMiddleware
from .seed import load_seed
from .world import World


@dataclass(frozen=True)
class EmulatorConfig:
    """What the command line configures; ``seed_path`` None means the bundled default seed."""

    seed_path: str | None = None
    job_seconds: float = 3.0
    token_lifetime: float = 86400.0


#: The routers, in the order their routes are tried: a request goes to the first route whose method and path match,
#: and path templates overlap (``GET /v2/images/images/members/tags`` matches the tag API's
#: ``/v2/{project_id}/images/{image_id}/tags`` and Glance's ``/v2/images/{image_id}/members/{member_id}``). The IMS
#: extension routers come first, then Glance's; keep this order.
ROUTERS = (
    control.router,
    iam.router,
    iam.huawei_router,
    routes_versions.router,
    routes_images.router,
    routes_export_copy.router,
    routes_tags.router,
    routes_members.router,
    routes_service.router,
    routes_glance.router,
)


class EmulatorApp(FastAPI):
    """A FastAPI app whose outermost layer is the EmulatorMiddleware.

    ``add_middleware`` would put it inside Starlette's ServerErrorMiddleware; outermost, it also stamps and logs the
    500s that one produces, and it receives the server's own ``send`` (which dropping a connection needs).
    ``authenticates_itself``: the app checks credentials itself (OBS), the gateway only logs, delays and faults.
    """

    authenticates_itself = False

    def build_middleware_stack(self):
        return EmulatorMiddleware(super().build_middleware_stack(), self)


def create_app(config=None):
    """A ready-to-serve ASGI app; ``app.state`` holds ``config``, ``world``, ``identity``, ``faults``, ``request_log``,
    and the ports and base URLs of the regions (``region_ports``: port -> region, ``region_endpoints``: region -> URL),
    which whoever binds the sockets fills in; without them every request is the first region's."""
    config = config or EmulatorConfig()
    seed = load_seed(config.seed_path)
    app = EmulatorApp(title="ims_emulator", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.config = config
    app.state.world = World(seed, job_seconds=config.job_seconds)
    app.state.identity = IdentityStore(seed, token_lifetime=config.token_lifetime)
    app.state.faults = control.Faults()
    app.state.request_log = control.RequestLog()
    app.state.region_ports = {}
    app.state.region_endpoints = {}
    install_error_handlers(app, ((iam.is_iam_path, iam.error_response), (control.is_control_path, control.error_response)))
    app.add_exception_handler(iam.KeystoneError, iam.keystone_error_response)
    app.add_exception_handler(control.ControlError, control.control_error_response)
    for router in ROUTERS:
        app.include_router(router)
    return app


class ObsApp(EmulatorApp):
    """The OBS endpoint: OBS checks its own signatures."""

    authenticates_itself = True


def create_peer_app(main_app, app_class, router):
    """The app of another service's endpoint (ECS, OBS) over the state of ``main_app``: the same world, identity,
    faults, request log and settings, so a reset or a fault of the control API applies to it too."""
    app = app_class(title="ims_emulator", docs_url=None, redoc_url=None, openapi_url=None)
    app.state = main_app.state
    # The state is shared: installing the handlers with other error shapes would change the main app's too.
    install_error_handlers(app, main_app.state.error_shapes)
    app.include_router(router)
    return app


def create_ecs_app(main_app):
    return create_peer_app(main_app, EmulatorApp, routes_ecs.router)


def create_obs_app(main_app):
    return create_peer_app(main_app, ObsApp, routes_obs.router)


class PortDispatcher:
    """One ASGI app for several listening sockets: each request goes to the app of the port it came in on (IMS, ECS,
    OBS); lifespan events and unknown ports go to the main app."""

    def __init__(self, main_app, apps_by_port):
        self.main_app = main_app
        self.apps_by_port = dict(apps_by_port)

    async def __call__(self, scope, receive, send):
        port = (scope.get("server") or (None, None))[1]
        await self.apps_by_port.get(port, self.main_app)(scope, receive, send)
