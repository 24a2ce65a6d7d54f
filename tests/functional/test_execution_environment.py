# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The execution environment: ansible-builder turns docs/awx/execution-environment.yml, installing a build of this
checkout, into a valid build context, and the introspection step of the image build finds the collection's Python
requirements. No container is built (that needs a container engine and the network)."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytest.importorskip("ansible_builder", reason="ansible-builder is not installed")

COLLECTION_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
EE_DEFINITION = COLLECTION_ROOT / "docs" / "awx" / "execution-environment.yml"


def run(*command, cwd=None):
    completed = subprocess.run([str(part) for part in command], cwd=cwd, capture_output=True, text=True, timeout=300, check=False)
    assert completed.returncode == 0, "%s failed:\n%s\n%s" % (command[0], completed.stdout, completed.stderr)
    return completed


def requirement_lines(path):
    """The requirement lines of a pip requirements file, without comments."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line]


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    """This checkout built as a collection artifact, the way it is released."""
    dist = tmp_path_factory.mktemp("dist")
    run(BIN / "ansible-galaxy", "collection", "build", "--output-path", dist, COLLECTION_ROOT)
    (artifact,) = dist.glob("hwcloud-ims-*.tar.gz")
    return artifact


@pytest.fixture(scope="module")
def context(tarball, tmp_path_factory):
    """The build context of the shipped definition, installing the local artifact instead of a Galaxy release."""
    workdir = tmp_path_factory.mktemp("ee")
    definition = yaml.safe_load(EE_DEFINITION.read_text(encoding="utf-8"))
    definition["additional_build_files"] = [{"src": str(tarball), "dest": "collections"}]
    definition["dependencies"]["galaxy"] = {"collections": [{"name": "/build/collections/" + tarball.name, "type": "file"}]}
    (workdir / "execution-environment.yml").write_text(yaml.safe_dump(definition, sort_keys=False), encoding="utf-8")
    run(BIN / "ansible-builder", "create", "--file", "execution-environment.yml", "--context", "context", "--output-filename", "Containerfile", cwd=workdir)
    return workdir / "context"


def test_shipped_definition_is_version_3_without_repeating_the_collection_requirements():
    definition = yaml.safe_load(EE_DEFINITION.read_text(encoding="utf-8"))
    assert definition["version"] == 3
    assert definition["images"]["base_image"]["name"]
    assert "python" not in definition["dependencies"], "introspection of the installed collection adds requirements.txt"
    galaxy = yaml.safe_load((EE_DEFINITION.parent / definition["dependencies"]["galaxy"]).read_text(encoding="utf-8"))
    assert [collection["name"] for collection in galaxy["collections"]] == ["hwcloud.ims"]


def test_collection_metadata_points_at_the_requirements():
    metadata = yaml.safe_load((COLLECTION_ROOT / "meta" / "execution-environment.yml").read_text(encoding="utf-8"))
    assert metadata["dependencies"] == {"python": "requirements.txt"}
    assert not (COLLECTION_ROOT / "bindep.txt").exists()


def test_build_context(context, tarball):
    containerfile = (context / "Containerfile").read_text(encoding="utf-8")
    assert 'ARG EE_BASE_IMAGE="quay.io/centos/centos:stream9"' in containerfile
    assert 'ARG PYCMD="/usr/bin/python3.11"' in containerfile
    install_refs = next(line for line in containerfile.splitlines() if line.startswith("ARG ANSIBLE_INSTALL_REFS="))
    assert "ansible-core>=2.17,<2.20" in install_refs and "ansible-runner>=2.4,<3" in install_refs
    assert "introspect.py introspect" in containerfile
    assert "ansible-galaxy collection install" in containerfile

    galaxy = yaml.safe_load((context / "_build" / "requirements.yml").read_text(encoding="utf-8"))
    assert galaxy == {"collections": [{"name": "/build/collections/" + tarball.name, "type": "file"}]}
    assert (context / "_build" / "collections" / tarball.name).read_bytes() == tarball.read_bytes()
    assert (context / "_build" / "scripts" / "introspect.py").is_file()


def test_introspection_of_the_installed_collection_finds_its_requirements(context, tarball, tmp_path):
    # What the image build's galaxy and builder stages do, outside a container. --force: the collection under test may
    # already be on ANSIBLE_COLLECTIONS_PATH (the test command stages it there), and it must still be installed here.
    collections = tmp_path / "collections"
    run(BIN / "ansible-galaxy", "collection", "install", "--offline", "--force", "-p", collections, tarball)
    pip, bindep = tmp_path / "requirements.txt", tmp_path / "bindep.txt"
    run(sys.executable, context / "_build" / "scripts" / "introspect.py", "introspect", "--write-pip", pip, "--write-bindep", bindep, collections)

    assert requirement_lines(pip) == requirement_lines(COLLECTION_ROOT / "requirements.txt")
    assert all(line.endswith("# from collection hwcloud.ims") for line in pip.read_text(encoding="utf-8").splitlines() if line)
    assert not bindep.exists()
