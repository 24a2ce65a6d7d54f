# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The documentation site: antsibull-docs lints the collection's docs and builds a Sphinx site with a page for every
module, plugin and role, offline (docs/README.md describes the same build)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

for module in ("antsibull_docs", "sphinx", "sphinx_ansible_theme"):
    pytest.importorskip(module, reason="%s is not installed" % module)

COLLECTION_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# Offline, the references into Ansible's own documentation that intersphinx would resolve stay unresolved.
OFFLINE_CONF = """
intersphinx_mapping = {}
suppress_warnings = ['ref.ref', 'ref.envvar']
"""


def docs_env(collections_path):
    return {**os.environ, "ANSIBLE_COLLECTIONS_PATH": collections_path, "PATH": os.pathsep.join((str(BIN), os.environ.get("PATH", "")))}


def run(command, env, cwd):
    completed = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=600, check=False)
    assert completed.returncode == 0, "%s failed:\n%s\n%s" % (command[0], completed.stdout, completed.stderr)


def expected_pages():
    pages = [
        "%s_%s" % (path.stem, kind.rstrip("s"))
        for kind in ("modules", "inventory", "lookup")
        for path in (COLLECTION_ROOT / "plugins" / kind).glob("*.py")
        if path.stem != "__init__"
    ]
    pages += ["%s_role" % path.name for path in (COLLECTION_ROOT / "roles").glob("*") if (path / "meta" / "argument_specs.yml").is_file()]
    return sorted(pages)


def test_lint_collection_docs(collections_path):
    run(
        [str(BIN / "antsibull-docs"), "lint-collection-docs", "--plugin-docs", "."],
        docs_env(collections_path),
        Path(collections_path) / "ansible_collections" / "hwcloud" / "ims",
    )


def test_site_has_a_page_for_every_module_plugin_and_role(collections_path, tmp_path):
    site = tmp_path / "site"
    site.mkdir(mode=0o700)  # antsibull-docs only writes into a directory nobody else can write to
    env = docs_env(collections_path)
    run([str(BIN / "antsibull-docs"), "sphinx-init", "--use-current", "--fail-on-error", "--dest-dir", str(site), "hwcloud.ims"], env, tmp_path)
    with (site / "conf.py").open("a", encoding="utf-8") as conf:
        conf.write(OFFLINE_CONF)
    run(["bash", str(site / "build.sh")], env, site)

    html = site / "build" / "html" / "collections" / "hwcloud" / "ims"
    built = sorted(path.stem for path in html.glob("*.html") if path.stem != "index")
    assert built == expected_pages()
    assert "hwcloud.ims.ims_image" in (html / "ims_image_module.html").read_text(encoding="utf-8")
