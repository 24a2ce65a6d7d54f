# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""End-to-end tests of the lookup plugin hwcloud.ims.ims_image, in real ansible-playbook runs against the emulator.

A play costs a second or two, so each test evaluates many lookups as the tasks of one play.
"""

import pytest
from seed import OWNER, WEB_GOLDEN

STABLE_WEB = "tags={'family': 'web', 'channel': 'stable'}"


def show(name, expression, **task):
    """A task that evaluates a template expression (``L`` stands for the plugin's name) into its msg."""
    expression = expression.replace("L,", "'hwcloud.ims.ims_image',")
    return dict({"name": name, "ansible.builtin.debug": {"msg": "{{ %s }}" % expression}}, **task)


def outcome(play, name, status="ok"):
    """The msg of a task that ended with ``status``: the lookup's result, or its error when it failed."""
    task = play.task(name)
    assert task["status"] == status, (name, task["result"].get("msg"))
    return task["result"]["msg"]


def error(play, name):
    return outcome(play, name, "failed")


def ims_requests(control):
    return [entry for entry in control.requests() if not entry["path"].startswith("/_emulator")]


def assert_free_of(play, secrets):
    text = play.stdout + play.stderr
    assert not [secret for secret in secrets if secret in text], "secrets in the output of ansible-playbook"


@pytest.mark.compat
def test_lookup_and_query(ansible, control, secrets):
    [newest] = control.bulk_images(OWNER, 1, name_prefix="web-", tags={"family": "web", "channel": "stable"})["ids"]
    play = ansible.play(
        [
            show("by name", "lookup(L, name='web-golden-1')"),
            # User story 3: the newest image with both tags (the tag search API, then the query API).
            show("newest stable", "lookup(L, %s, latest=true)" % STABLE_WEB),
            show("every stable", "query(L, %s, sort_key='name', sort_dir='asc')" % STABLE_WEB),
            # lookup() joins several IDs into one string; query() keeps the list.
            show("joined", "lookup(L, tags={'family': 'web'}, sort_key='name', sort_dir='asc')"),
            show("image", "lookup(L, name='web-golden-1', output='image')"),
            show("images", "query(L, name='web-golden-1', output='image')"),
            show("allowed empty", "query(L, name='no-such-image', allow_empty=true)"),
            show("no match", "lookup(L, name='no-such-image', imagetype='private')", ignore_errors=True),
        ]
    )
    assert outcome(play, "by name") == WEB_GOLDEN
    assert outcome(play, "newest stable") == newest
    assert outcome(play, "every stable") == [newest, WEB_GOLDEN]
    assert outcome(play, "joined") == "%s,%s" % (newest, WEB_GOLDEN)
    image = outcome(play, "image")
    assert (image["id"], image["name"], image["tags"], image["os_type"]) == (WEB_GOLDEN, "web-golden-1", {"family": "web", "channel": "stable"}, "Linux")
    assert outcome(play, "images") == [image]
    assert outcome(play, "allowed empty") == []
    assert "no image matches imagetype='private', name='no-such-image' in project %s" % OWNER in error(play, "no match")
    assert_free_of(play, secrets)


def test_bad_options_fail_before_any_request(ansible, control):
    play = ansible.play(
        [
            show("misspelled", "lookup(L, nmae='web-golden-1')", ignore_errors=True),
            show("bad choice", "lookup(L, sort_dir='sideways')", ignore_errors=True),
            show("clash", "lookup(L, latest=true, limit=2)", ignore_errors=True),
            show("bad time", "lookup(L, created_at={'gt': 'yesterday'})", ignore_errors=True),
            show("bad tags", "lookup(L, tags={'family': {'nested': 'value'}})", ignore_errors=True),
            show("positional", "lookup(L, 'web-golden-1')", ignore_errors=True),
        ]
    )
    assert "unknown option 'nmae' (did you mean 'name'?)" in error(play, "misspelled")
    assert "sort_dir: value of sort_dir must be one of: asc, desc, got: sideways" in error(play, "bad choice")
    assert "latest: returns the single newest image; it cannot be combined with limit" in error(play, "clash")
    assert "created_at.gt: 'yesterday' is not a time" in error(play, "bad time")
    assert "tags: tag" in error(play, "bad tags")
    assert "only keyword arguments are accepted" in error(play, "positional")
    assert ims_requests(control) == []


@pytest.mark.parametrize("auth", ["password", "token"])
def test_password_and_token_authentication(ansible, secrets, auth):
    wrong = "Wrong-Passw0rd!"
    tasks = [show("by name", "lookup(L, name='web-golden-1')")]
    if auth == "password":
        # Credentials IAM refuses: a clear error without the password (the token cache is off, or it would answer).
        tasks.append(show("refused", "lookup(L, name='web-golden-1', password=wrong_password, token_cache=false)", ignore_errors=True))
    play = ansible.play(tasks, auth=auth, play_vars={"wrong_password": wrong})
    assert outcome(play, "by name") == WEB_GOLDEN
    if auth == "password":
        assert "HTTP 401" in error(play, "refused")
    assert_free_of(play, secrets + [wrong])


def test_https_with_the_emulator_ca(tls_ansible):
    play = tls_ansible.play([show("by name", "lookup(L, name='web-golden-1')")])
    assert outcome(play, "by name") == WEB_GOLDEN
