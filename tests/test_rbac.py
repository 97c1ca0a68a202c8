"""The deployers' Roles, derived from what pulumi-kubernetes requests per kind (components.rbac):
every kind a stack declares has a row, every request a row lists is granted, and nothing else is.

The requests are read from the table (the model of pulumi-kubernetes, each row citing its source,
see docs/contracts.md); the Roles are read from the plans; the authorizer is tests.rbac's stand-in."""

from __future__ import annotations

import pytest

from components.rbac import (
    BASE_READER,
    DEPLOY_VERBS,
    DIAGNOSTICS,
    EVENTS,
    INFORMER_VERBS,
    KINDS,
    REVIEW_DEPLOYER,
    STACK_DEPLOYER,
    DeployerAccess,
    kind_key,
    role_rules,
)
from tests.conftest import plan_review, plan_staging
from tests.rbac import granted, grants

STAGING = ("hello-staging", ("hello-staging", "hello-deployer"), STACK_DEPLOYER)
REVIEW = ("hello-review", ("hello-review", "hello-deployer"), REVIEW_DEPLOYER)
BASE_READER_IN_REVIEW = ("hello-review", ("hello-staging", "hello-deployer"), BASE_READER)
EACH_DEPLOYER = pytest.mark.parametrize(
    ("stack", "who"),
    [("staging", STAGING), ("review", REVIEW), ("staging", BASE_READER_IN_REVIEW)],
    ids=["staging deployer", "review deployer", "base stack's deployer in the review namespace"],
)
"""Each deployer, with the stack whose plans declare what it deploys or reads."""


@pytest.fixture(scope="module")
def plans(staging_plan, review_plan):
    """Staging, a review stack, and options that change which kinds a stack declares: one
    replica (no PDB) and no review apps; and a second review stack."""
    return {
        "staging": staging_plan,
        "review": review_plan,
        "staging, 1 replica, no review apps": plan_staging({"replicas": 1, "reviewApps": {"enabled": False}}),
        "review !7": plan_review(7, "review/other"),
    }


def objects_in(plan, namespace):
    return [
        r.inputs
        for r in plan.resources
        if r.is_kubernetes and (r.inputs["metadata"].get("namespace") or r.inputs["metadata"]["name"]) == namespace
    ]


def needed(manifest, access: DeployerAccess):
    """The requests the table says a run makes for ``manifest``: (group, resource, verb, name)."""
    row = KINDS[kind_key(manifest)]
    name = manifest["metadata"]["name"]
    if kind_key(manifest) in access.deploys:
        yield from ((row.group, row.resource, verb, name) for verb in sorted(DEPLOY_VERBS - INFORMER_VERBS))
        yield from ((row.group, row.resource, verb, None) for verb in sorted(INFORMER_VERBS))
        for group, resource in row.awaits:
            yield from ((group, resource, verb, None) for verb in sorted(INFORMER_VERBS))
        yield from ((*EVENTS, verb, None) for verb in sorted(INFORMER_VERBS))
    else:
        yield (row.group, row.resource, "get", name)


def test_every_kind_any_stack_declares_has_a_row_in_the_table(plans):
    for label, plan in plans.items():
        missing = {kind_key(r.inputs) for r in plan.resources if r.is_kubernetes} - set(KINDS)
        assert missing == set(), label


def test_every_row_cites_the_provider_source_it_was_read_from():
    for key, row in KINDS.items():
        assert row.source.startswith("provider/pkg/await/"), key


@EACH_DEPLOYER
def test_the_role_grants_every_request_pulumi_kubernetes_makes_for_what_the_stack_declares(plans, stack, who):
    namespace, account, access = who
    for label, plan in plans.items():
        if not label.startswith(stack) or (who is BASE_READER_IN_REVIEW and "no review apps" in label):
            continue
        declared = objects_in(plan, namespace)
        assert declared, label
        roles_from = plans["staging"]  # the base stack's admin run makes every deployer's Role
        for manifest in declared:
            key = kind_key(manifest)
            assert key in access.deploys | access.reads, (label, key, "neither deployed nor read by", account)
            for group, resource, verb, name in needed(manifest, access):
                assert grants(roles_from, account, namespace, group, resource, verb, name), (label, key, verb, resource)


@EACH_DEPLOYER
def test_the_role_grants_nothing_that_no_row_needs(plans, stack, who):
    namespace, account, access = who
    needs = set()
    for label, plan in plans.items():
        if label.startswith(stack):
            for manifest in objects_in(plan, namespace):
                if kind_key(manifest) in access.deploys | access.reads:
                    needs |= {(g, r, v) for g, r, v, _ in needed(manifest, access)}
    if access.diagnoses:
        needs |= {(g, r, v) for (g, r), verbs in DIAGNOSTICS.items() for v in verbs}
    assert granted(plans["staging"], account, namespace) == needs


def test_a_service_and_an_ingress_can_be_awaited_endpoints_and_services_are_watched(plans):
    """pulumi-kubernetes' Service and Ingress awaiters subscribe to informers on core endpoints
    (and services): forbidden, the job hangs before any timeout starts (docs/contracts.md)."""
    staging = plans["staging"]
    for namespace, account, _ in (STAGING, REVIEW):
        for verb in ("list", "watch"):
            assert grants(staging, account, namespace, "", "endpoints", verb), (account, verb)
    for verb in ("list", "watch"):
        assert grants(staging, REVIEW[1], REVIEW[0], "", "services", verb)


def test_no_role_grants_update_which_only_custom_resource_definitions_use():
    for access in (STACK_DEPLOYER, REVIEW_DEPLOYER, BASE_READER):
        assert not [r for r in role_rules(access, "ns") if "update" in r["verbs"]]


def test_the_deployers_can_never_change_rbac_network_policy_identities_or_their_namespace(plans):
    staging = plans["staging"]
    guarded = {"roles", "rolebindings", "networkpolicies", "namespaces", "serviceaccounts", "resourcequotas"}
    for namespace, account, _ in (STAGING, REVIEW, BASE_READER_IN_REVIEW):
        writes = {(r, v) for _, r, v in granted(staging, account, namespace) if v in {"create", "patch", "delete"}}
        assert not {r for r, _ in writes} & guarded, account


def test_the_role_is_the_same_whatever_order_the_table_is_read_in():
    shuffled = DeployerAccess(
        deploys=frozenset(sorted(STACK_DEPLOYER.deploys, reverse=True)), reads=STACK_DEPLOYER.reads
    )
    assert role_rules(shuffled, "ns") == role_rules(STACK_DEPLOYER, "ns")


def test_every_row_of_the_table_is_a_kind_some_stack_declares(plans):
    """A row no stack declares would let a Role grow without a test that can see it."""
    declared = {kind_key(r.inputs) for plan in plans.values() for r in plan.resources if r.is_kubernetes}
    assert set(KINDS) - declared == set()


def test_a_row_must_cite_the_provider_source_and_name_a_resource():
    from components import InvalidArgument
    from components.rbac import KindRequests

    with pytest.raises(InvalidArgument, match=r"^source: must cite pulumi-kubernetes' provider/pkg/ source"):
        KindRequests(group="batch", resource="jobs", source="memory")
    with pytest.raises(InvalidArgument, match=r"^resource: must be a lowercase plural API resource"):
        KindRequests(group="batch", resource="Job", source="provider/pkg/await/job.go")
