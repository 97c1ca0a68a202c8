"""Deploy one image by digest with ``pulumi up``; if the rollout fails, explain it and roll back.

    python -m gitlab_k8s_cd.pipeline.deploy --stack staging --image registry.example.com/acme/hello@sha256:... \\
        [--image-key image] [--config commitSha=... ...]

Config keys without a namespace (``image``, ``commitSha``) are the project's: the Pulumi CLI gives
them the name in Pulumi.yaml, where ``pulumi config set`` writes and ``load_settings()`` reads
(docs/contracts.md PC-13). A program that reads another namespace is given its image key with it
(``--image-key orders:image``); the other bare ``--config`` keys then go to that namespace too.

1. Reads the running digest from the stack (``pulumi stack output deployed_digest``): the last good one.
2. Runs ``pulumi up --yes`` with the new image (and any other ``--config``).
3. If that fails, and the image's migration Job (``<Deployment>-migrate-<digest's first 12 hex>``,
   :func:`gitlab_k8s_cd.components.names.migration_job`) is there and did not complete, the migration failed:
   - prints the Job's conditions, and its pods' events and last log lines;
   - rolls nothing back: every Deployment waits for the Job, so none changed;
   - exits 1 with one line: ``migration of <digest> failed: <reason>; no rollout happened: ...``.
4. Otherwise a rollout failed:
   - prints what a person needs, for each process whose rollout failed (every Deployment of the
     release: the stack's ``deployment_names``): the Deployment's conditions, the events of the new
     ReplicaSet's pods, and the last log lines of a crashing container, read with the deployer's
     own credentials (``$KUBECONFIG``; in agent mode through the agent's context, as the stack's
     provider: :func:`kube_context`) through the Kubernetes Python client;
   - runs ``pulumi up`` once more with the last good digest (the rollback), never more: one
     digest for every process, so they all roll back together. The rollback leaves the migration
     Job alone (``--exclude``): a migration that ran stays applied, and the previous image's
     migration does not run again;
   - exits non-zero with one line: ``rollout of <digest> failed: <reason>; rolled back to <digest>``.

A stack that declares a canary track (``canary: {replicas: N}``, :mod:`gitlab_k8s_cd.components.canary`)
has three more modes; the image key (``--image-key``) names the namespace of every key the tool sets
(``gitlab-k8s-cd:canaryImage``...):

    python -m gitlab_k8s_cd.pipeline.deploy --stack production --canary-image REPO@sha256:... [--config ...]
    python -m gitlab_k8s_cd.pipeline.deploy --stack production --promote REPO@sha256:... [--config ...]
    python -m gitlab_k8s_cd.pipeline.deploy --stack production --abort-canary [--config ...]

- ``--canary-image``, deploy-canary: ``pulumi up`` with the image web runs now (the stack's ``image``
  output) and ``canaryImage`` the new one, so that web's Deployment does not change and the canary's
  Deployment (``<web>-canary``) runs the new image beside it. The trace ``--config`` values given
  (``commitSha``, ``pipelineUrl``, ``jobUrl``) are the canary's: they go to ``canaryCommitSha``...,
  and web's own (the stack's ``trace`` output) are given back, or web's pods would roll for an
  annotation. If the canary's rollout fails: its diagnosis (as for web's), then ``pulumi up``
  without the canary (the rollback), exit 1; 2 if that fails too.
- ``--image`` on a stack whose canary runs (its ``canary_image`` output) is a promotion when it is
  the canary's image: web rolls out to it, and the canary's Deployment is deleted in the same ``up``
  (Pulumi deletes it after every update, so its pods serve until web's rollout is done); any other
  image is deployed the same way, and the canary removed.
- ``--promote``, the promote job: ``--image`` of that image only if it is the canary running now
  (the stack's ``canary_image``). Anything else changes nothing and exits 3: after an abort (no
  canary), or when another pipeline's canary replaced it, promoting would roll every pod to an
  image no canary vouches for.
- ``--abort-canary``: ``pulumi up`` with web's image and trace as they are and no canary: its
  Deployment is deleted, web's untouched (trace values given are dropped: they would roll web).

Every ``up`` without a canary sets the canary's keys empty (``canaryImage=``...): a value the same
checkout's earlier ``up --config`` saved in its stack file (docs/contracts.md PC-12) is not used
again, and empty is none (PC-16).

The Job is found by its name, derived from the image as the stack derives it, not by the stack's
``migration_job`` output, which after a failed ``pulumi up`` may still be the previous update's
(the program registers its outputs last, after the Deployments that waited for the Job).

Exit status: 0 deployed; 3 not promoted (``--promote`` of an image that is not the running canary's,
nothing changed); 1 failed and rolled back, failed with nothing to roll back to, or the
migration failed (nothing rolled out); 2 the rollback failed too; 130 interrupted (the running
``pulumi`` is signalled, and left to cancel cleanly; no rollback is attempted).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from gitlab_k8s_cd.components.image_reference import ImageReference
from gitlab_k8s_cd.components.validation import InvalidArgument

EXIT_DEPLOYED, EXIT_ROLLED_BACK, EXIT_ROLLBACK_FAILED, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_MIGRATION_FAILED = EXIT_ROLLED_BACK
"""A failed migration exits as a failed rollout does: the running release is unchanged."""
EXIT_NOT_PROMOTED = 3
"""``--promote`` of an image that is not the running canary's: nothing was run."""
MIGRATION_JOB_URN_GLOB = "**kubernetes:batch/v1:Job::*-migration"
"""components/migration.py JOB_URN_GLOB (tests/test_deploy.py checks they agree): what a rollback excludes."""
DEFAULT_IMAGE_KEY = "image"
TRACE_KEYS = ("commitSha", "pipelineUrl", "jobUrl")
"""The deploy trace's config keys (components/config.py), web's; the canary's are ``canary<Key>``."""
CANARY_IMAGE_KEY = "canaryImage"


def canary_key(short: str) -> str:
    """The canary's key of a trace key: ``commitSha`` -> ``canaryCommitSha``."""
    return f"canary{short[0].upper()}{short[1:]}"


CANARY_KEYS = (CANARY_IMAGE_KEY, *(canary_key(key) for key in TRACE_KEYS))
"""Every key of the canary's, set empty by an ``up`` that runs no canary."""


def key_namespace(image_key: str) -> str | None:
    """The namespace of the image key, split at its first ``:`` as Pulumi's ``ParseKey`` splits
    (``orders:image`` -> ``orders``); None for a bare ``image``, which the CLI gives the project's
    (docs/contracts.md PC-13)."""
    namespace, colon, _ = image_key.partition(":")
    return namespace if colon else None


def config_key(image_key: str, short: str) -> str:
    """``short`` in the image key's namespace: ``gitlab-k8s-cd:image`` -> ``gitlab-k8s-cd:canaryImage``;
    an unqualified ``image`` (the CLI qualifies it with the project's name) -> ``canaryImage``."""
    namespace = key_namespace(image_key)
    return short if namespace is None else f"{namespace}:{short}"


def no_canary(image_key: str) -> list[str]:
    """``--config`` values for an ``up`` that runs no canary: each canary key empty."""
    return [f"{config_key(image_key, key)}=" for key in CANARY_KEYS]


def _short_key(config: str) -> str:
    """The short key of a ``--config K=V`` value: ``gitlab-k8s-cd:commitSha=x`` -> ``commitSha``."""
    return config.partition("=")[0].rpartition(":")[2]


def _is_trace(config: str) -> bool:
    return _short_key(config) in TRACE_KEYS


class Pulumi(Protocol):
    def output(self, name: str) -> str: ...

    def up(self, image: str, configs: Sequence[str], excludes: Sequence[str] = ()) -> int: ...


class ClusterReader(Protocol):
    def diagnose(self, namespace: str, deployment: str) -> tuple[str | None, list[str]]:
        """(the reason the Deployment's rollout failed, or None when nothing says it did; the
        lines a person needs to see)."""
        ...

    def migration(self, namespace: str, job: str) -> tuple[str, list[str]] | None:
        """(the reason the migration Job ``job`` failed, the lines a person needs to see), or None
        when there is no such Job or it completed."""
        ...

    def secret_values(self, namespace: str, secret: str) -> list[str]:
        """The values of the Secret ``secret`` (the app's secret settings), to mask in what is printed."""
        ...


@dataclass
class PulumiCli:
    """The ``pulumi`` on PATH, for one stack. Forwards SIGINT/SIGTERM to a running ``pulumi up``."""

    stack: str
    image_key: str = "image"
    """The config key the program reads its image from; without a namespace, the CLI gives it the
    project's (a program that reads another names it: ``orders:image``)."""
    interrupted: bool = False
    _running: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def output(self, name: str) -> str:
        result = subprocess.run(
            ["pulumi", "stack", "output", name, "--stack", self.stack], capture_output=True, text=True, check=False
        )
        return result.stdout.strip() if result.returncode == 0 else ""

    def up(self, image: str, configs: Sequence[str], excludes: Sequence[str] = ()) -> int:
        command = ["pulumi", "up", "--yes", "--stack", self.stack, "--config", f"{self.image_key}={image}"]
        for config in configs:
            command += ["--config", in_namespace_of(self.image_key, config)]
        for exclude in excludes:
            command += ["--exclude", exclude]
        self._running = subprocess.Popen(command)
        try:
            return self._running.wait()
        finally:
            self._running = None

    def forward(self, signum: int, frame: object) -> None:
        # Pulumi cancels gracefully on the first signal; the tool then stops without a rollback.
        self.interrupted = True
        if self._running is not None:
            self._running.send_signal(signum)


def in_namespace_of(image_key: str, config: str) -> str:
    """``config`` (``KEY=VALUE``) with a bare KEY put in the image key's namespace, if it has one:
    the namespace the program reads. Otherwise as given: the CLI gives a bare key the project's."""
    key, equals, value = config.partition("=")
    return config if ":" in key else f"{config_key(image_key, key)}{equals}{value}"


@dataclass(frozen=True)
class KubernetesReader:
    """Reads what went wrong with the deployer's own credentials: the kubeconfig at $KUBECONFIG
    (the fixed path the job's ``gitlab_k8s_cd.pipeline.cluster_access`` wrote), through ``context``:
    in agent mode the agent's, as the stack's Kubernetes provider selects it; else the file's current one."""

    context: str | None = None

    def _load(self) -> None:
        from kubernetes import config

        # $KUBECONFIG read now: the client reads it once, when imported, as its default.
        config.load_kube_config(config_file=os.environ.get("KUBECONFIG"), context=self.context)

    def secret_values(self, namespace: str, secret: str) -> list[str]:
        import base64

        from kubernetes import client

        self._load()
        found = client.CoreV1Api().read_namespaced_secret(secret, namespace)
        return [base64.b64decode(value).decode("utf-8", "replace") for value in (found.data or {}).values()]

    def diagnose(self, namespace: str, deployment: str) -> tuple[str | None, list[str]]:
        from kubernetes import client

        self._load()
        apps, core = client.AppsV1Api(), client.CoreV1Api()
        found = apps.read_namespaced_deployment(deployment, namespace)
        lines, reason = [], ""
        for condition in found.status.conditions or []:
            lines.append(f"Deployment {condition.type}={condition.status}: {condition.reason}: {condition.message}")
            if condition.type == "Progressing" and condition.status == "False":
                reason = f"{condition.reason}: {condition.message}"
        selector = _selector(found.spec.selector.match_labels)
        replica_sets = apps.list_namespaced_replica_set(namespace, label_selector=selector).items
        newest = max(
            replica_sets,
            key=lambda rs: int((rs.metadata.annotations or {}).get("deployment.kubernetes.io/revision", "0")),
            default=None,
        )
        if newest is None:
            return reason or None, lines
        pod_hash = (newest.metadata.labels or {}).get("pod-template-hash", "")
        for pod in core.list_namespaced_pod(namespace, label_selector=f"pod-template-hash={pod_hash}").items:
            name = pod.metadata.name
            lines += _pod_events(core, namespace, name)
            for status in pod.status.container_statuses or []:
                waiting = status.state.waiting
                if waiting and waiting.reason in ("CrashLoopBackOff", "ErrImagePull", "ImagePullBackOff"):
                    reason = reason or f"{waiting.reason} in pod {name}"
                if status.restart_count:
                    log = core.read_namespaced_pod_log(
                        name, namespace, container=status.name, previous=True, tail_lines=20
                    )
                    lines += [f"{name}/{status.name} | {line}" for line in log.splitlines()]
        return reason or None, lines

    def migration(self, namespace: str, job: str) -> tuple[str, list[str]] | None:
        from kubernetes import client
        from kubernetes.client.exceptions import ApiException

        self._load()
        batch, core = client.BatchV1Api(), client.CoreV1Api()
        try:
            found = batch.read_namespaced_job(job, namespace)
        except ApiException as error:
            if error.status == 404:  # no migration, or not for this image
                return None
            raise
        conditions = [c for c in found.status.conditions or [] if c.status == "True"]
        if any(c.type == "Complete" for c in conditions):
            return None
        # Failed, or FailureTarget while the pod stops (docs/contracts.md KA-9).
        by_type = {c.type: c for c in conditions}
        failed = by_type.get("Failed") or by_type.get("FailureTarget")
        reason = f"{failed.reason}: {failed.message}" if failed else f"the migration Job {job} did not finish"
        lines = [f"Job {job} {c.type}={c.status}: {c.reason}: {c.message}" for c in conditions]
        selector = _selector(found.spec.selector.match_labels)
        for pod in core.list_namespaced_pod(namespace, label_selector=selector).items:
            name = pod.metadata.name
            lines += _pod_events(core, namespace, name)
            for status in pod.status.container_statuses or []:
                terminated = status.state.terminated
                if terminated is not None:
                    lines.append(f"pod {name}: {status.name} exited {terminated.exit_code} ({terminated.reason})")
                if terminated is None and status.state.running is None:
                    continue  # never started (an image it could not pull: its events say so)
                try:
                    log = core.read_namespaced_pod_log(name, namespace, container=status.name, tail_lines=20)
                except ApiException as error:
                    lines.append(f"{name}/{status.name}: no log ({error.status} {error.reason})")
                    continue
                lines += [f"{name}/{status.name} | {line}" for line in log.splitlines()]
        return reason, lines


def _selector(match_labels: dict[str, str]) -> str:
    """A label selector's text for a list request."""
    return ",".join(f"{k}={v}" for k, v in match_labels.items())


def _pod_events(core: Any, namespace: str, pod: str) -> list[str]:
    """The last ten events of ``pod``, one line each."""
    events = core.list_namespaced_event(namespace, field_selector=f"involvedObject.name={pod}").items
    return [f"pod {pod}: {e.reason}: {e.message}" for e in events[-10:]]


def migration_job(deployment: str, image: ImageReference) -> str:
    """The name the stack gives the migration Job of ``image`` (web's Deployment is ``deployment``)."""
    from gitlab_k8s_cd.components.names import migration_job as named

    return named(deployment, image)


def deploy(
    image: str,
    configs: Sequence[str],
    pulumi: Pulumi,
    reader: ClusterReader,
    interrupted: Callable[[], bool] = lambda: False,
    image_key: str = DEFAULT_IMAGE_KEY,
    canary: str | None = None,
) -> tuple[int, str]:
    """Deploy ``image`` (``repo@sha256:…``), and remove the canary if one runs (a promotion when
    it ran ``image``); return (exit status, the one-line summary). ``canary``: the stack's
    ``canary_image`` output, when the caller has read it already."""
    reference = ImageReference.parse("image", image)
    digest = reference.digest
    last_good = pulumi.output("deployed_digest")
    canary = pulumi.output("canary_image") if canary is None else canary
    # A canary runs: this up (and its rollback) leaves it out, whatever the stack file holds.
    without = no_canary(image_key) if canary else []
    status = pulumi.up(image, [*configs, *without])
    if interrupted():
        return EXIT_INTERRUPTED, f"deploy of {digest} interrupted: pulumi up was cancelled; no rollback attempted"
    if status == 0:
        if not canary:
            return EXIT_DEPLOYED, f"deployed {digest}"
        if canary == image:
            return EXIT_DEPLOYED, f"deployed {digest}: the canary is promoted, its Deployment removed"
        return EXIT_DEPLOYED, f"deployed {digest}; the canary ({_digest(canary)}) removed"
    namespace, deployment = pulumi.output("namespace"), pulumi.output("deployment_name")
    mask = masking(reader, namespace, deployment)

    def say(line: str) -> None:
        print(mask(line))

    try:
        # A name the stack could not give a Job (web's Deployment name too long for one): no migration.
        job = migration_job(deployment, reference) if deployment else None
    except ValueError:
        job = None
    try:
        # No Deployment name: no update of the stack ever succeeded, nor ran a migration the tool could find.
        migration = reader.migration(namespace, job) if job else None
    except Exception as error:
        # Unknown: treated as a failed rollout. Its rollback is harmless even if the migration
        # failed: it leaves the Job alone, and no Deployment had changed.
        migration = None
        print(f"could not read the migration Job: {error}")
    if migration is not None:
        reason, lines = mask(migration[0]), migration[1]
        for line in lines:
            say(line)
        running = f"still running {last_good}" if last_good else "nothing was running yet (first deploy)"
        return EXIT_MIGRATION_FAILED, f"migration of {digest} failed: {reason}; no rollout happened: {running}"
    reason = mask(explain(pulumi, reader, namespace, say) or f"pulumi up exited {status}")
    if not last_good:
        return EXIT_ROLLED_BACK, f"rollout of {digest} failed: {reason}; nothing to roll back to (first deploy)"
    if last_good == digest:
        return (
            EXIT_ROLLED_BACK,
            f"rollout of {digest} failed: {reason}; it was already the running image, not rolled back",
        )
    # The migration Job stays as it is: its migration stays applied, the previous image's is not run again.
    rollback = pulumi.up(str(reference.at(last_good)), without, excludes=[MIGRATION_JOB_URN_GLOB])
    if interrupted():
        return EXIT_INTERRUPTED, f"rollout of {digest} failed: {reason}; the rollback to {last_good} was interrupted"
    if rollback != 0:
        return EXIT_ROLLBACK_FAILED, (
            f"rollout of {digest} failed: {reason}; rollback to {last_good} failed too "
            f"(pulumi up exited {rollback}); see README: rolling back by hand"
        )
    return EXIT_ROLLED_BACK, f"rollout of {digest} failed: {reason}; rolled back to {last_good}"


def _digest(image: str) -> str:
    """What a summary shows of an image: its digest, or the text as it is (a stack output may be
    empty, or not yet a reference: this only displays it)."""
    return image.partition("@")[2] or image


def _stable(pulumi: Pulumi, image_key: str) -> tuple[str, list[str]]:
    """web's running image (the stack's ``image`` output, "" before any deploy), and its trace as
    ``--config`` values (the stack's ``trace`` output), which keep its pods as they are."""
    try:
        trace = json.loads(pulumi.output("trace") or "{}")
    except json.JSONDecodeError:
        trace = {}
    trace = trace if isinstance(trace, dict) else {}
    return pulumi.output("image"), [f"{config_key(image_key, key)}={trace.get(key) or ''}" for key in TRACE_KEYS]


def deploy_canary(
    canary: str,
    configs: Sequence[str],
    pulumi: Pulumi,
    reader: ClusterReader,
    interrupted: Callable[[], bool] = lambda: False,
    image_key: str = DEFAULT_IMAGE_KEY,
) -> tuple[int, str]:
    """Run ``canary`` (``repo@sha256:…``) beside web's image, which stays; if its rollout fails,
    explain it and remove the canary. Return (exit status, the one-line summary)."""
    digest = _digest(canary)
    stable, trace = _stable(pulumi, image_key)
    if not stable:
        return EXIT_ROLLED_BACK, f"canary {digest} not deployed: the stack runs no image yet, deploy one first"
    # The trace values given describe the canary's deploy; web's are given back as they were.
    own = [f"{config_key(image_key, canary_key(_short_key(c)))}={c.partition('=')[2]}" for c in configs if _is_trace(c)]
    rest = [c for c in configs if not _is_trace(c)]
    status = pulumi.up(stable, [*rest, *trace, *own, f"{config_key(image_key, CANARY_IMAGE_KEY)}={canary}"])
    if interrupted():
        return EXIT_INTERRUPTED, f"canary {digest} interrupted: pulumi up was cancelled; nothing removed"
    if status == 0:
        return EXIT_DEPLOYED, f"canary {digest} deployed beside {_digest(stable)}"
    namespace, web = pulumi.output("namespace"), pulumi.output("deployment_name")
    mask = masking(reader, namespace, web)

    def say(line: str) -> None:
        print(mask(line))

    from gitlab_k8s_cd.components.names import canary_workload

    # The canary's Deployment alone: web's did not change (the stack's outputs may still be the
    # previous update's, so its name is derived from web's, as the stack derives it).
    found = {"canary": canary_workload(web)} if web else {}
    reason = mask(explain(pulumi, reader, namespace, say, found) or f"pulumi up exited {status}")
    removal = pulumi.up(stable, [*rest, *trace, *no_canary(image_key)], excludes=[MIGRATION_JOB_URN_GLOB])
    if interrupted():
        return EXIT_INTERRUPTED, f"canary {digest} failed: {reason}; its removal was interrupted"
    if removal != 0:
        return EXIT_ROLLBACK_FAILED, (
            f"canary {digest} failed: {reason}; removing it failed too (pulumi up exited {removal}): "
            "run the abort job, or see README: rolling back by hand"
        )
    return EXIT_ROLLED_BACK, f"canary {digest} failed: {reason}; canary removed, still running {_digest(stable)}"


def promote(
    image: str,
    configs: Sequence[str],
    pulumi: Pulumi,
    reader: ClusterReader,
    interrupted: Callable[[], bool] = lambda: False,
    image_key: str = DEFAULT_IMAGE_KEY,
) -> tuple[int, str]:
    """Deploy ``image`` only if it is the canary running now: then web rolls to it and the canary
    is removed (:func:`deploy`). Else nothing runs: the canary was aborted, failed and was removed,
    or another pipeline's canary runs instead."""
    canary = pulumi.output("canary_image")
    if canary != image:
        running = f"the canary running is {_digest(canary)}" if canary else "no canary runs (aborted, or removed)"
        return EXIT_NOT_PROMOTED, f"{_digest(image)} not promoted: {running}; nothing changed"
    return deploy(image, configs, pulumi, reader, interrupted, image_key, canary=canary)


def abort_canary(
    configs: Sequence[str],
    pulumi: Pulumi,
    interrupted: Callable[[], bool] = lambda: False,
    image_key: str = DEFAULT_IMAGE_KEY,
) -> tuple[int, str]:
    """Remove the canary, web untouched: its image and trace as they are (trace values given are
    dropped: they describe this run, and would roll web's pods)."""
    stable, trace = _stable(pulumi, image_key)
    if not stable:
        return EXIT_ROLLED_BACK, "nothing to abort: the stack runs no image yet"
    canary = pulumi.output("canary_image")
    rest = [c for c in configs if not _is_trace(c)]
    status = pulumi.up(stable, [*rest, *trace, *no_canary(image_key)])
    if interrupted():
        return EXIT_INTERRUPTED, "abort interrupted: pulumi up was cancelled"
    if status != 0:
        return EXIT_ROLLED_BACK, f"abort failed: pulumi up exited {status}; the canary may still run"
    removed = f"canary {_digest(canary)} removed" if canary else "no canary was running"
    return EXIT_DEPLOYED, f"{removed}; still running {_digest(stable)}"


def deployments(pulumi: Pulumi) -> dict[str, str]:
    """Every process's Deployment, by process, from the stack's ``deployment_names`` (the CLI prints
    a map as one line of JSON); a stack from before processes exports web's ``deployment_name`` alone."""
    try:
        found = json.loads(pulumi.output("deployment_names") or "{}")
    except json.JSONDecodeError:
        found = {}
    if isinstance(found, dict) and found and all(isinstance(v, str) for v in found.values()):
        return found
    web = pulumi.output("deployment_name")
    return {"web": web} if web else {}


MASK_MIN_LENGTH = 4
"""Shorter values ("1", "on") are not masked: masking them would blank whole lines, and hide nothing."""


def masking(reader: ClusterReader, namespace: str, deployment: str) -> Callable[[str], str]:
    """``print``, with the app's secret settings (the Secret ``<app>-secrets``: a pod that crashes,
    or a migration that fails, may print them) and their base64 replaced by ``[masked]``: GitLab
    masks its CI variables in a job's log, never the stack's secrets. A review stack has no such
    Secret, and its deployer may not read one: nothing to mask."""
    from gitlab_k8s_cd.components.names import app_secrets

    values: list[str] = []
    if deployment:
        try:
            values = reader.secret_values(namespace, app_secrets(deployment))
        except Exception:
            values = []
    masked = sorted(
        {text for value in values if len(value) >= MASK_MIN_LENGTH for text in (value, _base64(value))},
        key=len,
        reverse=True,
    )

    def mask(line: str) -> str:
        for text in masked:
            line = line.replace(text, "[masked]")
        return line

    return mask


def _base64(value: str) -> str:
    import base64

    return base64.b64encode(value.encode()).decode()


def explain(
    pulumi: Pulumi,
    reader: ClusterReader,
    namespace: str,
    say: Callable[[str], None] = print,
    only: dict[str, str] | None = None,
) -> str | None:
    """Print what went wrong with each process whose rollout failed; the first such reason, named
    after its process (``worker: CrashLoopBackOff in pod ...``), or None when the cluster says
    nothing (then what every process's Deployment shows is printed). ``only``: these Deployments,
    by what they are, instead of every process's (the stack's ``deployment_names``)."""
    names, found = (deployments(pulumi) if only is None else only), {}
    for process, deployment in names.items():
        try:
            found[process] = reader.diagnose(namespace, deployment)
        except Exception as error:
            found[process] = (None, [f"could not read the cluster: {error}"])
    failed = {process: diagnosis for process, diagnosis in found.items() if diagnosis[0] is not None}
    for process, (_, lines) in (failed or found).items():
        if lines:
            say(f"--- {process} ({namespace}/{names[process]})")
        for line in lines:
            say(line)
    if not failed:
        return None
    process, (reason, _) = next(iter(failed.items()))
    return reason if len(found) == 1 else f"{process}: {reason}"


def kube_context(stack: str) -> str | None:
    """The context the stack's Kubernetes provider selects (its ``clusterAccess`` and ``agent`` in
    ./Pulumi.<stack>.yaml, read as gitlab_k8s_cd.pipeline.cluster_access reads them): the agent's, or
    None. None too when the file cannot say: ``pulumi up`` reads the same file and reports that."""
    from gitlab_k8s_cd.pipeline.cluster_access import AccessError, read_stack_access

    try:
        return read_stack_access(Path("."), stack).context
    except AccessError:
        return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gitlab_k8s_cd.pipeline.deploy", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--stack", required=True)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument(
        "--image",
        help="the image to deploy (the canary's promotes it), <repository>@sha256:<digest> (or sha384, sha512)",
    )
    mode.add_argument("--canary-image", help="run this image as web's canary, beside the running one")
    mode.add_argument("--promote", help="deploy this image if, and only if, it is the canary running now")
    mode.add_argument("--abort-canary", action="store_true", help="remove the canary; web's image stays")
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        help="more `pulumi up --config` values; a KEY without a namespace goes to the image key's, else the project's",
    )
    parser.add_argument(
        "--image-key",
        default=DEFAULT_IMAGE_KEY,
        help=f"the config key the program takes its image from (default {DEFAULT_IMAGE_KEY}: the project's "
        "namespace's); the canary's keys are in its namespace",
    )
    args = parser.parse_args(argv)
    for flag, given in (("--image", args.image), ("--canary-image", args.canary_image), ("--promote", args.promote)):
        if given is None:
            continue
        try:
            reason = "" if ImageReference.parse(flag, given).pinned else " (it has no digest)"
        except InvalidArgument as error:
            reason = f" ({error.expected})"
        if reason:
            print(
                f"error: {flag} {given!r}: deploy by digest, <repository>@sha256:<digest> (or sha384, sha512){reason}",
                file=sys.stderr,
            )
            return 64
    pulumi = PulumiCli(args.stack, image_key=args.image_key)
    reader = KubernetesReader(kube_context(args.stack))
    signal.signal(signal.SIGTERM, pulumi.forward)
    signal.signal(signal.SIGINT, pulumi.forward)
    interrupted, key = (lambda: pulumi.interrupted), args.image_key
    if args.canary_image is not None:
        status, summary = deploy_canary(args.canary_image, args.config, pulumi, reader, interrupted, key)
    elif args.promote is not None:
        status, summary = promote(args.promote, args.config, pulumi, reader, interrupted, key)
    elif args.abort_canary:
        status, summary = abort_canary(args.config, pulumi, interrupted, key)
    else:
        status, summary = deploy(args.image, args.config, pulumi, reader, interrupted, key)
    print(summary, file=sys.stderr if status else sys.stdout)
    return status


if __name__ == "__main__":
    sys.exit(main())
