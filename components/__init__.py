"""gitlab-k8s-cd's component library: continuous deployment from GitLab CI to Kubernetes."""

# This folder is installed under the name gitlab_k8s_cd.components (pyproject.toml). Imported under
# its folder's name as well, every module would load twice, as two sets of classes; so that name is refused.
if __name__ != "gitlab_k8s_cd.components":
    raise ImportError(
        f"{__name__}: import gitlab_k8s_cd.components, not the folder by its name; in this checkout, "
        "`pip install -e .` (make does) installs it"
    )


from importlib import import_module
from typing import TYPE_CHECKING, Any

# Each public name, and the module it lives in. They are imported on first use (PEP 562): the
# plan command's process imports this package (its modules are submodules) without the Pulumi SDK
# the components import, which costs about half a second.
_HOMES = {
    "CiVariable": "ci_variables",
    "CiVariables": "ci_variables",
    "CiVariablesArgs": "ci_variables",
    "AgentArgs": "cluster_access",
    "ConfigError": "config",
    "Settings": "stack_settings",
    "load_settings": "stack_settings",
    "ContinuousDeployment": "continuous_deployment",
    "ContinuousDeploymentArgs": "continuous_deployment",
    "ClusterArgs": "deployer",
    "Deployer": "deployer",
    "DeployerArgs": "deployer",
    "DRIFT_CHECK_DESCRIPTION": "drift_check",
    "DriftCheck": "drift_check",
    "DriftCheckArgs": "drift_check",
    "DriftCheckSpec": "drift_check",
    "drift_check_description": "drift_check",
    "token_rotation_description": "drift_check",
    "AgentRegistrationArgs": "gitlab_agent",
    "CiAccessArgs": "gitlab_agent",
    "GitLabAgent": "gitlab_agent",
    "GitLabAgentArgs": "gitlab_agent",
    "AgentkRbac": "agentk_rbac",
    "AgentkRbacArgs": "agentk_rbac",
    "EnvironmentProtectionArgs": "gitlab_environment",
    "GitLabEnvironment": "gitlab_environment",
    "GitLabEnvironmentArgs": "gitlab_environment",
    "CI_TAG_REGEX": "gitlab_project",
    "GitLabProject": "gitlab_project",
    "GitLabProjectArgs": "gitlab_project",
    "RELEASE_TAG_REGEX": "gitlab_project",
    "RegistryCleanupArgs": "gitlab_project",
    "IngressArgs": "ingress",
    "IngressSpec": "ingress",
    "MigrationSpec": "migration",
    "LimitRangeArgs": "namespace",
    "Namespace": "namespace",
    "NamespaceArgs": "namespace",
    "AutoscalingArgs": "process",
    "ExecProbeArgs": "process",
    "ProcessSpec": "process",
    "KINDS": "provider_requests",
    "PulumiBackendArgs": "pulumi_backend",
    "DeployerAccess": "rbac",
    "REVIEW_DEPLOYER": "rbac",
    "environment_deployer": "rbac",
    "role_rules": "rbac",
    "ImagePullSpec": "registry_access",
    "RegistryAccess": "registry_access",
    "RegistryAccessArgs": "registry_access",
    "ReviewApp": "review_app",
    "ReviewAppArgs": "review_app",
    "review_stack_name": "review_app",
    "REVIEW_APPS_VARIABLE": "review_apps",
    "ReviewApps": "review_apps",
    "ReviewAppsArgs": "review_apps",
    "ReviewAppsSpec": "review_apps",
    "InvalidArgument": "validation",
    "AppSpec": "app_spec",
    "ProbeArgs": "pod_specs",
    "ResourcesArgs": "pod_specs",
    "RolloutArgs": "pod_specs",
    "Workload": "workload",
    "WorkloadArgs": "workload",
}

if TYPE_CHECKING:  # what a type checker and an IDE read; at run time, __getattr__
    from .agentk_rbac import AgentkRbac, AgentkRbacArgs
    from .app_spec import AppSpec
    from .ci_variables import CiVariable, CiVariables, CiVariablesArgs
    from .cluster_access import AgentArgs
    from .config import ConfigError
    from .continuous_deployment import ContinuousDeployment, ContinuousDeploymentArgs
    from .deployer import ClusterArgs, Deployer, DeployerArgs
    from .drift_check import (
        DRIFT_CHECK_DESCRIPTION,
        DriftCheck,
        DriftCheckArgs,
        DriftCheckSpec,
        drift_check_description,
        token_rotation_description,
    )
    from .gitlab_agent import AgentRegistrationArgs, CiAccessArgs, GitLabAgent, GitLabAgentArgs
    from .gitlab_environment import EnvironmentProtectionArgs, GitLabEnvironment, GitLabEnvironmentArgs
    from .gitlab_project import CI_TAG_REGEX, RELEASE_TAG_REGEX, GitLabProject, GitLabProjectArgs, RegistryCleanupArgs
    from .ingress import IngressArgs, IngressSpec
    from .migration import MigrationSpec
    from .namespace import LimitRangeArgs, Namespace, NamespaceArgs
    from .pod_specs import ProbeArgs, ResourcesArgs, RolloutArgs
    from .process import AutoscalingArgs, ExecProbeArgs, ProcessSpec
    from .provider_requests import KINDS
    from .pulumi_backend import PulumiBackendArgs
    from .rbac import REVIEW_DEPLOYER, DeployerAccess, environment_deployer, role_rules
    from .registry_access import ImagePullSpec, RegistryAccess, RegistryAccessArgs
    from .review_app import ReviewApp, ReviewAppArgs, review_stack_name
    from .review_apps import REVIEW_APPS_VARIABLE, ReviewApps, ReviewAppsArgs, ReviewAppsSpec
    from .stack_settings import Settings, load_settings
    from .validation import InvalidArgument
    from .workload import Workload, WorkloadArgs

__all__ = [
    "CI_TAG_REGEX",
    "DRIFT_CHECK_DESCRIPTION",
    "KINDS",
    "RELEASE_TAG_REGEX",
    "REVIEW_APPS_VARIABLE",
    "REVIEW_DEPLOYER",
    "AgentArgs",
    "AgentRegistrationArgs",
    "AgentkRbac",
    "AgentkRbacArgs",
    "AppSpec",
    "AutoscalingArgs",
    "CiAccessArgs",
    "CiVariable",
    "CiVariables",
    "CiVariablesArgs",
    "ClusterArgs",
    "ConfigError",
    "ContinuousDeployment",
    "ContinuousDeploymentArgs",
    "Deployer",
    "DeployerAccess",
    "DeployerArgs",
    "DriftCheck",
    "DriftCheckArgs",
    "DriftCheckSpec",
    "EnvironmentProtectionArgs",
    "ExecProbeArgs",
    "GitLabAgent",
    "GitLabAgentArgs",
    "GitLabEnvironment",
    "GitLabEnvironmentArgs",
    "GitLabProject",
    "GitLabProjectArgs",
    "ImagePullSpec",
    "IngressArgs",
    "IngressSpec",
    "InvalidArgument",
    "LimitRangeArgs",
    "MigrationSpec",
    "Namespace",
    "NamespaceArgs",
    "ProbeArgs",
    "ProcessSpec",
    "PulumiBackendArgs",
    "RegistryAccess",
    "RegistryAccessArgs",
    "RegistryCleanupArgs",
    "ResourcesArgs",
    "ReviewApp",
    "ReviewAppArgs",
    "ReviewApps",
    "ReviewAppsArgs",
    "ReviewAppsSpec",
    "RolloutArgs",
    "Settings",
    "Workload",
    "WorkloadArgs",
    "drift_check_description",
    "environment_deployer",
    "load_settings",
    "review_stack_name",
    "role_rules",
    "token_rotation_description",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{home}", __name__), name)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
