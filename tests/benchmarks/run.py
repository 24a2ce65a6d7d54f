# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmarks of hwcloud.ims against the local IMS emulator: printed figures, not timed tests.

    python tests/benchmarks/run.py            # from the repository root, in the collection's virtual environment

Starts its own emulator, runs real ansible-playbook / ansible-inventory commands against it (through the end-to-end
tests' runner, tests/functional/conftest.py) and prints, as a Markdown table: requests per operation against the
minimum needed, token requests in a 50-task play, the per-task overhead of ims_image_info against ansible.builtin.ping,
the inventory plugin over 10,000 images cold and cached, and the peak memory of ims_image_info over 20,000 images.
Not part of the test command.
"""

import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO_ROOT / 'tests' / 'emulator'), str(REPO_ROOT / 'tests' / 'functional')]

import yaml  # noqa: E402  pylint: disable=wrong-import-position

from conftest import AnsibleRunner  # noqa: E402  pylint: disable=wrong-import-position
from ims_emulator.testing import ControlClient, EmulatorProcess  # noqa: E402  pylint: disable=wrong-import-position

EU_DE = '67477b5b052646869adfd66f5cb8d955'
APPS = 'fceeffa8d26b4158b9456c60289e2995'
DATA_DISK = '83d46f5d-a0e7-4755-8766-22b532a823d3'
PAGE = 500


def ims_requests(entries):
    return [entry for entry in entries if not entry['path'].startswith(('/v3', '/_emulator'))]


def during(play, name, log):
    return ims_requests(play.requests_of(name, log))


def requests_of_one_task(runner, control, task, auth='aksk'):
    control.clear_requests()
    play = runner.play([dict(task, name='measured')], auth=auth)
    assert play.task('measured')['status'] == 'ok', play.task('measured')['result']
    return len(during(play, 'measured', control.requests()))


def task_seconds(play, name):
    times = [task['finished'] - task['started'] for task in play.tasks if task['name'] == name]
    return sum(times) / len(times)


def peak_child_rss_mb(runner, tasks):
    """ru_maxrss of the largest process a fresh subprocess tree had (the module process dominates at scale)."""
    script = ('import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=False, capture_output=True); '
              'print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)')
    runner.workdir.mkdir(parents=True, exist_ok=True)
    playbook = runner.workdir / 'memory.yml'
    playbook.write_text(yaml.safe_dump([{'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}]), encoding='utf-8')
    inventory = runner.workdir / 'memory.ini'
    inventory.write_text('localhost ansible_connection=local ansible_python_interpreter=%s\n' % sys.executable, encoding='utf-8')
    env = runner.base_env()
    env.update(runner.credentials_env())
    command = [sys.executable, '-c', script, str(Path(sys.executable).parent / 'ansible-playbook'), '-i', str(inventory), str(playbook)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return int(done.stdout.strip().splitlines()[-1]) / 1024


def main():
    rows = []

    def row(what, measured, target, note=''):
        rows.append((what, measured, target, note))
        print('%-58s %-14s %-12s %s' % (what, measured, target, note), flush=True)

    workdir = Path(tempfile.mkdtemp(prefix='hwcloud-ims-bench-'))
    collections = workdir / 'collections'
    (collections / 'ansible_collections' / 'hwcloud').mkdir(parents=True)
    (collections / 'ansible_collections' / 'hwcloud' / 'ims').symlink_to(REPO_ROOT)
    with EmulatorProcess(job_seconds=0.4) as emulator, ControlClient.for_emulator(emulator) as control:
        runner = AnsibleRunner(emulator, str(collections), workdir / 'run')
        control.reset()
        row('no-op ims_image (existing image, nothing to change)',
            requests_of_one_task(runner, control, {'hwcloud.ims.ims_image': {'name': 'base-debian-10'}}), '<= 2', 'minimum 1 (one lookup)')
        row('ims_image_tag: add one tag',
            requests_of_one_task(runner, control, {'hwcloud.ims.ims_image_tag': {'image': DATA_DISK, 'tags': {'a': 'b'}}}), '2',
            'minimum 2 (read tags, one batch create; the image given by ID)')
        row('ims_image_tag: no change',
            requests_of_one_task(runner, control, {'hwcloud.ims.ims_image_tag': {'image': DATA_DISK, 'tags': {'a': 'b'}}}), '1',
            'minimum 1 (read tags)')
        row('ims_image_member: share one image with one project',
            requests_of_one_task(runner, control, {'hwcloud.ims.ims_image_member': {'image': [DATA_DISK], 'projects': [APPS]}}), '3',
            'minimum 3 (read members, one batch POST, poll the job once)')
        row('ims_image_member: no change',
            requests_of_one_task(runner, control, {'hwcloud.ims.ims_image_member': {'image': [DATA_DISK], 'projects': [APPS]}}), '1',
            'minimum 1 (read members)')
        for count in (1000, 5000):
            control.reset()
            control.bulk_images(EU_DE, count, name_prefix='bench-')
            measured = requests_of_one_task(runner, control, {'hwcloud.ims.ims_image_info': {'name_match': 'bench-'}})
            row('ims_image_info over %d images' % count, measured, str(math.ceil(count / PAGE) + 1),
                'minimum pages of %d (+1 for the empty last page when the count is a multiple)' % PAGE)

        control.reset()
        control.clear_requests()
        play = runner.play([{'name': 'info %d' % number, 'hwcloud.ims.ims_image_info': {'name': 'base-debian-10'}} for number in range(50)],
                           auth='password')
        assert play.rc == 0, play.stdout
        posts = [entry for entry in control.requests() if entry['method'] == 'POST' and entry['path'] == '/v3/auth/tokens']
        row('token requests in a 50-task play (password auth, empty cache)', len(posts), '1')

        tasks = [{'name': 'info', 'hwcloud.ims.ims_image_info': {'name': 'base-debian-10'}}] * 20
        tasks += [{'name': 'ping', 'ansible.builtin.ping': {}}] * 20
        play = runner.play(tasks)
        info, ping = task_seconds(play, 'info'), task_seconds(play, 'ping')
        row('per-task time: ims_image_info / ansible.builtin.ping (s)', '%.2f / %.2f' % (info, ping), '-',
            'overhead %.2f s per task' % (info - ping))

        control.reset()
        control.bulk_images(EU_DE, 10000, name_prefix='inv-')
        source = runner.workdir / 'bench.ims.yml'
        source.write_text(yaml.safe_dump({'plugin': 'hwcloud.ims.ims', 'filters': {'imagetype': 'private'}, 'cache': True,
                                          'cache_plugin': 'ansible.builtin.jsonfile', 'cache_connection': str(workdir / 'inv-cache'),
                                          'cache_timeout': 3600}), encoding='utf-8')
        timings = []
        for _attempt in ('cold', 'cached'):
            started = time.monotonic()
            done = runner.run('ansible-inventory', ['-i', str(source), '--list'], env={'ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED': 'true'})
            timings.append(time.monotonic() - started)
            assert done.returncode == 0, done.stderr[-2000:]
            assert len(json.loads(done.stdout)['_meta']['hostvars']) >= 10000
        row('inventory over 10,000 images: cold / cached (s)', '%.1f / %.1f' % tuple(timings), 'cached <= 0.2x',
            'ratio %.2f' % (timings[1] / timings[0]))

        control.reset()
        control.bulk_images(EU_DE, 20000, name_prefix='mem-')
        small = peak_child_rss_mb(runner, [{'hwcloud.ims.ims_image_info': {'name': 'base-debian-10'}}])
        large = peak_child_rss_mb(runner, [{'hwcloud.ims.ims_image_info': {'name_match': 'mem-'}}])
        row('peak RSS, ims_image_info over 1 / 20,000 images (MB)', '%.0f / %.0f' % (small, large), '-',
            'largest process of the run (ansible-playbook or the module)')

    print()
    print('machine: %s, %s, %d CPUs, Python %s' % (platform.platform(), platform.processor() or platform.machine(), os.cpu_count(),
                                                   platform.python_version()))
    print()
    print('| measurement | measured | target | note |')
    print('|---|---|---|---|')
    for what, measured, target, note in rows:
        print('| %s | %s | %s | %s |' % (what, measured, target, note))


if __name__ == '__main__':
    main()
