"""orders: a second service, deployed with gitlab-k8s-cd's components from typed Args.

Not the staging example's config keys: a project that reuses the library writes its own program,
with its own config, and builds the Args itself. orders is a Go HTTP API (web, autoscaled,
behind an Ingress with a cert-manager certificate), a queue worker, and a database whose schema
a migration Job brings up to date before each rollout; its database password is a secret of
this stack (``pulumi config set --secret dbPassword``).
"""

import pulumi
import pulumi_gitlab as gitlab
import pulumi_kubernetes as kubernetes
import pulumi_random as random

from gitlab_k8s_cd.components import (
    AppSpec,
    AutoscalingArgs,
    ClusterArgs,
    ContinuousDeployment,
    ContinuousDeploymentArgs,
    ExecProbeArgs,
    GitLabProjectArgs,
    IngressSpec,
    MigrationSpec,
    ProbeArgs,
    ProcessSpec,
    PulumiBackendArgs,
    ResourcesArgs,
)

config = pulumi.Config()

# 1. What the app is: the Args validate themselves here, before any resource exists.
spec = AppSpec(
    container_port=8000,
    readiness=ProbeArgs(path="/ready"),
    liveness=ProbeArgs(path="/live"),
    resources=ResourcesArgs(cpu_request="250m", memory_request="128Mi", cpu_limit="1", memory_limit="256Mi"),
    settings={"ORDERS_QUEUE": "orders", "LOG_FORMAT": "json"},
    # web scales with its CPU use; the quota below admits its maxReplicas at a rollout's peak.
    autoscaling=AutoscalingArgs(min_replicas=3, max_replicas=12, cpu_utilization=70),
    # Before each new image rolls out, its schema migration runs to completion (or the deploy fails
    # with nothing rolled out). It must be safe to run twice.
    migration=MigrationSpec(command=["/orders", "migrate", "up"], budget_seconds=300),
    processes={
        "worker": ProcessSpec(
            command=["/orders", "work", "--queue", "orders"],
            replicas=2,
            resources=ResourcesArgs(cpu_request="100m", memory_request="64Mi", cpu_limit="500m", memory_limit="128Mi"),
            liveness_probe=ExecProbeArgs(command=["/orders", "work", "--check"], period_seconds=20),
        ),
    },
)

args = ContinuousDeploymentArgs(
    app="orders",
    environment="production",
    environment_url="https://orders.example.com",
    image=config.require("image"),
    project=GitLabProjectArgs(path="acme/orders", description="Orders API"),
    # gitlab.com's registry: the stack makes a read-only deploy token of the project to pull with.
    gitlab_registry="registry.gitlab.com",
    cluster=ClusterArgs(
        name="prod-eu-1", server="https://k8s.prod.example.com:6443", ca_data=config.require("clusterCaData")
    ),
    backend=PulumiBackendArgs(
        url="s3://acme-pulumi-state?region=eu-west-1", passphrase=config.require_secret("pulumiConfigPassphrase")
    ),
    deploy_token_expires_at=config.require("deployTokenExpiresAt"),
    spec=spec,
    secrets={"DATABASE_PASSWORD": config.require_secret("dbPassword")},
    ingress=IngressSpec(enabled=True, class_name="nginx", tls_secret="orders-tls", cluster_issuer="letsencrypt"),
    quota={"pods": "40", "requests.cpu": "8", "requests.memory": "8Gi", "limits.cpu": "24", "limits.memory": "16Gi"},
)

# 2. Providers, as the gitlab-k8s-cd program makes them (its __main__.py says why).
providers: list[pulumi.ProviderResource] = [
    kubernetes.Provider("kubernetes", cluster_identifier=args.cluster.name, enable_secret_mutable=True),
    gitlab.Provider("gitlab", base_url="https://gitlab.com/api/v4/"),
    random.Provider("random"),
]

# 3. Everything, from the GitLab project to the running pods.
orders = ContinuousDeployment("orders", args, opts=pulumi.ResourceOptions(providers=providers))

# What the component's deploy job reads (pipeline/deploy.py). Its `--config image=...` is this
# project's `orders:image`, which config.require("image") reads: no input needed.
pulumi.export("namespace", orders.namespace)
pulumi.export("deployment_name", orders.deployment_name)
pulumi.export("deployment_names", orders.deployment_names)
pulumi.export("deployed_digest", orders.deployed_digest)
pulumi.export("deployer_kubeconfig", orders.deployer_kubeconfig)
