"""gitlab-k8s-cd: continuous deployment of one app to one environment (one stack each), or a
merge request's review app (a review stack, ``review-<iid>``)."""

import pulumi
import pulumi_gitlab as gitlab
import pulumi_kubernetes as kubernetes
import pulumi_random as random

from gitlab_k8s_cd.components import ContinuousDeployment, ReviewApp, load_settings

deployment: ContinuousDeployment | ReviewApp

# 1. Settings: every config value is validated here, before any resource exists.
settings = load_settings()

# 2. Providers, created once. The Kubernetes provider reads the ambient KUBECONFIG (admin at
#    bootstrap, the deployer in CI); its stable cluster_identifier means that switching
#    credentials never plans a provider replacement, which would replace every object.
#    enable_secret_mutable: a Secret's data changes in place (GET + PATCH, which CI's deployer may
#    do by name) instead of a delete and re-create, which it may not (components/registry_access.py).
#    In agent mode (clusterAccess: agent) `context` selects the agent's (the provider does not read
#    it from the environment, docs/contracts.md PK-18); an update of the provider, never a replace.
providers: list[pulumi.ProviderResource] = [
    kubernetes.Provider(
        "kubernetes",
        cluster_identifier=settings.cluster_name,
        context=settings.kube_context,
        enable_secret_mutable=True,
    )
]

if settings.review is not None:
    # 3a. A review stack: the merge request's app alone, in the review namespace. It declares
    #     nothing in GitLab, so it needs no GitLab provider (nor token).
    deployment = ReviewApp(settings.review.instance, settings.review, opts=pulumi.ResourceOptions(providers=providers))
else:
    # 3b. An environment: everything, from the GitLab project to the running pods.
    assert settings.deployment is not None
    providers += [gitlab.Provider("gitlab", base_url=settings.gitlab_api_url), random.Provider("random")]
    app = settings.deployment
    environment = ContinuousDeployment(app.app, app, opts=pulumi.ResourceOptions(providers=providers))
    pulumi.export("deployer_kubeconfig", environment.deployer_kubeconfig)
    # The migration Job of the deployed image ("" without a migration; review stacks have none).
    pulumi.export("migration_job", environment.migration_job)
    # The canary's image ("" when none runs), for the promote job; web's deploy trace, which the
    # deploy tool gives back to a deploy-canary or abort run so that web's pods do not change.
    pulumi.export("canary_image", environment.canary_image)
    pulumi.export("trace", environment.trace)
    if environment.review_apps is not None:
        # For running a review stack by hand (`pulumi stack output --show-secrets`).
        pulumi.export("review_pulumi_config_passphrase", environment.review_apps.passphrase)
    deployment = environment

# 4. What consumers read with `pulumi stack output`.
pulumi.export("namespace", deployment.namespace)
pulumi.export("image", deployment.image)
pulumi.export("deployment_name", deployment.deployment_name)  # web's
pulumi.export("deployment_names", deployment.deployment_names)  # every process's, by process
pulumi.export("environment_url", deployment.environment_url)
pulumi.export("deployed_digest", deployment.deployed_digest)  # "what is running?"
pulumi.export("commit", deployment.commit)
