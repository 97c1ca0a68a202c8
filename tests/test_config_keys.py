"""The key table (components/config_keys.py): one row a key, from which the key sets, the review
stack's treatment and the binding derive. These tests keep the rows consistent with the Args they
bind to, so that adding a key is adding a row."""

from __future__ import annotations

import dataclasses

import pytest

from gitlab_k8s_cd.components.config_keys import (
    BY_NAME,
    KEYS,
    KNOWN_KEYS,
    MAPPING_KEYS,
    OBJECT_KEYS,
    SCALAR_KEYS,
    SECRET_KEYS,
    Key,
)
from gitlab_k8s_cd.components.stack_settings import DEPLOYMENT, READERS, REVIEW
from tests.conftest import load, plan_staging


def _fields(cls: type) -> set[str]:
    return {field.name for field in dataclasses.fields(cls)}


def _required(cls: type) -> set[str]:
    return {
        field.name
        for field in dataclasses.fields(cls)
        if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
    }


@pytest.mark.parametrize("target", [DEPLOYMENT, REVIEW], ids=["deployment", "review"])
def test_every_path_a_row_binds_is_a_field_of_the_args_and_no_field_is_bound_twice(target):
    bound = [key.review_binds if target.review else key.binds for key in KEYS]
    bound = [path for path in bound if path is not None]
    assert len(bound) == len(set(bound)), sorted(path for path in bound if bound.count(path) > 1)
    for path in bound:
        group, _, name = path.rpartition(".")
        cls = target.groups[group] if group else target.args
        assert name in _fields(cls), f"{path}: not a field of {cls.__name__}"


@pytest.mark.parametrize("target", [DEPLOYMENT, REVIEW], ids=["deployment", "review"])
def test_every_required_field_is_bound_by_a_row_or_is_a_group(target):
    """Else load_settings could not name the key of a missing value."""
    bound = {key.review_binds if target.review else key.binds for key in KEYS} - {None}
    for group, cls in {"": target.args, **target.groups}.items():
        for name in _required(cls):
            path = f"{group}.{name}" if group else name
            assert path in bound or (not group and name in target.groups), f"{cls.__name__}.{name} is bound by no key"


def test_the_key_sets_are_the_tables_kinds_and_partition_the_keys():
    assert frozenset(key.name for key in KEYS) == KNOWN_KEYS and len(KEYS) == len(KNOWN_KEYS)
    kinds = [set(SCALAR_KEYS), set(OBJECT_KEYS), set(MAPPING_KEYS), set(SECRET_KEYS)]
    assert set().union(*kinds) == KNOWN_KEYS and sum(map(len, kinds)) == len(KNOWN_KEYS)
    assert SECRET_KEYS == {
        "pulumiConfigPassphrase": "PULUMI_CONFIG_PASSPHRASE",
        "pulumiAccessToken": "PULUMI_ACCESS_TOKEN",
    }
    assert OBJECT_KEYS["readinessProbe"] is BY_NAME["readinessProbe"].args


def test_every_special_reader_reads_a_key_of_the_table():
    assert set(READERS) <= KNOWN_KEYS


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ({"kind": "object"}, "args is for, and required by, an object key"),
        ({"args": dict}, "args is for, and required by, an object key"),
        ({"in_review": "filter"}, "review_members is for, and required by, a filtered key"),
        ({"review_members": ("public",)}, "review_members is for, and required by, a filtered key"),
        ({"kind": "secret"}, "env is for, and required by, a secret key"),
        ({"defaults": {"path": "/"}}, "defaults are an object's"),
    ],
)
def test_a_row_that_contradicts_itself_is_refused_naming_the_key(row, expected):
    with pytest.raises(ValueError, match=rf"^newKey: {expected}"):
        Key(name="newKey", **row)


def test_an_objects_defaults_come_from_its_row():
    """readinessProbe's row starts it from path /readyz: setting another member keeps that path."""
    assert BY_NAME["readinessProbe"].defaults == {"path": "/readyz"}
    assert load({"readinessProbe": {"periodSeconds": 7}}).deployment.spec.readiness.path == "/readyz"


def test_a_keys_destination_from_its_row_is_named_when_a_secret_would_go_there():
    plan = plan_staging(secrets={"gitlab-k8s-cd:projectDescription": "Hello, world"}, check=False)
    assert plan.error["message"].startswith(
        "gitlab-k8s-cd:projectDescription: is set as a secret (pulumi config set --secret), but it goes to "
        f"{BY_NAME['projectDescription'].destination}, in plain text"
    )
    assert plan.resources == ()
