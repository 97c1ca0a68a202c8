"""gitlab-k8s-cd: continuous deployment of one app to one environment (one stack each)."""

import pulumi
import pulumi_gitlab as gitlab
import pulumi_kubernetes as kubernetes

from components import ContinuousDeployment, load_settings

# 1. Settings: every config value is validated here, before any resource exists.
settings = load_settings()
app = settings.deployment

# 2. Providers, created once. The Kubernetes provider reads the ambient KUBECONFIG (admin at
#    bootstrap, the deployer in CI); its stable cluster_identifier means that switching
#    credentials never plans a provider replacement, which would replace every object.
providers = [
    kubernetes.Provider("kubernetes", cluster_identifier=app.cluster.name),
    gitlab.Provider("gitlab", base_url=settings.gitlab_api_url),
]

# 3. Everything, from the GitLab project to the running pods.
deployment = ContinuousDeployment(app.app, app, opts=pulumi.ResourceOptions(providers=providers))

# 4. What consumers read with `pulumi stack output`.
pulumi.export("namespace", deployment.namespace)
pulumi.export("image", deployment.image)
pulumi.export("deployment_name", deployment.deployment_name)
pulumi.export("environment_url", deployment.environment_url)
pulumi.export("deployer_kubeconfig", deployment.deployer_kubeconfig)
pulumi.export("deployed_digest", deployment.deployed_digest)  # "what is running?"
pulumi.export("commit", deployment.commit)
