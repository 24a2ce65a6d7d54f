# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``own: true``, the filter for "all my images": the project's images whether it shared them or not, in the module,
the inventory and the lookup alike. ``imagetype: private`` leaves the shared ones out (IMS counts them as shared)."""

from test_inventory import inventory

EU_DE_IMAGES = {"web-golden-1", "base-debian-10", "db-encrypted-1", "app-full-ecs-1", "rescue-iso-1", "data-disk-1"}


def test_own_finds_the_shared_images_that_imagetype_private_leaves_out(ansible, control):
    play = ansible.play(
        [
            {"name": "own web", "hwcloud.ims.ims_image_info": {"own": True, "tags": {"family": "web"}}},
            {"name": "private web", "hwcloud.ims.ims_image_info": {"imagetype": "private", "tags": {"family": "web"}}},
            {"name": "own", "hwcloud.ims.ims_image_info": {"own": True}},
            {"name": "lookup", "ansible.builtin.set_fact": {"found": "{{ query('hwcloud.ims.ims_image', own=true, output='image') | map(attribute='name') }}"}},
            {"name": "both", "hwcloud.ims.ims_image_info": {"own": True, "owner": "67477b5b052646869adfd66f5cb8d955"}, "ignore_errors": True},
        ]
    )
    assert [image["name"] for image in play.task("own web")["result"]["images"]] == ["web-golden-1"]
    assert play.task("private web")["result"]["images"] == []
    assert {image["name"] for image in play.task("own")["result"]["images"]} == EU_DE_IMAGES
    assert set(play.task("lookup")["result"]["ansible_facts"]["found"]) == EU_DE_IMAGES
    assert play.task("both")["status"] == "failed" and "own: already means owner=<this project>" in play.task("both")["result"]["msg"]
    owners = {entry["query"] for entry in control.requests() if entry["path"] == "/v2/cloudimages"}
    assert any("owner=67477b5b052646869adfd66f5cb8d955" in query for query in owners)


def test_an_inventory_of_own_images_has_the_shared_ones_too(ansible):
    inv = inventory(ansible, {"filters": {"own": True}})
    assert inv.rc == 0, inv.output
    assert set(inv.hostvars) == EU_DE_IMAGES
    assert set(inv.hosts("ims_shared")) == {"web-golden-1", "base-debian-10"}
