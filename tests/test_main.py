"""The whole program (__main__.py) on the staging config."""

from __future__ import annotations

import json

from gitlab_k8s_cd.components.plan.diff import compare
from gitlab_k8s_cd.components.testing import Secret
from tests.conftest import STAGING, key, plan_staging

K8S_PROVIDER = "pulumi:providers:kubernetes"


def test_staging_declares_every_resource_of_the_design(staging_plan):
    kinds = sorted(r.inputs["kind"] for r in staging_plan.resources if r.is_kubernetes)
    assert kinds == sorted(
        [
            "Namespace",
            "NetworkPolicy",
            "NetworkPolicy",
            "ResourceQuota",
            "LimitRange",
            "ServiceAccount",
            "ServiceAccount",
            "Role",
            "RoleBinding",
            "Secret",
            "Secret",
            "Secret",  # the secret settings
            "ConfigMap",
            "Deployment",
            "Deployment",  # the worker (one replica: no PodDisruptionBudget)
            "Service",
            "PodDisruptionBudget",
            "Ingress",
            "NetworkPolicy",  # lets the ingress controller reach cert-manager's HTTP-01 solver
            # What review apps share (reviewApps.enabled): the review namespace, its default
            # deny and quota, its deployer, the review apps' ServiceAccount, NetworkPolicy and
            # pull secret, and the base deployer's read access there.
            *["Namespace", "NetworkPolicy", "ResourceQuota", "ServiceAccount", "Role", "RoleBinding", "Secret"],
            *["ServiceAccount", "NetworkPolicy", "Secret", "Role", "RoleBinding"],
        ]
    )
    gitlab = sorted(r.type.split(":")[-1] for r in staging_plan.resources if r.type.startswith("gitlab:"))
    assert gitlab == sorted(
        ["Project", "ProjectDeployToken", "ProjectEnvironment"]
        + ["ProjectVariable"] * 4
        + ["PipelineSchedule"]
        # review apps: their deploy token, their 4 variables (review/*) and the switch (*)
        + ["ProjectDeployToken"]
        + ["ProjectVariable"] * 5
    )


def test_staging_exports_what_consumers_need(staging_plan):
    outputs = staging_plan.outputs
    assert set(outputs) == {
        "namespace",
        "image",
        "deployment_name",
        "deployment_names",
        "environment_url",
        "deployer_kubeconfig",
        "deployed_digest",
        "commit",
        "review_pulumi_config_passphrase",
        "migration_job",
        "canary_image",
        "trace",
    }
    assert outputs["namespace"] == "hello-staging"
    assert outputs["canary_image"] == ""  # no canary runs
    assert outputs["trace"] == {"commitSha": "", "pipelineUrl": "", "jobUrl": ""}  # no CI run
    assert outputs["migration_job"] == ""  # the staging example has no migration
    assert outputs["image"] == STAGING[key("image")]
    assert "@sha256:" in outputs["image"]
    assert outputs["deployed_digest"] == outputs["image"].split("@")[1]
    assert outputs["commit"] == ""  # no CI run: no commit to record
    assert outputs["environment_url"] == "https://hello.staging.example.com"
    assert outputs["deployment_name"] == "hello"
    assert outputs["deployment_names"] == {"web": "hello", "worker": "hello-worker"}
    assert isinstance(outputs["deployer_kubeconfig"], Secret)
    assert isinstance(outputs["review_pulumi_config_passphrase"], Secret)


def test_every_resource_uses_the_explicit_providers(staging_plan):
    providers = {r.type: r.urn for r in staging_plan.resources if r.type.startswith("pulumi:providers:")}
    assert set(providers) == {K8S_PROVIDER, "pulumi:providers:gitlab", "pulumi:providers:random"}
    for resource in staging_plan.resources:
        if resource.custom and not resource.type.startswith("pulumi:providers:"):
            package = resource.type.split(":")[0]
            assert resource.provider and resource.provider.startswith(
                providers[f"pulumi:providers:{package}"] + "::"
            ), resource.name


def test_kubernetes_provider_has_a_stable_cluster_identifier(staging_plan):
    assert staging_plan.get(K8S_PROVIDER).inputs["clusterIdentifier"] == "staging-eu-1"


def test_a_cluster_identifier_change_would_replace_the_provider(staging_plan):
    other = plan_staging({"clusterName": "staging-eu-2"})
    changes = {c.type: c for c in compare(staging_plan.resource_table(), other.resource_table()).changes}
    assert changes[K8S_PROVIDER].action == "replace"


def test_switching_from_admin_to_deployer_credentials_replaces_nothing(tmp_path, staging_plan):
    """The bootstrap runs with an admin kubeconfig and CI with the deployer's. pulumi-kubernetes'
    Python SDK copies $KUBECONFIG into the provider's ``kubeconfig`` input, so the provider sees
    an update; with a stable cluster_identifier that is an in-place update, never the replacement
    that would delete and re-create every object. Nothing else may change."""
    admin, deployer = tmp_path / "admin.yaml", tmp_path / "deployer.yaml"
    admin.write_text("# cluster-admin kubeconfig\n")
    deployer.write_text(staging_plan.outputs["deployer_kubeconfig"].value)
    as_admin = plan_staging(env={"KUBECONFIG": str(admin), "GITLAB_TOKEN": "glpat-admin-0000"})
    as_ci = plan_staging(env={"KUBECONFIG": str(deployer), "GITLAB_TOKEN": "glpat-ci-1111"})
    comparison = compare(as_admin.resource_table(), as_ci.resource_table())
    assert [(c.action, c.type, c.fields) for c in comparison.changes] == [("update", K8S_PROVIDER, ("kubeconfig",))]
    assert comparison.unchanged == len(as_admin.resources) - 1
    assert as_ci.get(K8S_PROVIDER).inputs["clusterIdentifier"] == as_admin.get(K8S_PROVIDER).inputs["clusterIdentifier"]


def test_gitlab_provider_points_at_the_configured_instance():
    """A self-managed instance names its own registry (gitlabRegistry, docs/contracts.md GL-22): the
    image there gets the deploy token, and a GitLab.com image would get none (see the corpus)."""
    image = "gitlab.example.com:5050/acme/hello@sha256:" + "ab" * 32
    plan = plan_staging(
        {"gitlabUrl": "https://gitlab.example.com", "gitlabRegistry": "gitlab.example.com:5050", "image": image}
    )
    assert plan.get("pulumi:providers:gitlab").inputs["baseUrl"] == "https://gitlab.example.com/api/v4/"
    (pull,) = [
        s.inputs
        for s in plan.kind("Secret")
        if s.inputs["metadata"]["namespace"] == "hello-staging" and s.inputs["type"] == "kubernetes.io/dockerconfigjson"
    ]
    assert list(json.loads(pull["stringData"].value[".dockerconfigjson"])["auths"]) == ["gitlab.example.com:5050"]
