# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logic of the collection's modules and plugins: one file per module it serves, each taking a client and the
options and returning the result.

Internal to this collection, may change in any release. Task files use the client (``_client``) and may use
``ansible.module_utils.common``, never ``ansible.module_utils.basic``: Ansible's module plumbing lives in
``_ims_module`` only.
"""
