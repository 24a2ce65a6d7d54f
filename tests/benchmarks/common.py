# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the parts of the benchmark command share: the timed runner, process timing, statistics and the printed tables."""

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO_ROOT / "tests" / "emulator"), str(REPO_ROOT / "tests" / "functional")]

from conftest import AnsibleRunner  # noqa: E402  pylint: disable=wrong-import-position

EU_DE = "67477b5b052646869adfd66f5cb8d955"
#: An image of the emulator's seed in project eu-de, found by name in the per-task plays.
SEED_IMAGE = "base-debian-10"


class TimedRunner(AnsibleRunner):
    """The end-to-end tests' runner, also timing each Ansible command it runs: ``seconds`` is the last one's wall time,
    ``cpu_seconds`` the CPU time (user + system) of its process tree, which other load on the machine barely changes."""

    seconds = None
    cpu_seconds = None

    def run(self, program, args, project="eu-de", auth="aksk", env=None):
        before, started = children_cpu(), time.monotonic()
        try:
            return super().run(program, args, project, auth, env)
        finally:
            self.seconds = time.monotonic() - started
            self.cpu_seconds = children_cpu() - before

    def env(self, project="eu-de", auth="aksk"):
        """The environment of this runner's Ansible commands (settings and credentials), for other processes."""
        env = self.base_env()
        env.update(self.credentials_env(project, auth))
        return env


def children_cpu():
    """User + system CPU seconds of every finished child process of this one so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_process(command, env=None, cwd=None):
    """Run a command to its end: (wall seconds, CPU seconds of its process tree, CompletedProcess with text output)."""
    before, started = children_cpu(), time.monotonic()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=900, check=False)
    return time.monotonic() - started, children_cpu() - before, done


def median(values):
    return statistics.median(values)


def load_average():
    return os.getloadavg()[0]


class Table:
    """One printed table: each row is printed at once (so progress shows) and the whole table again, as Markdown, at
    the end of the run."""

    def __init__(self, title, columns):
        self.title = title
        self.columns = columns
        self.rows = []
        print("\n== %s" % title, flush=True)

    def row(self, *cells):
        cells = [str(cell) for cell in cells]
        self.rows.append(cells)
        print("  " + " | ".join(cells), flush=True)

    def markdown(self):
        lines = ["### " + self.title, "", "| %s |" % " | ".join(self.columns), "|" + "---|" * len(self.columns)]
        lines += ["| %s |" % " | ".join(row) for row in self.rows]
        return "\n".join(lines)


def ratio(part, whole):
    return "%.2f" % (part / whole)


def verdict(value, target):
    """'met' or '**missed**' for a ratio against an upper bound."""
    return "met" if value <= target else "**missed**"
