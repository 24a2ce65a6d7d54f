# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The image_filters doc fragment documents exactly the options of FILTER_ARGUMENT_SPEC, with their types."""

import pytest
import yaml

from ansible_collections.hwcloud.ims.plugins.doc_fragments.image_filters import ModuleDocFragment
from ansible_collections.hwcloud.ims.plugins.module_utils._tasks.image_query import FILTER_ARGUMENT_SPEC

OPTIONS = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]


def test_every_filter_is_documented_and_nothing_else():
    assert list(OPTIONS) == list(FILTER_ARGUMENT_SPEC)


@pytest.mark.parametrize("name", FILTER_ARGUMENT_SPEC)
def test_type_choices_default_and_suboptions_match(name):
    spec, documented = FILTER_ARGUMENT_SPEC[name], OPTIONS[name]
    assert documented["type"] == spec["type"]
    assert documented.get("choices") == spec.get("choices")
    assert documented.get("default") == spec.get("default")
    suboptions = documented.get("suboptions") or {}
    assert {key: value["type"] for key, value in suboptions.items()} == {key: value["type"] for key, value in (spec.get("options") or {}).items()}
