# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The IDs of the bundled emulator world (tests/emulator/ims_emulator/default_seed.yaml) the end-to-end tests use.

The tests import them by name (``from seed import OWNER, WEB_GOLDEN``), as they import ``conftest``: pytest puts this
directory on ``sys.path`` for the test modules in it.
"""

# Projects
OWNER = "67477b5b052646869adfd66f5cb8d955"  # eu-de, the builder project that owns the private images
APPS = "fceeffa8d26b4158b9456c60289e2995"  # eu-de_apps, the consumer
PUBLIC_OWNER = "33e732a60a274ee0a83a88c83adf111c"  # the owner of the public images

# Public images
PUBLIC_CENTOS = "be2f9bf9-18a3-47fc-8be6-a61cdb7f2100"  # Standard_CentOS_7.6_latest
UBUNTU_PUBLIC = "81a2265f-fe96-4db3-8f82-bb6901d00113"  # Standard_Ubuntu_18.04_latest

# eu-de's private images
WEB_GOLDEN = "3028e6f3-c970-4977-a7f0-65c2f564d22f"  # web-golden-1, shared with eu-de_apps (pending)
BASE_DEBIAN = "3804438f-f910-4d39-acbb-9430ce68708e"  # base-debian-10, shared with eu-de_apps (accepted)
FULL_ECS = "86153a1a-ae57-4993-b6eb-4d09c6b88646"  # app-full-ecs-1, a full-ECS image
RESCUE_ISO = "d2765010-3a4b-4f1f-a921-117f2a46adb0"  # rescue-iso-1, an ISO image
DATA_DISK = "83d46f5d-a0e7-4755-8766-22b532a823d3"  # data-disk-1, a data disk image

# eu-de's servers, volumes, backups and keys
WEB_SERVER = "847d0961-f108-4c54-b3a1-6305dde81e56"  # builder-web-01, stopped
DB_SERVER = "666311a7-2bdb-4793-94c4-2154f54b2ce7"  # builder-db-01
DEBIAN_SERVER = "fc07bf31-5b3b-464f-a9ee-8022acfa3eb9"  # builder-debian-01, with two data disks
DEBIAN_DATA_DISKS = ("0e386a7c-bf7b-4a44-bb62-e4a453ce97fa", "7c20f3be-e7e8-4605-ae2a-905458a5a7d4")  # its data disks
ISO_TARGET_VOLUME = "c61e509f-c2a4-4b76-8279-74b54547382a"  # iso-installer-01-target
DEBIAN_BACKUP = "81f8087a-5284-4871-bbec-5ccc396bffca"  # backup-debian-01, of builder-debian-01
KMS_KEY = "c2af950d-225d-42f5-8faa-2e3049cf6ef5"  # ims/default

# The Huawei Cloud regions: ap-southeast-1 holds the images to replicate, ap-southeast-3 is where they go
HK_PROJECT = "83566b63c90e447b85c6cfe9e1e07ddf"  # ap-southeast-1
SG_PROJECT = "78de6b39c85c474587f5f5f458794459"  # ap-southeast-3
SG_APPS = "3bb1e42f82fd4ac2bc811e7d44f1dfff"  # ap-southeast-3_apps
WEB_GOLDEN_HK = "32671919-0857-430b-abf7-2d8e594e2019"  # web-golden-hk-1 in ap-southeast-1
HK_SERVER = "f10414b4-25d7-4f96-b6f7-f8dffbf3c779"  # builder-hk-01, stopped
SG_VAULT = "d23abcf5-153e-43a4-9fa2-8d6959475191"  # the vault of ap-southeast-3 for full-ECS replicas' backups
