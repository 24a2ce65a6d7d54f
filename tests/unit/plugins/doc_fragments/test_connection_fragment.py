# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection doc fragment documents exactly the settings the resolver knows, with their sources."""

import pytest
import yaml

from ansible_collections.hwcloud.ims.plugins.doc_fragments.connection import ModuleDocFragment
from ansible_collections.hwcloud.ims.plugins.module_utils._client.config import SETTINGS

OPTIONS = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]


def test_every_setting_is_documented_and_nothing_else():
    assert list(OPTIONS) == [setting.name for setting in SETTINGS]


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda setting: setting.name)
def test_type_choices_and_environment_variables_match(setting):
    documented = OPTIONS[setting.name]
    assert documented["type"] == setting.type
    assert documented.get("choices", []) == list(setting.choices)
    assert "default" not in documented, "defaults are applied by the resolver, after the environment variables"
    text = " ".join(documented["description"])
    for variable in setting.env:
        assert "E(%s)" % variable in text
