# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A pre-issued token alone: IAM's token validation gives its project and the IMS endpoint; a token IAM refuses fails
with a message that says what the token alone cannot give."""

NO_ENDPOINT = {"HW_IMS_ENDPOINT": "", "HW_PROJECT_ID": ""}


def test_a_pre_issued_token_finds_its_project_and_endpoint(ansible, control):
    play = ansible.play([{"name": "find", "hwcloud.ims.ims_image_info": {"name": "web-golden-1"}}], auth="token", env=NO_ENDPOINT)
    result = play.task("find")["result"]
    assert play.task("find")["status"] == "ok", result
    assert [image["name"] for image in result["images"]] == ["web-golden-1"]
    validations = [entry for entry in control.requests() if (entry["method"], entry["path"]) == ("GET", "/v3/auth/tokens")]
    assert [entry["status"] for entry in validations] == [200]


def test_a_token_iam_refuses_says_what_is_missing(ansible, control):
    token = ansible.issue_token()
    control.expire_tokens()
    play = ansible.play(
        [{"name": "find", "hwcloud.ims.ims_image_info": {"name": "web-golden-1"}, "ignore_errors": True}],
        auth="token",
        env=dict(NO_ENDPOINT, HW_AUTH_TOKEN=token),
    )
    message = play.task("find")["result"]["msg"]
    assert play.task("find")["status"] == "failed"
    assert message.startswith("the auth_token could not be validated at %s/auth/tokens (HTTP 401" % ansible.emulator.info.iam_endpoint), message
    assert "gives no IMS endpoint;" in message and "HW_IMS_ENDPOINT" in message
    assert token not in play.stdout + play.stderr
