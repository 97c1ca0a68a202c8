"""Every staging manifest is valid, strictly, for every Kubernetes release we support."""

from __future__ import annotations

import pytest

from gitlab_k8s_cd.components.plan.kubernetes_schema import supported_versions, validate_manifests


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


def _broken(manifests):
    """Each manifest as is, and with the mistakes a component could make: an unknown field, a
    wrong type, a missing required field, a bad enum value."""
    import copy

    for manifest in manifests:
        yield manifest
        typo = copy.deepcopy(manifest)
        typo["metadata"]["labls"] = {"a": "b"}
        yield typo
        if manifest["kind"] == "Deployment":
            wrong = copy.deepcopy(manifest)
            wrong["spec"]["replicas"] = "two"
            yield wrong
            missing = copy.deepcopy(manifest)
            del missing["spec"]["template"]["spec"]["containers"][0]["name"]
            yield missing
        if manifest["kind"] == "Service":
            enum = copy.deepcopy(manifest)
            enum["spec"]["ports"][0]["protocol"] = "QUIC"
            yield enum


@pytest.mark.parametrize("version", ["1.29", "1.31", "1.35"])
def test_the_problems_are_those_kubernetes_validate_finds_reading_each_schema_itself(staging_plan, version):
    """Schemas read once per process find what kubernetes-validate's validate() (which reads them
    for every manifest) finds: the same first violation, at the same field, for the same manifests."""
    import kubernetes_validate

    manifests = list(_broken(staging_plan.manifests()))
    expected = []
    for manifest in manifests:
        try:
            kubernetes_validate.validate(dict(manifest), f"{version}.0", strict=True)
        except kubernetes_validate.ValidationError as error:
            expected.append((manifest["kind"], list(error.absolute_path), error.message))
    found = validate_manifests(manifests, version)
    assert len(expected) > len(staging_plan.manifests())  # each broken copy is refused
    assert [(p.kind, p.message) for p in found] == [(kind, message) for kind, _, message in expected]
    assert [p.field for p in found] == [_path(parts) for _, parts, _ in expected]


def _path(parts):
    from gitlab_k8s_cd.components.plan.kubernetes_schema import _field_path

    return _field_path(parts)


def test_a_kind_without_a_schema_is_refused_as_kubernetes_validate_refuses_it():
    import kubernetes_validate

    with pytest.raises(kubernetes_validate.SchemaNotFoundError):
        validate_manifests([{"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}], "1.31")
