"""Stand-in for the pip bootstrap script ansible-test downloads from Ansible's CI file server.

ansible-test runs this file to put pip into each fresh virtual environment it makes. Where that server cannot be
reached, the harness caches this file under the name ansible-test looks for. It installs pip with ensurepip and
then lets that pip install what ansible-test asked for, dropping the options only the real script understands.
"""

import os
import subprocess
import sys

GET_PIP_ONLY_OPTIONS = {"--no-setuptools", "--no-wheel"}


def main():
    env = dict(os.environ)
    # ensurepip points PIP_CONFIG_FILE at /dev/null, which would hide the machine's own pip configuration.
    env.pop("PIP_CONFIG_FILE", None)
    subprocess.run([sys.executable, "-m", "ensurepip", "--upgrade"], check=True, env=env, stdout=subprocess.DEVNULL)
    pip_args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_OPTIONS]
    subprocess.run([sys.executable, "-m", "pip", "install"] + pip_args, check=True, env=env)


if __name__ == "__main__":
    main()
