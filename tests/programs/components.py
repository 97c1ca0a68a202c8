"""Small programs that build one component at a time, for the component tests.

Each function runs in its own process under the mock runtime (``gitlab_k8s_cd.components.testing.run_component``).
"""

from __future__ import annotations

import base64

import pulumi
import pulumi_kubernetes as k8s

from gitlab_k8s_cd.components import (
    AppSpec,
    AutoscalingArgs,
    CiVariable,
    CiVariables,
    CiVariablesArgs,
    ClusterArgs,
    ContinuousDeployment,
    ContinuousDeploymentArgs,
    Deployer,
    DeployerAccess,
    DeployerArgs,
    EnvironmentProtectionArgs,
    ExecProbeArgs,
    GitLabEnvironment,
    GitLabEnvironmentArgs,
    GitLabProject,
    GitLabProjectArgs,
    ImagePullSpec,
    IngressArgs,
    LimitRangeArgs,
    MigrationSpec,
    Namespace,
    NamespaceArgs,
    ProbeArgs,
    ProcessSpec,
    PulumiBackendArgs,
    RegistryAccess,
    RegistryAccessArgs,
    ResourcesArgs,
    Workload,
    WorkloadArgs,
)

CA_DATA = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n").decode()
CLUSTER = ClusterArgs(name="test-cluster", server="https://k8s.test.example:6443", ca_data=CA_DATA)


def namespaces() -> None:
    Namespace("bare", NamespaceArgs(name="bare-test", app="bare", instance="bare-test"))
    Namespace(
        "full",
        NamespaceArgs(
            name="full-test",
            app="full",
            instance="full-test",
            pod_security_version="v1.31",
            quota={"requests.cpu": "2", "pods": "10"},
            limit_range=LimitRangeArgs(),
        ),
    )


def deployer() -> None:
    made = Deployer("ci", DeployerArgs(namespace="app-test", app="app", instance="app-test", cluster=CLUSTER))
    pulumi.export("kubeconfig", made.kubeconfig)
    pulumi.export("token", made.token)


def workloads() -> None:
    Workload(
        "single",
        WorkloadArgs(
            app="single",
            instance="single-test",
            namespace="single-test",
            image="registry.example.com/acme/single@sha256:" + "cd" * 32,
            spec=AppSpec(replicas=1, startup=ProbeArgs(path="/startz", failure_threshold=30), settings={"MODE": "one"}),
        ),
    )
    # In a namespace whose owner made its ServiceAccount and HTTP policy (the review namespace).
    Workload(
        "guest",
        WorkloadArgs(
            app="guest",
            instance="guest-review-7",
            namespace="guest-review",
            image="registry.example.com/acme/guest@sha256:" + "ef" * 32,
            spec=AppSpec(replicas=1, service_port=8000),
            service_name="guest-review-7",
            service_account="guest",
            allow_http=False,
            ingress=IngressArgs(
                host="mr-7.review.example.com", class_name="nginx", tls_secret="review-tls", await_seconds=300
            ),
        ),
    )
    # Several replicas, where the deployer may not manage a PodDisruptionBudget (review apps).
    Workload(
        "spare",
        WorkloadArgs(
            app="spare",
            instance="spare-review-8",
            namespace="spare-review",
            image="registry.example.com/acme/spare@sha256:" + "ab" * 32,
            spec=AppSpec(replicas=3),
            service_name="spare-review-8",
            disruption_budget=False,
        ),
    )
    # Several processes, autoscaling and secret settings (given as plain text: made secret anyway).
    Workload(
        "many",
        WorkloadArgs(
            app="many",
            instance="many-prod",
            namespace="many-prod",
            image="registry.example.com/acme/many@sha256:" + "ef" * 32,
            spec=AppSpec(
                autoscaling=AutoscalingArgs(min_replicas=2, max_replicas=6),
                settings={"MODE": "many"},
                processes={
                    "worker": ProcessSpec(
                        command=["/app/worker"],
                        replicas=3,
                        liveness_probe=ExecProbeArgs(command=["/app/worker", "--check"], period_seconds=30),
                    ),
                    "scheduler": ProcessSpec(
                        args=["schedule"],
                        no_probe_reason="it exits on any error, and the kubelet restarts it",
                        resources=ResourcesArgs(cpu_request="10m", cpu_limit="100m"),
                        autoscaling=AutoscalingArgs(
                            min_replicas=1, max_replicas=3, cpu_utilization=None, memory_utilization=70
                        ),
                    ),
                },
            ),
            secrets={"API_KEY": "k-123", "DB_PASSWORD": "given-plain"},
        ),
    )


def migrations() -> None:
    """Workloads with a migration Job: by digest, with the defaults and a worker; by tag alone, with
    its own resources and limits, under another Service name, with secret settings."""
    Workload(
        "pinned",
        WorkloadArgs(
            app="pinned",
            instance="pinned-prod",
            namespace="pinned-prod",
            image="registry.example.com/acme/pinned@sha256:" + "0123456789abcdef" * 4,
            spec=AppSpec(
                settings={"MODE": "pinned"},
                processes={
                    "worker": ProcessSpec(command=["/app/worker"], no_probe_reason="it exits on any error"),
                },
                migration=MigrationSpec(command=["/app/migrate"]),
            ),
        ),
    )
    Workload(
        "tagged",
        WorkloadArgs(
            app="tagged",
            instance="tagged-dev",
            namespace="tagged-dev",
            image="registry.example.com/acme/tagged:1.2.3",
            spec=AppSpec(
                replicas=1,
                migration=MigrationSpec(
                    args=["migrate", "--check"],
                    budget_seconds=120,
                    backoff_limit=2,
                    ttl_seconds_after_finished=3600,
                    resources=ResourcesArgs(cpu_request="50m", memory_request="256Mi", memory_limit="512Mi"),
                ),
            ),
            service_name="tagged-web",
            secrets={"DB_PASSWORD": pulumi.Output.secret("migrate-me")},
        ),
    )


def gitlab_projects() -> None:
    GitLabProject("owned", GitLabProjectArgs(path="acme/platform/owned"))
    looked_up = GitLabProject("shared", GitLabProjectArgs(path="acme/shared", manage=False))
    pulumi.export("shared_id", looked_up.project_id)


def environments() -> None:
    GitLabEnvironment(
        "open",
        GitLabEnvironmentArgs(
            project="7",
            name="review/feature-x",
            external_url="https://x.example.com",
            kubernetes_namespace="x",
        ),
    )
    GitLabEnvironment(
        "guarded",
        GitLabEnvironmentArgs(
            project="7",
            name="production",
            external_url="https://example.com",
            kubernetes_namespace="prod",
            protection=EnvironmentProtectionArgs(required_approvals=2),
        ),
    )


def ci_variables() -> None:
    CiVariables(
        "vars",
        CiVariablesArgs(
            project="7",
            environment_scope="staging",
            variables=[
                CiVariable(key="PLAIN", value="hello world", protected=False),
                CiVariable(
                    key="FROM_OUTPUT", value=pulumi.Output.from_input("s3cr3t-value-0123"), masked=True, hidden=True
                ),
                CiVariable(key="CONFIG_FILE", value="a: 1\n", variable_type="file"),
            ],
        ),
    )


def ci_variable_unmaskable_output() -> None:
    """A masked variable whose Output value GitLab could not mask: must fail before it is registered."""
    CiVariables(
        "bad",
        CiVariablesArgs(
            project="7",
            environment_scope="*",
            variables=[
                CiVariable(key="GOOD", value="fine-value-123"),
                CiVariable(key="BAD", value=pulumi.Output.from_input("has a space"), masked=True),
            ],
        ),
    )


def registry_access() -> None:
    access = RegistryAccess(
        "pull",
        RegistryAccessArgs(
            project="7",
            namespace="app-test",
            registry="registry.example.com",
            expires_at="2099-01-01",
            app="app",
            instance="app-test",
        ),
    )
    pulumi.export("pull_secret_name", access.pull_secret_name)
    named = RegistryAccess(
        "named",
        RegistryAccessArgs(
            project="7",
            namespace="app-review",
            registry="registry.example.com",
            expires_at="2099-01-01",
            app="app",
            instance="app-review",
            secret_name="other-pull",
        ),
    )
    pulumi.export("named_pull_secret_name", named.pull_secret_name)


def registry_access_credentials() -> None:
    """A pull Secret from credentials given (a registry other than GitLab's): no deploy token."""
    access = RegistryAccess(
        "ghcr",
        RegistryAccessArgs(
            namespace="app-test",
            registry="ghcr.io",
            app="app",
            instance="app-test",
            username="robot",
            password="given-plain-pull-token",  # made secret anyway
        ),
    )
    pulumi.export("pull_secret_name", access.pull_secret_name)


SHOP_IMAGE = "ghcr.io/acme/shop@sha256:" + "ef" * 32
REDIS_IMAGE = "ghcr.io/acme/redis@sha256:" + "12" * 32
REDIS = "shop-redis"
"""The second component's Deployment and Service: fixed names, so that CI's Role grants them by name."""


def second_component() -> None:
    """An app whose image is pulled with a Secret of its own, and a second component in its namespace
    (a Redis of its own) that CI's deployer deploys too: what ContinuousDeployment exposes for it."""
    redis_access = DeployerAccess(deploys={"apps/v1/Deployment": {REDIS}, "v1/Service": {REDIS}})
    shop = ContinuousDeployment(
        "shop",
        ContinuousDeploymentArgs(
            app="shop",
            environment="production",
            environment_url="https://shop.example.com",
            image=SHOP_IMAGE,
            image_pull=ImagePullSpec(secret_name="ghcr-pull"),
            project=GitLabProjectArgs(path="acme/shop"),
            cluster=CLUSTER,
            backend=PulumiBackendArgs(url="s3://acme-state", passphrase=pulumi.Output.secret("a-passphrase-123")),
            extra_deployer_access=redis_access,
        ),
    )
    labels = {"app.kubernetes.io/name": REDIS}
    k8s.apps.v1.Deployment(
        REDIS,
        metadata={"name": REDIS, "namespace": shop.namespace},
        spec={
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    # The app's pull Secret, whichever it is (none for a public image).
                    "imagePullSecrets": [] if shop.pull_secret_name is None else [{"name": shop.pull_secret_name}],
                    "containers": [{"name": "redis", "image": REDIS_IMAGE}],
                },
            },
        },
    )
    pulumi.export("project_id", shop.project_id)
    pulumi.export("namespace", shop.namespace)
    pulumi.export("pull_secret_name", shop.pull_secret_name)
    pulumi.export("deployed_redis", sorted(shop.deployer_access.deploys["apps/v1/Deployment"] or ()))
