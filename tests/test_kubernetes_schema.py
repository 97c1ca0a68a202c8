"""Every staging manifest is valid, strictly, for every Kubernetes release we support."""

from __future__ import annotations

import pytest

from gitlab_k8s_cd.components.kubernetes_schema import supported_versions, validate_manifests


@pytest.mark.parametrize("version", ["1.29", "1.30", "1.31", "1.32", "1.33", "1.34", "1.35"])
def test_staging_manifests_validate_strictly(staging_plan, version):
    assert validate_manifests(staging_plan.manifests(), version) == []


def test_an_unknown_field_is_reported_with_the_object_and_the_field(staging_plan):
    deployment = next(m for m in staging_plan.manifests() if m["kind"] == "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["imagePullPolcy"] = "Always"
    problems = validate_manifests([deployment], "1.31")
    assert len(problems) == 1
    assert str(problems[0]).startswith(
        f"Deployment hello-staging/{deployment['metadata']['name']}: spec.template.spec.containers[0]:"
    )
    assert "imagePullPolcy" in problems[0].message


def test_a_wrong_type_is_reported(staging_plan):
    service = next(m for m in staging_plan.manifests() if m["kind"] == "Service")
    service["spec"]["ports"][0]["port"] = "eighty"
    assert validate_manifests([service], "1.31")[0].field == "spec.ports[0].port"


def test_versions_without_a_schema_are_refused():
    assert {"1.29", "1.35"} <= set(supported_versions())
    with pytest.raises(ValueError, match=r"no schema for Kubernetes 1.12"):
        validate_manifests([], "1.12")
