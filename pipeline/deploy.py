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
     own credentials (``$KUBECONFIG``) through the Kubernetes Python client;
   - runs ``pulumi up`` once more with the last good digest (the rollback), never more: one
     digest for every process, so they all roll back together. The rollback leaves the migration
     Job alone (``--exclude``): a migration that ran stays applied, and the previous image's
     migration does not run again;
   - exits non-zero with one line: ``rollout of <digest> failed: <reason>; rolled back to <digest>``.

The Job is found by its name, derived from the image as the stack derives it, not by the stack's
``migration_job`` output, which after a failed ``pulumi up`` may still be the previous update's
(the program registers its outputs last, after the Deployments that waited for the Job).

Exit status: 0 deployed; 1 failed and rolled back, failed with nothing to roll back to, or the
migration failed (nothing rolled out); 2 the rollback failed too; 130 interrupted (the running
``pulumi`` is signalled, and left to cancel cleanly; no rollback is attempted).
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

EXIT_DEPLOYED, EXIT_ROLLED_BACK, EXIT_ROLLBACK_FAILED, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_MIGRATION_FAILED = EXIT_ROLLED_BACK
"""A failed migration exits as a failed rollout does: the running release is unchanged."""
MIGRATION_JOB_URN_GLOB = "**kubernetes:batch/v1:Job::*-migration"
"""components/migration.py JOB_URN_GLOB (tests/test_deploy.py checks they agree): what a rollback excludes."""


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
    namespace, colon, _ = image_key.partition(":")
    if not colon or ":" in key:
        return config
    return f"{namespace}:{key}{equals}{value}"


class KubernetesReader:
    """Reads what went wrong with the deployer's own credentials ($KUBECONFIG)."""

    def secret_values(self, namespace: str, secret: str) -> list[str]:
        import base64

        from kubernetes import client, config

        config.load_kube_config()
        found = client.CoreV1Api().read_namespaced_secret(secret, namespace)
        return [base64.b64decode(value).decode("utf-8", "replace") for value in (found.data or {}).values()]

    def diagnose(self, namespace: str, deployment: str) -> tuple[str | None, list[str]]:
        from kubernetes import client, config

        config.load_kube_config()
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
        from kubernetes import client, config
        from kubernetes.client.exceptions import ApiException

        config.load_kube_config()
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


def migration_job(deployment: str, image: str) -> str:
    """The name the stack gives the migration Job of ``image`` (web's Deployment is ``deployment``)."""
    from gitlab_k8s_cd.components.names import migration_job as named

    return named(deployment, image)


def deploy(
    image: str,
    configs: Sequence[str],
    pulumi: Pulumi,
    reader: ClusterReader,
    interrupted: Callable[[], bool] = lambda: False,
) -> tuple[int, str]:
    """Deploy ``image`` (``repo@sha256:…``); return (exit status, the one-line summary)."""
    repository, _, digest = image.partition("@")
    last_good = pulumi.output("deployed_digest")
    status = pulumi.up(image, configs)
    if interrupted():
        return EXIT_INTERRUPTED, f"deploy of {digest} interrupted: pulumi up was cancelled; no rollback attempted"
    if status == 0:
        return EXIT_DEPLOYED, f"deployed {digest}"
    namespace, deployment = pulumi.output("namespace"), pulumi.output("deployment_name")
    mask = masking(reader, namespace, deployment)

    def say(line: str) -> None:
        print(mask(line))

    try:
        # A name the stack could not give a Job (web's Deployment name too long for one): no migration.
        job = migration_job(deployment, image) if deployment else None
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
    rollback = pulumi.up(f"{repository}@{last_good}", [], excludes=[MIGRATION_JOB_URN_GLOB])
    if interrupted():
        return EXIT_INTERRUPTED, f"rollout of {digest} failed: {reason}; the rollback to {last_good} was interrupted"
    if rollback != 0:
        return EXIT_ROLLBACK_FAILED, (
            f"rollout of {digest} failed: {reason}; rollback to {last_good} failed too "
            f"(pulumi up exited {rollback}); see README: rolling back by hand"
        )
    return EXIT_ROLLED_BACK, f"rollout of {digest} failed: {reason}; rolled back to {last_good}"


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


def explain(pulumi: Pulumi, reader: ClusterReader, namespace: str, say: Callable[[str], None] = print) -> str | None:
    """Print what went wrong with each process whose rollout failed; the first such reason, named
    after its process (``worker: CrashLoopBackOff in pod ...``), or None when the cluster says
    nothing (then what every process's Deployment shows is printed)."""
    names, found = deployments(pulumi), {}
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gitlab_k8s_cd.pipeline.deploy", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--stack", required=True)
    parser.add_argument("--image", required=True, help="the image to deploy, <repository>@sha256:<digest>")
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        help="more `pulumi up --config` values; a KEY without a namespace goes to the image key's, else the project's",
    )
    parser.add_argument(
        "--image-key",
        default="image",
        help="the config key the program takes its image from (default image: the project's namespace's)",
    )
    args = parser.parse_args(argv)
    if "@sha256:" not in args.image:
        print(f"error: --image {args.image!r}: deploy by digest, <repository>@sha256:<digest>", file=sys.stderr)
        return 64
    pulumi = PulumiCli(args.stack, image_key=args.image_key)
    signal.signal(signal.SIGTERM, pulumi.forward)
    signal.signal(signal.SIGINT, pulumi.forward)
    status, summary = deploy(args.image, args.config, pulumi, KubernetesReader(), lambda: pulumi.interrupted)
    print(summary, file=sys.stderr if status else sys.stdout)
    return status


if __name__ == "__main__":
    sys.exit(main())
