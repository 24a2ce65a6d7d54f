# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only callback: writes every task result of a run to the JSON file named by HWCLOUD_IMS_TEST_RESULTS."""

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: task_results
type: aggregate
short_description: Records task results for the collection's end-to-end tests
description:
  - Appends one JSON object per finished task (name, without the role prefix ansible-core 2.21 adds; action,
    status, result, and the C(started) and C(finished) times as seconds since the epoch) to a list and writes it to
    the file named by the E(HWCLOUD_IMS_TEST_RESULTS) environment variable when the run ends.
options: {}
"""


def task_name(name, task):
    """The task's name as the play or role wrote it: ansible-core 2.21 reports the tasks of a role as
    ``<role> : <name>``, where 2.17 to 2.20 report ``<name>``."""
    role = getattr(task, "_role", None)
    if role is not None:
        for prefix in (role.get_name(include_role_fqcn=True), role.get_name(include_role_fqcn=False)):
            if name.startswith(prefix + " : "):
                return name[len(prefix) + 3 :]
    return name


class CallbackModule(CallbackBase):
    """Collects task results so tests can assert on them without parsing Ansible's screen output."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_results"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.results = []
        self.task_started = None

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.task_started = time.time()

    def _record(self, result, status):
        # ansible-core 2.19 made a result's task and its return values public (task, result); 2.17 and 2.18 only
        # have them as _task and _result.
        task = result.task if hasattr(result, "task") else result._task  # pylint: disable=protected-access
        values = result.result if hasattr(result, "result") else result._result  # pylint: disable=protected-access
        self.results.append(
            {
                "name": task_name(result.task_name, task),
                "action": task.action,
                "status": status,
                "result": dict(values),
                # Tasks run one after another on localhost, so these times tell which emulator requests a task made.
                "started": self.task_started,
                "finished": time.time(),
            }
        )

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("HWCLOUD_IMS_TEST_RESULTS")
        if path:
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(self.results, handle, default=str)
