# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A throwaway certificate authority and server certificate for ``--tls``."""

import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass

import trustme


@dataclass(frozen=True)
class TlsFiles:
    ca_file: str  # the CA certificate clients must trust (PEM)
    server_pem: str  # the server's private key and certificate chain (PEM), in a private temporary directory


@contextmanager
def tls_files(ca_dir, hosts):
    """Generate a CA and a certificate for ``hosts``; write the CA to ``ca_dir``/ca.pem (a new temporary directory
    when ``ca_dir`` is None, removed again on exit; a given directory keeps its ca.pem)."""
    authority = trustme.CA(organization_name="ims_emulator", organization_unit_name="throwaway test CA")
    server_cert = authority.issue_cert(*hosts)
    own_ca_dir = ca_dir is None
    if own_ca_dir:
        ca_dir = tempfile.mkdtemp(prefix="ims-emulator-ca-")
    else:
        os.makedirs(ca_dir, exist_ok=True)
    ca_file = os.path.join(os.path.abspath(ca_dir), "ca.pem")
    try:
        authority.cert_pem.write_to_path(ca_file)
        with tempfile.TemporaryDirectory(prefix="ims-emulator-key-") as key_dir:
            server_pem = os.path.join(key_dir, "server.pem")
            server_cert.private_key_and_cert_chain_pem.write_to_path(server_pem)
            yield TlsFiles(ca_file=ca_file, server_pem=server_pem)
    finally:
        if own_ca_dir:
            shutil.rmtree(ca_dir, ignore_errors=True)
