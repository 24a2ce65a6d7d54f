# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The third-party libraries of the client layer, imported in this one place, each on first use.

Every other file of the client layer imports httpx, pydantic and PyYAML from here, never directly, so that:

* nothing is imported before it is needed: a library is imported when a name of it is first taken from this module
  (``from ...deps import httpx`` at the top of ``session.py`` imports httpx when ``session.py`` is imported, which is
  once a task connects). A module whose arguments are wrong fails before any of the three is loaded;
* each file imports cleanly where a library is missing (``ansible-test sanity --test import`` imports every
  module_utils file in an environment without them);
* a module can report the missing library with Ansible's ``missing_required_lib`` message before it touches the
  client: ``if DEPS_IMPORT_ERROR: module.fail_json(msg=missing_required_lib(missing_requirements()),
  exception=DEPS_IMPORT_ERROR)``.

When pydantic is missing, ``BaseModel`` and its helpers are inert stand-ins. They exist only so that the model
classes of ``models.py`` can still be *defined* (class bodies are evaluated at import time); nothing may instantiate
them, which the dependency check above guarantees.

Internal to this collection, may change in any release.
"""

import sys
import traceback
import types

# The names this module provides, by the library they come from.
_NAMES = {
    "httpx": ("httpx",),
    "pydantic": ("BaseModel", "ConfigDict", "Field", "PydanticValidationError", "create_model", "model_validator"),
    "yaml": ("yaml",),
}
# The hard requirements; PyYAML comes with ansible-core and is needed only to read clouds.yaml.
REQUIRED = ("httpx", "pydantic")

_import_errors = {}


def _httpx():
    # httpx's __init__ imports its command-line entry point, httpx._main, which imports click, rich and pygments
    # whenever they are installed (ansible-lint and ansible-navigator bring them to most controllers): 50 to 180 ms
    # per process for a command line no task runs. A placeholder in its place keeps them out.
    if "httpx" not in sys.modules:
        sys.modules.setdefault("httpx._main", _cli_placeholder())
    import httpx

    return {"httpx": httpx}


def _cli_placeholder():
    placeholder = types.ModuleType("httpx._main", "httpx's command line, not loaded by hwcloud.ims")

    def main(*_args, **_kwargs):
        raise RuntimeError("httpx's command line is not loaded in this process (see hwcloud.ims's _client/deps.py)")

    placeholder.main = main
    return placeholder


def _pydantic():
    from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator
    from pydantic import ValidationError as PydanticValidationError

    return {
        "BaseModel": BaseModel,
        "ConfigDict": ConfigDict,
        "Field": Field,
        "PydanticValidationError": PydanticValidationError,
        "create_model": create_model,
        "model_validator": model_validator,
    }


def _pydantic_stand_ins():
    class BaseModel:
        """Stand-in so that model classes can be defined; never instantiated (see the module docstring)."""

    class PydanticValidationError(Exception):
        """Stand-in so that ``except PydanticValidationError`` clauses stay valid."""

    def config_dict(**kwargs):
        return kwargs

    def field(default=None, **_kwargs):
        return default

    def model_validator(*_args, **_kwargs):
        return lambda function: function

    def create_model(_name, __base__=None, **_fields):
        return __base__

    return {
        "BaseModel": BaseModel,
        "ConfigDict": config_dict,
        "Field": field,
        "PydanticValidationError": PydanticValidationError,
        "create_model": create_model,
        "model_validator": model_validator,
    }


def _yaml():
    import yaml

    return {"yaml": yaml}


_LOADERS = {"httpx": _httpx, "pydantic": _pydantic, "yaml": _yaml}
_STAND_INS = {"httpx": lambda: {"httpx": None}, "pydantic": _pydantic_stand_ins, "yaml": lambda: {"yaml": None}}


def _load(library):
    """Import ``library`` once and put its names into this module's namespace (stand-ins when it is missing)."""
    try:
        names = _LOADERS[library]()
    except ImportError:
        _import_errors[library] = traceback.format_exc()
        names = _STAND_INS[library]()
    globals().update(names)
    globals()["HAS_" + library.upper()] = library not in _import_errors


def __getattr__(name):
    """The first access to a name imports its library (PEP 562); later ones find it in the module namespace."""
    for library, names in _NAMES.items():
        if name in names or name == "HAS_" + library.upper():
            _load(library)
            return globals()[name]
    if name == "DEPS_IMPORT_ERROR":
        for library in REQUIRED:
            __getattr__("HAS_" + library.upper())
        # The tracebacks of the hard requirements that failed to import, for fail_json(exception=...); None when all import.
        return "\n".join(_import_errors[library] for library in REQUIRED if library in _import_errors) or None
    raise AttributeError("module %r has no attribute %r" % (__name__, name))


def missing_requirements():
    """The pip names of the hard requirements that failed to import, as one string ("" when none)."""
    __getattr__("DEPS_IMPORT_ERROR")
    return " and ".join(library for library in REQUIRED if library in _import_errors)
