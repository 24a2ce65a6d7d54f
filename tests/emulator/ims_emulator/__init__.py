# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A local, stateful emulator of the Huawei Cloud / Open Telekom Cloud Image Management Service (IMS) and of the
part of IAM its clients need. See tests/emulator/README.md."""
