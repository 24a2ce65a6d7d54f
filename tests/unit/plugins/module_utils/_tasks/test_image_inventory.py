# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host name rules of the inventory, case by case (the end-to-end tests show them through ansible-inventory)."""

from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.image_inventory import unique_hostnames


def image(image_id, project="p1", **attributes):
    """An image as the plugin's host variables: every attribute prefixed with ims_."""
    return dict({"ims_id": image_id, "ims_project_id": project}, **{"ims_" + key: value for key, value in attributes.items()})


def test_the_first_unique_preference_names_the_host():
    images = [image("i1", name="web"), image("i2", name="db", os_type="Linux"), image("i3", name="", os_type="Windows")]
    assert unique_hostnames(images, ["name", "id"]) == ["web", "db", "i3"]
    assert unique_hostnames(images, ["os_type", "name"]) == ["web", "Linux", "Windows"]
    # The ID is the last resort even when the preferences leave it out.
    assert unique_hostnames(images, ["description"]) == ["i1", "i2", "i3"]


def test_a_shared_value_names_no_host():
    images = [image("i1", name="web"), image("i2", name="web"), image("i3", name="i1")]
    # "web" is two images' name, "i1" one image's ID and another's name: neither identifies one image.
    assert unique_hostnames(images, ["name", "id"]) == ["i1_p1", "i2", "i3"]


def test_the_same_image_in_several_projects_is_named_by_id_and_project():
    images = [image("i1", "p1", name="base"), image("i1", "p2", name="base"), image("i2", "p2", name="own")]
    assert unique_hostnames(images, ["name", "id"]) == ["i1_p1", "i1_p2", "own"]


def test_a_name_is_never_given_twice():
    images = [image("i1", "p1"), image("i1", "p2"), image("i2", name="i1_p1")]
    assert unique_hostnames(images, ["name"]) == ["i1_p1", "i1_p2", "i1_p1_2"]
