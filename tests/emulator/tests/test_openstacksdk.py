# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""openstacksdk, unchanged: password authentication through the IAM catalog, then Glance image calls."""

import openstack
import pytest
from keystoneauth1 import exceptions as keystone_exceptions
from openstack import exceptions as os_exceptions

from ims_emulator.testing import EmulatorProcess


def connect(info, project, password=None):
    tls = {"cacert": info.ca_file} if info.ca_file else {}
    return openstack.connect(
        auth_url=info.iam_endpoint,
        username=project["username"],
        password=password or project["password"],
        project_name=project["name"],
        user_domain_name=project["domain"],
        project_domain_name=project["domain"],
        region_name=info.region,
        load_yaml_config=False,
        load_envvars=False,
        app_name="hwcloud-ims-emulator-tests",
        **tls,
    )


def glance_ids(api):
    """Every image id Glance lists to this project, following the next links."""
    found = []
    body = api.ok("GET", "/v2/images", query={"limit": 1000})
    found.extend(image["id"] for image in body["images"])
    assert "next" not in body
    return found


@pytest.fixture
def connection(info, projects):
    conn = connect(info, projects[0])
    yield conn
    conn.close()


def test_list_and_show_images(connection, owner, bulk):
    made = bulk(owner, 30)
    listed = list(connection.image.images())
    assert sorted(image.id for image in listed) == sorted(glance_ids(owner))
    assert {image["id"] for image in made} <= {image.id for image in listed}
    image = connection.image.get_image(made[0]["id"])
    assert (image.id, image.name, image.status, image.visibility) == (made[0]["id"], made[0]["name"], "active", "private")
    assert image.owner_id == owner.project_id


def test_list_with_filters(connection, owner):
    public = list(connection.image.images(visibility="public"))
    assert public
    assert all(image.visibility == "public" for image in public)
    body = owner.ok("GET", "/v2/images", query={"visibility": "public", "limit": 1000})
    expected = {image["id"] for image in body["images"]}
    assert {image.id for image in public} == expected


def test_catalog_points_at_the_emulator(connection, info):
    endpoint = connection.endpoint_for("image")
    assert endpoint.rstrip("/").startswith(info.endpoint.rstrip("/"))
    assert connection.current_project_id == info.projects[0]["id"]


def test_missing_image_raises_not_found(connection):
    with pytest.raises(os_exceptions.NotFoundException):
        connection.image.get_image("00000000-0000-0000-0000-000000000000")


def test_over_tls_with_the_ca_file():
    with EmulatorProcess(tls=True) as process:
        conn = connect(process.info, process.info.projects[0])
        try:
            assert list(conn.image.images())
        finally:
            conn.close()


def test_wrong_password_is_refused(info, projects):
    conn = connect(info, projects[0], password="definitely-wrong")
    with pytest.raises((os_exceptions.SDKException, keystone_exceptions.Unauthorized)):
        list(conn.image.images())
    conn.close()
