"""The pre-deploy migration: a Job that runs the app's image with a command of its own, run and
awaited before any process rolls out a new image.

How it runs, and why (docs/contracts.md PK-12 to PK-14, PC-11, KA-9, KA-10):

- **One Job per image.** A Job's pod template is immutable, so the Job is named after the image
  (:func:`gitlab_k8s_cd.components.names.migration_job`): a new image gets a new Job, the same image keeps its own.
- **Before the rollout.** Every process's Deployment ``depends_on`` the Job. The SDK registers a
  resource only once its dependencies' registrations have answered, and the engine answers one
  only once its step is done: no Deployment changes before the Job has completed, and none if it
  fails. The deploy then fails with no rollout.
- **Failing fast.** pulumi-kubernetes' Job awaiter fails at once on a ``Failed`` condition whose
  reason is ``BackoffLimitExceeded`` or ``DeadlineExceeded``, and otherwise waits out its timeout.
  So the Job's own deadline (``activeDeadlineSeconds``, the budget) fires first, and Pulumi waits
  :data:`FAILURE_GRACE_SECONDS` longer (``pulumi.com/timeoutSeconds``), the time Kubernetes takes
  to stop the pod before it marks the Job Failed. A failed pod is retried only as ``backoff_limit``
  says. Its log reaches the job's output through the deploy tool alone, which masks the secret
  settings in it: the container's termination message stays the default (``File``), since
  pulumi-kubernetes' awaiter prints it unfiltered into the CI log.
- **Any change replaces it, deleting it first** (``replace_on_changes=["*"]``,
  ``delete_before_replace``):
  - an in-place update GETs the Job first, and fails once the TTL controller has deleted it; a
    delete of a missing Job succeeds;
  - a Job whose last run failed is replaced on the next ``pulumi up``, so redeploying the same
    image runs its migration again;
  - the previous image's Job is never left pending deletion. Creating that name again later (a
    rollback, or redeploying that image) would then fail with AlreadyExists, as it would after a
    failed create-before-delete replacement.
- **Cleaned up** by ``ttlSecondsAfterFinished``. The stack's state still holds the deleted Job, so
  the nightly drift check keeps the Job out of its refresh and its verdict (``--exclude``
  :data:`JOB_URN_GLOB`). The deploy tool's rollback leaves it alone the same way: the applied
  migration stays, and the previous image's migration does not run again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_kubernetes as k8s

from . import container_inputs
from . import validation as v
from .process import NO_PROBE_REASON_ANNOTATION, checkov_skips

if TYPE_CHECKING:  # app_spec.py builds on this module
    from .pod_specs import ResourcesArgs

COMPONENT = "migrate"
"""The Job's ``app.kubernetes.io/component`` label and its container's name. No process may be
called so (:data:`gitlab_k8s_cd.components.process.RESERVED_PROCESS_NAMES`), so no process's Deployment, Service
or PodDisruptionBudget ever selects the migration's pod."""
RESOURCE_SUFFIX = "migration"
"""The Job's logical name is ``<workload name>-migration``, fixed whatever the image, so that its
URN matches :data:`JOB_URN_GLOB`."""
JOB_URN_GLOB = "**kubernetes:batch/v1:Job::*-migration"
"""Every migration Job of a stack, as ``pulumi preview --exclude`` and ``pulumi up --exclude`` read a
glob: ``*`` is any text without ':', ``**`` any text (docs/contracts.md PC-11). No stack here
declares another Job. The drift check (templates/continuous-deployment.yml) and the deploy tool's
rollback (pipeline/deploy.py) exclude it."""
FAILURE_GRACE_SECONDS = 60
"""How much longer Pulumi waits than the Job's deadline. Kubernetes marks the Job Failed
(DeadlineExceeded) only once its pod has stopped, which takes up to the pod's 30-second grace
period. The rest is slack for the Job controller (docs/contracts.md KA-9)."""
TTL_MIN_SECONDS = 600
"""The shortest ``ttl_seconds_after_finished``: the deploy tool reads a failed Job's pods and their
logs after ``pulumi up`` has returned, and the TTL controller's delete takes the pods with it."""
NO_PROBE_REASON = (
    "a migration runs to completion, bounded by its Job's activeDeadlineSeconds; nothing routes traffic to it"
)


@dataclass(frozen=True, kw_only=True)
class MigrationSpec:
    """The migration Job: the app's image, settings, secrets and ServiceAccount, with a command of
    its own, run to completion before any process rolls out a new image.

    A failed migration fails the deploy, and nothing rolls out. A migration must be safe to run
    again: its Job runs again whenever its pod spec changes (a new image, new settings, another
    command), and when a failed one is deployed again."""

    command: Sequence[str] = ()
    """The command, replacing the image's ENTRYPOINT (e.g. ``["python", "-m", "app.migrate"]``).
    Default: the image's. ``command`` or ``args`` is required."""
    args: Sequence[str] = ()
    """The arguments, replacing the image's CMD. Default: the image's."""
    budget_seconds: int = 600
    """How long the migration may run, in seconds. Default 600, at most an hour
    (:data:`gitlab_k8s_cd.components.validation.WAIT_MAX_SECONDS`). It is the Job's ``activeDeadlineSeconds``;
    Pulumi waits :data:`FAILURE_GRACE_SECONDS` longer. A deploy waits for the migration and then
    for the rollout, and both together must fit in an hour."""
    backoff_limit: int = 0
    """Failed pods retried before the Job fails. Default 0: a failed migration is not retried blindly
    (Kubernetes' own default is 6)."""
    ttl_seconds_after_finished: int = 86400
    """How long a finished Job (and its pods and logs) stays before Kubernetes deletes it. Default
    86400 (a day), at least :data:`TTL_MIN_SECONDS`."""
    resources: ResourcesArgs | None = None
    """Requests and limits of the Job's pod (:class:`components.ResourcesArgs`). Default: the app's
    (web's)."""

    def __post_init__(self) -> None:
        container_inputs.own_command(
            self.command,
            self.args,
            "the migration runs a command of its own from the app's image (the image's own command is web's)",
        )
        v.integer("budget_seconds", self.budget_seconds, minimum=1, maximum=v.WAIT_MAX_SECONDS)
        v.integer("backoff_limit", self.backoff_limit, minimum=0)
        v.integer("ttl_seconds_after_finished", self.ttl_seconds_after_finished, minimum=TTL_MIN_SECONDS)

    @property
    def await_seconds(self) -> int:
        """How long Pulumi waits for the Job: its deadline plus :data:`FAILURE_GRACE_SECONDS`."""
        return self.budget_seconds + FAILURE_GRACE_SECONDS

    def container(self) -> dict[str, object]:
        """The container's own fields; the app's pod spec adds the image, settings, secrets,
        resources and security context."""
        # Not FallbackToLogsOnError: the awaiter would print the log's tail, secrets included,
        # into the CI log; the deploy tool prints it with the secret settings masked.
        container: dict[str, object] = {"name": COMPONENT}
        if self.command:
            container["command"] = list(self.command)
        if self.args:
            container["args"] = list(self.args)
        return container


def migration_job(
    resource_name: str,
    *,
    spec: MigrationSpec,
    name: str,
    namespace: pulumi.Input[str],
    labels: Mapping[str, str],
    pod_spec: Mapping[str, Any],
    checkov: Mapping[str, str],
    opts: pulumi.ResourceOptions,
) -> k8s.batch.v1.Job:
    """The Job ``name`` running ``pod_spec`` once, with ``labels`` on it and its pod. ``checkov``:
    checkov's checks the Job skips, with why."""
    return k8s.batch.v1.Job(
        resource_name,
        metadata={
            "name": name,
            "namespace": namespace,
            "labels": dict(labels),
            "annotations": {
                # The policy pack's probe rule reads this: a Job has no use for probes.
                NO_PROBE_REASON_ANNOTATION: NO_PROBE_REASON,
                **checkov_skips(checkov),
                "pulumi.com/timeoutSeconds": str(spec.await_seconds),
            },
        },
        spec={
            "backoffLimit": spec.backoff_limit,
            "activeDeadlineSeconds": spec.budget_seconds,
            "ttlSecondsAfterFinished": spec.ttl_seconds_after_finished,
            # No selector: Kubernetes generates one on the Job's own uid.
            "template": {"metadata": {"labels": dict(labels)}, "spec": {**pod_spec, "restartPolicy": "Never"}},
        },
        opts=pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(replace_on_changes=["*"], delete_before_replace=True)
        ),
    )
