"""Deploy one image by digest with ``pulumi up``; if the rollout fails, explain it and roll back.

    python -m pipeline.deploy --stack staging --image registry.example.com/acme/hello@sha256:... \\
        [--config gitlab-k8s-cd:commitSha=... ...]

1. Reads the running digest from the stack (``pulumi stack output deployed_digest``): the last good one.
2. Runs ``pulumi up --yes`` with the new image (and any other ``--config``).
3. If that fails:
   - prints what a person needs, for each process whose rollout failed (every Deployment of the
     release: the stack's ``deployment_names``): the Deployment's conditions, the events of the new
     ReplicaSet's pods, and the last log lines of a crashing container, read with the deployer's
     own credentials (``$KUBECONFIG``) through the Kubernetes Python client;
   - runs ``pulumi up`` once more with the last good digest (the rollback), never more: one
     digest for every process, so they all roll back together;
   - exits non-zero with one line: ``rollout of <digest> failed: <reason>; rolled back to <digest>``.

Exit status: 0 deployed; 1 failed and rolled back, or failed with nothing to roll back to;
2 the rollback failed too; 130 interrupted (the running ``pulumi`` is signalled, and left to
cancel cleanly; no rollback is attempted).
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

EXIT_DEPLOYED, EXIT_ROLLED_BACK, EXIT_ROLLBACK_FAILED, EXIT_INTERRUPTED = 0, 1, 2, 130


class Pulumi(Protocol):
    def output(self, name: str) -> str: ...

    def up(self, image: str, configs: Sequence[str]) -> int: ...


class ClusterReader(Protocol):
    def diagnose(self, namespace: str, deployment: str) -> tuple[str | None, list[str]]:
        """(the reason the Deployment's rollout failed, or None when nothing says it did; the
        lines a person needs to see)."""
        ...


@dataclass
class PulumiCli:
    """The ``pulumi`` on PATH, for one stack. Forwards SIGINT/SIGTERM to a running ``pulumi up``."""

    stack: str
    interrupted: bool = False
    _running: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def output(self, name: str) -> str:
        result = subprocess.run(
            ["pulumi", "stack", "output", name, "--stack", self.stack], capture_output=True, text=True, check=False
        )
        return result.stdout.strip() if result.returncode == 0 else ""

    def up(self, image: str, configs: Sequence[str]) -> int:
        command = ["pulumi", "up", "--yes", "--stack", self.stack, "--config", f"gitlab-k8s-cd:image={image}"]
        for config in configs:
            command += ["--config", config]
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


class KubernetesReader:
    """Reads what went wrong with the deployer's own credentials ($KUBECONFIG)."""

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
        selector = ",".join(f"{k}={v}" for k, v in found.spec.selector.match_labels.items())
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
            events = core.list_namespaced_event(namespace, field_selector=f"involvedObject.name={name}").items
            lines += [f"pod {name}: {e.reason}: {e.message}" for e in events[-10:]]
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
    reason = explain(pulumi, reader) or f"pulumi up exited {status}"
    if not last_good:
        return EXIT_ROLLED_BACK, f"rollout of {digest} failed: {reason}; nothing to roll back to (first deploy)"
    if last_good == digest:
        return (
            EXIT_ROLLED_BACK,
            f"rollout of {digest} failed: {reason}; it was already the running image, not rolled back",
        )
    rollback = pulumi.up(f"{repository}@{last_good}", [])
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


def explain(pulumi: Pulumi, reader: ClusterReader) -> str | None:
    """Print what went wrong with each process whose rollout failed; the first such reason, named
    after its process (``worker: CrashLoopBackOff in pod ...``), or None when the cluster says
    nothing (then what every process's Deployment shows is printed)."""
    namespace, names, found = pulumi.output("namespace"), deployments(pulumi), {}
    for process, deployment in names.items():
        try:
            found[process] = reader.diagnose(namespace, deployment)
        except Exception as error:
            found[process] = (None, [f"could not read the cluster: {error}"])
    failed = {process: diagnosis for process, diagnosis in found.items() if diagnosis[0] is not None}
    for process, (_, lines) in (failed or found).items():
        if lines:
            print(f"--- {process} ({namespace}/{names[process]})")
        for line in lines:
            print(line)
    if not failed:
        return None
    process, (reason, _) = next(iter(failed.items()))
    return reason if len(found) == 1 else f"{process}: {reason}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.deploy", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", required=True)
    parser.add_argument("--image", required=True, help="the image to deploy, <repository>@sha256:<digest>")
    parser.add_argument("--config", action="append", default=[], help="more `pulumi up --config` values")
    args = parser.parse_args(argv)
    if "@sha256:" not in args.image:
        print(f"error: --image {args.image!r}: deploy by digest, <repository>@sha256:<digest>", file=sys.stderr)
        return 64
    pulumi = PulumiCli(args.stack)
    signal.signal(signal.SIGTERM, pulumi.forward)
    signal.signal(signal.SIGINT, pulumi.forward)
    status, summary = deploy(args.image, args.config, pulumi, KubernetesReader(), lambda: pulumi.interrupted)
    print(summary, file=sys.stderr if status else sys.stdout)
    return status


if __name__ == "__main__":
    sys.exit(main())
