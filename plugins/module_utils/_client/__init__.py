# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The IMS client: HTTP session, signing, authentication, models, pagination, waiting and errors.

Internal to this collection, may change in any release. It imports nothing from Ansible, so that it can be tested
and used on its own; the task layer (``_tasks``) builds on it, and only the glue (``_ims_module``, ``_ims_plugin``)
connects it to Ansible.
"""
