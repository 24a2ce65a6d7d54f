# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection options shared by every module and plugin of hwcloud.ims."""


class ModuleDocFragment:  # pylint: disable=too-few-public-methods
    """Kept in step with SETTINGS in plugins/module_utils/_client/config.py (a unit test compares the two)."""

    DOCUMENTATION = r"""
options:
  cloud:
    description:
      - Name of a cloud in C(clouds.yaml), searched in the current directory, C(~/.config/openstack) and
        C(/etc/openstack). Any connection option not set otherwise is taken from that entry.
      - When not set, taken from the environment variable E(OS_CLOUD).
    type: str
  cloud_profile:
    description:
      - The public cloud the region belongs to, to derive the IMS and IAM endpoints from O(region).
      - When not set, guessed from O(auth_url) or O(endpoint), else from the region (V(eu-de), V(eu-nl) and V(eu-ch2)
        are Open Telekom Cloud, every other region Huawei Cloud).
      - It also decides the rules where the clouds differ - image names may have Chinese characters on V(huaweicloud)
        only, and only V(huaweicloud) replicates images across regions. With endpoints of another cloud (no profile
        guessed), the API reference's rules apply; set it to have a cloud's.
    type: str
    choices: [huaweicloud, otc]
  region:
    description:
      - Region, for example V(eu-de) or V(ap-southeast-1).
      - When not set, taken from E(HW_REGION_NAME), E(OS_REGION_NAME) or C(region_name) of the C(clouds.yaml) entry.
    type: str
  project_id:
    description:
      - ID of the project to work in. Looked up by O(project_name) (or the region name) when not set.
      - When not set, taken from E(HW_PROJECT_ID), E(HUAWEICLOUD_SDK_PROJECT_ID), E(OS_PROJECT_ID) or
        C(auth.project_id) of the C(clouds.yaml) entry.
    type: str
  project_name:
    description:
      - Name of the project to work in; defaults to the region name (the region's default project).
      - IAM names a region's projects after it (V(eu-de), V(eu-de_apps)). With O(region) set, a name of another
        region's project fails before any request.
      - When not set, taken from E(HW_PROJECT_NAME), E(OS_PROJECT_NAME) or C(auth.project_name) of the C(clouds.yaml)
        entry.
    type: str
  auth_url:
    description:
      - IAM endpoint, for example V(https://iam.eu-de.otc.t-systems.com/v3). Derived from the region when not set.
      - When not set, taken from E(HW_AUTH_URL), E(OS_AUTH_URL) or C(auth.auth_url) of the C(clouds.yaml) entry.
    type: str
  access_key:
    description:
      - Access key (AK) for AK/SK authentication, which signs every request.
      - When not set, taken from E(HW_ACCESS_KEY), E(HUAWEICLOUD_SDK_AK), E(OS_ACCESS_KEY) or C(auth.ak) /
        C(auth.access_key) of the C(clouds.yaml) entry.
    type: str
  secret_key:
    description:
      - Secret key (SK) belonging to O(access_key).
      - When not set, taken from E(HW_SECRET_KEY), E(HUAWEICLOUD_SDK_SK), E(OS_SECRET_KEY) or C(auth.sk) /
        C(auth.secret_key) of the C(clouds.yaml) entry.
    type: str
  security_token:
    description:
      - Security token of temporary AK/SK credentials.
      - When not set, taken from E(HW_SECURITY_TOKEN), E(HUAWEICLOUD_SDK_SECURITY_TOKEN), E(OS_SECURITY_TOKEN) or
        C(auth.security_token) of the C(clouds.yaml) entry.
    type: str
  username:
    description:
      - IAM user name for password authentication; the collection exchanges it for a project-scoped token.
      - When not set, taken from E(HW_USER_NAME), E(OS_USERNAME) or C(auth.username) of the C(clouds.yaml) entry.
    type: str
  password:
    description:
      - Password of O(username).
      - When not set, taken from E(HW_USER_PASSWORD), E(OS_PASSWORD) or C(auth.password) of the C(clouds.yaml) entry.
    type: str
  domain_name:
    description:
      - Name of the account (domain) O(username) belongs to.
      - When not set, taken from E(HW_DOMAIN_NAME), E(OS_USER_DOMAIN_NAME) or C(auth.user_domain_name) /
        C(auth.domain_name) of the C(clouds.yaml) entry.
    type: str
  auth_token:
    description:
      - A pre-issued, project-scoped IAM token.
      - When not set, taken from E(HW_AUTH_TOKEN), E(OS_AUTH_TOKEN) or C(auth.token) of the C(clouds.yaml) entry.
    type: str
  endpoint:
    description:
      - IMS endpoint, for example V(https://ims.eu-de.otc.t-systems.com). Derived from the region, or taken from the
        IAM catalog, when not set.
      - When not set, taken from E(HW_IMS_ENDPOINT) or C(image_endpoint_override) of the C(clouds.yaml) entry.
    type: str
  ecs_endpoint:
    description:
      - ECS endpoint, for example V(https://ecs.eu-de.otc.t-systems.com). The collection only reads it, in check mode
        too, to check an ECS before an image is made of it (that it exists and is stopped), so that a creation IMS
        would refuse fails before any write. Derived from the region, or taken from the C(ecs) service of the IAM
        catalog, when not set; without one, or when the credentials may not read the ECS, IMS decides, with a
        warning.
      - When not set, taken from E(HW_ECS_ENDPOINT).
    type: str
  obs_endpoint:
    description:
      - OBS endpoint, for example V(https://obs.eu-de.otc.t-systems.com). The collection only reads it (C(HEAD) of a
        bucket or an object, signed with OBS's own AK/SK signature), in check mode too, to check the file of an
        import and the target of an export before any write. OBS takes no IAM token, so with token or password
        credentials the check is left to IMS, with a warning; so it is without an endpoint, or when the credentials
        may not read the bucket. Derived from the region, or taken from the C(obs) service of the IAM catalog, when
        not set.
      - When not set, taken from E(HW_OBS_ENDPOINT).
    type: str
  validate_certs:
    description:
      - Whether to verify TLS certificates. Defaults to V(true).
      - When not set, taken from E(OS_INSECURE) (inverted) or C(verify) of the C(clouds.yaml) entry.
      - V(false) makes every module, the lookup and the inventory warn that the servers are not authenticated.
    type: bool
  ca_path:
    description:
      - CA bundle to verify TLS certificates with.
      - When not set, taken from E(OS_CACERT) or C(cacert) of the C(clouds.yaml) entry.
    type: path
  timeout:
    description:
      - The most one HTTP request may take, in seconds, greater than 0, from connecting to the last byte of the answer
        (a server that drips its answer slowly cannot stretch it); an upload's own transfer does not count. A request
        that takes longer counts as failed (see O(retries)). Defaults to V(60).
    type: float
  retries:
    description:
      - How often a request is retried, with jittered exponential backoff and at most 5 minutes in all; V(0) or more.
        Defaults to V(5).
      - Every request is retried after an answer that proves it was not executed (HTTP 429, C(APIGW.0308),
        C(IMG.0060)) or a connection that could not be opened; a read also after HTTP 500, 502, 503, 504, a timeout
        or a dropped connection.
      - A write whose outcome is unknown (HTTP 500, 502, 503, 504, a timeout, a connection dropped after sending) is
        never simply re-sent; its effect is looked for first, and it is sent again (at most 4 times in all) only
        when the effect did not show.
    type: int
  token_cache:
    description:
      - Whether IAM tokens obtained with a password are cached on disk between tasks (they live 24 hours), so a
        play authenticates once instead of once per task. Defaults to V(true).
    type: bool
  token_cache_dir:
    description:
      - Directory of the token cache (created with mode 0700, files 0600).
      - Defaults to C($XDG_CACHE_HOME/hwcloud.ims/tokens) or C(~/.cache/hwcloud.ims/tokens).
    type: path
notes:
  - Authentication uses, in this order of preference, a token, an AK/SK pair or a user name and password, taken from
    the most explicit place that holds any credential (options, then environment variables, then C(clouds.yaml)).
  - Secrets (O(password), O(secret_key), O(security_token), O(auth_token)) never appear in results, logs or messages.
requirements:
  - python >= 3.11
  - httpx
  - pydantic >= 2
"""
