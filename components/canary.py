"""A canary track for web: a second Deployment of the new image, ``replicas`` pods behind the same
Service, beside the stable one, until it is promoted or aborted (``pipeline/deploy.py``).

The stack file declares the track (``canary: {replicas: N}``): it sizes the quota and grants CI's
deployer the canary Deployment's name (an admin run's change). CI's deploy-canary run turns the
Deployment on by giving its image (``canaryImage``); promoting (a deploy of that image) and
aborting (a deploy of the stable image) leave it out, and Pulumi deletes it.

The two Deployments tell their pods apart by :data:`TRACK_LABEL`, in their selectors: "Do not
overlap labels or selectors with other controllers (including other Deployments and StatefulSets).
Kubernetes doesn't stop you from overlapping, and if multiple controllers have overlapping selectors
those controllers might conflict and behave unexpectedly" (kubernetes/website
``content/en/docs/concepts/workloads/controllers/deployment.md``, "Creating a Deployment";
docs/contracts.md KA-13). The Service selects neither track, so it routes to both, each pod an
equal share of the traffic.

web's Deployment carries ``track: stable`` whether or not the stack declares a canary, so that
declaring one later never changes its selector, which is immutable (KA-13: a change replaces the
Deployment, PK-9). Adding the label replaced web's Deployment once, when this module came: before
the first release, 0.1.0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from . import validation as v

if TYPE_CHECKING:
    from .app_spec import AppSpec
    from .image_reference import ImageReference

TRACK_LABEL = "gitlab-k8s-cd/track"
"""On web's pods, and in each web Deployment's selector: which track a pod belongs to."""
STABLE = "stable"
CANARY = "canary"


@dataclass(frozen=True, kw_only=True)
class CanarySpec:
    """That this stack has a canary track for ``web``, and how many pods it runs."""

    replicas: int = 1
    """The canary's pods, beside web's. Default 1. The quota must admit them on top of web's
    rollout peak (:meth:`gitlab_k8s_cd.components.AppSpec.peak_usage`)."""

    def __post_init__(self) -> None:
        v.integer("replicas", self.replicas, minimum=1)


def track_labels(track: str) -> dict[str, str]:
    """The label that puts a web pod, and its Deployment's selector, on ``track``."""
    return {TRACK_LABEL: track}


class WithCanary(Protocol):
    """Args that may run a canary: ``WorkloadArgs`` and ``ContinuousDeploymentArgs``."""

    @property
    def canary_image(self) -> str | None: ...
    @property
    def canary_image_reference(self) -> ImageReference: ...
    @property
    def image_reference(self) -> ImageReference: ...
    @property
    def spec(self) -> AppSpec: ...


def check_canary(args: WithCanary, *, same_registry: bool) -> None:
    """The rules of ``args.canary_image``, in this order: the stack declares a canary track (it
    sized the quota and the deployer's Role for it); the image is pinned by digest (what the canary
    ran is what a promotion deploys); with ``same_registry``, it is in the image's registry (its
    pods pull with the image's one pull Secret)."""
    if args.spec.canary is None:
        raise v.InvalidArgument(
            ("canary_image", "spec.canary"),
            (args.canary_image, None),
            "a canary image needs a canary track declared in the stack (canary: {replicas: N}): it sizes the "
            "quota and grants CI's deployer the canary Deployment, which an admin run applies",
        )
    # Parsed only now: without a track, the track is what is wrong, whatever the image.
    image = args.canary_image_reference
    if image.digest is None:
        raise v.InvalidArgument(
            "canary_image", str(image), "must be pinned by digest, <repository>@sha256:<64 hex> (or sha384, sha512)"
        )
    if same_registry and image.registry != args.image_reference.registry:
        raise v.InvalidArgument(
            "canary_image",
            args.canary_image,
            f"must be in the image's registry ({args.image_reference.registry}): the canary's pods pull with the "
            "same pull Secret",
        )
