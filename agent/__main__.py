"""gitlab-k8s-cd's agent bootstrap: one GitLab agent for Kubernetes, for one cluster, which the app
stacks' CI jobs reach the cluster through in agent mode (``clusterAccess: agent``).

An admin runs it, once per cluster and whenever the access list changes: never CI. It needs a
GitLab token with Maintainer on the agent's project (a project only admins can write to) and a
cluster-admin KUBECONFIG. README, "Installing the agent".
"""

import pulumi
import pulumi_gitlab as gitlab

from gitlab_k8s_cd.components.agentk_rbac import AgentkRbac, AgentkRbacArgs
from gitlab_k8s_cd.components.gitlab_agent import GitLabAgent, GitLabAgentArgs, load_registration

# 1. Settings: the agent, its project and who may use it, validated before any resource exists.
registration = load_registration()

# 2. The agent's project, looked up: this program never manages (nor deletes) it.
project = gitlab.get_project_output(path_with_namespace=registration.project)

# 3. In GitLab: the agent's config file, the agent, agentk's token.
agent = GitLabAgent(
    "agent",
    GitLabAgentArgs(
        project_id=project.id,
        default_branch=project.default_branch,
        registration=registration,
        stack=pulumi.get_stack(),
    ),
)

# 4. In the cluster: agentk's namespace, its ServiceAccount and its right to impersonate CI jobs.
agentk = AgentkRbac("agentk", AgentkRbacArgs(namespace=registration.agentk_namespace))

# 5. For the Helm install of agentk, and for the app stacks' `agent` key.
pulumi.export("agent_token", agent.token)
pulumi.export("context", registration.context)
pulumi.export("agentk_namespace", agentk.namespace)
pulumi.export("agentk_service_account", agentk.service_account)
pulumi.export("config_file", agent.config_file)
