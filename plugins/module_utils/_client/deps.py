# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The third-party libraries of the client layer, imported in this one place.

Every other file of the client layer imports httpx, pydantic and PyYAML from here, never directly, so that:

* each file imports cleanly where a library is missing (``ansible-test sanity --test import`` imports every
  module_utils file in an environment without them);
* a module can report the missing library with Ansible's ``missing_required_lib`` message before it touches the
  client: ``if DEPS_IMPORT_ERROR: module.fail_json(msg=missing_required_lib(missing_requirements()),
  exception=DEPS_IMPORT_ERROR)``.

When pydantic is missing, ``BaseModel`` and its helpers below are inert stand-ins. They exist only so that the model
classes of ``models.py`` and ``config.py`` can still be *defined* (class bodies are evaluated at import time);
nothing may instantiate them, which the dependency check above guarantees. The alternative, defining the model
classes inside ``if HAS_PYDANTIC:`` blocks, would hide them from linters and readers for no gain.

Internal to this collection, may change in any release.
"""

import traceback

# What the other files import from here (listed so that linters see the re-exports as used).
__all__ = (
    "httpx",
    "yaml",
    "BaseModel",
    "ConfigDict",
    "Field",
    "SecretStr",
    "PydanticValidationError",
    "model_validator",
    "HAS_HTTPX",
    "HAS_PYDANTIC",
    "HAS_YAML",
    "DEPS_IMPORT_ERROR",
    "missing_requirements",
)

try:
    import httpx
except ImportError:
    httpx = None
    HTTPX_IMPORT_ERROR = traceback.format_exc()
else:
    HTTPX_IMPORT_ERROR = None

try:
    from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
    from pydantic import ValidationError as PydanticValidationError
except ImportError:
    PYDANTIC_IMPORT_ERROR = traceback.format_exc()

    class BaseModel:
        """Stand-in so that model classes can be defined; never instantiated (see the module docstring)."""

    class SecretStr:
        """Stand-in used only in annotations."""

    class PydanticValidationError(Exception):
        """Stand-in so that ``except PydanticValidationError`` clauses stay valid."""

    def ConfigDict(**kwargs):
        return kwargs

    def Field(default=None, **_kwargs):
        return default

    def model_validator(*_args, **_kwargs):
        return lambda function: function
else:
    PYDANTIC_IMPORT_ERROR = None

try:
    import yaml
except ImportError:
    yaml = None
    YAML_IMPORT_ERROR = traceback.format_exc()
else:
    YAML_IMPORT_ERROR = None

HAS_HTTPX = HTTPX_IMPORT_ERROR is None
HAS_PYDANTIC = PYDANTIC_IMPORT_ERROR is None
# PyYAML comes with ansible-core; it is needed only to read clouds.yaml, so it is not a hard requirement.
HAS_YAML = YAML_IMPORT_ERROR is None

# The tracebacks of the hard requirements that failed to import, for fail_json(exception=...); None when all import.
DEPS_IMPORT_ERROR = "\n".join(error for error in (HTTPX_IMPORT_ERROR, PYDANTIC_IMPORT_ERROR) if error) or None


def missing_requirements():
    """The pip names of the hard requirements that failed to import, as one string ("" when none)."""
    missing = [name for name, error in (("httpx", HTTPX_IMPORT_ERROR), ("pydantic", PYDANTIC_IMPORT_ERROR)) if error]
    return " and ".join(missing)
