# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad input: wrong arguments for every module fail with a message naming the option, no crash, zero requests.

The wrong arguments are derived from each module's own documentation rather than picked by hand, so that an option
added later is tested without touching this file:

* ``ansible-doc --json`` gives every option of every module in plugins/modules (the connection options of the doc
  fragment included): its type, choices, elements, sub-options and whether it is required.
* The module's source gives the combinations its ``ImsModule(...)`` call declares (mutually_exclusive,
  required_together, required_one_of, required_if, required_by), read with ``ast``.
* RULES and SHARED_RULES hold what no type can say: the documented rules the modules check themselves before any
  request (image names, descriptions, tags, OBS addresses, disk sizes, times, tag filters, timeouts, combinations of
  their own). They are the only wrong values a ``str`` or ``path`` option has.

From these, ``wrong_slots`` lists every way one call can be wrong. Such a *slot* is a module, a kind of wrongness
and the options it is about: a value outside ``choices``; a value of the wrong type, kept only when ansible-core's
own type checker refuses it (ansible-core turns ``5`` into ``['5']`` for a list, ``'a=b'`` into a dict and anything
at all into a string, so ``str``, ``raw`` and ``path`` options have no wrong type); a bad list element; a wrong,
unknown or missing sub-option; a missing required option; an unknown option; a violation of each declared
combination (checked with ansible-core's own functions to break that combination and no other); a broken rule.

Each wrong call is a valid base call of its module (BASES, run in check mode by ``test_base_calls_are_valid``) with
exactly one of these changes. It must fail with a message that names the option (parent and key for a sub-option),
reported by the module itself rather than by a crash or with a traceback, and the emulator must receive no request at
all while the wrong calls run.

Cost: a module call takes about 0.7 s of CPU, most of it the module starting up, so the calls of a test run as the
tasks of two plays side by side, and ``test_every_slot_is_refused`` runs a cover of the slots rather than all of them:
every rule and declared combination, and as few of the other slots as name every option, sub-option and kind of each
module. The connection options, the same in every module (one doc fragment, one argument spec in _ims_module), are
taken by one module each, in turn. ``test_generated_wrong_calls_are_refused`` draws from all slots, with random wrong
values, a call per module and example.
"""

import ast
import copy
import itertools
import json
import os
import re
import string
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest
from ansible.module_utils.common.validation import (
    check_mutually_exclusive,
    check_required_arguments,
    check_required_by,
    check_required_if,
    check_required_one_of,
    check_required_together,
    check_type_bool,
    check_type_dict,
    check_type_float,
    check_type_int,
    check_type_list,
    check_type_str,
)
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from seed import APPS, BASE_DEBIAN, DATA_DISK, DEBIAN_DATA_DISKS, DEBIAN_SERVER, OWNER, WEB_GOLDEN

REPO_ROOT = Path(__file__).resolve().parents[2]
MODULES_DIR = REPO_ROOT / "plugins" / "modules"
MODULES = tuple(sorted(path.stem for path in MODULES_DIR.glob("*.py") if not path.name.startswith("_")))

OS_VERSION = "CentOS 7.6 64bit"
DEFAULT_PROJECT = "eu-de"
# Stand-ins in BASES for what the ``bases`` fixture makes for each test: a finished job, a small file to upload.
JOB_ID = "<the job of the test>"
LOCAL_FILE = "<a small local qcow2 file>"


@dataclass(frozen=True)
class Base:
    """A valid call of a module: its arguments, and the project it runs in."""

    args: dict
    project: str = DEFAULT_PROJECT


# module -> variant -> a valid call, 'default' first. The other variants carry what the default cannot (the sub-options of
# data_disks, a local file, the consumer's side of sharing), so that every wrong call changes exactly one thing of a valid call.
BASES = {
    "ims_image": {
        "default": Base(
            {
                "name": "bad-input",
                "image_url": "ims-images:centos7.qcow2",
                "min_disk": 40,
                "os_version": OS_VERSION,
                "data_images": [{"image_url": "ims-images:datadisk.qcow2", "min_disk": 100, "name": "bad-input-data"}],
            }
        ),
        "instance": Base(
            {"name": "bad-input-ecs", "instance_id": DEBIAN_SERVER, "data_disks": [{"volume_id": DEBIAN_DATA_DISKS[0], "name": "bad-input-ecs-data"}]}
        ),
        "upload": Base({"name": "bad-input-upload", "local_file": LOCAL_FILE, "os_version": OS_VERSION, "min_disk": 10}),
    },
    "ims_image_export": {"default": Base({"image": BASE_DEBIAN, "bucket_url": "ims-exports:bad-input.qcow2", "file_format": "qcow2"})},
    "ims_image_info": {"default": Base({})},
    "ims_image_member": {
        "default": Base({"image": [DATA_DISK], "projects": [APPS]}),
        "answer": Base({"image": [WEB_GOLDEN], "status": "accepted"}, project="eu-de_apps"),
    },
    "ims_image_tag": {"default": Base({"image": WEB_GOLDEN, "tags": {"bad-input": "yes"}})},
    "ims_job": {"default": Base({"job_id": JOB_ID})},
    "ims_quota_info": {"default": Base({})},
}


# -- wrong values of a type -----------------------------------------------------------------------------------------

# No braces: "{{" would make a template of the value.
TEXT = st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs"), exclude_characters="{}"), max_size=12)
KEYS = st.text(string.ascii_letters + string.digits + "_-", min_size=1, max_size=8)
NUMBERS = st.one_of(st.integers(-(10**6), 10**6), st.floats(-1e6, 1e6, allow_nan=False))
SCALARS = st.one_of(TEXT, NUMBERS, st.booleans())
LISTS = st.lists(SCALARS, max_size=3)
DICTS = st.dictionaries(KEYS, SCALARS, max_size=3)
UNKNOWN_NAMES = st.from_regex(r"\A[a-z][a-z0-9_]{2,14}\Z").filter(lambda name: not name.startswith("ansible"))
TYPE_CHECKERS = {"bool": check_type_bool, "int": check_type_int, "float": check_type_float, "list": check_type_list, "dict": check_type_dict}
# The candidates for a wrong value of each type; ansible-core's checker of the type keeps those it refuses.
TYPE_CANDIDATES = {
    "bool": st.one_of(TEXT, NUMBERS, LISTS, DICTS),
    "int": st.one_of(TEXT, st.floats(-1e6, 1e6, allow_nan=False), LISTS, DICTS),
    "float": st.one_of(TEXT, LISTS, DICTS),
    "list": DICTS,  # a string is split at its commas and a number becomes a one-element list: only a dict is refused
    "dict": st.one_of(TEXT, NUMBERS, st.booleans(), LISTS),
}
FIXED_WRONG = {"bool": "maybe", "int": "ten", "float": "fast", "list": {"not": "a list"}, "dict": 42}
FIXED_UNKNOWN = "zz_unknown"


def refused_by(type_name):
    """Whether ansible-core's type checker refuses a value (it converts much of what it is given)."""
    checker = TYPE_CHECKERS[type_name]

    def refuses(value):
        try:
            checker(value)
        except (TypeError, ValueError):
            return True
        return False

    return refuses


def wrong_values(spec):
    """(kind, strategy, fixed value) of the wrong values of an option's own type, choices and elements."""
    found = []
    type_name = spec.get("type", "str")
    choices = spec.get("choices")
    if choices:
        if type_name in ("int", "float"):
            found.append(("choices", st.integers(-(10**6), 10**6).filter(lambda value: value not in choices), max(choices) + 1))
        else:
            # Ansible compares the value, made a string, with the choices.
            found.append(("choices", st.one_of(TEXT, NUMBERS, LISTS).filter(lambda value: check_type_str(value) not in choices), "not-a-choice"))
    if type_name in TYPE_CHECKERS:
        found.append(("type", TYPE_CANDIDATES[type_name].filter(refused_by(type_name)), FIXED_WRONG[type_name]))
    elements = spec.get("elements")
    if type_name == "list" and elements in TYPE_CHECKERS:
        if elements == "dict":
            # What no dict can be made of: a string that is not key=value, a number, a list.
            bad, example = st.one_of(TEXT, NUMBERS, LISTS).filter(refused_by("dict")), "not-a-dict"
        else:
            bad, example = TYPE_CANDIDATES[elements].filter(refused_by(elements)), FIXED_WRONG[elements]
        found.append(("element", bad.map(lambda value: [value]), [example]))
    return found


def valid_value(spec):
    """A value of an option that passes ansible-core's checks (for a combination only its presence matters)."""
    if spec.get("choices"):
        return spec["choices"][0]
    type_name = spec.get("type", "str")
    suboptions = spec.get("suboptions") or {}
    element = {name: valid_value(sub) for name, sub in suboptions.items() if sub.get("required")}
    if type_name == "list":
        return [element] if suboptions else [valid_value({"type": spec.get("elements", "str")})]
    if type_name == "dict":
        return element if suboptions else {"key": "value"}
    return {"bool": True, "int": 1, "float": 1.0}.get(type_name, "x")


# -- the rules the modules check themselves, before any request -----------------------------------------------------

NAME_CHARACTERS = string.ascii_letters + string.digits + "-._"
WORD = st.text(NAME_CHARACTERS, min_size=1, max_size=8)
NEGATIVE = st.integers(-(10**6), -1)
TAG_FORBIDDEN = "=*<>\\,|/"
# Image names: 1 to 128 letters, digits, spaces, "-", "." and "_", not starting or ending with a space.
BAD_IMAGE_NAMES = st.one_of(
    st.builds("{}{}{}".format, WORD, st.sampled_from("/\\:*?\"<>|@#$!&+=,;[]()~`'^%"), WORD),
    st.text(NAME_CHARACTERS, min_size=129, max_size=140),
    st.builds(" {}".format, WORD),
    st.builds("{} ".format, WORD),
    st.just(""),
)
# Descriptions: at most 1024 characters, no line breaks, no angle brackets.
BAD_DESCRIPTIONS = st.one_of(st.builds("{}{}{}".format, WORD, st.sampled_from("\r\n<>"), WORD), st.text(NAME_CHARACTERS + " ", min_size=1025, max_size=1100))
# Tags: at most 10; keys 1 to 36 characters, values 0 to 43; none of = * < > \ , | /; no space at either end.
BAD_TAGS = st.one_of(
    st.builds(lambda before, bad, after, value: {before + bad + after: value}, WORD, st.sampled_from(TAG_FORBIDDEN), WORD, WORD),
    st.builds(lambda key, before, bad: {key: before + bad}, WORD, WORD, st.sampled_from(TAG_FORBIDDEN)),
    st.builds(lambda key: {key: "v"}, st.text(NAME_CHARACTERS, min_size=37, max_size=40)),
    st.builds(lambda value: {"k": value}, st.text(NAME_CHARACTERS, min_size=44, max_size=50)),
    st.dictionaries(WORD, WORD, min_size=11, max_size=13),
    st.builds(lambda key: {" " + key: "v"}, WORD),
    st.builds(lambda key: {key + " ": "v"}, WORD),
    st.builds(lambda key: {key: " v"}, WORD),
    st.just({"": "v"}),
)
# OBS addresses: bucket:file, neither part empty.
BAD_OBS_URLS = st.one_of(WORD, st.builds(":{}".format, WORD), st.builds("{}:".format, WORD), st.just(":"))
BAD_TIMES = st.one_of(st.text(string.ascii_letters, min_size=1, max_size=10), st.just("  "))
TIME_OPERATORS = ("gt", "gte", "lt", "lte", "eq", "neq")
# Tag filters: at most 10 keys with at most 10 values each, values unique and text, keys not empty.
BAD_TAG_FILTERS = st.one_of(
    st.dictionaries(WORD, WORD, min_size=11, max_size=13),
    st.builds(lambda key, values: {key: values}, WORD, st.lists(WORD, min_size=11, max_size=13, unique=True)),
    st.builds(lambda key, value: {key: [value, value]}, WORD, WORD),
    st.builds(lambda key: {key: {"a": "b"}}, WORD),
    st.just({"": "v"}),
)
PROJECT_IDS = st.text("0123456789abcdef", min_size=32, max_size=32)


@dataclass(frozen=True)
class Rule:
    """A documented rule a module checks before any request. ``change(base args, value)`` gives what a call sets to
    break it with ``value`` (None: leaves the option out) and the options its message must name; ``covers`` are the
    options (``parent.key`` for a sub-option) the rule is about."""

    covers: tuple
    values: object
    example: object
    change: object
    variant: str = "default"


def option_rule(option, values, example, variant="default"):
    return Rule((option,), values, example, lambda base, value: ({option: value}, (option,)), variant)


def sub_rule(parent, option, values, example, variant="default"):
    """A rule of a sub-option, broken in the base's element of the list (or in its dict)."""

    def change(base, value):
        current = base.get(parent)
        changed = [dict(current[0], **{option: value})] + current[1:] if isinstance(current, list) else dict(current or {}, **{option: value})
        return {parent: changed}, (parent, option)

    return Rule(("%s.%s" % (parent, option),), values, example, change, variant)


def time_rule(option):
    """A comparison of a time filter with something that is no time; the operator is drawn too."""
    return Rule(
        tuple("%s.%s" % (option, operator) for operator in TIME_OPERATORS),
        st.tuples(st.sampled_from(TIME_OPERATORS), BAD_TIMES),
        (TIME_OPERATORS[len(option) % len(TIME_OPERATORS)], "yesterday"),
        lambda base, value: ({option: {value[0]: value[1]}}, (option, value[0])),
    )


def combination_rule(names, values, example, variant="default"):
    """Options that are right alone, wrong together (or with the base); a value is everything the call sets."""
    return Rule(tuple(names), values, example, lambda base, value: (value, tuple(names)), variant)


RULES = {
    "ims_image": [
        option_rule("name", BAD_IMAGE_NAMES, "bad/name"),
        option_rule("description", BAD_DESCRIPTIONS, "a <b> description"),
        option_rule("tags", BAD_TAGS, {"bad=key": "v"}),
        option_rule("min_disk", st.one_of(st.integers(-(10**6), 0), st.integers(1025, 10**6)), 1025),
        option_rule("min_ram", NEGATIVE, -1),
        option_rule("image_url", BAD_OBS_URLS, "no-colon"),
        option_rule("image_url", st.just(""), ""),
        option_rule("local_file", st.builds("/nonexistent/bad-input/{}.qcow2".format, WORD), "/nonexistent/disk.qcow2", variant="upload"),
        sub_rule("data_images", "image_url", BAD_OBS_URLS, "bucket-only:"),
        sub_rule("data_images", "min_disk", st.one_of(st.integers(-(10**6), 0), st.integers(2049, 10**6)), 0),
        sub_rule("data_images", "name", BAD_IMAGE_NAMES, " leading-space"),
        sub_rule("data_images", "description", BAD_DESCRIPTIONS, "two\nlines"),
        sub_rule("data_images", "tags", BAD_TAGS, {"k": "a/b"}),
        sub_rule("data_disks", "name", BAD_IMAGE_NAMES, "x" * 129, variant="instance"),
        sub_rule("data_disks", "description", BAD_DESCRIPTIONS, "x" * 1025, variant="instance"),
        sub_rule("data_disks", "tags", BAD_TAGS, {"k" * 37: "v"}, variant="instance"),
        # Creation options the source does not take, and sources that exclude each other.
        combination_rule(["disk_format"], st.sampled_from(["qcow2", "vhd", "raw"]).map(lambda value: {"disk_format": value}), {"disk_format": "qcow2"}),
        combination_rule(
            ["os_type"], st.sampled_from(["Linux", "Windows", "Other"]).map(lambda value: {"os_type": value}), {"os_type": "Linux"}, variant="instance"
        ),
        combination_rule(["whole_image"], st.just({"whole_image": True}), {"whole_image": True}),
        combination_rule(["quick_import"], st.just({"quick_import": True, "register": True}), {"quick_import": True, "register": True}),
    ],
    "ims_image_info": [
        option_rule("limit", st.integers(-(10**6), 0), 0),
        option_rule("min_ram", NEGATIVE, -1),
        option_rule("min_disk", NEGATIVE, -5),
        option_rule("name_match", st.just(""), ""),
        time_rule("created_at"),
        time_rule("updated_at"),
        option_rule("tags", BAD_TAG_FILTERS, {"k": ["v", "v"]}),
        option_rule("tags_any", BAD_TAG_FILTERS, {"k": {"a": "b"}}),
        option_rule("not_tags", BAD_TAG_FILTERS, {"": "v"}),
        option_rule("not_tags_any", BAD_TAG_FILTERS, {"k%d" % number: "v" for number in range(11)}),
        combination_rule(["latest", "limit"], st.integers(1, 100).map(lambda limit: {"latest": True, "limit": limit}), {"latest": True, "limit": 5}),
        combination_rule(
            ["latest", "sort_key"],
            st.sampled_from(["name", "id", "size"]).map(lambda key: {"latest": True, "sort_key": key}),
            {"latest": True, "sort_key": "name"},
        ),
        combination_rule(
            ["latest", "sort_dir"], st.sampled_from(["asc", "desc"]).map(lambda way: {"latest": True, "sort_dir": way}), {"latest": True, "sort_dir": "asc"}
        ),
        combination_rule(
            ["without_any_tag", "tags"],
            WORD.map(lambda key: {"without_any_tag": True, "tags": {key: "v"}}),
            {"without_any_tag": True, "tags": {"family": "web"}},
        ),
        combination_rule(
            ["member_status", "visibility"],
            st.builds(
                lambda status, visibility: {"member_status": status, "visibility": visibility},
                st.sampled_from(["accepted", "rejected", "pending"]),
                st.sampled_from(["public", "private"]),
            ),
            {"member_status": "accepted", "visibility": "public"},
        ),
    ],
    "ims_image_member": [
        option_rule("projects", st.lists(PROJECT_IDS, max_size=2).map(lambda others: [OWNER] + others), [APPS, OWNER]),
        option_rule("projects", st.sampled_from([[""], ["  "], [APPS, ""]]), [""]),
        option_rule("projects", st.lists(PROJECT_IDS, min_size=129, max_size=135, unique=True), ["%032x" % number for number in range(129)]),
    ],
    "ims_image_tag": [option_rule("tags", BAD_TAGS, {"key": "x" * 44})],
    "ims_image_export": [
        option_rule("bucket_url", st.one_of(BAD_OBS_URLS, st.builds("{}:{} {}".format, WORD, WORD, WORD)), "ims-exports:with space.qcow2"),
        combination_rule(["file_format"], st.just({"quick_export": True}), {"quick_export": True}),
        combination_rule(["file_format"], st.just({"file_format": None}), {"file_format": None}),
    ],
}
# Rules of options several modules document alike; every module that has the option keeps them.
SHARED_RULES = [
    option_rule("wait_timeout", NEGATIVE, -1),  # the seconds to wait at most
    option_rule("timeout", st.one_of(st.floats(-1e6, 0), st.sampled_from(["nan", "inf", "-inf"])), -1),  # of one HTTP request
    option_rule("retries", NEGATIVE, -1),
]


# -- slots: the ways one call can be wrong ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """What a wrong call changes in a base call: the options it sets (None: leaves out); the options its message must name."""

    variant: str
    set: dict
    names: tuple


@dataclass(frozen=True)
class Slot:
    """One way a call of ``module`` can be wrong. ``values`` draws a Change, ``example`` is the fixed one; ``covers``
    are the options (``parent.key`` for a sub-option) the slot is about."""

    module: str
    kind: str
    covers: tuple
    values: object = field(compare=False, repr=False)
    example: Change = field(compare=False)

    def __str__(self):
        return "%s %s %s" % (self.module, self.kind, ",".join(self.covers))


def wrong_slots(module, options, constraints):
    """Every slot of a module, from its documented options, its declared combinations and its RULES."""
    bases = BASES[module]
    slots = []

    def add(kind, covers, variant, values, example, change):
        """``change(value)`` -> (what the call sets, the options its message must name)."""
        slots.append(Slot(module, kind, tuple(covers), values.map(lambda value: Change(variant, *change(value))), Change(variant, *change(example))))

    for name, spec in sorted(options.items()):
        variant = next((key for key, base in bases.items() if name in base.args), "default")
        for kind, values, example in wrong_values(spec):
            add(kind, [name], variant, values, example, lambda value, name=name: ({name: value}, (name,)))
        if spec.get("required"):
            add("missing", [name], variant, st.just(None), None, lambda value, name=name: ({name: None}, (name,)))
        suboptions = spec.get("suboptions")
        if not suboptions:
            continue
        assert not any(sub.get("suboptions") for sub in suboptions.values()), "sub-options of sub-options: extend wrong_slots"
        with_sub = element_changer(name, spec, suboptions, bases[variant].args.get(name))
        for sub_name, sub_spec in sorted(suboptions.items()):
            path = "%s.%s" % (name, sub_name)
            for kind, values, example in wrong_values(sub_spec):
                add(
                    "sub-" + kind,
                    [path],
                    variant,
                    values,
                    example,
                    lambda value, name=name, sub_name=sub_name, change=with_sub: (change({sub_name: value}), (name, sub_name)),
                )
            if sub_spec.get("required"):
                add(
                    "missing-sub",
                    [path],
                    variant,
                    st.just(None),
                    None,
                    lambda value, name=name, sub_name=sub_name, change=with_sub: (change({sub_name: None}), (name, sub_name)),
                )
        add(
            "unknown-sub",
            [name],
            variant,
            UNKNOWN_NAMES.filter(lambda key, subs=suboptions: key not in subs),
            FIXED_UNKNOWN,
            lambda key, name=name, change=with_sub: (change({key: "x"}), (name, key)),
        )
    add("unknown", [], "default", UNKNOWN_NAMES.filter(lambda key: key not in options), FIXED_UNKNOWN, lambda key: ({key: "x"}, (key,)))

    for kind, covers, candidates in combination_violations(module, options, constraints):
        slots.append(Slot(module, kind, covers, st.sampled_from(candidates), candidates[0]))

    rules = list(RULES.get(module, ())) + [rule for rule in SHARED_RULES if rule.covers[0] in options]
    for rule in rules:
        base = bases[rule.variant].args
        add("rule", rule.covers, rule.variant, rule.values, rule.example, lambda value, rule=rule, base=base: rule.change(base, value))
    return slots


def element_changer(name, spec, suboptions, current):
    """``change({key: value})``: the option ``name`` as the base has it (its first element for a list), with those
    sub-options changed (None: left out); made of the required sub-options when the base has none."""
    if isinstance(current, list) and current:
        element, rest = current[0], current[1:]
    elif isinstance(current, dict):
        element, rest = current, []
    else:
        element, rest = {key: valid_value(sub) for key, sub in suboptions.items() if sub.get("required")}, []

    def change(changes):
        changed = {key: value for key, value in {**element, **changes}.items() if value is not None}
        return {name: [changed] + copy.deepcopy(rest) if spec.get("type") == "list" else changed}

    return change


# -- declared combinations ----------------------------------------------------------------------------------------

CONSTRAINT_KINDS = ("mutually_exclusive", "required_together", "required_one_of", "required_if", "required_by")


def declared_constraints(module):
    """The combinations the module's ``ImsModule(...)`` (or ``AnsibleModule(...)``) call declares, by kind."""
    tree = ast.parse((MODULES_DIR / ("%s.py" % module)).read_text(encoding="utf-8"))
    constants = {target.id: node.value for node in tree.body if isinstance(node, ast.Assign) for target in node.targets if isinstance(target, ast.Name)}
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and (getattr(node.func, "id", None) or getattr(node.func, "attr", None)) in ("ImsModule", "AnsibleModule")
    ]
    assert len(calls) == 1, "%s: expected one ImsModule(...) call, found %d" % (module, len(calls))
    found = {}
    for keyword in calls[0].keywords:
        assert keyword.arg is not None, "%s: ImsModule(**...) hides the combinations from this test" % module
        if keyword.arg in CONSTRAINT_KINDS:
            value = constants.get(keyword.value.id, keyword.value) if isinstance(keyword.value, ast.Name) else keyword.value
            found[keyword.arg] = ast.literal_eval(value)
    return found


def constraint_entries(constraints):
    """(kind, entry) for every single declared combination."""
    for kind in CONSTRAINT_KINDS:
        declared = constraints.get(kind) or ()
        if kind == "required_by":
            declared = [(key, (value,) if isinstance(value, str) else tuple(value)) for key, value in dict(declared).items()]
        for entry in declared:
            yield kind, tuple(entry)


def violated(kind, entry, args):
    """Whether the options a call writes break this one combination, by ansible-core's own check."""
    checks = {
        "mutually_exclusive": lambda: check_mutually_exclusive([entry], args),
        "required_together": lambda: check_required_together([entry], args),
        "required_one_of": lambda: check_required_one_of([entry], args),
        "required_if": lambda: check_required_if([entry], args),
        "required_by": lambda: check_required_by({entry[0]: list(entry[1])}, args),
    }
    try:
        checks[kind]()
    except TypeError:
        return True
    return False


def combination_terms(kind, entry):
    if kind == "required_if":
        return (entry[0],) + tuple(entry[2])
    if kind == "required_by":
        return (entry[0],) + tuple(entry[1])
    return tuple(entry)


def combination_violations(module, options, constraints):
    """(kind, the options involved, Changes of a base call that break that combination and nothing else) for each one."""
    entries = list(constraint_entries(constraints))
    required = {name: {"required": True} for name, spec in options.items() if spec.get("required")}
    found = []
    for kind, entry in entries:
        candidates = []
        for variant, base in BASES[module].items():
            for change, names in combination_changes(kind, entry, base.args, lambda name: known_value(module, options, name)):
                args = {key: value for key, value in dict(base.args, **change).items() if value is not None}
                try:
                    check_required_arguments(required, args)
                except TypeError:
                    continue
                if violated(kind, entry, args) and not any(violated(*other, args) for other in entries if other != (kind, entry)):
                    candidates.append(Change(variant, change, names))
        assert candidates, "%s: no base call breaks %s %r alone; add a variant to BASES" % (module, kind, entry)
        found.append((kind, combination_terms(kind, entry), candidates))
    return found


def combination_changes(kind, entry, base, value_of):
    """(what a call sets, the options its message must name) for ways to break one combination in a base call."""
    present = [name for name in combination_terms(kind, entry) if name in base]
    if kind == "mutually_exclusive":
        if present:
            for name in entry:
                if name not in base:
                    yield {name: value_of(name)}, (present[0], name)
        for first, second in itertools.combinations([name for name in entry if name not in base], 2):
            yield {first: value_of(first), second: value_of(second)}, (first, second)
    elif kind == "required_one_of":
        yield dict.fromkeys(entry), tuple(entry)
    elif kind == "required_together":
        yield ({present[0]: None} if present else {entry[0]: value_of(entry[0])}), tuple(entry)
    elif kind == "required_if":
        key, value, requirements = entry[:3]
        if len(entry) > 3 and entry[3]:
            yield dict({key: value}, **dict.fromkeys(requirements)), (key,) + tuple(requirements)
        else:
            for name in requirements:
                yield {key: value, name: None}, (key, name)
    elif kind == "required_by":
        key, requirements = entry
        yield dict({key: base.get(key, value_of(key))}, **dict.fromkeys(requirements)), (key,) + tuple(requirements)


def known_value(module, options, name):
    """A valid value of an option: the one a base call gives it, else one made from its documentation."""
    for base in BASES[module].values():
        if name in base.args:
            return copy.deepcopy(base.args[name])
    return valid_value(options[name])


# -- which slots the fixed test runs ----------------------------------------------------------------------------------


def shared_options(module_options):
    """The options every module documents alike: the connection options of the doc fragment."""
    first = module_options[MODULES[0]]
    return {name for name in first if all(module_options[module].get(name) == first[name] for module in MODULES)}


def fixed_plan(slots, shared):
    """The slots the fixed test runs: all rules and declared combinations, and as few of the others as cover every
    option and every kind of each module. Each slot of a shared option runs in one module, the next in the next."""
    plan = []
    for module in MODULES:
        own = [slot for slot in slots[module] if not set(slot.covers) & shared]
        wanted = set().union(*(coverage(slot) for slot in own))
        while wanted:
            best = max(own, key=lambda slot: len(coverage(slot) & wanted))
            plan.append(best)
            wanted -= coverage(best)
    of_shared = sorted({(slot.kind, slot.covers) for module in MODULES for slot in slots[module] if set(slot.covers) & shared})
    for number, key in enumerate(of_shared):
        module = MODULES[number % len(MODULES)]
        plan.extend(slot for slot in slots[module] if (slot.kind, slot.covers) == key)
    return plan


def coverage(slot):
    units = {("kind", slot.kind)} | {("option", name) for name in slot.covers}
    if slot.kind == "rule" or slot.kind in CONSTRAINT_KINDS:
        units.add(("slot", id(slot)))
    return units


# -- fixtures and running -------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def module_options(collections_path, tmp_path_factory):
    """module -> its documented options, as ``ansible-doc --json`` shows them (one run for every module)."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path, ANSIBLE_NOCOLOR="1", ANSIBLE_HOME=str(tmp_path_factory.mktemp("ansible-doc")))
    command = [str(Path(sys.executable).parent / "ansible-doc"), "--json", "-t", "module"] + ["hwcloud.ims.%s" % module for module in MODULES]
    completed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert completed.returncode == 0, completed.stderr
    docs = json.loads(completed.stdout)
    return {module: docs["hwcloud.ims.%s" % module]["doc"].get("options") or {} for module in MODULES}


@pytest.fixture(scope="session")
def slots(module_options):
    """module -> every slot of the module."""
    return {module: wrong_slots(module, module_options[module], declared_constraints(module)) for module in MODULES}


@pytest.fixture
def bases(ansible, tmp_path):
    """BASES with the stand-ins made real: a finished job of the project (a copy started as other tooling would), a
    small qcow2 file."""
    info = ansible.emulator.info
    response = httpx.post(
        info.endpoint + "/v1/cloudimages/%s/copy" % BASE_DEBIAN,
        json={"name": "bad-input-job"},
        headers={"X-Auth-Token": ansible.issue_token()},
        verify=info.verify,
    )
    response.raise_for_status()
    local_file = tmp_path / "appliance.qcow2"
    local_file.write_bytes(b"QFI\xfb" + bytes(1020))
    real = {JOB_ID: response.json()["job_id"], LOCAL_FILE: str(local_file)}
    return {
        module: {
            variant: Base({key: real.get(value, value) if isinstance(value, str) else value for key, value in base.args.items()}, base.project)
            for variant, base in variants.items()
        }
        for module, variants in BASES.items()
    }


def wrong_call(slot, change, bases):
    """(module, args, project) of a slot's change applied to its base call."""
    base = bases[slot.module][change.variant]
    args = copy.deepcopy(base.args)
    for key, value in change.set.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = copy.deepcopy(value)
    return slot.module, args, base.project


def task(number, module, args, project, ansible, check=False):
    entry = {"name": "call %d" % number, "hwcloud.ims.%s" % module: args, "ignore_errors": True}
    if project != DEFAULT_PROJECT:
        entry["environment"] = ansible.credentials_env(project)
    if check:
        entry["check_mode"] = True
    return entry


def run_side_by_side(ansible, tasks):
    """Run the tasks as two plays at once (two ansible-playbook processes); the recorded result of each task, in order."""
    runners = [type(ansible)(ansible.emulator, ansible.collections_path, ansible.workdir / ("play-%d" % number)) for number in range(2)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        plays = list(pool.map(lambda runner, half: runner.play(half), runners, [tasks[0::2], tasks[1::2]]))
    recorded = {entry["name"]: entry for play in plays for entry in play.tasks}
    return [recorded.get(entry["name"]) for entry in tasks], plays


# How ansible-core 2.19 and later report a module that crashed (an uncaught exception): "Task failed: Module failed:
# <exception>", with ``exception: (traceback unavailable)``. 2.17 and 2.18 report it as "MODULE FAILURE" with the
# traceback in ``module_stderr`` and ``exception``.
CRASH_MESSAGES = ("Task failed: Module failed:", "Module failed:", "MODULE FAILURE")


def no_traceback(result):
    """A failure the module reported itself: no module crash output, no traceback, and not the message of a crash.
    Ansible 2.19 and later record ``exception: (traceback unavailable)`` for every failure (fail_json too), so the
    traceback alone does not tell a crash; the crash message does, on every release (the ``invocation`` fail_json adds
    is no help: 2.21 leaves it out)."""
    return "module_stderr" not in result and "Traceback" not in str(result.get("exception", "")) and not str(result.get("msg", "")).startswith(CRASH_MESSAGES)


def names_option(message, name):
    """Whether the message names the option as a word of its own (``wait`` is not named by ``wait_timeout``); the list
    of supported parameters Ansible appends to an unsupported one does not count."""
    message = message.split("Supported parameters include")[0]
    return re.search(r"(?<![A-Za-z0-9_])%s(?![A-Za-z0-9_])" % re.escape(name), message) is not None


def refusal_problems(calls, recorded):
    """One line for each wrong call that was not refused properly."""
    problems = []
    for (slot, change, (_module, args, _project)), entry in zip(calls, recorded, strict=False):
        if entry is None:
            problems.append("%s: did not run; args %s" % (slot, shorten(args)))
            continue
        result = entry["result"]
        message = str(result.get("msg", ""))
        unnamed = [name for name in change.names if not names_option(message, name)]
        if entry["status"] != "failed":
            problems.append("%s: accepted %s -> %s" % (slot, shorten(args), shorten(result)))
        elif not no_traceback(result):
            problems.append("%s: crashed (or a traceback) for %s -> %s" % (slot, shorten(args), shorten(result)))
        elif unnamed:
            problems.append("%s: the message does not name %s, for %s: %r" % (slot, ", ".join(unnamed), shorten(args), message[:300]))
    return problems


def shorten(value, limit=300):
    text = json.dumps(value, default=str)
    return text if len(text) <= limit else text[:limit] + "..."


def assert_refused_without_requests(ansible, control, calls):
    """Run the wrong calls; each must fail naming its options, without a traceback, and none may send a request."""
    tasks = [task(number, module, args, project, ansible) for number, (_slot, _change, (module, args, project)) in enumerate(calls)]
    control.clear_requests()
    recorded, plays = run_side_by_side(ansible, tasks)
    sent = [entry for entry in control.requests() if not entry["path"].startswith("/_emulator")]
    problems = refusal_problems(calls, recorded)
    assert not problems and not sent, "%d of %d wrong calls were not refused properly:\n%s\nrequests sent:\n%s\n%s" % (
        len(problems),
        len(calls),
        "\n".join(problems),
        "\n".join(senders(sent, calls, recorded)),
        "\n".join(play.stderr[-2000:] for play in plays),
    )


def senders(sent, calls, recorded):
    """Each request with the wrong calls that were running when it came (the two plays run at once)."""
    lines = []
    for request in sent:
        moment = datetime.strptime(request["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()
        running = [
            "%s %s" % (slot, shorten(args, 120))
            for (slot, _change, (_module, args, _project)), entry in zip(calls, recorded, strict=False)
            if entry and entry["started"] <= moment <= entry["finished"]
        ]
        lines.append("%s %s, while running: %s" % (request["method"], request["path"], "; ".join(running) or "?"))
    return lines


# -- the tests ------------------------------------------------------------------------------------------------------


def test_every_module_has_a_base_call():
    assert sorted(BASES) == list(MODULES), "add a valid base call of each new module to BASES"


def test_slots_cover_every_option(module_options, slots):
    """Every option and sub-option is the subject of a slot, unless it is free text (str, raw or path without choices,
    not required, no rule). Each rule names documented options, so that a renamed option cannot leave its rule idle."""
    free_text = []
    for module in MODULES:
        covered = {name for slot in slots[module] for name in slot.covers}
        documented = dict(module_options[module])
        for name, spec in module_options[module].items():
            documented.update({"%s.%s" % (name, sub): sub_spec for sub, sub_spec in (spec.get("suboptions") or {}).items()})
        for name, spec in sorted(documented.items()):
            if name not in covered:
                assert spec.get("type", "str") in ("str", "raw", "path") and not spec.get("choices") and not spec.get("required"), (module, name)
                free_text.append("%s %s" % (module, name))
        for rule in RULES.get(module, ()):
            assert set(rule.covers) <= set(documented), (module, rule.covers)
    for rule in SHARED_RULES:
        assert any(rule.covers[0] in module_options[module] for module in MODULES), rule.covers
    # For the record (pytest -s): the options nothing can make wrong before a request.
    print("free-text options: %s" % ", ".join(free_text))


def test_base_calls_are_valid(ansible, bases):
    """Each base call succeeds in check mode, so that a wrong call fails for what it changed, not for a broken base."""
    calls = [(module, variant, base) for module, variants in sorted(bases.items()) for variant, base in variants.items()]
    tasks = [task(number, module, base.args, base.project, ansible, check=True) for number, (module, _variant, base) in enumerate(calls)]
    recorded, _plays = run_side_by_side(ansible, tasks)
    failures = [
        (module, variant, entry and entry["result"].get("msg"))
        for (module, variant, _base), entry in zip(calls, recorded, strict=False)
        if not entry or entry["status"] != "ok"
    ]
    assert not failures, failures


def test_every_slot_is_refused(ansible, control, bases, module_options, slots):
    """The fixed plan (every option and kind of every module, every rule and combination), with fixed wrong values."""
    plan = fixed_plan(slots, shared_options(module_options))
    calls = [(slot, slot.example, wrong_call(slot, slot.example, bases)) for slot in plan]
    assert_refused_without_requests(ansible, control, calls)


@settings(max_examples=2, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck), phases=[Phase.generate])
@given(data=st.data())
def test_generated_wrong_calls_are_refused(ansible, control, bases, slots, data):
    """A random slot of every module with a random wrong value, per example (no shrinking: an example costs two plays)."""
    calls = []
    for module in MODULES:
        slot = data.draw(st.sampled_from(slots[module]), label="%s slot" % module)
        change = data.draw(slot.values, label=str(slot))
        calls.append((slot, change, wrong_call(slot, change, bases)))
    assert_refused_without_requests(ansible, control, calls)
