"""This program's config keys: one table, :data:`KEYS`, one row a key.

A row says what the key is (scalar, object, mapping of the user's names, or secret), the Args
field it binds to (``binds`` for an environment's stack, ``review_binds`` for a review stack's),
how a review stack treats it, and where its value ends up. Everything else derives from the
table: the sets of keys below, the binding (:mod:`.stack_settings`) and the review stack's config
(:mod:`.review_config`). Adding a key is adding a row (and, if it needs reading of its own, a
reader in ``stack_settings.READERS``).

The rows' order is the order values are read in: within one Args (``spec.*``, ``project.*``,
...) it decides which of two bad values is named first, and the copied keys keep it in a review
stack's file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .canary import CanarySpec
from .cluster_access import AgentArgs
from .drift_check import DriftCheckSpec
from .gitlab_environment import EnvironmentProtectionArgs
from .gitlab_project import RegistryCleanupArgs
from .ingress import IngressSpec
from .migration import MigrationSpec
from .namespace import LimitRangeArgs
from .pod_specs import ProbeArgs, ResourcesArgs, RolloutArgs
from .process import AutoscalingArgs, ExecProbeArgs, ProcessSpec
from .registry_access import ImagePullSpec
from .review_apps import ReviewAppsSpec

Kind = Literal["scalar", "object", "mapping", "secret"]
InReview = Literal["copy", "set", "ci", "filter"]

PLAIN = "the plan, the stack's state and the resources it configures"
"""Where a key's value ends up unless its row says otherwise, for the refusal of a secret sent there."""
NOT_IN_REVIEW = (
    "is not used by a review stack (its config has mergeRequestIid); derive the review config "
    "from the base stack with `python -m gitlab_k8s_cd.pipeline.review config`"
)
NO_CANARY = "review apps have no canary track: a review app runs its branch's image alone"


@dataclass(frozen=True, kw_only=True)
class Key:
    """One config key of this program (its short name, in the namespace the program reads)."""

    name: str
    kind: Kind = "scalar"
    """``scalar``: text (a number or a boolean from the CLI is text too); ``object``: members that
    are ``args``' fields in camelCase; ``mapping``: members named by the user; ``secret``: set
    with ``--secret`` only, or given in the environment variable ``env``."""
    args: type | None = None
    """An object's Args."""
    defaults: Mapping[str, Any] = field(default_factory=dict)
    """An object's members it starts from, so that setting one member keeps the others' defaults."""
    binds: str | None = None
    """The ContinuousDeploymentArgs field it binds to, a path (``spec.replicas``); None: none."""
    review_binds: str | None = None
    """The ReviewAppArgs field it binds to in a review stack; None: none."""
    in_review: InReview | None = None
    """How derive_review_config treats it: ``copy`` from the base stack, ``set`` anew, ``ci``:
    passed by CI with each deploy, ``filter``: copied with only ``review_members``. None: a
    review stack refuses it (``refused_in_review`` says why)."""
    review_members: tuple[str, ...] = ()
    refused_in_review: str = NOT_IN_REVIEW
    empty_is_unset: bool = False
    """An empty value is no value: a CI variable a local run leaves empty (``-c jobUrl=$CI_JOB_URL``)."""
    env: str | None = None
    """A secret's environment variable, read when the key is not set."""
    destination: str = PLAIN
    """Where its value ends up, for the refusal of a secret sent there."""
    pointer: str | None = None
    """What to do instead of setting it with ``--secret``; None: set it without (config_checks)."""

    def __post_init__(self) -> None:
        # The table's own consistency: a row that contradicts itself is a bug of this module.
        if (self.kind == "object") != (self.args is not None):
            raise ValueError(f"{self.name}: args is for, and required by, an object key (got {self.args!r})")
        if (self.in_review == "filter") != bool(self.review_members):
            raise ValueError(f"{self.name}: review_members is for, and required by, a filtered key")
        if (self.kind == "secret") != (self.env is not None):
            raise ValueError(f"{self.name}: env is for, and required by, a secret key (got {self.env!r})")
        if self.defaults and self.kind != "object":
            raise ValueError(f"{self.name}: defaults are an object's (got {self.defaults!r})")


def spec(name: str, member: str, **rest: Any) -> Key:
    """A key of the app's spec (AppSpec ``member``), which both kinds of stack bind."""
    return Key(name=name, binds=f"spec.{member}", review_binds=f"spec.{member}", **rest)


KEYS: tuple[Key, ...] = (
    Key(name="app", binds="app", review_binds="app", in_review="copy", destination="object names and labels"),
    Key(name="environment", binds="environment", review_binds="environment", in_review="set"),
    Key(
        name="environmentUrl",
        binds="environment_url",
        review_binds="environment_url",
        in_review="set",
        destination="the GitLab environment and a stack output",
    ),
    Key(name="environmentTier", binds="environment_tier"),
    Key(
        name="namespace",
        binds="namespace",
        review_binds="namespace",
        in_review="set",
        destination="object names, labels and the CI variable KUBE_NAMESPACE, which is not masked",
    ),
    Key(name="mergeRequestIid", review_binds="merge_request_iid", in_review="set"),
    Key(
        name="image",
        binds="image",
        review_binds="image",
        in_review="copy",
        destination="the Deployment and a stack output",
    ),
    spec("replicas", "replicas", in_review="set"),
    spec("containerPort", "container_port", in_review="copy"),
    spec("servicePort", "service_port", in_review="copy"),
    spec("runAsUser", "run_as_user", in_review="copy"),
    spec(
        "settings",
        "settings",
        kind="mapping",
        in_review="copy",
        destination="a ConfigMap the app reads",
        pointer="set the app's secrets with `pulumi config set --secret --path secrets.<NAME> <value>`: they go "
        "to a Kubernetes Secret",
    ),
    spec("rollout", "rollout", kind="object", args=RolloutArgs, in_review="copy"),
    spec("readinessProbe", "readiness", kind="object", args=ProbeArgs, defaults={"path": "/readyz"}, in_review="copy"),
    spec("livenessProbe", "liveness", kind="object", args=ProbeArgs, defaults={"path": "/healthz"}, in_review="copy"),
    spec("startupProbe", "startup", kind="object", args=ProbeArgs, in_review="copy"),
    spec("resources", "resources", kind="object", args=ResourcesArgs, in_review="copy"),
    spec("autoscaling", "autoscaling", kind="object", args=AutoscalingArgs),
    # Read by stack_settings' own gitlab_url (Settings.gitlab_url), bound to no Args field.
    Key(name="gitlabUrl", in_review="copy"),
    # Set by CI's deploy-canary run only (pipeline/deploy.py --canary-image), never in the stack file.
    # Empty is none: the deploy tool's promote, abort and rollback runs give it empty, so that a
    # value an earlier `up --config` saved in the local stack file (docs/contracts.md PC-12) is not
    # used again.
    Key(
        name="canaryImage",
        binds="canary_image",
        empty_is_unset=True,
        refused_in_review=NO_CANARY,
        destination="the canary Deployment and a stack output",
    ),
    Key(name="canaryCommitSha", binds="canary_commit_sha", empty_is_unset=True, refused_in_review=NO_CANARY),
    Key(name="canaryPipelineUrl", binds="canary_pipeline_url", empty_is_unset=True, refused_in_review=NO_CANARY),
    Key(name="canaryJobUrl", binds="canary_job_url", empty_is_unset=True, refused_in_review=NO_CANARY),
    Key(name="deployTokenExpiresAt", binds="deploy_token_expires_at"),
    Key(name="gitlabRegistry", binds="gitlab_registry", in_review="copy"),
    Key(name="gitlabProject", binds="project.path", review_binds="project_path", in_review="copy"),
    Key(name="manageProject", binds="project.manage"),
    Key(name="projectDescription", binds="project.description", destination="the GitLab project's settings"),
    Key(name="projectVisibility", binds="project.visibility"),
    Key(name="registryCleanup", kind="object", args=RegistryCleanupArgs, binds="project.cleanup"),
    Key(name="clusterName", binds="cluster.name", review_binds="cluster_name", in_review="copy"),
    Key(name="clusterServer", binds="cluster.server"),
    Key(name="clusterCaData", binds="cluster.ca_data"),
    # How CI reaches the cluster (components/cluster_access.py); a review stack's provider selects
    # the same agent's context.
    Key(
        name="clusterAccess",
        binds="cluster_access",
        review_binds="cluster_access",
        in_review="copy",
        destination="the Kubernetes provider's config",
    ),
    Key(
        name="agent",
        kind="object",
        args=AgentArgs,
        binds="agent",
        review_binds="agent",
        in_review="copy",
        destination="the Kubernetes provider's context",
    ),
    Key(
        name="pulumiBackendUrl",
        binds="backend.url",
        destination="the CI variable PULUMI_BACKEND_URL, which is not masked",
        pointer="keep credentials out of the URL; give the backend's credentials to the runner as masked "
        "CI variables (e.g. AWS_ACCESS_KEY_ID)",
    ),
    Key(name="pulumiConfigPassphrase", kind="secret", env="PULUMI_CONFIG_PASSPHRASE", binds="backend.passphrase"),
    Key(name="pulumiAccessToken", kind="secret", env="PULUMI_ACCESS_TOKEN", binds="backend.access_token"),
    # Its password is a secret (stack_settings' image_pull); a review stack takes how the base
    # stack's pods pull, without its credentials: it pulls with the review namespace's pull Secret,
    # which the base stack made from them.
    Key(
        name="imagePull",
        kind="object",
        args=ImagePullSpec,
        binds="image_pull",
        review_binds="image_pull",
        in_review="filter",
        review_members=("public", "secretName"),
        destination="the stack file, where only imagePull.password is encrypted",
        pointer="a registry password or token is imagePull.password, set with `pulumi config set --secret --path "
        "imagePull.password <value>`",
    ),
    Key(name="hiddenVariables", binds="hidden_variables"),
    # The deploying commit, pipeline and job: CI passes them; a local run leaves them empty.
    Key(name="commitSha", binds="commit_sha", review_binds="commit_sha", in_review="ci", empty_is_unset=True),
    Key(name="pipelineUrl", binds="pipeline_url", review_binds="pipeline_url", in_review="ci", empty_is_unset=True),
    Key(name="jobUrl", binds="job_url", review_binds="job_url", in_review="ci", empty_is_unset=True),
    Key(name="quota", kind="mapping", binds="quota"),
    Key(name="limitRange", kind="object", args=LimitRangeArgs, binds="limit_range"),
    Key(name="protection", kind="object", args=EnvironmentProtectionArgs, binds="protection"),
    Key(name="driftCheck", kind="object", args=DriftCheckSpec, binds="drift_check"),
    Key(
        name="reviewApps",
        kind="object",
        args=ReviewAppsSpec,
        binds="review_apps",
        review_binds="review_apps",
        in_review="copy",
    ),
    spec("processes", "processes", kind="mapping", in_review="copy", destination="the Deployments' pod specs"),
    spec(
        "migration",
        "migration",
        kind="object",
        args=MigrationSpec,
        destination="the migration Job's pod spec",
        refused_in_review="review apps never run the migration: a branch's migration would change the database "
        "the base environment's settings name, before anyone reviewed it",
    ),
    spec("canary", "canary", kind="object", args=CanarySpec, refused_in_review=NO_CANARY),
    Key(name="ingress", kind="object", args=IngressSpec, binds="ingress"),
    Key(name="secrets", kind="mapping", binds="secrets"),
)
BY_NAME: Mapping[str, Key] = {key.name: key for key in KEYS}

KNOWN_KEYS = frozenset(BY_NAME)
SCALAR_KEYS = tuple(key.name for key in KEYS if key.kind == "scalar")
OBJECT_KEYS: Mapping[str, type] = {key.name: key.args for key in KEYS if key.args is not None}
"""Each object-valued key and the Args it becomes; members are the Args' fields in camelCase."""
MAPPING_KEYS = tuple(key.name for key in KEYS if key.kind == "mapping")
SECRET_KEYS: Mapping[str, str] = {key.name: key.env for key in KEYS if key.env is not None}
"""Each secret key and the environment variable it may come from instead."""
IMAGE_PULL_SECRET = "password"
"""The one member of ``imagePull`` that is a secret."""

# Members that are objects themselves, by the Args they belong to.
NESTED_ARGS: Mapping[type, Mapping[str, type]] = {
    ProcessSpec: {
        "resources": ResourcesArgs,
        "rollout": RolloutArgs,
        "liveness_probe": ExecProbeArgs,
        "readiness_probe": ExecProbeArgs,
        "autoscaling": AutoscalingArgs,
    },
    MigrationSpec: {"resources": ResourcesArgs},
}
# Members that were taken once and are refused now, with why and what to do instead.
REMOVED_MEMBERS: Mapping[str, str] = {
    "reviewApps.tlsSecret": "is no longer taken: a TLS Secret in the review namespace can be mounted, and printed, by "
    "the pod of any branch's review app (RBAC cannot stop it). Give the ingress controller a default certificate "
    "for *.<domain> in its own namespace (ingress-nginx: --default-ssl-certificate): review Ingresses use it",
}
