"""The table of what pulumi-kubernetes requests per kind (gitlab_k8s_cd.components.provider_requests):
one row for every kind a stack declares, none for a kind no stack declares, each citing the
provider source it was read from (docs/contracts.md PK-1, PK-2, PK-3)."""

from __future__ import annotations

import pytest

from gitlab_k8s_cd.components import InvalidArgument
from gitlab_k8s_cd.components.provider_requests import KINDS, KindRequests, kind_key


@pytest.fixture(scope="module")
def plans(option_set_plans):
    return option_set_plans


def test_every_kind_any_stack_declares_has_a_row_in_the_table(plans):
    for label, plan in plans.items():
        missing = {kind_key(r.inputs) for r in plan.resources if r.is_kubernetes} - set(KINDS)
        assert missing == set(), label


def test_every_row_cites_the_provider_source_it_was_read_from():
    for key, row in KINDS.items():
        assert row.source.startswith("provider/pkg/await/"), key


def test_every_row_of_the_table_is_a_kind_some_stack_declares(plans):
    """A row no stack declares would let a Role grow without a test that can see it."""
    declared = {kind_key(r.inputs) for plan in plans.values() for r in plan.resources if r.is_kubernetes}
    assert set(KINDS) - declared == set()


def test_a_row_must_cite_the_provider_source_and_name_a_resource():
    with pytest.raises(InvalidArgument, match=r"^source: must cite pulumi-kubernetes' provider/pkg/ source"):
        KindRequests(group="batch", resource="jobs", source="memory")
    with pytest.raises(InvalidArgument, match=r"^resource: must be a lowercase plural API resource"):
        KindRequests(group="batch", resource="Job", source="provider/pkg/await/job.go")


@pytest.mark.parametrize("field", ["awaits", "read_lists"])
def test_a_rows_further_requests_must_be_group_and_resource_pairs(field):
    """A bare resource name in a row would grant a list on the wrong (group, resource) pair."""
    with pytest.raises(InvalidArgument, match=rf"^{field}: must be \(API group, resource\) pairs"):
        KindRequests(group="", resource="services", source="provider/pkg/await/service.go", **{field: ("endpoints",)})
    with pytest.raises(InvalidArgument, match=rf"^{field}: must be \(API group, resource\) pairs"):
        KindRequests(group="", resource="services", source="provider/pkg/await/service.go", **{field: (("", ""),)})


def test_a_manifests_row_key_is_its_api_version_and_kind():
    """The keys the table, DeployerAccess and the tests share: ``<apiVersion>/<kind>``, core kinds
    without a group."""
    for manifest in ({"apiVersion": "apps/v1", "kind": "Deployment"}, {"apiVersion": "v1", "kind": "Namespace"}):
        assert kind_key(manifest) in KINDS
    assert KINDS[kind_key({"apiVersion": "v1", "kind": "Namespace"})].namespaced is False
