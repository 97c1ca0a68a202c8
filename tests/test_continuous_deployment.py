"""ContinuousDeployment: the composition, and what CI's pulumi up is handed."""

from __future__ import annotations

import base64
import dataclasses
import json

import pytest
import yaml
from pulumi import Output

from gitlab_k8s_cd.components import (
    ContinuousDeploymentArgs,
    DeployerAccess,
    ImagePullSpec,
    InvalidArgument,
)
from gitlab_k8s_cd.components.config import ConfigError
from gitlab_k8s_cd.components.testing import Secret, redact
from tests.conftest import (
    PASSPHRASE,
    REGISTRY_PASSWORD,
    ROOT,
    SECRETS,
    component,
    image_pull_config,
    load,
    plan_staging,
    staging_config,
)
from tests.rbac import grants

VARIABLE = "gitlab:index/projectVariable:ProjectVariable"
CD = "gitlab-k8s-cd:continuous_deployment:ContinuousDeployment"
TOKEN = "gitlab:index/projectDeployToken:ProjectDeployToken"


def variables(plan, scope="staging"):
    """The CI variables of one environment scope (the review apps' are ``review/*``, see test_review_apps)."""
    return {r.inputs["key"]: r.inputs for r in plan.find(VARIABLE) if r.inputs["environmentScope"] == scope}


def test_it_composes_every_component_under_itself(staging_plan):
    root = staging_plan.get(CD, "hello")
    children = {(r.type.split(":")[-1], r.name) for r in staging_plan.children(root)}
    assert children == {
        ("GitLabProject", "hello-project"),
        ("Namespace", "hello-namespace"),
        ("Deployer", "hello-deployer"),
        ("RegistryAccess", "hello-registry"),
        ("Workload", "hello-workload"),
        ("GitLabEnvironment", "hello-environment"),
        ("CiVariables", "hello-ci-variables"),
        ("DriftCheck", "hello-drift-check"),
        ("ReviewApps", "hello-review-apps"),  # staging's reviewApps.enabled
    }


def test_without_review_apps_there_is_no_review_resource():
    plan = plan_staging({"reviewApps": {"enabled": False}})
    assert plan.find("gitlab-k8s-cd:review_apps:ReviewApps") == []
    assert not [r for r in plan.resources if "review" in r.name]
    assert "review_pulumi_config_passphrase" not in plan.outputs


def test_ci_gets_exactly_what_its_pulumi_up_needs_scoped_to_the_environment(staging_plan):
    found = variables(staging_plan)
    assert set(found) == {
        "KUBE_NAMESPACE",
        "KUBECONFIG_B64",
        "PULUMI_BACKEND_URL",
        "PULUMI_CONFIG_PASSPHRASE",
    }
    assert {v["environmentScope"] for v in found.values()} == {"staging"}
    every = {(r.inputs["environmentScope"], r.inputs["key"]) for r in staging_plan.find(VARIABLE)}
    assert {scope for scope, _ in every} == {"staging", "review/*", "*"}  # review apps' own, see test_review_apps


@pytest.mark.parametrize("secret", ["KUBECONFIG_B64", "PULUMI_CONFIG_PASSPHRASE"])
def test_every_credential_is_a_masked_hidden_protected_secret(staging_plan, secret):
    variable = variables(staging_plan)[secret]
    assert isinstance(variable["value"], Secret)
    assert (variable["masked"], variable["hidden"], variable["protected"]) == (True, True, True)


def test_the_namespace_and_backend_url_are_plain_values(staging_plan):
    found = variables(staging_plan)
    assert found["KUBE_NAMESPACE"]["value"] == "hello-staging"
    assert found["PULUMI_BACKEND_URL"]["value"] == "s3://acme-pulumi-state?region=eu-west-1"
    assert found["PULUMI_CONFIG_PASSPHRASE"]["value"].value == PASSPHRASE


def test_the_kubeconfig_variable_is_the_deployers_kubeconfig_in_base64(staging_plan):
    encoded = variables(staging_plan)["KUBECONFIG_B64"]["value"].value
    kubeconfig = yaml.safe_load(base64.b64decode(encoded))
    assert kubeconfig["contexts"][0]["context"]["namespace"] == "hello-staging"
    assert kubeconfig["users"][0]["name"] == "hello-deployer"
    assert kubeconfig["clusters"][0]["cluster"]["server"] == "https://k8s.staging.example.com:6443"
    assert base64.b64decode(encoded).decode() == staging_plan.outputs["deployer_kubeconfig"].value


def test_the_stack_never_manages_the_gitlab_token_ci_runs_it_with(staging_plan):
    """A run that rotated it would revoke it under itself, and a project access token may not
    rotate another (docs/contracts.md): gitlab_k8s_cd.pipeline.ci_token makes it, and it rotates itself."""
    assert staging_plan.find("gitlab:index/projectAccessToken:ProjectAccessToken") == []
    assert not [r for r in staging_plan.find(VARIABLE) if r.inputs["key"].startswith("GITLAB_TOKEN")]


def test_the_environment_points_at_the_namespace_and_the_url(staging_plan):
    environment = staging_plan.get("gitlab:index/projectEnvironment:ProjectEnvironment").inputs
    assert (environment["name"], environment["tier"]) == ("staging", "staging")
    assert environment["externalUrl"] == "https://hello.staging.example.com"
    assert environment["kubernetesNamespace"] == "hello-staging"


def test_everything_is_in_the_apps_namespace_or_the_review_namespace(staging_plan):
    review = {r.urn for r in staging_plan.descendants(staging_plan.get("gitlab-k8s-cd:review_apps:ReviewApps"))}
    for resource in staging_plan.resources:
        if resource.is_kubernetes and resource.inputs["kind"] != "Namespace":
            expected = "hello-review" if resource.urn in review else "hello-staging"
            assert resource.inputs["metadata"]["namespace"] == expected, resource.name


def test_hidden_variables_can_be_turned_off_for_gitlab_before_17_4():
    plan = plan_staging({"hiddenVariables": "false"})
    found = variables(plan)
    assert found["KUBECONFIG_B64"]["hidden"] is False and found["KUBECONFIG_B64"]["masked"] is True


def test_the_namespace_defaults_to_app_and_environment_slug():
    app = load({"environment": "eu/production-1"}).deployment
    assert app.namespace_args().name == app.instance
    assert app.instance.startswith("hello-eu-production-1-")


def test_a_derived_namespace_that_is_too_long_is_reported_as_the_apps_fault():
    """The user set the app, not the namespace: the message names the key they can change."""
    app = load().deployment
    with pytest.raises(InvalidArgument, match=r"^app: derives .*app.kubernetes.io/instance"):
        dataclasses.replace(app, app="a" * 60)
    with pytest.raises(InvalidArgument, match=r"^namespace: must be a DNS-1123 label"):
        dataclasses.replace(app, namespace="n" * 64)


def test_an_environment_error_found_by_a_child_args_names_the_composition_field():
    app = load().deployment
    with pytest.raises(InvalidArgument, match=r"^environment_url: must be an absolute https:// URL"):
        dataclasses.replace(app, environment_url="http://x.example.com")
    with pytest.raises(InvalidArgument, match=r"^environment_tier: must be one of"):
        dataclasses.replace(app, environment_tier="live")


def test_an_image_without_a_registry_host_is_refused():
    with pytest.raises(InvalidArgument, match=r"^image: must name its registry host"):
        dataclasses.replace(load().deployment, image="hello:1.0")


def test_args_are_frozen_and_keyword_only():
    app = load().deployment
    with pytest.raises(dataclasses.FrozenInstanceError):
        app.app = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        ContinuousDeploymentArgs("hello")  # type: ignore[misc]


SHA = "0a1b2c3d" * 5
TRACE = {
    "commitSha": SHA,
    "pipelineUrl": "https://gitlab.com/acme/hello/-/pipelines/7",
    "jobUrl": "https://gitlab.com/acme/hello/-/jobs/70",
}


@pytest.fixture(scope="module")
def traced():
    return plan_staging(TRACE)


def test_the_deployment_and_its_pods_carry_commit_pipeline_job_and_project(traced):
    deployments = [r.inputs for r in traced.kind("Deployment")]
    assert [d["metadata"]["name"] for d in deployments] == ["hello", "hello-worker"]
    expected = {
        "gitlab-k8s-cd/commit-sha": SHA,
        "gitlab-k8s-cd/pipeline-url": TRACE["pipelineUrl"],
        "gitlab-k8s-cd/job-url": TRACE["jobUrl"],
        "gitlab-k8s-cd/project-path": "acme/hello",
    }
    for deployment in deployments:
        assert expected.items() <= deployment["metadata"]["annotations"].items()
        assert expected.items() <= deployment["spec"]["template"]["metadata"]["annotations"].items()


def test_the_stack_exports_the_commit_and_the_digest(traced):
    assert traced.outputs["commit"] == SHA
    assert traced.outputs["deployed_digest"].startswith("sha256:")


def test_a_new_commit_alone_updates_the_deployment_and_replaces_nothing(traced):
    from gitlab_k8s_cd.components.plan.diff import compare

    other = plan_staging({**TRACE, "commitSha": "f" * 40, "jobUrl": "https://gitlab.com/acme/hello/-/jobs/71"})
    changes = compare(traced.resource_table(), other.resource_table()).changes
    # Every process's Deployment (web's and the worker's), and nothing else.
    assert [(c.action, c.type) for c in changes] == [("update", "kubernetes:apps/v1:Deployment")] * 2


def test_empty_trace_values_from_a_local_run_are_ignored():
    app = load({"commitSha": "", "pipelineUrl": "", "jobUrl": ""}).deployment
    assert (app.commit_sha, app.pipeline_url, app.job_url) == (None, None, None)


# --- Namespaces and quotas, checked before anything is registered -----------------------------


def _args(**changes):
    return dataclasses.replace(load().deployment, **changes)


@pytest.mark.parametrize("namespace", ["kube-system", "kube-public", "kube-node-lease", "default", "kube-x"])
def test_the_clusters_own_namespaces_are_never_taken(namespace):
    with pytest.raises(InvalidArgument, match=r"^namespace: must not be the cluster's own namespace"):
        _args(namespace=namespace)


def test_the_review_namespace_is_never_an_environments():
    review_apps = load().deployment.review_apps
    with pytest.raises(InvalidArgument, match=r"^review_apps.namespace and namespace: must differ"):
        _args(review_apps=dataclasses.replace(review_apps, namespace="hello-staging"))
    with pytest.raises(InvalidArgument, match=r"^review_apps.namespace: must not be an environment's namespace"):
        _args(review_apps=dataclasses.replace(review_apps, namespace="hello-production"))
    with pytest.raises(InvalidArgument, match=r"^namespace: must not be the review apps' namespace \(hello-review\)"):
        _args(namespace="hello-review")


@pytest.mark.parametrize(
    ("quota", "expected"),
    [
        # Every process at the peak of its rollout, web 2 + 1 pods, the worker 1 + 1, and
        # cert-manager's HTTP-01 solver, which may run beside them (docs/contracts.md CM-1).
        (
            {"pods": "5"},
            r"^quota.pods: must admit the rollout's peak of 6 pods \(web: replicas 2 \+ maxSurge 1, "
            r"worker: replicas 1 \+ maxSurge 1, and cert-manager's HTTP-01 solver 1\)",
        ),
        ({"requests.memory": "256Mi"}, r"which need requests.memory 384Mi"),
        ({"memory": "256Mi"}, r"which need memory 384Mi"),
        ({"limits.cpu": "1"}, r"which need limits.cpu 2100m"),
    ],
)
def test_a_quota_that_cannot_admit_a_rollouts_peak_is_refused(quota, expected):
    """Surge pods over a quota are refused at creation (403), and a rollout with maxUnavailable 0
    then never finishes: docs/contracts.md KA-4."""
    with pytest.raises(InvalidArgument, match=expected):
        _args(quota=quota)
    assert _args(quota={"pods": "6", "requests.memory": "384Mi"}).quota == {"pods": "6", "requests.memory": "384Mi"}


def test_while_the_migration_runs_the_quota_must_admit_every_process_and_the_migrations_pod():
    """Before any rollout, the migration's pod runs beside every process at its most replicas; a
    finished pod counts against no quota, so it is gone before the surge pods come (KA-4, KA-10)."""
    big = {"command": ["m"], "resources": {"memoryRequest": "1Gi", "memoryLimit": "1Gi"}}
    with pytest.raises(
        ConfigError,
        match=r"^gitlab-k8s-cd:quota.requests.memory: must admit the migration's 5 pods \(web: replicas 2, "
        r"worker: replicas 1, the migration's 1, cert-manager's HTTP-01 solver 1\), which need requests.memory "
        r"1280Mi: the quota would refuse",
    ):
        load({"migration": big, "quota": {"requests.memory": "1Gi"}})
    assert load({"migration": big, "quota": {"requests.memory": "1280Mi"}}).deployment.spec.migration is not None
    # With the app's own resources, the rollout's surge is the larger peak: the migration adds no need.
    assert load({"migration": {"command": ["m"]}, "quota": {"pods": "6"}}).deployment.quota == {"pods": "6"}


@pytest.mark.parametrize(
    ("quota", "expected"),
    [
        ({"count/jobs.batch": "0"}, r"^gitlab-k8s-cd:quota.count/jobs.batch: must be at least 1"),
        # The ConfigMaps a rollback leaves beside the excluded Job, and the next deploy's (migration.py).
        ({"configmaps": "4"}, r"^gitlab-k8s-cd:quota.configmaps: must be at least 5"),
    ],
)
def test_with_a_migration_the_quota_must_admit_its_job_and_the_config_maps_it_keeps(quota, expected):
    with pytest.raises(ConfigError, match=expected):
        load({"migration": {"command": ["m"]}, "quota": quota})
    load({"quota": quota})  # without a migration, no Job, and three ConfigMaps at most


def test_the_review_quota_must_admit_one_review_apps_rollout():
    review_apps = load().deployment.review_apps
    with pytest.raises(InvalidArgument, match=r"^review_apps.quota.pods: must admit the review app's rollout's peak"):
        _args(review_apps=dataclasses.replace(review_apps, quota={"pods": "1"}))


def test_the_deployers_role_reads_the_quota_and_limits_by_name_only_where_the_namespace_has_them(staging_plan):
    from gitlab_k8s_cd.components.testing import run_program

    def role(plan):
        (found,) = [r.inputs for r in plan.kind("Role") if r.inputs["metadata"]["namespace"] == "hello-staging"]
        return {
            (res, name)
            for rule in found["rules"]
            for res in rule["resources"]
            for name in rule.get("resourceNames", [])
        }

    assert {("resourcequotas", "hello-quota"), ("limitranges", "hello-limits")} <= role(staging_plan)
    bare = run_program(
        ROOT / "__main__.py",
        project="gitlab-k8s-cd",
        stack="staging",
        config={**staging_config(drop=("quota", "limitRange")), **SECRETS},
        secret_keys=list(SECRETS),
    )
    assert bare.kind("LimitRange") == []
    assert {res for res, _ in role(bare)} & {"resourcequotas", "limitranges"} == set()


# --- images from other registries, and what a second component needs (issue 12) ---------------

STAGING_DEPLOYER = ("hello-staging", "hello-deployer")
PULL_SECRET_TYPE = "kubernetes.io/dockerconfigjson"


def pull_secrets(plan):
    return {
        (s.inputs["metadata"]["namespace"], s.inputs["metadata"]["name"]): s.inputs
        for s in plan.kind("Secret")
        if s.inputs["type"] == PULL_SECRET_TYPE
    }


def pulled_with(plan, namespace="hello-staging"):
    """Each Deployment's imagePullSecrets names, in ``namespace``."""
    return {
        d.inputs["metadata"]["name"]: [ref["name"] for ref in d.inputs["spec"]["template"]["spec"]["imagePullSecrets"]]
        for d in plan.kind("Deployment")
        if d.inputs["metadata"]["namespace"] == namespace
    }


@pytest.fixture(scope="module")
def public_plan():
    return plan_staging(**image_pull_config({"public": True}))


@pytest.fixture(scope="module")
def own_secret_plan():
    return plan_staging(**image_pull_config({"secretName": "ghcr-pull"}))


@pytest.fixture(scope="module")
def credentials_plan():
    credentials = {"username": "robot", "password": REGISTRY_PASSWORD, "shareWithReviewApps": True}
    return plan_staging(**image_pull_config(credentials))


def test_the_staging_image_on_gitlab_coms_registry_is_pulled_with_a_deploy_token_of_the_project(staging_plan):
    """GitLab.com's registry is known (gitlabRegistry's default for https://gitlab.com), and the
    image is in project acme/hello's repositories: its deploy token can pull it (GL-22, GL-23)."""
    app = load().deployment
    assert (app.gitlab_registry, app.image_pull, app.pulls_with_deploy_token) == ("registry.gitlab.com", None, True)
    assert staging_plan.find(TOKEN) != []
    assert pulled_with(staging_plan) == {"hello": ["hello-registry-pull"], "hello-worker": ["hello-registry-pull"]}


def test_a_public_image_from_another_registry_gets_no_deploy_token_and_no_pull_secret(public_plan):
    assert public_plan.find(TOKEN) == []
    assert pull_secrets(public_plan) == {}
    assert pulled_with(public_plan) == {"hello": [], "hello-worker": []}
    assert pulled_with(public_plan, "hello-review") == {}  # a review stack's own; see test_review_app
    assert grants(public_plan, STAGING_DEPLOYER, "hello-staging", "", "secrets", "get", "hello-registry-pull") is False


def test_an_image_pulled_with_a_secret_of_your_own_refers_to_it_and_ci_cannot_touch_it(own_secret_plan):
    """The stack does not manage it, and CI's deployer needs no access to it: the kubelet reads it (KA-11)."""
    assert own_secret_plan.find(TOKEN) == []
    assert pull_secrets(own_secret_plan) == {}
    assert pulled_with(own_secret_plan) == {"hello": ["ghcr-pull"], "hello-worker": ["ghcr-pull"]}
    for verb in ("get", "patch", "delete"):
        assert not grants(own_secret_plan, STAGING_DEPLOYER, "hello-staging", "", "secrets", verb, "ghcr-pull")


def test_credentials_make_the_pull_secret_ci_may_change_in_place_and_nothing_in_gitlab(credentials_plan):
    assert credentials_plan.find(TOKEN) == []
    secret = pull_secrets(credentials_plan)[("hello-staging", "hello-registry-pull")]
    assert isinstance(secret["stringData"], Secret)
    auths = json.loads(secret["stringData"].value[".dockerconfigjson"])["auths"]
    assert set(auths) == {"ghcr.io"} and auths["ghcr.io"]["password"] == REGISTRY_PASSWORD
    assert pulled_with(credentials_plan) == {"hello": ["hello-registry-pull"], "hello-worker": ["hello-registry-pull"]}
    # As for a deploy token's: get and patch by name (new credentials change its data), never create or list.
    for verb, allowed in (("get", True), ("patch", True), ("delete", False), ("create", False), ("list", False)):
        name = None if verb in ("create", "list") else "hello-registry-pull"
        assert grants(credentials_plan, STAGING_DEPLOYER, "hello-staging", "", "secrets", verb, name) is allowed, verb


def test_the_registry_password_never_reaches_a_plain_input_output_or_the_plan_files(credentials_plan, tmp_path):
    """It is an Output.secret from the moment the config loader reads it."""
    assert REGISTRY_PASSWORD not in json.dumps(credentials_plan.resource_table(), default=str)
    for resource in credentials_plan.resources:
        assert REGISTRY_PASSWORD not in json.dumps(redact(resource.inputs), default=str), resource.name
    credentials_plan.write(tmp_path)
    for written in tmp_path.iterdir():
        assert REGISTRY_PASSWORD not in written.read_text(), written.name
    pull = load(**image_pull_config({"username": "u", "password": "pw-1", "shareWithReviewApps": True})).deployment
    assert isinstance(pull.image_pull.password, Output)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"image": "ghcr.io/acme/hello:1.0"}, r"^image: is pulled from ghcr.io, which is not GitLab's registry"),
        ({"gitlab_registry": None}, r"^image: is pulled from registry.gitlab.com, and gitlab_registry is not set"),
        ({"gitlab_registry": "https://registry.gitlab.com"}, r"^gitlab_registry: must be a registry host"),
        ({"image": "registry.gitlab.com/acme/other:1.0"}, r"^image: is not in project acme/hello's registry"),
        ({"deploy_token_expires_at": None}, r"^deploy_token_expires_at: is required: the image is pulled from GitLab"),
        (
            {"image_pull": ImagePullSpec(public=True)},
            r"^deploy_token_expires_at: must not be set: no GitLab deploy token is made",
        ),
    ],
)
def test_a_deploy_token_is_made_only_where_it_can_pull_and_only_then_takes_a_date(changes, message):
    with pytest.raises(InvalidArgument, match=message):
        _args(**changes)


def test_review_apps_take_no_token_date_and_shared_credentials_only_when_told():
    base = load(**image_pull_config({"public": True})).deployment
    with pytest.raises(InvalidArgument, match=r"^review_apps.deploy_token_expires_at: must not be set"):
        dataclasses.replace(
            base, review_apps=dataclasses.replace(base.review_apps, deploy_token_expires_at="2099-01-01")
        )
    credentials = ImagePullSpec(username="robot", password="pw-123")
    with pytest.raises(InvalidArgument, match=r"^image_pull.share_with_review_apps: must be true for review apps"):
        dataclasses.replace(base, image_pull=credentials)
    no_review = dataclasses.replace(base.review_apps, enabled=False)
    assert dataclasses.replace(base, image_pull=credentials, review_apps=no_review).makes_pull_secret


# --- what a second component in the same namespace needs ---------------------------------------


@pytest.fixture(scope="module")
def shop():
    """tests/programs/components.py second_component: an app pulled with a Secret of its own, and a
    Redis of its own beside it that CI's deployer deploys too."""
    return component("second_component")


def test_continuous_deployment_exposes_the_project_namespace_pull_secret_and_deployer_access(shop):
    # The id every GitLab resource of the stack refers to the project by.
    assert (
        shop.outputs["project_id"] == shop.get("gitlab:index/projectEnvironment:ProjectEnvironment").inputs["project"]
    )
    assert shop.outputs["namespace"] == "shop-production"
    assert shop.outputs["pull_secret_name"] == "ghcr-pull"
    assert shop.outputs["deployed_redis"] == ["shop", "shop-redis"]
    redis = shop.get("kubernetes:apps/v1:Deployment", "shop-redis").inputs
    assert redis["metadata"]["namespace"] == "shop-production"
    assert redis["spec"]["template"]["spec"]["imagePullSecrets"] == [{"name": "ghcr-pull"}]


def test_ci_may_deploy_the_second_component_by_name_and_nothing_more(shop):
    deployer = ("shop-production", "shop-deployer")
    for verb in ("get", "patch", "delete"):
        assert grants(shop, deployer, "shop-production", "apps", "deployments", verb, "shop-redis"), verb
        assert grants(shop, deployer, "shop-production", "", "services", verb, "shop-redis"), verb
        assert not grants(shop, deployer, "shop-production", "apps", "deployments", verb, "shop-other"), verb
    # The environment's own access is kept; the Secret rule is unchanged: no create, no list.
    assert grants(shop, deployer, "shop-production", "apps", "deployments", "patch", "shop")
    assert not grants(shop, deployer, "shop-production", "", "secrets", "list")
    assert not grants(shop, deployer, "shop-production", "", "secrets", "create")


def test_extra_deployer_access_never_deploys_secrets():
    with pytest.raises(InvalidArgument, match=r"^deploys: must not include Secrets"):
        DeployerAccess(deploys={"v1/Secret": {"redis-password"}})
    with pytest.raises(InvalidArgument, match=r"^extra_deployer_access: must be a DeployerAccess"):
        _args(extra_deployer_access={"deploys": {}})
