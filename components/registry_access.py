"""Pulling the app's image: a read-only GitLab deploy token, as a Kubernetes pull secret."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

import pulumi
import pulumi_gitlab as gitlab
import pulumi_kubernetes as k8s

from . import names
from . import validation as v
from .labels import recommended_labels


@dataclass(frozen=True, kw_only=True)
class RegistryAccessArgs:
    project: pulumi.Input[str]
    """The GitLab project whose registry holds the image."""
    namespace: pulumi.Input[str]
    """The namespace the pull secret is created in."""
    registry: str
    """The registry host, e.g. ``registry.gitlab.com`` (from the image reference)."""
    expires_at: str
    """The deploy token's expiry date (YYYY-MM-DD, after today)."""
    app: str
    """The app's name, for labels and the pull Secret's default name."""
    instance: str
    """The app instance, for labels and the token's name."""
    secret_name: str | None = None
    """The pull secret's name. Default: autonamed, so that a new token gets a new Secret and the
    Deployment rolls onto it. Set it where other stacks refer to the Secret by name (the shared
    review namespace)."""

    def __post_init__(self) -> None:
        v.dns1123_subdomain("registry", self.registry.split(":")[0].lower())
        v.future_date("expires_at", self.expires_at)
        v.dns1123_label("app", self.app)
        if self.secret_name is not None:
            v.dns1123_subdomain("secret_name", self.secret_name)


class RegistryAccess(pulumi.ComponentResource):
    """Read access to the project's registry for the cluster.

    Creates:
    - a ProjectDeployToken with the ``read_registry`` scope only, and an expiry date;
    - a ``kubernetes.io/dockerconfigjson`` Secret made from it, with a fixed name.

    A new token (a new expiry date replaces the deploy token) changes the Secret's data under the
    same name. pulumi-kubernetes updates it in place (GET, then PATCH: what CI's deployer may do,
    by name) only when the Kubernetes provider has ``enable_secret_mutable=True``; otherwise it
    replaces it, deleting it first since the name stays (docs/contracts.md PK-10), which needs
    ``delete`` and ``create`` on Secrets and leaves pods without it in between. The kubelet reads
    the Secret at each pull, so running pods need no restart.
    """

    pull_secret_name: pulumi.Output[str]

    def __init__(self, name: str, args: RegistryAccessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("gitlab-k8s-cd:registry_access:RegistryAccess", name, None, opts)
        token = gitlab.ProjectDeployToken(
            f"{name}-deploy-token",
            project=args.project,
            name=f"{args.instance} image pull",
            scopes=["read_registry"],
            expires_at=args.expires_at,
            opts=pulumi.ResourceOptions(parent=self),
        )
        docker_config = pulumi.Output.secret(
            pulumi.Output.all(token.username, token.token).apply(
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
    """The ``.dockerconfigjson`` that lets a kubelet pull from ``registry``."""
    auth = base64.b64encode(f"{username}:{password}".encode()).decode()
    return json.dumps({"auths": {registry: {"username": username, "password": password, "auth": auth}}}, sort_keys=True)
