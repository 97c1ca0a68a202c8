"""The policy pack (policy/): every rule passes the staging plan, and fails a crafted bad resource
with a message that says how to fix it. The CLI cannot run here, so the rules are called directly,
on the resources shaped as CrossGuard hands them (gitlab_k8s_cd.components.plan.policies.crossguard_props, checked here
against pulumi-policy's own deserialization), and the pack itself is built to check that every
rule becomes a CrossGuard policy."""

from __future__ import annotations

import copy
import json
import runpy
import sys

import pytest
from google.protobuf import json_format, struct_pb2
from pulumi_policy import EnforcementLevel
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY, deserialize_properties

from gitlab_k8s_cd.components.plan.policies import crossguard_props
from gitlab_k8s_cd.components.testing import Secret
from gitlab_k8s_cd.policy.rules import DEVELOPMENT_TAG, RULES
from tests.conftest import ROOT

BY_NAME = {rule.name: rule for rule in RULES}


def violations(rule_name, resource_type, props, tags=None):
    return list(BY_NAME[rule_name].check(resource_type, props, tags or {}))


@pytest.fixture(scope="module")
def resources(staging_plan):
    return [(r.type, crossguard_props(r.inputs)) for r in staging_plan.resources if r.custom]


@pytest.fixture
def deployment(resources):
    return copy.deepcopy(next(props for t, props in resources if t == "kubernetes:apps/v1:Deployment"))


def container(props):
    return props["spec"]["template"]["spec"]["containers"][0]


DEPLOYMENT = "kubernetes:apps/v1:Deployment"


def test_the_pack_has_ten_rules_with_enforcement_levels():
    assert len(RULES) == 10
    assert {EnforcementLevel(r.level) for r in RULES} == {EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY}


def engine_marshaled(value):
    """A property as the engine puts it in the AnalyzeRequest's Struct (MarshalProperties with
    KeepSecrets: a secret in its signature envelope)."""
    if isinstance(value, Secret):
        return {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": engine_marshaled(value.value)}
    if isinstance(value, dict):
        return {key: engine_marshaled(item) for key, item in value.items()}
    if isinstance(value, list):
        return [engine_marshaled(item) for item in value]
    return value


def test_the_rules_get_what_crossguard_hands_a_resource_validation_policy(staging_plan):
    """pulumi-policy's Analyze: deserialize_properties(MessageToDict(request.properties)), secrets
    unwrapped and every number a float; the engine leaves out top-level ``__`` keys."""
    secret_inputs = 0
    for resource in staging_plan.resources:
        struct = struct_pb2.Struct()
        struct.update({k: engine_marshaled(v) for k, v in resource.inputs.items() if not k.startswith("__")})
        expected = deserialize_properties(json_format.MessageToDict(struct))
        given = crossguard_props(resource.inputs)
        assert json.dumps(given, sort_keys=True) == json.dumps(expected, sort_keys=True), resource.urn
        secret_inputs += any(isinstance(value, Secret) for value in resource.inputs.values())
    assert secret_inputs >= 3  # secrets were there to unwrap
    deployment = staging_plan.get(DEPLOYMENT, "hello-workload-deployment")
    replicas = crossguard_props(deployment.inputs)["spec"]["replicas"]
    assert replicas == 2.0 and type(replicas) is float and type(deployment.inputs["spec"]["replicas"]) is int


@pytest.mark.parametrize("rule", RULES, ids=[r.name for r in RULES])
def test_every_rule_passes_the_staging_plan(rule, resources):
    assert [(t, m) for t, props in resources for m in rule.check(t, props, {})] == []


@pytest.mark.parametrize("rule", RULES, ids=[r.name for r in RULES])
def test_every_rule_passes_the_staging_plan_with_its_canary_running(rule, canary_plan):
    resources = [(r.type, crossguard_props(r.inputs)) for r in canary_plan.resources if r.custom]
    assert "hello-workload-canary-deployment" in {r.name for r in canary_plan.resources}
    assert [(t, m) for t, props in resources for m in rule.check(t, props, {})] == []


@pytest.fixture(scope="module")
def review_resources(review_plan):
    return [(r.type, crossguard_props(r.inputs)) for r in review_plan.resources if r.custom]


@pytest.mark.parametrize("rule", RULES, ids=[r.name for r in RULES])
def test_every_rule_passes_a_review_stacks_plan(rule, review_resources):
    assert [(t, m) for t, props in review_resources for m in rule.check(t, props, {})] == []


def test_missing_probes_and_limits_are_reported(deployment):
    del container(deployment)["livenessProbe"]
    del container(deployment)["resources"]["limits"]["memory"]
    found = violations("k8s-probes-and-resources", DEPLOYMENT, deployment)
    assert "container hello has no livenessProbe: add one" in found[0]
    assert found[1] == "container hello sets no limits.memory: set resources.limits.memory"


@pytest.mark.parametrize(("reason", "reported"), [("it exits on any error", False), ("", True), ("  ", True)])
def test_a_workload_without_probes_passes_only_when_it_states_why(deployment, reason, reported):
    """gitlab_k8s_cd.components.process: a process with noProbeReason has no probes, and says why on its
    Deployment; an empty reason is no reason."""
    for probe in ("livenessProbe", "readinessProbe"):
        del container(deployment)[probe]
    deployment["metadata"]["annotations"]["gitlab-k8s-cd/no-probe-reason"] = reason
    found = violations("k8s-probes-and-resources", DEPLOYMENT, deployment)
    assert bool(found) is reported
    # The reason excuses the probes, never the resources.
    del container(deployment)["resources"]["requests"]["cpu"]
    assert violations("k8s-probes-and-resources", DEPLOYMENT, deployment)[-1] == (
        "container hello sets no requests.cpu: set resources.requests.cpu"
    )


def test_the_policy_pack_reads_the_annotations_the_components_write():
    from gitlab_k8s_cd.components import process, workload
    from gitlab_k8s_cd.policy import rules

    assert rules.NO_PROBE_REASON_ANNOTATION == process.NO_PROBE_REASON_ANNOTATION
    assert rules.MIN_REPLICAS_ANNOTATION == workload.MIN_REPLICAS_ANNOTATION


@pytest.mark.parametrize(("stated", "reported"), [("2", False), ("1", True), (None, True)])
def test_an_autoscaled_deployment_is_judged_by_the_fewest_pods_it_states(deployment, stated, reported):
    """No replicas (the autoscaler's): maxUnavailable 1 is safe at a minimum of 2, not of 1 (nor at
    the API's default of 1 when nothing is stated)."""
    del deployment["spec"]["replicas"]
    deployment["spec"]["strategy"]["rollingUpdate"] = {"maxSurge": 1.0, "maxUnavailable": 1.0}
    if stated is not None:
        deployment["metadata"]["annotations"]["gitlab-k8s-cd/min-replicas"] = stated
    found = violations("k8s-rollout-bounds", DEPLOYMENT, deployment)
    assert bool(found) is reported, found


@pytest.mark.parametrize("zero", ["0", "0m", "0Mi", "0.0", "0e3", "+0", ".0", 0, 0.0])
@pytest.mark.parametrize("part", ["limits", "requests"])
@pytest.mark.parametrize("resource", ["cpu", "memory"])
def test_a_zero_limit_or_request_in_any_spelling_counts_as_not_set(deployment, zero, part, resource):
    container(deployment)["resources"][part][resource] = zero
    (found,) = violations("k8s-probes-and-resources", DEPLOYMENT, deployment)
    assert found.startswith(f"container hello sets {part}.{resource} to {zero!r}, i.e. zero, which ")
    assert ("means unbounded" if part == "limits" else "reserves nothing") in found
    assert found.endswith(f"set resources.{part}.{resource} to a positive quantity")


@pytest.mark.parametrize("small", ["1m", "0.5", "0.001", "1Ki", "1e-3", 1.0, 0.25])
def test_a_small_positive_limit_is_set(deployment, small):
    container(deployment)["resources"]["limits"]["cpu"] = small
    assert violations("k8s-probes-and-resources", DEPLOYMENT, deployment) == []


def test_a_root_writable_escalating_container_is_reported(deployment):
    container(deployment)["securityContext"] = {}
    deployment["spec"]["template"]["spec"]["securityContext"] = {}
    found = violations("k8s-restricted-security-context", DEPLOYMENT, deployment)
    assert [m.split(": set ")[1] for m in found] == [
        "securityContext.runAsNonRoot: true",
        "securityContext.readOnlyRootFilesystem: true",
        "securityContext.allowPrivilegeEscalation: false",
        "securityContext.capabilities.drop: [ALL]",
    ]


@pytest.mark.parametrize("image", ["registry.gitlab.com/acme/hello:latest", "registry.gitlab.com/acme/hello"])
def test_latest_is_refused_even_in_development(deployment, image):
    container(deployment)["image"] = image
    found = violations("k8s-pinned-images", DEPLOYMENT, deployment, {DEVELOPMENT_TAG: "true"})
    assert found and "pin a digest (image@sha256:...)" in found[0]


def test_a_tag_only_image_is_refused_outside_development(deployment):
    container(deployment)["image"] = "registry.gitlab.com/acme/hello:1.2.3"
    assert "deploy by digest" in violations("k8s-pinned-images", DEPLOYMENT, deployment)[0]
    assert violations("k8s-pinned-images", DEPLOYMENT, deployment, {DEVELOPMENT_TAG: "true"}) == []


@pytest.mark.parametrize(
    "image",
    [
        "registry.gitlab.com/acme/hello@sha256:" + "a" * 64,
        "registry.gitlab.com/acme/hello@sha384:" + "b" * 96,
        "registry.gitlab.com/acme/hello@sha512:" + "c" * 128,
        "registry.gitlab.com:5000/acme/hello:1.2.3@sha512:" + "c" * 128,
        # The runtime pulls the digest and ignores the tag, :latest included.
        "registry.gitlab.com/acme/hello:latest@sha256:" + "a" * 64,
    ],
    ids=["sha256", "sha384", "sha512", "tag-and-digest", "latest-and-digest"],
)
def test_an_image_pinned_by_a_digest_validation_accepts_passes_outside_development(deployment, image):
    container(deployment)["image"] = image
    assert violations("k8s-pinned-images", DEPLOYMENT, deployment) == []


@pytest.mark.parametrize(
    "digest",
    [
        "sha256:" + "a" * 63,
        "sha256:" + "a" * 65,
        "sha256:" + "A" * 64,
        "sha384:" + "b" * 64,
        "sha512:" + "c" * 96,
        "md5:" + "d" * 32,
        "sha256:" + "a" * 64 + "\n",
    ],
)
@pytest.mark.parametrize("tag", ["", ":latest", ":1.2.3"])
def test_an_image_with_a_malformed_digest_is_not_pinned_even_in_development(deployment, digest, tag):
    image = f"registry.gitlab.com/acme/hello{tag}@{digest}"
    container(deployment)["image"] = image
    for stack_tags in ({}, {DEVELOPMENT_TAG: "true"}):
        (found,) = violations("k8s-pinned-images", DEPLOYMENT, deployment, stack_tags)
        assert f"uses {image!r}, whose digest is not a sha256, sha384 or sha512 digest" in found


def test_the_packs_digest_rule_is_the_one_the_stacks_image_reference_applies():
    """The pack keeps its own copy (a pack run from its folder imports only pulumi-policy: docs/contracts.md
    PC-15): the same algorithms and hex lengths as gitlab_k8s_cd.components.image_reference."""
    from gitlab_k8s_cd.components.image_reference import DIGEST_HEX_LENGTHS, verified_digest
    from gitlab_k8s_cd.policy.rules import DIGEST

    lengths = sorted({32, 63, 64, 65, 96, 128, *DIGEST_HEX_LENGTHS.values()})
    algorithms = [*DIGEST_HEX_LENGTHS, "md5", "sha1", "SHA256"]
    digests = [f"{a}:{h * n}" for a in algorithms for n in lengths for h in ("a", "A", "0")]
    assert [d for d in digests if DIGEST.search(f"repo@{d}")] == [d for d in digests if verified_digest(d)]
    assert sum(verified_digest(d) for d in digests) == 2 * len(DIGEST_HEX_LENGTHS)  # "a" and "0" at each length


@pytest.mark.parametrize(
    ("rolling", "fix"),
    [
        ({"maxSurge": 1.0, "maxUnavailable": "100%"}, "maxUnavailable is 100%"),
        ({"maxSurge": 1.0, "maxUnavailable": "0100%"}, "maxUnavailable is 0100% (100% or more)"),
        ({"maxSurge": 0.0, "maxUnavailable": 0.0}, "set maxSurge to 25% or 1"),  # as CrossGuard hands 0
        ({"maxSurge": 0, "maxUnavailable": "0%"}, "set maxSurge to 25% or 1"),
        ({"maxSurge": "00%", "maxUnavailable": 0.0}, "set maxSurge to 25% or 1"),
        ({"maxSurge": "000%", "maxUnavailable": "00%"}, "set maxSurge to 25% or 1"),
        ({"maxSurge": "0", "maxUnavailable": "0"}, "set maxSurge to 25% or 1"),
        ({"maxSurge": 1.0, "maxUnavailable": 2.0}, "maxUnavailable is 2, which reaches replicas (2)"),
        ({"maxSurge": 1.0, "maxUnavailable": 5.0}, "maxUnavailable is 5, which reaches replicas (2)"),
    ],
)
def test_rollouts_that_drop_every_pod_or_never_start_are_reported(deployment, rolling, fix):
    assert deployment["spec"]["replicas"] == 2.0
    deployment["spec"]["strategy"]["rollingUpdate"] = rolling
    (found,) = violations("k8s-rollout-bounds", DEPLOYMENT, deployment)
    assert fix in found


@pytest.mark.parametrize(
    "rolling",
    [
        {"maxSurge": "01%", "maxUnavailable": "00%"},
        {"maxSurge": 0.0, "maxUnavailable": "99%"},
        {"maxSurge": 0.0, "maxUnavailable": 1.0},  # one of two replicas
        {"maxSurge": 1.0, "maxUnavailable": 0.0},
    ],
)
def test_rollouts_that_keep_a_pod_and_can_start_pass(deployment, rolling):
    deployment["spec"]["strategy"]["rollingUpdate"] = rolling
    assert violations("k8s-rollout-bounds", DEPLOYMENT, deployment) == []


def test_max_unavailable_is_compared_with_the_default_of_one_replica(deployment):
    del deployment["spec"]["replicas"]
    deployment["spec"]["strategy"]["rollingUpdate"] = {"maxSurge": 1.0, "maxUnavailable": 1.0}
    (found,) = violations("k8s-rollout-bounds", DEPLOYMENT, deployment)
    assert "maxUnavailable is 1, which reaches replicas (1)" in found


def test_a_recreate_strategy_is_reported(deployment):
    deployment["spec"]["strategy"] = {"type": "Recreate"}
    assert "takes every pod down" in violations("k8s-rollout-bounds", DEPLOYMENT, deployment)[0]


def test_rbac_wildcards_are_reported():
    role = {"rules": [{"apiGroups": ["*"], "resources": ["pods"], "verbs": ["*"]}]}
    found = violations("k8s-no-rbac-wildcards", "kubernetes:rbac.authorization.k8s.io/v1:Role", role)
    assert found == [
        "rules[0].apiGroups contains '*': list the apiGroups this identity needs, explicitly",
        "rules[0].verbs contains '*': list the verbs this identity needs, explicitly",
    ]


def test_a_cluster_role_binding_is_reported():
    found = violations("k8s-no-cluster-role-binding", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", {})
    assert "grant a namespaced Role with a RoleBinding" in found[0]


def test_a_platform_stack_may_bind_a_cluster_role_and_an_app_stack_may_not():
    kind = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
    assert violations("k8s-no-cluster-role-binding", kind, {}, {"gitlab-k8s-cd:platform": "true"}) == []
    for tags in ({}, {"gitlab-k8s-cd:platform": "false"}, {"gitlab-k8s-cd:development": "true"}):
        assert violations("k8s-no-cluster-role-binding", kind, {}, tags), tags


@pytest.mark.parametrize("service_type", ["LoadBalancer", "NodePort"])
def test_externally_reachable_services_are_flagged(service_type):
    found = violations("k8s-no-external-services", "kubernetes:core/v1:Service", {"spec": {"type": service_type}})
    assert f"of type {service_type}" in found[0] and "use ClusterIP" in found[0]
    assert EnforcementLevel(BY_NAME["k8s-no-external-services"].level) is EnforcementLevel.ADVISORY


@pytest.mark.parametrize("key", ["DEPLOY_TOKEN", "DB_PASSWORD", "AWS_SECRET_ACCESS_KEY", "KUBECONFIG", "SSH_KEY"])
def test_a_credential_variable_must_be_masked_and_protected(key):
    variable = {"key": key, "value": "x", "masked": False, "protected": False}
    found = violations("gitlab-credential-variables-masked", "gitlab:index/projectVariable:ProjectVariable", variable)
    assert [m.split(": ")[1] for m in found] == [
        "set masked (and hidden) to true",
        "set protected to true (only review/* variables, for review apps, may be unprotected)",
    ]


def test_only_review_apps_credentials_may_be_unprotected():
    variable = {"key": "KUBECONFIG_B64", "value": "x", "masked": True, "protected": False}
    rule, kind = "gitlab-credential-variables-masked", "gitlab:index/projectVariable:ProjectVariable"
    assert violations(rule, kind, {**variable, "environmentScope": "review/*"}) == []
    assert violations(rule, kind, {**variable, "environmentScope": "staging"}) != []
    assert violations(rule, kind, {**variable, "environmentScope": "*"}) != []
    assert violations(rule, kind, {**variable, "environmentScope": "review/*", "masked": False}) != []


def test_a_deploy_token_with_a_write_scope_is_reported():
    token = {"scopes": ["read_registry", "write_registry"]}
    found = violations("gitlab-read-only-deploy-token", "gitlab:index/projectDeployToken:ProjectDeployToken", token)
    assert found == ["the deploy token has the write scope write_registry: a cluster only needs read_registry"]


@pytest.mark.parametrize("policy", [{}, {"enabled": False}])
def test_a_project_without_registry_cleanup_is_reported(policy):
    found = violations(
        "gitlab-registry-cleanup-enabled", "gitlab:index/project:Project", {"containerExpirationPolicy": policy}
    )
    assert "set container_expiration_policy.enabled" in found[0]


def test_the_pack_declares_one_crossguard_policy_per_rule(monkeypatch):
    """Build the PolicyPack as `pulumi preview --policy-pack policy` would, capturing its policies."""
    import pulumi_policy

    captured = {}

    class Capture:
        def __init__(self, name, policies, **kwargs):
            captured["name"], captured["policies"] = name, policies

    monkeypatch.setattr(pulumi_policy, "PolicyPack", Capture)
    monkeypatch.syspath_prepend(str(ROOT / "policy"))
    runpy.run_path(str(ROOT / "policy" / "__main__.py"))
    assert captured["name"] == "gitlab-k8s-cd"
    assert [p.name for p in captured["policies"]] == [r.name for r in RULES]
    assert [p.enforcement_level for p in captured["policies"]] == [EnforcementLevel(r.level) for r in RULES]
    assert all(isinstance(p, pulumi_policy.ResourceValidationPolicy) for p in captured["policies"])
    sys.modules.pop("rules", None)
    sys.modules.pop("pack", None)
