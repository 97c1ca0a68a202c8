"""GitLabEnvironment: the environment with its URL and namespace, optionally protected."""

from __future__ import annotations

import pytest

from gitlab_k8s_cd.components import EnvironmentProtectionArgs, GitLabEnvironmentArgs, InvalidArgument
from tests.conftest import component

ENVIRONMENT = "gitlab:index/projectEnvironment:ProjectEnvironment"
PROTECTED = "gitlab:index/projectProtectedEnvironment:ProjectProtectedEnvironment"


@pytest.fixture(scope="module")
def plan():
    return component("environments")


def test_environment_has_its_url_tier_and_namespace(plan):
    inputs = plan.get(ENVIRONMENT, "guarded-environment").inputs
    assert inputs == {
        "project": "7",
        "name": "production",
        "externalUrl": "https://example.com",
        "tier": "production",
        "kubernetesNamespace": "prod",
    }


def test_tier_defaults_to_other_for_a_name_that_is_not_a_tier(plan):
    assert plan.get(ENVIRONMENT, "open-environment").inputs["tier"] == "other"


def test_protection_adds_deploy_access_and_approval_rules(plan):
    protected = plan.get(PROTECTED, "guarded-protection").inputs
    assert protected["environment"] == "production"
    assert protected["deployAccessLevelsAttributes"] == [{"accessLevel": "maintainer"}]
    assert protected["approvalRules"] == [{"accessLevel": "maintainer", "requiredApprovals": 2}]


def test_an_unprotected_environment_has_no_protection(plan):
    assert [r.name for r in plan.find(PROTECTED)] == ["guarded-protection"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "bad:name"}, r"^name: must be a GitLab environment name"),
        ({"external_url": "http://insecure.example.com"}, r"^external_url: must be an absolute https:// URL"),
        ({"tier": "prod"}, r"^tier: must be one of 'production', 'staging'"),
    ],
)
def test_environment_args_reject_bad_values(kwargs, message):
    with pytest.raises(InvalidArgument, match=message):
        GitLabEnvironmentArgs(
            **{
                "project": "1",
                "name": "staging",
                "external_url": "https://x.example.com",
                "kubernetes_namespace": "n",
                **kwargs,
            }
        )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"deploy_access_level": "owner"}, r"^deploy_access_level: must be one of 'developer', 'maintainer'"),
        ({"required_approvals": 6}, r"^required_approvals: must be an integer from 0 to 5"),
        ({"approver_access_level": "guest"}, r"^approver_access_level: must be one of"),
    ],
)
def test_protection_args_reject_bad_values(kwargs, message):
    with pytest.raises(InvalidArgument, match=message):
        EnvironmentProtectionArgs(**kwargs)
