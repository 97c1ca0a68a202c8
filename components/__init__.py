"""gitlab-k8s-cd's component library: continuous deployment from GitLab CI to Kubernetes."""

# This folder is installed under the name gitlab_k8s_cd.components (pyproject.toml). Imported under
# its folder's name as well, every module would load twice, as two sets of classes; so that name is refused.
if __name__ != "gitlab_k8s_cd.components":
    raise ImportError(
        f"{__name__}: import gitlab_k8s_cd.components, not the folder by its name; in this checkout, "
        "`pip install -e .` (make does) installs it"
    )


from .app_spec import AppSpec
from .ci_variables import CiVariable, CiVariables, CiVariablesArgs
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
from .gitlab_environment import EnvironmentProtectionArgs, GitLabEnvironment, GitLabEnvironmentArgs
from .gitlab_project import CI_TAG_REGEX, RELEASE_TAG_REGEX, GitLabProject, GitLabProjectArgs, RegistryCleanupArgs
from .ingress import IngressArgs, IngressSpec
from .migration import MigrationSpec
from .namespace import LimitRangeArgs, Namespace, NamespaceArgs
from .pod_specs import ProbeArgs, ResourcesArgs, RolloutArgs
from .process import AutoscalingArgs, ExecProbeArgs, ProcessSpec
from .pulumi_backend import PulumiBackendArgs
from .rbac import KINDS, REVIEW_DEPLOYER, DeployerAccess, environment_deployer, role_rules
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
    "AppSpec",
    "AutoscalingArgs",
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
