"""quota: whether a namespace's ResourceQuota admits the app's pods at their peak and the objects
the namespace holds. ContinuousDeploymentArgs' tests check the same through the stack config."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gitlab_k8s_cd.components import AppSpec, InvalidArgument, MigrationSpec
from gitlab_k8s_cd.components.quantities import parse_quantity
from gitlab_k8s_cd.components.quota import (
    amount,
    check_counts,
    check_environment_quota,
    check_review_quota,
    object_counts,
    quota_shortfall,
)

SPEC = AppSpec(replicas=2)
ENVIRONMENT = {"ingress": True, "tls_secret": False, "acme": False, "pull_secret": True}


def test_the_shortfall_is_the_first_resource_in_the_quotas_order_with_the_amount_needed():
    usage = {"pods": Decimal(6), "requests.cpu": Decimal("0.5")}
    assert quota_shortfall({"requests.cpu": "100m", "pods": "2"}, usage) == ("requests.cpu", Decimal("0.5"))
    assert quota_shortfall({"pods": "2", "requests.cpu": "100m"}, usage) == ("pods", Decimal(6))
    assert quota_shortfall({"pods": "6", "requests.cpu": "500m"}, usage) is None


@pytest.mark.parametrize(
    ("alias", "name"), [("cpu", "requests.cpu"), ("memory", "requests.memory"), ("count/pods", "pods")]
)
def test_a_quotas_short_names_count_what_resourcequota_counts_under_them(alias, name):
    assert quota_shortfall({alias: "1"}, {name: Decimal(2)}) == (alias, Decimal(2))
    assert quota_shortfall({alias: "2"}, {name: Decimal(2)}) is None


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal(192 * 2**20), "192Mi"),
        (Decimal(2 * 2**30), "2Gi"),
        (Decimal("0.3"), "300m"),
        (Decimal("0.0125"), "0.0125"),
        (Decimal(5), "5"),
        (Decimal(1536 * 2**20), "1536Mi"),
    ],
)
def test_an_amount_reads_as_a_kubernetes_quantity(value, text):
    assert amount(value) == text
    # What it reads as is the same amount.
    assert parse_quantity(text) == value


def test_every_core_count_is_counted_under_its_count_name_too():
    counts = object_counts(SPEC, review=False, ingress=True)
    for core in ("configmaps", "secrets", "services", "resourcequotas"):
        assert counts[f"count/{core}"] == counts[core]


def test_a_migration_adds_its_job_and_the_config_maps_a_failed_rollout_leaves():
    plain = object_counts(SPEC, review=False, ingress=True)
    migrating = object_counts(AppSpec(replicas=2, migration=MigrationSpec(command=["m"])), review=False, ingress=True)
    assert "count/jobs.batch" not in plain
    assert migrating["count/jobs.batch"] == 1
    assert migrating["configmaps"] == plain["configmaps"] + 2


def test_a_review_namespace_holds_no_secret_settings_nor_budget_and_the_base_readers_role():
    environment = object_counts(SPEC, review=False, ingress=True)
    review = object_counts(SPEC.for_review(), review=True, ingress=True)
    assert review["secrets"] == environment["secrets"] - 1
    assert review["count/roles.rbac.authorization.k8s.io"] == environment["count/roles.rbac.authorization.k8s.io"] + 1
    assert "count/poddisruptionbudgets.policy" not in review


def test_a_count_short_of_the_namespaces_objects_names_the_field_the_key_and_what_it_needs():
    counts = object_counts(SPEC, review=False, ingress=True)
    short = {"configmaps": str(counts["configmaps"] - 1)}
    with pytest.raises(
        InvalidArgument, match=rf"^quota.configmaps: must be at least {counts['configmaps']}"
    ) as refused:
        check_counts("quota", short, counts)
    assert refused.value.values == (short["configmaps"],)
    check_counts("quota", {"configmaps": str(counts["configmaps"])}, counts)


def test_an_environments_quota_must_admit_the_rollouts_peak_and_cert_managers_solver_beside_it():
    peak = SPEC.peak_pods
    check_environment_quota({"pods": str(peak)}, SPEC, **ENVIRONMENT)
    with pytest.raises(InvalidArgument, match=rf"^quota.pods: must admit the rollout's peak of {peak + 1} pods"):
        check_environment_quota({"pods": str(peak)}, SPEC, **{**ENVIRONMENT, "acme": True})


def test_a_review_quota_is_checked_under_its_own_key():
    review = SPEC.for_review()
    with pytest.raises(InvalidArgument, match=r"^review_apps.quota.pods: must admit the review app's rollout's peak"):
        check_review_quota({"pods": str(review.peak_pods - 1)}, review, pull_secret=True)
    check_review_quota({"pods": str(review.peak_pods)}, review, pull_secret=True)
