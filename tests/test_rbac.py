"""The deployers' Roles: each planned Role grants exactly what pulumi-kubernetes requests for the
objects its stacks declare, by name wherever RBAC can restrict by name, and nothing else.

The expected requests are derived here, independently of gitlab_k8s_cd.components.rbac's code: from the
planned objects (their kinds and their names), the table of what pulumi-kubernetes requests per
kind (gitlab_k8s_cd.components.provider_requests.KINDS, each row citing the provider source;
docs/contracts.md PK-1, PK-2), and this file's statement of who deploys, updates or only reads
what. The Roles are read from the plans, and compared through tests.rbac's stand-in authorizer,
which honours resourceNames as the API server does (docs/contracts.md KR-1..KR-4)."""

from __future__ import annotations

import re

import pytest

from gitlab_k8s_cd.components import InvalidArgument, names
from gitlab_k8s_cd.components.provider_requests import KINDS, kind_key
from gitlab_k8s_cd.components.rbac import (
    REVIEW_DEPLOYER,
    DeployerAccess,
    base_reader,
    environment_deployer,
    role_rules,
)
from tests.conftest import ROOT
from tests.rbac import ANY, granted, granted_requests, grants

STAGING = ("hello-staging", ("hello-staging", "hello-deployer"))
REVIEW = ("hello-review", ("hello-review", "hello-deployer"))
BASE_READER_IN_REVIEW = ("hello-review", ("hello-staging", "hello-deployer"))
EACH_DEPLOYER = pytest.mark.parametrize(
    "who",
    [STAGING, REVIEW, BASE_READER_IN_REVIEW],
    ids=["staging deployer", "review deployer", "base stack's deployer in the review namespace"],
)

# What pulumi-kubernetes asks for (docs/contracts.md PK-1): create is a POST; an update a GET and
# PATCHes; a delete a DELETE, GETs, and an informer (list, watch) on the kind; every create,
# update and delete an informer on core events; a refresh a GET.
BY_NAME_WHEN_DEPLOYED = ("get", "patch", "delete")
ANY_NAME_WHEN_DEPLOYED = ("create", "list", "watch")
WHEN_UPDATED = ("get", "patch")
INFORMER = ("list", "watch")
# What pipeline/deploy.py's diagnosis reads, by its own code: the Deployment by the name the
# stack exports, then lists of ReplicaSets, Pods and Events, and a Pod's log.
DIAGNOSIS = (
    (("apps", "deployments"), "get", True),  # by the Deployment's name
    (("apps", "replicasets"), "list", False),
    (("", "pods"), "list", False),
    (("", "events"), "list", False),
    (("", "pods/log"), "get", False),
    (("batch", "jobs"), "get", False),  # the migration Job of the image that failed, by its (per-image) name
)
AUTONAMED = re.compile(r"-[0-9a-f]{8}$")
"""The plan harness's autoname: ``<logical name>-<8 hex>`` (components/plan/mocks.py)."""
PER_IMAGE = ("batch/v1/Job",)
"""Kinds whose names change with every image (the migration Job): no name a Role could know."""


def stacks(plans, who):
    """The plans of the stacks whose objects the Role of ``who`` serves."""
    if who is REVIEW:
        return [plans["review"], plans["review !7"]]
    if who is BASE_READER_IN_REVIEW:
        return [plans["staging"], plans["staging, other image, settings and autoscalers"]]
    return [p for label, p in plans.items() if label.startswith("staging")]


def access_to(who, manifest):
    """This file's statement of who does what: "deploy", "update", "read" or None (nothing)."""
    kind = manifest["kind"]
    if who is REVIEW:
        return "deploy"  # every object a review stack declares, and nothing the base stack made
    if who is BASE_READER_IN_REVIEW:
        return "read"
    if kind in ("Deployment", "Service", "ConfigMap", "PodDisruptionBudget", "HorizontalPodAutoscaler", "Job"):
        return "deploy"
    if kind == "Secret" and manifest["type"] == "kubernetes.io/dockerconfigjson":
        return "update"  # a deploy-token rotation, through CI's run
    if kind == "Secret" and manifest["metadata"]["name"] == "hello-secrets":
        return "update"  # a change of the secret settings, through CI's run
    return "read"  # the Ingress too: network exposure, made by an admin run


@pytest.fixture(scope="module")
def plans(option_set_plans):
    return option_set_plans


def objects_in(plan, namespace):
    return [
        r.inputs
        for r in plan.resources
        if r.is_kubernetes and (r.inputs["metadata"].get("namespace") or r.inputs["metadata"]["name"]) == namespace
    ]


def expected_requests(plans, who):
    """(group, resource, verb, name or ANY) for everything the stacks of ``who`` declare in its
    namespace: by name where the names are fixed (not autonamed, in every stack the Role serves),
    on any name where RBAC cannot restrict it or the name is not known in advance."""
    namespace, _ = who
    seen: dict[tuple[str, str], list[set[str]]] = {}
    for plan in stacks(plans, who):
        found: dict[tuple[str, str], set[str]] = {}
        for manifest in objects_in(plan, namespace):
            access = access_to(who, manifest)
            if access is not None:
                found.setdefault((kind_key(manifest), access), set()).add(manifest["metadata"]["name"])
        for key, on in found.items():
            seen.setdefault(key, []).append(on)
    requests = set()
    deployment_names = {ANY}
    for (kind, access), per_stack in seen.items():
        # By name when every stack names its objects (a PDB or an autoscaler some stacks declare
        # and others not: CI may turn them on and off, so the Role grants each name any stack uses).
        # A review app's names are its merge request's: no name the base stack's Role could know.
        fixed = (
            who is not REVIEW and kind not in PER_IMAGE and not any(AUTONAMED.search(n) for on in per_stack for n in on)
        )
        on = set().union(*per_stack) if fixed else {ANY}
        row = KINDS[kind]
        api = (row.group, row.resource)
        if access == "read":  # a Namespace too: its own, by name
            requests |= {(*api, "get", name) for name in on}
            requests |= {(*listed, "list", ANY) for listed in row.read_lists}
        elif access == "update":
            requests |= {(*api, verb, name) for verb in WHEN_UPDATED for name in on}
            requests |= {("", "events", verb, ANY) for verb in INFORMER}
        else:
            requests |= {(*api, verb, name) for verb in BY_NAME_WHEN_DEPLOYED for name in on}
            requests |= {(*api, verb, ANY) for verb in ANY_NAME_WHEN_DEPLOYED}
            requests |= {(*awaited, verb, ANY) for awaited in row.awaits for verb in INFORMER}
            requests |= {("", "events", verb, ANY) for verb in INFORMER}
            if kind == "apps/v1/Deployment":
                deployment_names = on
    if who is not BASE_READER_IN_REVIEW:  # the deploy jobs diagnose failed rollouts; the drift check does not
        for api, verb, by_deployment_name in DIAGNOSIS:
            requests |= {(*api, verb, name) for name in (deployment_names if by_deployment_name else {ANY})}
    return {r for r in requests if r[3] is ANY or (*r[:3], ANY) not in requests}


# --- each planned Role is exactly what its stacks need ---------------------------------------


@EACH_DEPLOYER
def test_the_planned_role_grants_exactly_what_its_stacks_declare_by_name_where_names_are_known(plans, who):
    namespace, account = who
    expected = expected_requests(plans, who)
    assert granted_requests(plans["staging"], account, namespace) == expected


@EACH_DEPLOYER
def test_the_role_grants_every_request_pulumi_kubernetes_makes_for_each_declared_object(plans, who):
    """Object by object, through the stand-in authorizer: a forbidden list or watch would hang the
    deploy (docs/contracts.md PK-3), a forbidden get, patch or delete fail it."""
    namespace, account = who
    roles_from = plans["staging"]  # the base stack's admin run makes every deployer's Role
    for plan in stacks(plans, who):
        for manifest in objects_in(plan, namespace):
            access = access_to(who, manifest)
            row = KINDS[kind_key(manifest)]
            name = manifest["metadata"]["name"]
            verbs = {"deploy": BY_NAME_WHEN_DEPLOYED + ANY_NAME_WHEN_DEPLOYED, "update": WHEN_UPDATED}.get(
                access, ("get",)
            )
            for verb in verbs:
                assert grants(roles_from, account, namespace, row.group, row.resource, verb, name), (
                    manifest["kind"],
                    name,
                    verb,
                )
            if access == "deploy":
                for group, resource in (*row.awaits, ("", "events")):
                    for verb in INFORMER:
                        assert grants(roles_from, account, namespace, group, resource, verb), (resource, verb)
            if access == "read":
                # A refresh of an Ingress that cannot list endpoints reads it as not ready: drift.
                for group, resource in row.read_lists:
                    assert grants(roles_from, account, namespace, group, resource, "list"), (resource, name)


@pytest.mark.parametrize(
    ("label", "kinds"),
    [
        ("staging, 1 replica, no review apps", ()),
        ("staging, other image, settings and autoscalers", ("PodDisruptionBudget", "HorizontalPodAutoscaler")),
        ("staging, with a migration", ("PodDisruptionBudget", "Job")),
    ],
)
def test_the_environment_deployers_role_is_the_same_whatever_ci_may_change(plans, label, kinds):
    """CI cannot patch its own Role: a Role that changed with the replicas (the PDB comes and goes),
    the image or the settings (the ConfigMap's autoname), autoscaling or the migration (its Job)
    would fail the deploy that changed them."""

    def role(plan):
        (found,) = [r.inputs for r in plan.kind("Role") if r.inputs["metadata"]["namespace"] == "hello-staging"]
        return found["rules"]

    assert role(plans[label]) == role(plans["staging"])
    for kind in kinds:
        assert plans[label].kind(kind) != [], kind
    assert plans["staging"].kind("Job") == []


def test_the_planned_roles_are_what_components_rbac_derives(plans):
    staging = plans["staging"]

    def role(namespace, name):
        (found,) = [
            r.inputs["rules"]
            for r in staging.kind("Role")
            if (r.inputs["metadata"]["namespace"], r.inputs["metadata"]["name"]) == (namespace, name)
        ]
        return found

    access = environment_deployer(
        "hello", processes=("worker",), quota=True, limit_range=True, ingress=True, acme_solver=True
    )
    expected = role_rules(access, "hello-staging")
    assert role("hello-staging", "hello-deployer") == expected
    assert role("hello-review", "hello-deployer") == role_rules(REVIEW_DEPLOYER, "hello-review")
    assert role("hello-review", "hello-base-reader") == role_rules(base_reader("hello", quota=True), "hello-review")


# --- what no deployer can do ------------------------------------------------------------------


@EACH_DEPLOYER
def test_no_deployer_may_list_watch_or_create_secrets(plans, who):
    """A LIST of Secrets returns every Secret's data; a create could mint a long-lived token Secret
    of any ServiceAccount in the namespace."""
    namespace, account = who
    for verb in ("list", "watch", "create", "deletecollection", "update", "delete"):
        assert not grants(plans["staging"], account, namespace, "", "secrets", verb, "anything"), verb


def test_the_review_deployer_has_no_secret_pdb_or_rbac_access_at_all(plans):
    namespace, account = REVIEW
    resources = {resource for _, resource, _ in granted(plans["staging"], account, namespace)}
    assert resources & {"secrets", "poddisruptionbudgets", "roles", "rolebindings", "serviceaccounts"} == set()
    assert resources & {"networkpolicies", "resourcequotas", "limitranges", "namespaces"} == set()
    assert not grants(plans["staging"], account, namespace, "", "secrets", "get", "review-wildcard-tls")


def test_the_base_stacks_deployer_only_reads_in_the_review_namespace_by_name(plans):
    namespace, account = BASE_READER_IN_REVIEW
    requests = granted_requests(plans["staging"], account, namespace)
    assert {verb for _, _, verb, _ in requests} == {"get"}
    assert ANY not in {name for *_, name in requests}


def test_every_verb_rbac_can_restrict_by_name_is_restricted_wherever_the_name_is_known(plans):
    """Only the autonamed ConfigMap, the migration Job (named after each image) and the Pods' logs
    (Pod names are the ReplicaSet's choice) are read and changed by any name in the environment's
    namespace."""
    namespace, account = STAGING
    unrestricted = {
        (resource, verb)
        for _, resource, verb, name in granted_requests(plans["staging"], account, namespace)
        if name is ANY and verb in ("get", "patch", "update", "delete")
    }
    by_any_name = {(resource, v) for resource in ("configmaps", "jobs") for v in ("get", "patch", "delete")}
    assert unrestricted == by_any_name | {("pods/log", "get")}


def test_no_role_grants_update_which_only_custom_resource_definitions_use():
    for access in (environment_deployer("app", quota=True, limit_range=True), REVIEW_DEPLOYER, base_reader("app")):
        assert not [r for r in role_rules(access, "ns") if "update" in r["verbs"]]


def test_the_deployers_can_never_change_rbac_network_policy_identities_or_their_namespace(plans):
    staging = plans["staging"]
    guarded = {"roles", "rolebindings", "networkpolicies", "namespaces", "serviceaccounts", "resourcequotas"}
    for namespace, account in (STAGING, REVIEW, BASE_READER_IN_REVIEW):
        writes = {(r, v) for _, r, v in granted(staging, account, namespace) if v in {"create", "patch", "delete"}}
        assert not {r for r, _ in writes} & guarded, account


def test_a_job_can_be_awaited_its_pods_are_watched_whether_or_not_the_stack_migrates(plans):
    """pulumi-kubernetes' Job awaiter subscribes to informers on jobs and pods (docs/contracts.md
    PK-12): forbidden, the deploy hangs. CI's runs may turn the migration on: the Role has it always."""
    namespace, account = STAGING
    for plan in (plans["staging"], plans["staging, with a migration"]):
        for group, resource in (("batch", "jobs"), ("", "pods")):
            for verb in ("list", "watch"):
                assert grants(plan, account, namespace, group, resource, verb), (resource, verb)
        assert grants(plan, account, namespace, "batch", "jobs", "create")
        assert grants(plan, account, namespace, "batch", "jobs", "delete", "hello-migrate-0123456789ab")
    assert not grants(plans["staging"], REVIEW[1], REVIEW[0], "batch", "jobs", "create")


def test_a_service_and_an_ingress_can_be_awaited_endpoints_and_services_are_watched(plans):
    """pulumi-kubernetes' Service and Ingress awaiters subscribe to informers on core endpoints
    (and services): forbidden, the job hangs before any timeout starts (docs/contracts.md)."""
    staging = plans["staging"]
    for namespace, account in (STAGING, REVIEW):
        for verb in ("list", "watch"):
            assert grants(staging, account, namespace, "", "endpoints", verb), (account, verb)
    for verb in ("list", "watch"):
        assert grants(staging, REVIEW[1], REVIEW[0], "", "services", verb)


# --- gitlab_k8s_cd.components.rbac: the derivation -----------------------------------------------------------


def test_each_rule_grants_exactly_its_requests_so_no_name_leaks_to_another_resource():
    """A rule grants every verb on every name of every resource it lists: role_rules may share a
    rule between resources only where their names and verbs are the same."""
    access = DeployerAccess(
        deploys={"apps/v1/Deployment": {"web"}, "v1/Service": {"web"}, "v1/ConfigMap": None},
        updates={"v1/Secret": {"pull"}},
        reads={"v1/Secret": {"token"}, "v1/ServiceAccount": {"web", "deployer"}, "v1/Namespace": ()},
        diagnoses=False,
    )
    rendered = set()
    for rule in role_rules(access, "ns"):
        for resource in rule["resources"]:
            for verb in rule["verbs"]:
                for name in rule.get("resourceNames") or [ANY]:
                    rendered.add(((rule["apiGroups"][0], resource), verb, name))
    wanted = {
        (api, verb, name)
        for api, verbs in access.requests().items()
        for verb, on in verbs.items()
        for name in (on if on is not None else [ANY])
    }
    assert rendered - {(("", "namespaces"), "get", "ns")} == wanted - {(("", "namespaces"), "get", ANY)}
    secrets = [r for r in role_rules(access, "ns") if r["resources"] == ["secrets"]]
    assert secrets == [
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"], "resourceNames": ["token"]},
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "patch"], "resourceNames": ["pull"]},
    ]


def test_the_role_is_the_same_whatever_order_the_access_is_given_in():
    forward = environment_deployer("app", quota=True, limit_range=True)
    backward = DeployerAccess(
        deploys=dict(reversed(list(forward.deploys.items()))),
        updates=forward.updates,
        reads={kind: sorted(on, reverse=True) for kind, on in reversed(list(forward.reads.items()))},
    )
    assert role_rules(backward, "ns") == role_rules(forward, "ns")


def test_merged_accesses_unite_names_and_any_name_wins_in_either_order():
    """A second component in the environment's namespace: its objects join the deployer's Role."""
    app = environment_deployer("app", quota=True)
    redis = DeployerAccess(
        deploys={"apps/v1/Deployment": {"redis"}, "v1/ConfigMap": {"redis-conf"}, "v1/Service": {"redis"}},
        updates={"v1/Secret": {"redis-password"}},
        reads={"v1/ServiceAccount": {"redis"}},
        diagnoses=False,
    )
    merged = app.merge(redis)
    assert merged.deploys["apps/v1/Deployment"] == {"app", "redis"}
    assert merged.deploys["v1/ConfigMap"] is None  # the app's is autonamed: any name, whatever redis names
    assert merged.updates["v1/Secret"] == {"app-registry-pull", "app-secrets", "redis-password"}
    assert merged.reads["v1/ServiceAccount"] == {"app", "app-deployer", "redis"}
    assert merged.reads["v1/Namespace"] == frozenset()  # its own namespace, still by no other name
    assert merged.diagnoses is True
    assert role_rules(merged, "ns") == role_rules(redis.merge(app), "ns")
    # Every request either needs is granted, and nothing else.
    wanted = {(api, verb, name) for part in (app, redis) for api, verb, name in _requests(part)}
    assert set(_requests(merged)) == _most_general(wanted)
    with pytest.raises(InvalidArgument, match=r"^other: must be a DeployerAccess"):
        app.merge({"deploys": {}})


def _requests(access):
    for api, verbs in access.requests().items():
        for verb, on in verbs.items():
            for name in [ANY] if on is None else sorted(on):
                yield api, verb, name


def _most_general(requests):
    """A verb granted on any name covers the same verb by name."""
    return {r for r in requests if r[2] is ANY or (r[0], r[1], ANY) not in requests}


def test_no_deployer_access_may_deploy_secrets():
    """Deploying a kind grants create, list and watch on any name: for Secrets, every Secret's data."""
    with pytest.raises(InvalidArgument, match=r"^deploys: must not include Secrets"):
        DeployerAccess(deploys={"v1/Secret": None})
    with pytest.raises(InvalidArgument, match=r"^deploys: must not include Secrets"):
        environment_deployer("app").merge(DeployerAccess(deploys={"v1/Secret": {"x"}}))


def test_without_a_pull_secret_of_the_stacks_the_deployer_has_no_access_to_one():
    """A public image, or a Secret of your own: the kubelet alone reads it (docs/contracts.md KA-11)."""
    assert environment_deployer("app", pull_secret=False).updates == {"v1/Secret": {"app-secrets"}}
    assert base_reader("app", pull_secret=False).reads["v1/Secret"] == {"app-deployer-token"}


def test_the_environment_deployers_names_are_the_ones_components_names_gives():
    access = environment_deployer("web")
    assert access.deploys["apps/v1/Deployment"] == {names.workload("web")}
    assert access.updates == {"v1/Secret": {names.pull_secret("web"), names.app_secrets("web")}}
    assert access.reads["v1/Secret"] == {names.deployer_token("web")}
    assert "v1/ResourceQuota" not in access.reads and "v1/LimitRange" not in access.reads
    assert "networking.k8s.io/v1/Ingress" not in access.reads


def test_each_process_is_deployed_by_its_own_name_with_its_budget_and_autoscaler():
    access = environment_deployer("web", processes=("worker", "cron"), ingress=True)
    names_ = {"web", "web-worker", "web-cron"}
    for kind in ("apps/v1/Deployment", "policy/v1/PodDisruptionBudget", "autoscaling/v2/HorizontalPodAutoscaler"):
        assert access.deploys[kind] == names_, kind
    assert access.deploys["v1/Service"] == {"web"}
    # Network exposure is an admin run's: CI's refresh reads the Ingress, by name.
    assert access.reads["networking.k8s.io/v1/Ingress"] == {"web"}


# --- the stand-in authorizer refuses what the API server refuses -------------------------------


class _Planned:
    def __init__(self, inputs):
        self.inputs = inputs


class _RolePlan:
    """A plan holding one Role and its binding, for the stand-in's own tests."""

    def __init__(self, rules):
        self.role = _Planned({"metadata": {"namespace": "ns", "name": "r"}, "rules": rules})
        subject = {"kind": "ServiceAccount", "name": "sa", "namespace": "ns"}
        self.binding = _Planned({"metadata": {"namespace": "ns"}, "roleRef": {"name": "r"}, "subjects": [subject]})

    def kind(self, kind):
        return {"Role": [self.role], "RoleBinding": [self.binding]}[kind]


def test_the_stand_in_never_lets_resource_names_restrict_a_create_list_or_watch():
    """The API server authorizes a create (POST to the collection) and a list or watch without a
    metadata.name field selector under no name, which no resourceNames list matches
    (docs/contracts.md KR-1, KR-2)."""
    verbs = ["create", "get", "list", "watch", "patch", "delete"]
    plan = _RolePlan([{"apiGroups": [""], "resources": ["secrets"], "verbs": verbs, "resourceNames": ["pull"]}])
    account = ("ns", "sa")
    for verb in ("create", "list", "watch"):
        assert not grants(plan, account, "ns", "", "secrets", verb, "pull"), verb
    for verb in ("get", "patch", "delete"):
        assert grants(plan, account, "ns", "", "secrets", verb, "pull"), verb
        assert not grants(plan, account, "ns", "", "secrets", verb, "other"), verb
    assert grants(plan, account, "ns", "", "secrets", "list", field_selector_name="pull")
    assert not grants(plan, account, "other-ns", "", "secrets", "get", "pull")
    unnamed = _RolePlan([{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["create", "list"]}])
    assert grants(unnamed, account, "ns", "", "configmaps", "create", "whatever")
    assert grants(unnamed, account, "ns", "", "configmaps", "list")


# --- README: what a leaked credential can do ---------------------------------------------------

README = ROOT / "README.md"
CREDENTIALS = {
    "environment deployer": STAGING,
    "review deployer": REVIEW,
    "environment deployer, in the review namespace": BASE_READER_IN_REVIEW,
}
VERBS = {"create": "create", "read": "get", "change": "patch", "delete": "delete", "list": "list", "watch": "watch"}
SENTENCE = re.compile(
    r"^(?P<can>can|cannot): (?P<verb>create|read|change|delete|list|watch) "
    r"(?:(?P<article>an?|any other|any) (?P<kind>[A-Z]\w+)|the (?P<the>[A-Z]\w+) `(?P<name>[^`]+)`(?:'s [\w ]+)?"
    r"|(?P<plural>[A-Z]\w+)s)"
    r"(?: in `(?P<namespace>[^`]+)`)?(?: \([^()]*\))?$"
)
UNDECLARED = "not-declared-by-any-stack"


def leaked_credential_rows() -> list[tuple[str, str]]:
    text = README.read_text()
    section = text.split("### What a leaked credential can do", 1)[1].split("\n#", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 2 and cells[1].startswith(("can:", "cannot:")):
            rows.append((cells[0].replace("`", ""), cells[1]))
    return rows


def kind_row(kind: str):
    (row,) = [row for key, row in KINDS.items() if key.rsplit("/", 1)[1] == kind]
    return row


def test_the_readme_states_what_each_leaked_credential_can_and_cannot_do():
    rows = leaked_credential_rows()
    assert {credential for credential, _ in rows} == set(CREDENTIALS)
    for credential in CREDENTIALS:
        sentences = [s for c, s in rows if c == credential]
        assert any(s.startswith("can:") for s in sentences) and any(s.startswith("cannot:") for s in sentences)
    # The facts issue 11 is about, each stated.
    for credential, sentence in [
        ("environment deployer", "cannot: list Secrets (a LIST returns every Secret's data)"),
        ("environment deployer", "cannot: create a Secret (it could mint a long-lived token of any ServiceAccount)"),
        ("environment deployer", "can: change the Secret `hello-registry-pull` (a deploy-token rotation)"),
        ("review deployer", "cannot: read any Secret (and the review namespace holds no TLS key)"),
        ("review deployer", "cannot: create a PodDisruptionBudget"),
        ("review deployer", "cannot: read any Role"),
    ]:
        assert (credential, sentence) in rows, sentence


@pytest.mark.parametrize("row", leaked_credential_rows(), ids=lambda row: f"{row[0]}: {row[1]}")
def test_each_sentence_of_the_leaked_credential_table_holds_for_the_planned_roles(row, plans):
    credential, sentence = row
    match = SENTENCE.match(sentence)
    assert match, f"not a sentence this test reads: {sentence!r}"
    namespace, account = CREDENTIALS[credential]
    namespace = match["namespace"] or namespace
    verb = VERBS[match["verb"]]
    kind = match["kind"] or match["the"] or match["plural"]
    row_ = kind_row(kind)
    declared = {
        m["metadata"]["name"] for plan in plans.values() for m in objects_in(plan, namespace) if m["kind"] == kind
    }
    if match["name"] is not None:
        requests = [(verb, match["name"])]
    elif match["plural"] is not None or verb == "create":
        requests = [(verb, None)]
    else:
        targets = [UNDECLARED] + (sorted(declared) if match["article"] == "any" else [])
        requests = [(verb, name) for name in targets] + ([("list", None)] if verb == "get" else [])
    for verb_, name in requests:
        where = name if kind == "Namespace" else namespace  # the API server's namespaced GET of a namespace
        allowed = grants(plans["staging"], account, where, row_.group, row_.resource, verb_, name)
        assert allowed == (match["can"] == "can"), (verb_, name)


def test_a_canary_track_grants_its_deployment_by_name_whatever_ci_runs(staging_plan, canary_plan, canary_track_plan):
    """CI's deploy-canary run creates web's canary Deployment, its promote and abort runs delete
    it: RBAC cannot restrict the create by name (docs/contracts.md KR-2), and the Role grants create
    on deployments already, for the processes'. What the declared track adds is the canary's name,
    for get, patch and delete (and the deploy tool's diagnosis), on the Deployment alone; the Role is
    the same whether a canary runs or not, since CI cannot patch its Role."""
    namespace, account = STAGING

    def role(plan):
        (found,) = [r.inputs for r in plan.kind("Role") if r.inputs["metadata"]["namespace"] == namespace]
        return found["rules"]

    assert role(canary_plan) == role(canary_track_plan) != role(staging_plan)
    canary = names.canary_workload("hello")
    assert canary in {m["metadata"]["name"] for m in objects_in(canary_plan, namespace) if m["kind"] == "Deployment"}
    for verb in BY_NAME_WHEN_DEPLOYED:
        assert grants(canary_plan, account, namespace, "apps", "deployments", verb, canary), verb
        assert not grants(staging_plan, account, namespace, "apps", "deployments", verb, canary), verb
    for verb in ANY_NAME_WHEN_DEPLOYED:
        assert grants(staging_plan, account, namespace, "apps", "deployments", verb)  # with or without a track
    for group, resource in (("policy", "poddisruptionbudgets"), ("autoscaling", "horizontalpodautoscalers")):
        assert not grants(canary_plan, account, namespace, group, resource, "get", canary), resource
    # The Role is what components.rbac derives for the track, and nothing more.
    expected = granted_requests(staging_plan, account, namespace) | {
        ("apps", "deployments", verb, canary) for verb in BY_NAME_WHEN_DEPLOYED
    }
    assert granted_requests(canary_plan, account, namespace) == expected
    assert environment_deployer("hello", canary=True).deploys["apps/v1/Deployment"] == frozenset({"hello", canary})
    assert canary not in environment_deployer("hello", canary=True).deploys["policy/v1/PodDisruptionBudget"]
