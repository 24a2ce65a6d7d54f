# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading error bodies of every shape the services answer with."""

import pytest

from ansible_collections.hwcloud.ims.plugins.module_utils._client.errors import parse_error_body


@pytest.mark.parametrize(
    "body, expected",
    [
        ('{"error": {"code": "IMG.0024", "message": "The imagetype is invalid."}}', ("IMG.0024", "The imagetype is invalid.")),
        ('{"error_code": "IMG.0001", "error_msg": "The request message format is invalid."}', ("IMG.0001", "The request message format is invalid.")),
        ('{"error": {"code": 401, "message": "", "title": "Unauthorized"}}', ("401", "Unauthorized")),
        ('{"itemNotFound": {"code": 404, "message": "Image not found"}}', ("404", "Image not found")),
        ("404 Not Found\n\nThe resource could not be found.\n\n", (None, "404 Not Found The resource could not be found.")),
        ("<html><head><title>502</title></head><body><h1>Bad Gateway</h1></body></html>", (None, "502 Bad Gateway")),
        ("", (None, None)),
        ('{"unexpected": true}', (None, '{"unexpected": true}')),
    ],
)
def test_parse_error_body(body, expected):
    assert parse_error_body(body.encode("utf-8")) == expected


def test_long_text_bodies_are_shortened():
    _code, message = parse_error_body(b"x" * 5000)
    assert len(message) == 303 and message.endswith("...")
