# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lookup plugin hwcloud.ims.ims_image: the IDs (or the images) that match IMS image filters."""

DOCUMENTATION = r"""
name: ims_image
short_description: Find IMS images by name, tags or any other filter, for use in templates
version_added: 1.0.0
description:
  - Searches the images of one project with the filters of M(hwcloud.ims.ims_image_info) and returns the IDs of the
    matching images, or the images themselves with O(output=image). It is the template-friendly way to pick an image,
    for example the newest image tagged as the stable web image.
  - Takes keyword arguments only.
  - An option that is unknown or breaks a rule fails the lookup with a message naming it, before any request is sent.
  - No match is an error unless O(allow_empty=true), so that a template never silently gets an empty image ID.
  - Runs on the controller, with the controller's environment variables (a task's C(environment) does not apply).
extends_documentation_fragment:
  - hwcloud.ims.image_filters
  - hwcloud.ims.connection
options:
  output:
    description:
      - V(id) returns the image IDs, V(image) the normalized images (dictionaries with the keys of the C(images) that
        M(hwcloud.ims.ims_image_info) returns).
    type: str
    choices: [id, image]
    default: id
  allow_empty:
    description:
      - Return an empty result when no image matches, instead of failing.
    type: bool
    default: false
notes:
  - C(lookup()) unwraps a single result, so with O(latest=true) it returns the ID string itself (or the image
    dictionary with O(output=image)); several IDs come back joined into one comma-separated string. C(query()) (or
    C(lookup(..., wantlist=true))) always returns a list.
seealso:
  - module: hwcloud.ims.ims_image_info
  - plugin: hwcloud.ims.ims
    plugin_type: inventory
"""

EXAMPLES = r"""
- name: Boot from the newest stable web image
  openstack.cloud.server:
    name: web-01
    flavor: s3.medium.1
    image: "{{ lookup('hwcloud.ims.ims_image', tags={'family': 'web', 'channel': 'stable'}, latest=true) }}"

- name: The ID of an image by name, with the connection settings of a clouds.yaml entry
  ansible.builtin.debug:
    msg: "{{ lookup('hwcloud.ims.ims_image', name='web-1042', cloud='otc-eu-nl') }}"

- name: Every active Ubuntu image of this project, as a list of IDs
  ansible.builtin.set_fact:
    ubuntu_images: "{{ query('hwcloud.ims.ims_image', own=true, platform='Ubuntu', status='active') }}"

- name: The whole image, to read its attributes
  ansible.builtin.debug:
    msg: "{{ image.name }} was created at {{ image.created_at }}, tags {{ image.tags }}"
  vars:
    image: "{{ lookup('hwcloud.ims.ims_image', tags={'family': 'web'}, latest=true, output='image') }}"

- name: Continue when there is no candidate image yet
  ansible.builtin.set_fact:
    candidates: "{{ query('hwcloud.ims.ims_image', tags={'channel': 'candidate'}, allow_empty=true) }}"
"""

RETURN = r"""
_raw:
  description:
    - The IDs of the matching images (O(output=id)) or the normalized images (O(output=image)), in the order of
      O(sort_key) and O(sort_dir).
    - C(lookup()) returns a single result unwrapped and several IDs as one comma-separated string; C(query()) always
      returns the list.
  type: list
  elements: raw
"""

from difflib import get_close_matches

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.image_query import FILTER_ARGUMENT_SPEC, find_images, validate_query
from ansible_collections.hwcloud.ims.plugins.plugin_utils._ims_plugin import client_errors, connect_plugin


class LookupModule(LookupBase):
    """See DOCUMENTATION."""

    def run(self, terms, variables=None, **kwargs):
        if terms:
            raise AnsibleLookupError("only keyword arguments are accepted (name=..., tags=..., latest=true, ...), not positional terms")
        # Ansible ignores unknown keyword arguments of lookups; a misspelled filter must not widen the search.
        for name in sorted(kwargs):
            if name not in self.option_definitions:
                close = get_close_matches(name, self.option_definitions, n=1)
                raise AnsibleLookupError("unknown option %r%s" % (name, " (did you mean %r?)" % close[0] if close else ""))
        with client_errors():
            # Before Ansible's own option checks, whose messages do not say what a filter accepts.
            query = validate_query({name: value for name, value in kwargs.items() if name in FILTER_ARGUMENT_SPEC})
            self.set_options(var_options=variables, direct=kwargs)
            with connect_plugin(self) as ims:
                images = find_images(ims, query)
                project_id = ims.project_id
        if not images and not self.get_option("allow_empty"):
            wanted = ", ".join("%s=%r" % (name, self.get_option(name)) for name in sorted(kwargs) if name in FILTER_ARGUMENT_SPEC)
            raise AnsibleLookupError("no image matches %s in project %s" % (wanted, project_id) if wanted else "project %s has no image" % project_id)
        if self.get_option("output") == "image":
            return images
        return [image["id"] for image in images]
