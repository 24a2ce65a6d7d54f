# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Users' own CI (user story 7): the emulator as a pip package with a pytest plugin. The wheel is built from the
collection's ``tests/emulator`` (as staged for this run), installed into a fresh virtual environment with what a user
installs, and the complete example of the emulator's README - a playbook and its test - runs there as it is printed."""

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

EMULATOR_README = Path(__file__).resolve().parents[1] / "emulator" / "README.md"
USER_PACKAGES = ["pytest", "ansible-core>=2.19,<2.20", "httpx>=0.27,<1.0", "pydantic>=2.6,<3.0"]


def readme_file(name):
    """The fenced block of the README that follows the line naming ``name`` (as `name`:)."""
    text = EMULATOR_README.read_text(encoding="utf-8")
    match = re.search(r"^`%s`:\n\n```\w+\n(.*?)^```$" % re.escape(name), text, re.MULTILINE | re.DOTALL)
    assert match, "the README has no block for %s" % name
    return match.group(1)


def run(command, cwd=None, env=None, timeout=900):
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, "%s failed:\n%s\n%s" % (command, done.stdout[-4000:], done.stderr[-4000:])
    return done


@pytest.fixture(scope="module")
def user_venv(collections_path, tmp_path_factory):
    """A fresh virtual environment with the emulator's wheel and what a user's CI installs; returns its bin directory."""
    root = tmp_path_factory.mktemp("emulator-package")
    source = root / "source"
    shutil.copytree(
        Path(collections_path) / "ansible_collections" / "hwcloud" / "ims" / "tests" / "emulator", source, ignore=shutil.ignore_patterns("tests", "__pycache__")
    )
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", str(source), "-w", str(root / "dist")])
    wheels = list((root / "dist").glob("ims_emulator-*.whl"))
    assert len(wheels) == 1, wheels
    with zipfile.ZipFile(wheels[0]) as wheel:
        names = wheel.namelist()
    assert "ims_emulator/default_seed.yaml" in names and "ims_emulator/pytest_plugin.py" in names
    run([sys.executable, "-m", "venv", str(root / "venv")])
    bin_dir = root / "venv" / "bin"
    run([str(bin_dir / "python"), "-m", "pip", "install", "-q", str(wheels[0])] + USER_PACKAGES)
    return bin_dir


def test_the_readme_example_runs_in_a_fresh_environment(user_venv, collections_path, tmp_path):
    project = tmp_path / "my-ci"
    project.mkdir()
    for name in ("site.yml", "test_site.py"):
        (project / name).write_text(readme_file(name), encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("HW_", "OS_", "HUAWEICLOUD_SDK_", "PYTHON", "ANSIBLE_", "VIRTUAL_ENV"))}
    env.update(
        PATH="%s%s%s" % (user_venv, os.pathsep, env.get("PATH", "")),
        ANSIBLE_COLLECTIONS_PATH=collections_path,
        ANSIBLE_HOME=str(tmp_path / "ansible-home"),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
    )
    done = run([str(user_venv / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=project, env=env)
    assert "2 passed" in done.stdout, done.stdout
    # The plugin came from the installed package, not from this repository.
    shown = run([str(user_venv / "python"), "-c", "import ims_emulator.pytest_plugin as p; print(p.__file__)"], env=env)
    assert str(user_venv.parent) in shown.stdout
