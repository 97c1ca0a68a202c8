"""Pulling the app's image: from the project's GitLab registry with a read-only deploy token, or
from any registry with a pull Secret of your own, with credentials you give, or anonymously.

Which registry is GitLab's is configured, never guessed (docs/contracts.md GL-22): GitLab.com's
is ``registry.gitlab.com``; a self-managed instance's is its own (port 5050 of its domain, or a
domain of its own: what its pipelines see in ``$CI_REGISTRY``). A GitLab deploy token is checked
by GitLab alone, for its own project's images (GL-23): for an image anywhere else it could never
work, so none is made; the image must say how it is pulled (:class:`ImagePullSpec`).

What the kubelet reads (docs/contracts.md KA-11): each ``imagePullSecrets`` entry names a Secret
of the pod's namespace, read at each pull; a ``kubernetes.io/dockerconfigjson`` one holds
``{"auths": {"<host[:port]>": {"username", "password", "auth"}}}`` under ``.dockerconfigjson``,
matched against the image's host and port; ``auth`` (base64 of ``user:password``) is split at its
first ':', so a username holds none. A missing Secret only warns: the pull goes on without it.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pulumi
import pulumi_gitlab as gitlab
import pulumi_kubernetes as k8s

from . import kubernetes_names, names, redaction, secret_detection
from . import validation as v
from .image_reference import ImageReference, registry_host
from .labels import recommended_labels

GITLAB_COM_REGISTRY = "registry.gitlab.com"
"""GitLab.com's container registry (``doc/user/gitlab_com/_index.md``, docs/contracts.md GL-22)."""
PROJECT_REGISTRY_DEPTH = 2
"""Path components an image may add to its project's path in GitLab's registry (GL-23)."""
USERNAME_MAX = 255


def gitlab_registry_for(gitlab_url: str) -> str | None:
    """GitLab's container registry for the instance at ``gitlab_url``, when it is known without
    being told: GitLab.com's. None for a self-managed instance, whose registry is configured by its
    administrator (often ``<host>:5050`` or ``registry.<host>``): a guess could hand a deploy token
    to another registry, so it must be given (``gitlabRegistry``)."""
    return GITLAB_COM_REGISTRY if urlsplit(gitlab_url).hostname == "gitlab.com" else None


def deploy_token_problem(image: ImageReference, *, gitlab_registry: str | None, project_path: str) -> str | None:
    """Why a deploy token of project ``project_path`` could not pull ``image``, or None when it can:
    the image must be in GitLab's registry (``gitlab_registry``) and in the project's own
    repositories, ``<project path>[/<name>[/<name>]]`` (docs/contracts.md GL-22, GL-23)."""
    registry = image.registry or ""
    fix = "set image_pull (public, an existing secret_name, or a username and password)"
    if gitlab_registry is None:
        return (
            f"is pulled from {registry}, and gitlab_registry is not set (a self-managed GitLab's registry is its "
            f"own: its pipelines' $CI_REGISTRY): no GitLab deploy token is made for a registry not known to be "
            f"GitLab's; set gitlab_registry if {registry} is your GitLab's registry, else {fix}"
        )
    if registry.lower() != gitlab_registry.lower():
        return (
            f"is pulled from {registry}, which is not GitLab's registry ({gitlab_registry}): a GitLab deploy token "
            f"could never pull from it; {fix}, or set gitlab_registry if {registry} is your GitLab's registry"
        )
    project = project_path.lower()
    path = image.name.partition("/")[2].lower()
    extra = path[len(project) :].strip("/").split("/") if path.startswith(project + "/") else []
    if path != project and not (extra and len(extra) <= PROJECT_REGISTRY_DEPTH):
        return (
            f"is not in project {project_path}'s registry ({registry}/{project}, with at most "
            f"{PROJECT_REGISTRY_DEPTH} more path components): the project's deploy token can pull only the project's "
            f"own images; {fix}"
        )
    return None


@dataclass(frozen=True, kw_only=True)
class ImagePullSpec:
    """How the cluster pulls an image without the GitLab project's deploy token (config key
    ``imagePull``): exactly one of ``public``, ``secret_name``, or ``username`` with ``password``."""

    public: bool = False
    """The registry serves the image to anyone: no pull Secret at all. Default false. Explicit, so
    that a forgotten pull Secret is a refusal here, not an ImagePullBackOff at the first deploy."""
    secret_name: str | None = None
    """An existing ``kubernetes.io/dockerconfigjson`` Secret in the namespace, which the pods refer
    to by name. The stack does not manage it, and CI's deployer has no access to it (the kubelet
    reads it). Review apps refer to the same name in the review namespace, where you make it too.
    Default: none."""
    username: str | None = None
    """The registry user, with ``password``: the stack makes the pull Secret (``<app>-registry-pull``),
    which CI's deployer may change in place, as a deploy token's. Plain config. Default: none."""
    password: pulumi.Input[str] | None = None
    """The registry password or token, with ``username``; made ``Output.secret``. In stack config
    only as a secret (``pulumi config set --secret --path imagePull.password``). Default: none."""
    share_with_review_apps: bool = False
    """With credentials and review apps: copy them into the review namespace's pull Secret, which
    the pod of every branch's review app can mount (so anyone who can push a branch can read them).
    Default false: review apps with credentials are refused until you say so; give pull-only ones."""

    def __post_init__(self) -> None:
        v.boolean("public", self.public)
        v.boolean("share_with_review_apps", self.share_with_review_apps)
        given = {
            "public": self.public,
            "secret_name": self.secret_name is not None,
            "username": self.username is not None or self.password is not None,
        }
        chosen = [name for name, is_given in given.items() if is_given]
        if len(chosen) != 1:
            values = {"public": self.public, "secret_name": self.secret_name, "username": self.username}
            fields = chosen or list(given)
            raise v.InvalidArgument(
                fields,
                tuple(values[name] for name in fields),
                "exactly one way to pull the image must be given: public (no credentials), secret_name (an existing "
                "Secret), or username and password (a Secret the stack makes)",
            )
        if self.secret_name is not None:
            kubernetes_names.dns1123_subdomain("secret_name", self.secret_name)
        if given["username"]:
            self._check_credentials()
        if self.share_with_review_apps and not given["username"]:
            raise v.InvalidArgument(
                "share_with_review_apps", True, "applies only to a username and password: nothing else is copied"
            )

    def _check_credentials(self) -> None:
        if self.username is None:
            raise v.InvalidArgument("username", None, "is required with a password")
        if self.password is None:
            raise v.InvalidArgument("password", None, "is required with a username")
        name = self.username
        if not isinstance(name, str) or not name or len(name) > USERNAME_MAX or not name.isprintable():
            raise v.InvalidArgument("username", name, f"must be a one-line text of 1 to {USERNAME_MAX} characters")
        kind = secret_detection.looks_like_credential(name)
        if kind:
            raise v.InvalidArgument(
                "username",
                redaction.Redacted(len(name)),
                f"looks like {kind}: a username is not secret (it is kept in plain text); give the token as the "
                "password",
            )
        if ":" in name or name != name.strip():
            # The kubelet splits the dockerconfigjson's auth, base64(user:password), at its first ':' (KA-11).
            raise v.InvalidArgument("username", name, "must have no ':' and no leading or trailing space")
        if isinstance(self.password, str):
            check_password("password", self.password)

    @property
    def credentials(self) -> bool:
        return self.username is not None


def check_password(field: str, value: Any) -> None:
    """A registry password as plain text: never shown, only its length."""
    if not isinstance(value, str):
        raise v.InvalidArgument(field, redaction.Redacted(len(json.dumps(value))), "must be a string")
    if not value or value != value.strip():
        # A trailing newline, say, from `pulumi config set --secret ... < file`: the registry would refuse it.
        raise v.InvalidArgument(
            field, redaction.Redacted(len(value)), "must be non-empty, without leading or trailing space"
        )


@dataclass(frozen=True, kw_only=True)
class RegistryAccessArgs:
    namespace: pulumi.Input[str]
    """The namespace the pull secret is created in."""
    registry: str
    """The registry host, e.g. ``registry.gitlab.com`` (from the image reference): the Secret's ``auths`` key."""
    app: str
    """The app's name, for labels and the pull Secret's default name."""
    instance: str
    """The app instance, for labels and the token's name."""
    project: pulumi.Input[str] | None = None
    """The GitLab project whose registry holds the image: the Secret is made from a deploy token of
    it, expiring on ``expires_at``. Default none: from ``username`` and ``password``."""
    expires_at: str | None = None
    """The deploy token's expiry date (YYYY-MM-DD, after today), with ``project``. Default none."""
    username: str | None = None
    """The registry user, instead of a project's deploy token. Default none."""
    password: pulumi.Input[str] | None = None
    """The registry password or token, with ``username`` (made ``Output.secret``). Default none."""
    secret_name: str | None = None
    """The pull secret's name. Default ``<app>-registry-pull`` (:func:`gitlab_k8s_cd.components.names.pull_secret`),
    the name the deployer's Role may patch."""

    def __post_init__(self) -> None:
        registry_host("registry", self.registry)
        kubernetes_names.dns1123_label("app", self.app)
        if (self.project is None) == (self.username is None):
            raise v.InvalidArgument(
                ("project", "username"),
                (self.project, self.username),
                "exactly one must be given: a GitLab project (its deploy token), or registry credentials",
            )
        if self.project is not None:
            if self.expires_at is None:
                raise v.InvalidArgument("expires_at", None, "is required with a project: the deploy token expires")
            v.future_date("expires_at", self.expires_at)
        else:
            ImagePullSpec(username=self.username, password=self.password)  # the same rules
            if self.expires_at is not None:
                raise v.InvalidArgument("expires_at", self.expires_at, "applies only to a project's deploy token")
        if self.secret_name is not None:
            kubernetes_names.dns1123_subdomain("secret_name", self.secret_name)


class RegistryAccess(pulumi.ComponentResource):
    """Read access to one registry for the cluster: a pull Secret with a fixed name.

    Creates:
    - with a project: a ProjectDeployToken with the ``read_registry`` scope only, and an expiry date;
    - a ``kubernetes.io/dockerconfigjson`` Secret made from it, or from the credentials given.

    The Secret is the same resource whatever its source, so a new token (a new expiry date
    replaces the deploy token), new credentials, or a switch between the two change its data
    under the same name. pulumi-kubernetes updates it in place (GET, then PATCH: what CI's
    deployer may do, by name) only when the Kubernetes provider has ``enable_secret_mutable=True``;
    otherwise it replaces it, deleting it first since the name stays (docs/contracts.md PK-10),
    which needs ``delete`` and ``create`` on Secrets and leaves pods without it in between. The
    kubelet reads the Secret at each pull (KA-11), so running pods need no restart.
    """

    pull_secret_name: pulumi.Output[str]

    def __init__(self, name: str, args: RegistryAccessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("gitlab-k8s-cd:registry_access:RegistryAccess", name, None, opts)
        if args.project is not None:
            token = gitlab.ProjectDeployToken(
                f"{name}-deploy-token",
                project=args.project,
                name=f"{args.instance} image pull",
                scopes=["read_registry"],
                expires_at=args.expires_at,
                opts=pulumi.ResourceOptions(parent=self),
            )
            username: pulumi.Input[str] = token.username
            password: pulumi.Input[str] = token.token
        else:
            assert args.username is not None and args.password is not None
            username, password = args.username, args.password
        docker_config: pulumi.Output[str] = pulumi.Output.secret(
            pulumi.Output.all(username, password).apply(
                lambda parts: docker_config_json(args.registry, username=parts[0], password=parts[1])
            )
        )
        secret = k8s.core.v1.Secret(
            f"{name}-pull-secret",
            metadata={
                "name": args.secret_name or names.pull_secret(args.app),
                "namespace": args.namespace,
                "labels": recommended_labels(args.app, args.instance, "registry-access"),
            },
            type="kubernetes.io/dockerconfigjson",
            string_data={".dockerconfigjson": docker_config},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.pull_secret_name = secret.metadata.name
        self.register_outputs({"pull_secret_name": self.pull_secret_name})


def docker_config_json(registry: str, *, username: str, password: str) -> str:
    """The ``.dockerconfigjson`` that lets a kubelet pull from ``registry`` (docs/contracts.md KA-11):
    one ``auths`` entry, keyed by the image's host[:port], which the kubelet matches exactly."""
    auth = base64.b64encode(f"{username}:{password}".encode()).decode()
    return json.dumps({"auths": {registry: {"username": username, "password": password, "auth": auth}}}, sort_keys=True)
