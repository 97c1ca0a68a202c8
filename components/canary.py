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
