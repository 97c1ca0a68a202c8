"""A review stack's config (components/review_config.py): what derive_review_config copies, sets
and drops, as the key table says, and the keys a review stack refuses. The review app it plans is
tests/test_review_app.py's."""

from __future__ import annotations

import pulumi
import pytest

from gitlab_k8s_cd.components.config import ConfigError
from gitlab_k8s_cd.components.config_keys import (
    KEYS,
    KNOWN_KEYS,
    MAPPING_KEYS,
    NO_CANARY,
    NOT_IN_REVIEW,
    OBJECT_KEYS,
    SECRET_KEYS,
)
from gitlab_k8s_cd.components.review_config import (
    REVIEW_CI_KEYS,
    REVIEW_COPIED_KEYS,
    REVIEW_FILTERED_KEYS,
    REVIEW_KEYS,
    REVIEW_REFUSED,
    REVIEW_SET_KEYS,
    derive_review_config,
)
from gitlab_k8s_cd.components.stack_settings import load_settings
from gitlab_k8s_cd.components.testing import cli_config_value
from tests.conftest import MIGRATE, PROJECT, STAGING, key, plan_review


def derive(base=None, iid: int = 7, environment: str = "review/x"):
    return derive_review_config(
        STAGING if base is None else base, namespace=PROJECT, merge_request_iid=iid, environment=environment
    )


def load_review(config, secret_keys=()):
    pulumi.runtime.set_all_config({k: cli_config_value(v) for k, v in config.items()}, list(secret_keys))
    pulumi.runtime.settings._set_project(PROJECT)
    return load_settings()


def test_every_key_is_read_by_a_review_stack_or_refused_with_a_reason_never_both():
    groups = [set(REVIEW_COPIED_KEYS), set(REVIEW_SET_KEYS), set(REVIEW_CI_KEYS), set(REVIEW_FILTERED_KEYS)]
    assert sum(map(len, groups)) == len(REVIEW_KEYS)  # disjoint
    assert REVIEW_KEYS | set(REVIEW_REFUSED) == KNOWN_KEYS and not REVIEW_KEYS & set(REVIEW_REFUSED)
    assert not REVIEW_KEYS & set(SECRET_KEYS)  # a review stack holds no credential
    assert REVIEW_REFUSED["canaryImage"] == NO_CANARY and REVIEW_REFUSED["quota"] == NOT_IN_REVIEW
    assert REVIEW_REFUSED["migration"].startswith("review apps never run the migration")


def test_the_review_config_is_the_base_stacks_copied_keys_then_the_ones_it_sets():
    derived = derive()
    shorts = [full.partition(":")[2] for full in derived]
    copied = [name for name in REVIEW_COPIED_KEYS if key(name) in STAGING or name == "rollout"]
    assert shorts == [*copied, "mergeRequestIid", "environment", "environmentUrl", "namespace", "replicas"]
    assert set(shorts[len(copied) :]) == set(REVIEW_SET_KEYS)
    for name in copied:
        if name not in ("rollout", "processes"):  # these two are rewritten for one replica
            assert derived[key(name)] == STAGING[key(name)], name
    assert (derived[key("mergeRequestIid")], derived[key("environment")], derived[key("replicas")]) == (
        7,
        "review/x",
        1,
    )


def test_a_filtered_key_keeps_only_the_members_its_row_names():
    (name, members) = next(iter(REVIEW_FILTERED_KEYS.items()))
    row = next(row for row in KEYS if row.name == name)
    assert row.review_members == members == ("public", "secretName")
    derived = derive({**STAGING, key(name): {"secretName": "ghcr-pull", "username": "robot", "password": "pw-1234"}})
    assert derived[key(name)] == {"secretName": "ghcr-pull"}
    assert key(name) not in derive({**STAGING, key(name): {"username": "robot", "password": "pw-1234"}})


def test_a_base_stack_key_no_review_stack_reads_is_dropped():
    base = {**STAGING, key("quota"): {"pods": "10"}, key("canaryImage"): "registry.gitlab.com/acme/hello:2"}
    derived = derive(base)
    assert {full.partition(":")[2] for full in derived} <= REVIEW_KEYS
    assert key("quota") not in derived and key("canaryImage") not in derived


def test_the_derived_config_loads_as_a_review_stack():
    settings = load_review(derive())
    assert settings.deployment is None and settings.review is not None
    assert (settings.review.merge_request_iid, settings.review.spec.replicas) == (7, 1)
    assert settings.review.project_path == STAGING[key("gitlabProject")]


@pytest.mark.parametrize("short", sorted(set(REVIEW_REFUSED) - set(SECRET_KEYS) - {"secrets"}))
def test_a_key_a_review_stack_refuses_is_named_with_the_reason_its_row_gives(short):
    given = {} if short in OBJECT_KEYS or short in MAPPING_KEYS else "x"
    with pytest.raises(ConfigError) as refused:
        load_review({**derive(), key(short): given})
    assert str(refused.value).startswith(f"{key(short)}: {REVIEW_REFUSED[short]}")
    assert refused.value.keys == (key(short),)


def test_a_secret_key_in_a_review_stack_is_refused_by_its_row_without_showing_it():
    with pytest.raises(ConfigError, match=rf"^{key('pulumiAccessToken')}: {NOT_IN_REVIEW[:20]}") as refused:
        load_review({**derive(), key("pulumiAccessToken"): "pul-0123456789abcdef"}, [key("pulumiAccessToken")])
    assert "pul-0123456789abcdef" not in str(refused.value)


def test_a_review_stack_never_gets_the_migration_and_refuses_one():
    """A branch's migration would change the database the base environment's settings name."""
    base = {**STAGING, key("migration"): MIGRATE}
    review = derive_review_config(base, namespace=PROJECT, merge_request_iid=7, environment="review/x")
    assert key("migration") not in review and key("processes") in review
    refused = plan_review(7, "review/x", overrides={"migration": MIGRATE}, check=False)
    assert refused.error["message"].startswith(
        "gitlab-k8s-cd:migration: review apps never run the migration: a branch's migration would change the database"
    )
    assert refused.resources == ()
