# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``python -m ims_emulator``: serve the emulator, print one JSON "ready" line on stdout, log to stderr.

Every region of the seed gets three ports: IMS, IAM and the control API on the first (``--port`` for the first
region, free ports for the others), its ECS and OBS endpoints on two more (each its own app over the same state), so
that clients must use the right endpoint for each service and region.
"""

import argparse
import ipaddress
import json
import logging
import signal
import socket
import sys

import uvicorn

from .app import EmulatorConfig, PortDispatcher, create_app, create_ecs_app, create_obs_app
from .tls import tls_files

LOG = logging.getLogger("ims_emulator")


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m ims_emulator", description="A local, stateful IMS for tests and CI.")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default: %(default)s)")
    parser.add_argument("--port", type=int, default=0, help="TCP port; 0 picks a free one (default: %(default)s)")
    parser.add_argument("--seed", help="the world to start from (default: the bundled default_seed.yaml)")
    parser.add_argument("--tls", action="store_true", help="serve HTTPS with a freshly generated CA and server certificate")
    parser.add_argument("--ca-dir", help="where --tls writes the CA certificate ca.pem (default: a new temporary directory)")
    parser.add_argument("--job-seconds", type=float, default=3.0, help="how long an asynchronous job runs (default: %(default)s)")
    parser.add_argument("--token-lifetime", type=float, default=86400.0, help="lifetime of IAM tokens in seconds (default: %(default)s)")
    args = parser.parse_args(argv)
    if not _is_loopback_host(args.host):
        parser.error("--host must be a loopback address (the control API has no authentication): %s" % args.host)
    if not 0 <= args.port <= 65535:
        parser.error("--port must be between 0 and 65535")
    if args.job_seconds < 0 or args.token_lifetime <= 0:
        parser.error("--job-seconds must be >= 0 and --token-lifetime > 0")
    return args


def _is_loopback_host(host):
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)}
    except socket.gaierror:
        return False
    return all(ipaddress.ip_address(address.split("%")[0]).is_loopback for address in addresses)


def bind_socket(host, port):
    """Bind the listening socket ourselves, so the port is known (even for --port 0) before uvicorn starts."""
    family, kind, proto, _canonname, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    return sock


def region_entry(app, region, endpoint):
    """What the ready line tells about one region: its endpoints, cloud and the credentials of its projects."""
    projects, temporary = app.state.identity.advertised_credentials(region)
    peers = app.state.identity.peer_endpoints.get(region, {})
    return {
        "name": region,
        "endpoint": endpoint,
        "iam_endpoint": endpoint + "/v3",
        "cloud_profile": app.state.world.regions[region],
        "ecs_endpoint": peers.get("ecs"),
        "obs_endpoint": peers.get("obs"),
        "projects": projects,
        "temporary_credentials": temporary,
    }


def ready_message(app, ca_file):
    """The ready line: the first region's endpoints and credentials at the top level, as before there were several,
    and every region under ``regions``."""
    regions = [region_entry(app, region, endpoint) for region, endpoint in app.state.region_endpoints.items()]
    first = regions[0]
    return {
        "endpoint": first["endpoint"],
        "iam_endpoint": first["iam_endpoint"],
        "region": first["name"],
        "ca_file": ca_file,
        "control_endpoint": first["endpoint"] + "/_emulator",
        "ecs_endpoint": first["ecs_endpoint"],
        "obs_endpoint": first["obs_endpoint"],
        "projects": first["projects"],
        "temporary_credentials": first["temporary_credentials"],
        "regions": regions,
    }


class Server(uvicorn.Server):
    """uvicorn's server, calling ``on_ready`` once it accepts connections."""

    def __init__(self, config, on_ready):
        super().__init__(config)
        self.on_ready = on_ready

    async def startup(self, sockets=None):
        await super().startup(sockets=sockets)
        if self.started:
            self.on_ready()


def _announce(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _stopped_by_signal(signum, _frame):
    LOG.info("stopped by %s", signal.Signals(signum).name)


def _url(sock, scheme):
    # The URL names the address actually bound: "localhost" may resolve to another address family for the client.
    address, port = sock.getsockname()[:2]
    return "%s://%s:%d" % (scheme, "[%s]" % address if ":" in address else address, port)


def bind_regions(app, host, first_port, scheme):
    """Per region, one listening socket for IMS and IAM (the first region's on ``first_port``, the others on free
    ports) and one each for its ECS and OBS endpoints; records the ports and URLs in the app's state and returns the
    sockets and the ECS/OBS app of each of those ports."""
    sockets, peer_apps = [], {}
    apps = {"ecs": create_ecs_app(app), "obs": create_obs_app(app)}
    try:
        for number, region in enumerate(app.state.world.regions):
            sock = bind_socket(host, first_port if number == 0 else 0)
            sockets.append(sock)
            app.state.region_ports[sock.getsockname()[1]] = region
            app.state.region_endpoints[region] = _url(sock, scheme)
            peers = app.state.identity.peer_endpoints.setdefault(region, {})
            for service, service_app in apps.items():
                peer = bind_socket(host, 0)
                sockets.append(peer)
                app.state.region_ports[peer.getsockname()[1]] = region
                peer_apps[peer.getsockname()[1]] = service_app
                peers[service] = _url(peer, scheme)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets, peer_apps


def serve(args, tls):
    app = create_app(EmulatorConfig(seed_path=args.seed, job_seconds=args.job_seconds, token_lifetime=args.token_lifetime))
    try:
        sockets, peer_apps = bind_regions(app, args.host, args.port, "https" if tls else "http")
    except OSError as exc:
        LOG.error("cannot listen on %s port %s: %s", args.host, args.port, exc)
        return 1
    dispatcher = PortDispatcher(app, peer_apps)
    config = uvicorn.Config(
        dispatcher,
        log_config=None,
        access_log=False,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=1,
        ssl_certfile=tls.server_pem if tls else None,
    )
    server = Server(config, on_ready=lambda: _announce(ready_message(app, tls.ca_file if tls else None)))
    # uvicorn shuts down gracefully on SIGINT/SIGTERM and then re-raises the signal against the handler that was
    # installed before it started: a handler that only logs turns that into a clean exit with status 0.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _stopped_by_signal)
    server.run(sockets=sockets)
    return 0


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.tls:
        with tls_files(args.ca_dir, sorted({"127.0.0.1", "::1", "localhost", args.host})) as tls:
            return serve(args, tls)
    return serve(args, None)


if __name__ == "__main__":
    sys.exit(main())
