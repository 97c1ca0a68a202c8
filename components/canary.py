"""A canary track for web: a second Deployment of the new image, ``replicas`` pods behind the same
Service, beside the stable one, until it is promoted or aborted (``pipeline/deploy.py``).

The stack file declares the track (``canary: {replicas: N}``): it sizes the quota and grants CI's
deployer the canary Deployment's name (an admin run's change). CI's deploy-canary run turns the
Deployment on by giving its image (``canaryImage``); promoting (a deploy of that image) and
aborting (a deploy of the stable image) leave it out, and Pulumi deletes it.

The two Deployments tell their pods apart by :data:`TRACK_LABEL`, in their selectors: Kubernetes
warns that Deployments whose selectors overlap fight over each other's pods ("If you have multiple
controllers that have overlapping selectors, the controllers will fight with each other and won't
behave correctly", kubernetes/website ``content/en/docs/concepts/workloads/controllers/deployment.md``,
"Label selector updates"; docs/contracts.md KA-13). The Service selects neither track, so it routes
to both, each pod an equal share.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import validation as v

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
