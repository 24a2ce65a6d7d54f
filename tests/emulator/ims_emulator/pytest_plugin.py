# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pytest plugin of the installed package (entry point ``pytest11``): the ``ims_emulator`` fixture.

One emulator per test session (per xdist worker), started on free ports; every test that uses the fixture starts from
the seed (the world, tokens, request log, faults and settings are reset), and the emulator stops with the session::

    def test_my_playbook(ims_emulator):
        run = subprocess.run(["ansible-playbook", "site.yml"], env={**os.environ, **ims_emulator.env()})
        assert run.returncode == 0
        assert ims_emulator.images("eu-de", name="web-1")

ini options (``pytest.ini`` / ``pyproject.toml``): ``ims_emulator_seed`` (a seed file), ``ims_emulator_job_seconds``
(how long jobs run, default 0.5), ``ims_emulator_tls`` (serve HTTPS).
"""

import pytest

from .testing import ControlClient, EmulatorProcess


def pytest_addoption(parser):
    parser.addini("ims_emulator_seed", "seed file of the ims_emulator fixture (default: the bundled world)", default=None)
    parser.addini("ims_emulator_job_seconds", "how long the emulator's jobs run, in seconds", default="0.5")
    parser.addini("ims_emulator_tls", "serve HTTPS with a throwaway CA (true/false)", type="bool", default=False)


class RunningEmulator:
    """What the fixture yields: ``info`` (the start-up line: endpoints, region, projects and their credentials),
    ``control`` (the control API client), and helpers for the tests."""

    def __init__(self, info, control):
        self.info = info
        self.control = control

    def env(self, project=None):
        """The environment variables that point the hwcloud.ims collection (and other HW_* tools) at the emulator,
        with the AK/SK of ``project`` (a name or ID; default the first project)."""
        entry = self.info.project(project) if project else self.info.projects[0]
        env = {
            "HW_REGION_NAME": self.info.region,
            "HW_AUTH_URL": self.info.iam_endpoint,
            "HW_IMS_ENDPOINT": self.info.endpoint,
            "HW_PROJECT_ID": entry["id"],
            "HW_ACCESS_KEY": entry["ak"],
            "HW_SECRET_KEY": entry["sk"],
        }
        if self.info.ecs_endpoint:
            env.update(HW_ECS_ENDPOINT=self.info.ecs_endpoint, HW_OBS_ENDPOINT=self.info.obs_endpoint)
        if self.info.ca_file:
            env["OS_CACERT"] = self.info.ca_file
        return env

    def images(self, project=None, **attributes):
        """The live images of ``project`` (name or ID; default the first) whose raw attributes have these values."""
        project_id = self.info.project(project)["id"] if project else self.info.projects[0]["id"]
        images = self.control.world()["projects"][project_id]["images"]
        return [image for image in images if not image["deleted"] and all(image["attributes"].get(key) == value for key, value in attributes.items())]


@pytest.fixture(scope="session")
def ims_emulator_session(pytestconfig):
    """The session's emulator process (use ``ims_emulator`` in tests: it resets the world first)."""
    seed = pytestconfig.getini("ims_emulator_seed") or None
    job_seconds = float(pytestconfig.getini("ims_emulator_job_seconds"))
    with EmulatorProcess(seed, job_seconds=job_seconds, tls=pytestconfig.getini("ims_emulator_tls")) as process:
        with ControlClient.for_emulator(process) as control:
            yield RunningEmulator(process.info, control)


@pytest.fixture
def ims_emulator(ims_emulator_session):
    """A running IMS emulator at the seed's world, for this test."""
    ims_emulator_session.control.reset()
    return ims_emulator_session
