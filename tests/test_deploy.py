"""The deploy tool (gitlab_k8s_cd.pipeline.deploy): deploy by digest, explain a failed rollout, roll back once.

The Pulumi CLI and a cluster cannot run here: the tests use StandInPulumi and StandInClusterReader
below, and, for the signal path, the stand-in executable tests/bin/pulumi.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

import pytest
import yaml

from gitlab_k8s_cd.pipeline.deploy import (
    EXIT_DEPLOYED,
    EXIT_INTERRUPTED,
    EXIT_MIGRATION_FAILED,
    EXIT_ROLLBACK_FAILED,
    EXIT_ROLLED_BACK,
    MIGRATION_JOB_URN_GLOB,
    deploy,
)
from tests.conftest import ROOT

REPO = "registry.example.com/acme/hello"
GOOD, BAD = "sha256:" + "a" * 64, "sha256:" + "b" * 64


@dataclass
class StandInPulumi:
    """A stand-in for the Pulumi CLI: stack outputs from a dict; ``up`` fails for the given digests."""

    outputs: dict[str, str] = field(default_factory=dict)
    failing: set[str] = field(default_factory=set)
    ups: list[tuple[str, list[str]]] = field(default_factory=list)
    excluded: list[list[str]] = field(default_factory=list)
    """Each ``up``'s ``--exclude`` globs."""
    read: list[str] = field(default_factory=list)
    """Each output read, in order (each a ``pulumi stack output`` run for the real CLI)."""

    def output(self, name: str) -> str:
        self.read.append(name)
        return self.outputs.get(name, "")

    def up(self, image: str, configs, excludes=()) -> int:
        self.ups.append((image, list(configs)))
        self.excluded.append(list(excludes))
        if image.split("@")[1] in self.failing:
            return 255
        self.outputs["deployed_digest"] = image.split("@")[1]
        return 0


@dataclass
class StandInClusterReader:
    """A stand-in for the cluster: what a CrashLoopBackOff of the ``failing`` Deployments looks
    like to the deployer; the others rolled out (nothing says they failed). No migration Job (or
    one that completed)."""

    failing: tuple[str, ...] = ("hello",)
    asked: list[tuple[str, str]] = field(default_factory=list)
    jobs_asked: list[tuple[str, str]] = field(default_factory=list)
    secrets: dict[str, list[str]] = field(default_factory=dict)
    """The secret settings' values, by Secret name; a Secret not here is forbidden (a review deployer's)."""

    def migration(self, namespace, job):
        self.jobs_asked.append((namespace, job))
        return None

    def secret_values(self, namespace, secret):
        if secret not in self.secrets:
            raise PermissionError(f"secrets {secret!r} is forbidden")
        return self.secrets[secret]

    def diagnose(self, namespace, deployment):
        self.asked.append((namespace, deployment))
        if deployment not in self.failing:
            return None, [f"pod {deployment}-5c4-a1b: Started: Started container"]
        return (
            f"ProgressDeadlineExceeded: ReplicaSet {deployment}-7d9 has timed out progressing.",
            [
                f"Deployment Progressing=False: ProgressDeadlineExceeded: ReplicaSet in {namespace}/{deployment}",
                f"pod {deployment}-7d9-x2x: BackOff: Back-off restarting failed container",
                f"{deployment}-7d9-x2x/app | Traceback (most recent call last):",
                f"{deployment}-7d9-x2x/app | KeyError: 'GREETING'",
            ],
        )


class StandInFailedMigration(StandInClusterReader):
    """A stand-in for the cluster after a migration Job failed (backoffLimit 0): its Failed
    condition, its pod's exit and the tail of its log."""

    def migration(self, namespace, job):
        super().migration(namespace, job)
        return (
            "BackoffLimitExceeded: Job has reached the specified backoff limit",
            [
                f"Job {job} Failed=True: BackoffLimitExceeded: Job has reached the specified backoff limit",
                f"pod {job}-x7k2p: migrate exited 1 (Error)",
                f'{job}-x7k2p/migrate | psycopg.errors.DuplicateColumn: column "email" already exists',
            ],
        )

    def diagnose(self, namespace, deployment):
        raise AssertionError("a failed migration rolls nothing out: there is no rollout to diagnose")


def running(digest=GOOD, processes=("web",)):
    names = {process: "hello" if process == "web" else f"hello-{process}" for process in processes}
    return StandInPulumi(
        outputs={
            "deployed_digest": digest,
            "namespace": "hello-staging",
            "deployment_name": "hello",
            # As the CLI prints a map output: one line of JSON.
            "deployment_names": json.dumps(names),
        }
    )


def test_a_good_image_is_deployed_once(capsys):
    pulumi = running()
    status, summary = deploy(f"{REPO}@{BAD}", ["commitSha=" + "f" * 40], pulumi, StandInClusterReader())
    assert (status, summary) == (EXIT_DEPLOYED, f"deployed {BAD}")
    assert pulumi.ups == [(f"{REPO}@{BAD}", ["commitSha=" + "f" * 40])]


def test_a_failed_rollout_is_explained_and_rolled_back_to_the_last_good_digest(capsys):
    pulumi = running()
    pulumi.failing = {BAD}
    reader = StandInClusterReader()
    status, summary = deploy(f"{REPO}@{BAD}", [], pulumi, reader)
    assert reader.jobs_asked == [("hello-staging", "hello-migrate-bbbbbbbbbbbb")]
    assert status == EXIT_ROLLED_BACK
    assert summary == (
        f"rollout of {BAD} failed: ProgressDeadlineExceeded: ReplicaSet hello-7d9 has timed out "
        f"progressing.; rolled back to {GOOD}"
    )
    assert [image for image, _ in pulumi.ups] == [f"{REPO}@{BAD}", f"{REPO}@{GOOD}"]
    # The rollback leaves the migration Job alone: what the new image migrated stays, and the old
    # image's migration does not run again.
    assert pulumi.excluded == [[], [MIGRATION_JOB_URN_GLOB]]
    printed = capsys.readouterr().out
    assert "BackOff: Back-off restarting failed container" in printed
    assert "KeyError: 'GREETING'" in printed


def test_every_process_is_diagnosed_and_the_failing_one_named_then_all_roll_back_together(capsys):
    """One digest for the release: a worker whose rollout fails rolls web back with it."""
    pulumi = running(processes=("web", "worker", "scheduler"))
    pulumi.failing = {BAD}
    reader = StandInClusterReader(failing=("hello-worker",))
    status, summary = deploy(f"{REPO}@{BAD}", [], pulumi, reader)
    assert reader.asked == [("hello-staging", d) for d in ("hello", "hello-worker", "hello-scheduler")]
    assert status == EXIT_ROLLED_BACK
    assert summary == (
        f"rollout of {BAD} failed: worker: ProgressDeadlineExceeded: ReplicaSet hello-worker-7d9 has timed out "
        f"progressing.; rolled back to {GOOD}"
    )
    # The one rollback is the whole release's: every process runs the last good digest again.
    assert [image for image, _ in pulumi.ups] == [f"{REPO}@{BAD}", f"{REPO}@{GOOD}"]
    printed = capsys.readouterr().out
    assert "--- worker (hello-staging/hello-worker)" in printed
    assert "hello-worker-7d9-x2x/app | KeyError: 'GREETING'" in printed
    assert "--- web" not in printed  # what rolled out is not noise in the job's log


def test_when_no_process_says_why_every_ones_state_is_printed(capsys):
    pulumi = running(processes=("web", "worker"))
    pulumi.failing = {BAD}
    status, summary = deploy(f"{REPO}@{BAD}", [], pulumi, StandInClusterReader(failing=()))
    assert status == EXIT_ROLLED_BACK
    assert summary == f"rollout of {BAD} failed: pulumi up exited 255; rolled back to {GOOD}"
    printed = capsys.readouterr().out
    assert "--- web (hello-staging/hello)" in printed and "--- worker (hello-staging/hello-worker)" in printed


def test_a_stack_from_before_processes_is_diagnosed_by_its_web_deployment():
    pulumi = running()
    del pulumi.outputs["deployment_names"]
    pulumi.failing = {BAD}
    reader = StandInClusterReader()
    deploy(f"{REPO}@{BAD}", [], pulumi, reader)
    assert reader.asked == [("hello-staging", "hello")]


def test_a_failed_migration_is_explained_and_nothing_is_rolled_back_since_nothing_rolled_out(capsys):
    """Every Deployment waits for the migration Job (docs/contracts.md PK-12): when it fails, no
    rollout happened, and a rollback would have nothing to undo."""
    pulumi = running()
    pulumi.outputs["deployment_name"] = "hello"
    pulumi.failing = {BAD}
    reader = StandInFailedMigration()
    status, summary = deploy(f"{REPO}@{BAD}", [], pulumi, reader)
    assert status == EXIT_MIGRATION_FAILED == EXIT_ROLLED_BACK
    assert summary == (
        f"migration of {BAD} failed: BackoffLimitExceeded: Job has reached the specified backoff limit; "
        f"no rollout happened: still running {GOOD}"
    )
    assert len(pulumi.ups) == 1
    printed = capsys.readouterr().out
    assert "Job hello-migrate-bbbbbbbbbbbb Failed=True: BackoffLimitExceeded" in printed
    assert "pod hello-migrate-bbbbbbbbbbbb-x7k2p: migrate exited 1 (Error)" in printed
    assert 'psycopg.errors.DuplicateColumn: column "email" already exists' in printed


def test_the_migration_job_asked_for_is_the_one_the_stack_names_after_the_image():
    from gitlab_k8s_cd.components import names
    from gitlab_k8s_cd.components.image_reference import ImageReference
    from gitlab_k8s_cd.components.migration import JOB_URN_GLOB

    assert MIGRATION_JOB_URN_GLOB == JOB_URN_GLOB
    reader = StandInClusterReader()
    pulumi = running()
    pulumi.outputs["deployment_name"] = "hello"
    pulumi.failing = {BAD}
    deploy(f"{REPO}@{BAD}", [], pulumi, reader)
    assert reader.jobs_asked == [
        ("hello-staging", names.migration_job("hello", ImageReference.parse("image", f"{REPO}@{BAD}")))
    ]
    # With no successful update yet, the stack has no outputs: no Job to look for.
    first = StandInClusterReader()
    deploy(f"{REPO}@{BAD}", [], StandInPulumi(failing={BAD}), first)
    assert first.jobs_asked == []


def test_a_migration_job_that_cannot_be_read_is_taken_for_a_failed_rollout_whose_rollback_leaves_it_alone(capsys):
    class Unreadable(StandInClusterReader):
        def migration(self, namespace, job):
            raise ConnectionError("connection refused")

    pulumi = running()
    pulumi.failing = {BAD}
    status, summary = deploy(f"{REPO}@{BAD}", [], pulumi, Unreadable())
    assert status == EXIT_ROLLED_BACK and summary.endswith(f"rolled back to {GOOD}")
    assert pulumi.excluded[-1] == [MIGRATION_JOB_URN_GLOB]
    assert "could not read the migration Job: connection refused" in capsys.readouterr().out


def test_a_failed_rollback_is_reported_as_such_and_never_retried():
    pulumi = running()
    pulumi.failing = {BAD, GOOD}
    status, summary = deploy(f"{REPO}@{BAD}", [], pulumi, StandInClusterReader())
    assert status == EXIT_ROLLBACK_FAILED
    assert f"rollback to {GOOD} failed too (pulumi up exited 255)" in summary
    assert len(pulumi.ups) == 2


def test_the_first_deploy_has_nothing_to_roll_back_to():
    pulumi = StandInPulumi(failing={BAD})
    status, summary = deploy(f"{REPO}@{BAD}", [], pulumi, StandInClusterReader())
    assert status == EXIT_ROLLED_BACK
    assert summary.endswith("nothing to roll back to (first deploy)")
    assert len(pulumi.ups) == 1


def test_redeploying_the_running_image_that_fails_does_not_loop():
    pulumi = running(BAD)
    pulumi.failing = {BAD}
    status, summary = deploy(f"{REPO}@{BAD}", [], pulumi, StandInClusterReader())
    assert status == EXIT_ROLLED_BACK and "not rolled back" in summary
    assert len(pulumi.ups) == 1


def test_a_cluster_that_cannot_be_read_does_not_stop_the_rollback(capsys):
    class Unreachable:
        def migration(self, namespace, job):
            raise ConnectionError("connection refused")

        def diagnose(self, namespace, deployment):
            raise ConnectionError("connection refused")

    pulumi = running()
    pulumi.failing = {BAD}
    status, summary = deploy(f"{REPO}@{BAD}", [], pulumi, Unreachable())
    assert status == EXIT_ROLLED_BACK and summary.endswith(f"rolled back to {GOOD}")
    assert "could not read the cluster: connection refused" in capsys.readouterr().out


def test_an_interrupted_deploy_signals_pulumi_and_does_not_roll_back(tmp_path):
    """The real tool and its signal handling, against the stand-in tests/bin/pulumi."""
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"deployed_digest": GOOD}))
    log = tmp_path / "pulumi.log"
    env = {
        **os.environ,
        "PATH": f"{ROOT / 'tests' / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "PULUMI_STAND_IN_LOG": str(log),
        "PULUMI_STAND_IN_OUTPUTS": str(outputs),
        "PULUMI_STAND_IN_UP_SECONDS": "30",
        "PULUMI_STAND_IN_PLAN_DIR": str(tmp_path / "plan"),
        "PULUMI_CONFIG_PASSPHRASE": "stand-in-passphrase",
        "PYTHONPATH": str(ROOT),
    }
    tool = subprocess.Popen(
        [sys.executable, "-m", "gitlab_k8s_cd.pipeline.deploy", "--stack", "staging", "--image", f"{REPO}@{BAD}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not (log.exists() and '"up"' in log.read_text()):
        time.sleep(0.05)
    time.sleep(0.3)  # let the stand-in install its handler
    tool.send_signal(signal.SIGTERM)
    _, err = tool.communicate(timeout=30)
    assert tool.returncode == EXIT_INTERRUPTED, err
    assert "interrupted: pulumi up was cancelled; no rollback attempted" in err
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert {"signal": 15} in entries
    assert [e["argv"][0] for e in entries if "argv" in e and e["argv"][0] == "up"] == ["up"]


def test_the_kubernetes_reader_finds_the_reason_events_and_logs_of_the_new_replica_set(monkeypatch, staging_plan):
    """KubernetesReader against a stand-in of the Kubernetes API (the client's objects, faked),
    which answers 403 to what the staging deployer's planned Role does not grant, as the API
    server would: the newest ReplicaSet's crashing pod gives the reason, its events and its
    previous logs, and every request it makes is one the Role grants
    (gitlab_k8s_cd.components.provider_requests.DIAGNOSTICS)."""
    from types import SimpleNamespace as Obj

    import kubernetes
    from kubernetes.client.exceptions import ApiException

    from gitlab_k8s_cd.components.provider_requests import DIAGNOSTICS
    from tests.rbac import grants

    account, authorized = ("hello-staging", "hello-deployer"), set()

    def authorize(namespace, group, resource, verb, name=None):
        if not grants(staging_plan, account, namespace, group, resource, verb, name):
            raise ApiException(status=403, reason=f"Forbidden: {verb} {resource}")
        authorized.add(((group, resource), verb))

    from gitlab_k8s_cd.pipeline.deploy import KubernetesReader

    condition = Obj(
        type="Progressing",
        status="False",
        reason="ProgressDeadlineExceeded",
        message='ReplicaSet "hello-2" has timed out progressing.',
    )
    deployment = Obj(
        status=Obj(
            conditions=[
                Obj(type="Available", status="True", reason="MinimumReplicasAvailable", message="ok"),
                condition,
            ]
        ),
        spec=Obj(selector=Obj(match_labels={"app.kubernetes.io/name": "hello"})),
    )
    replica_sets = [
        Obj(
            metadata=Obj(
                annotations={"deployment.kubernetes.io/revision": str(n)}, labels={"pod-template-hash": f"h{n}"}
            )
        )
        for n in (1, 2)
    ]
    crashing = Obj(name="hello", restart_count=3, state=Obj(waiting=Obj(reason="CrashLoopBackOff")))
    pods = {"pod-template-hash=h2": [Obj(metadata=Obj(name="hello-2-abc"), status=Obj(container_statuses=[crashing]))]}
    asked = []

    class StandInApps:
        def read_namespaced_deployment(self, name, namespace):
            authorize(namespace, "apps", "deployments", "get", name)
            asked.append(("deployment", name, namespace))
            return deployment

        def list_namespaced_replica_set(self, namespace, label_selector):
            authorize(namespace, "apps", "replicasets", "list")
            assert label_selector == "app.kubernetes.io/name=hello"
            return Obj(items=replica_sets)

    class StandInCore:
        def list_namespaced_pod(self, namespace, label_selector):
            authorize(namespace, "", "pods", "list")
            return Obj(items=pods.get(label_selector, []))

        def list_namespaced_event(self, namespace, field_selector):
            authorize(namespace, "", "events", "list")
            assert field_selector == "involvedObject.name=hello-2-abc"
            return Obj(items=[Obj(reason="BackOff", message="Back-off restarting failed container hello")])

        def read_namespaced_pod_log(self, name, namespace, container, previous, tail_lines):
            authorize(namespace, "", "pods/log", "get", name)
            assert (previous, tail_lines) == (True, 20)
            return "Traceback (most recent call last):\nKeyError: 'GREETING'\n"

    monkeypatch.setattr(kubernetes.config, "load_kube_config", lambda **_: None)
    monkeypatch.setattr(kubernetes.client, "AppsV1Api", StandInApps)
    monkeypatch.setattr(kubernetes.client, "CoreV1Api", StandInCore)
    reason, lines = KubernetesReader().diagnose("hello-staging", "hello")
    assert reason == 'ProgressDeadlineExceeded: ReplicaSet "hello-2" has timed out progressing.'
    assert asked == [("deployment", "hello", "hello-staging")]
    assert "pod hello-2-abc: BackOff: Back-off restarting failed container hello" in lines
    assert "hello-2-abc/hello | KeyError: 'GREETING'" in lines
    # Everything the diagnosis of a rollout reads; the migration's Job is read by migration() (below).
    assert authorized == {(api, verb) for api, verbs in DIAGNOSTICS.items() for verb in verbs} - {
        (("batch", "jobs"), "get")
    }


def test_the_kubernetes_reader_finds_a_failed_migration_jobs_reason_events_and_logs(monkeypatch, staging_plan):
    """KubernetesReader.migration against a stand-in of the Kubernetes API (the client's objects,
    faked), which answers 403 to what the staging deployer's planned Role does not grant and 404 to
    a Job it does not hold, as the API server would."""
    from types import SimpleNamespace as Obj

    import kubernetes
    from kubernetes.client.exceptions import ApiException

    from gitlab_k8s_cd.components.provider_requests import DIAGNOSTICS
    from gitlab_k8s_cd.pipeline.deploy import KubernetesReader
    from tests.rbac import grants

    account, authorized = ("hello-staging", "hello-deployer"), set()

    def authorize(namespace, group, resource, verb, name=None):
        if not grants(staging_plan, account, namespace, group, resource, verb, name):
            raise ApiException(status=403, reason=f"Forbidden: {verb} {resource}")
        authorized.add(((group, resource), verb))

    failed = Obj(type="Failed", status="True", reason="BackoffLimitExceeded", message="Job has reached the limit")
    jobs = {
        "hello-migrate-bbbbbbbbbbbb": Obj(
            # FailureTarget first, then Failed once the pod has stopped (docs/contracts.md KA-9).
            status=Obj(
                conditions=[
                    Obj(
                        type="FailureTarget",
                        status="True",
                        reason="BackoffLimitExceeded",
                        message="Job has reached the limit",
                    ),
                    failed,
                ]
            ),
            spec=Obj(selector=Obj(match_labels={"batch.kubernetes.io/controller-uid": "u-1"})),
        ),
        # Past its deadline, its pod still stopping: FailureTarget alone, so far.
        "hello-migrate-dddddddddddd": Obj(
            status=Obj(
                conditions=[Obj(type="FailureTarget", status="True", reason="DeadlineExceeded", message="late")]
            ),
            spec=Obj(selector=Obj(match_labels={"batch.kubernetes.io/controller-uid": "u-3"})),
        ),
        "hello-migrate-aaaaaaaaaaaa": Obj(
            status=Obj(conditions=[Obj(type="Complete", status="True", reason=None, message=None)]),
            spec=Obj(selector=Obj(match_labels={"batch.kubernetes.io/controller-uid": "u-0"})),
        ),
    }
    exited = Obj(name="migrate", state=Obj(terminated=Obj(exit_code=1, reason="Error"), running=None))
    pods = {
        "batch.kubernetes.io/controller-uid=u-1": [
            Obj(metadata=Obj(name="m-1"), status=Obj(container_statuses=[exited]))
        ]
    }

    class StandInBatch:
        def read_namespaced_job(self, name, namespace):
            authorize(namespace, "batch", "jobs", "get", name)
            if name not in jobs:
                raise ApiException(status=404, reason="Not Found")
            return jobs[name]

    class StandInCore:
        def list_namespaced_pod(self, namespace, label_selector):
            authorize(namespace, "", "pods", "list")
            return Obj(items=pods.get(label_selector, []))

        def list_namespaced_event(self, namespace, field_selector):
            authorize(namespace, "", "events", "list")
            assert field_selector == "involvedObject.name=m-1"
            return Obj(items=[Obj(reason="Started", message="Started container migrate")])

        def read_namespaced_pod_log(self, name, namespace, container, tail_lines):
            authorize(namespace, "", "pods/log", "get", name)
            assert (container, tail_lines) == ("migrate", 20)
            return 'Applying 0042_email...\nDuplicateColumn: column "email" already exists\n'

    monkeypatch.setattr(kubernetes.config, "load_kube_config", lambda **_: None)
    monkeypatch.setattr(kubernetes.client, "BatchV1Api", StandInBatch)
    monkeypatch.setattr(kubernetes.client, "CoreV1Api", StandInCore)
    reader = KubernetesReader()
    reason, lines = reader.migration("hello-staging", "hello-migrate-bbbbbbbbbbbb")
    assert reason == "BackoffLimitExceeded: Job has reached the limit"
    assert "Job hello-migrate-bbbbbbbbbbbb Failed=True: BackoffLimitExceeded: Job has reached the limit" in lines
    assert "pod m-1: migrate exited 1 (Error)" in lines
    assert 'm-1/migrate | DuplicateColumn: column "email" already exists' in lines
    assert reader.migration("hello-staging", "hello-migrate-dddddddddddd")[0] == "DeadlineExceeded: late"
    assert reader.migration("hello-staging", "hello-migrate-aaaaaaaaaaaa") is None  # it completed
    assert reader.migration("hello-staging", "hello-migrate-cccccccccccc") is None  # no such Job
    wanted = {(("batch", "jobs"), "get"), (("", "pods"), "list"), (("", "events"), "list"), (("", "pods/log"), "get")}
    assert authorized == wanted and wanted <= {(api, verb) for api, verbs in DIAGNOSTICS.items() for verb in verbs}


def test_the_kubernetes_reader_loads_the_jobs_kubeconfig_through_the_agents_context(tmp_path, monkeypatch):
    """The real client, on a kubeconfig as GitLab hands an agent-mode job (contexts per agent, no
    current-context: docs/contracts.md GL-37): the reader talks to the cluster of the context it is
    given, from the file $KUBECONFIG names when it reads (the client reads it once, at import)."""
    from kubernetes import client

    from gitlab_k8s_cd.pipeline.deploy import KubernetesReader

    def server(name):
        return f"https://{name}.kas.example.com/k8s-proxy"

    contexts = ["acme/other-agents:prod", "acme/cluster-agents:staging-agent"]
    kubeconfig = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": f"c{i}", "cluster": {"server": server(i)}} for i, _ in enumerate(contexts)],
        "users": [{"name": f"agent:{i}", "user": {"token": f"ci:{i}:job-token"}} for i, _ in enumerate(contexts)],
        "contexts": [
            {"name": n, "context": {"cluster": f"c{i}", "user": f"agent:{i}"}} for i, n in enumerate(contexts)
        ],
    }
    path = tmp_path / "gitlab-k8s-cd.kubeconfig"
    path.write_text(yaml.safe_dump(kubeconfig))
    monkeypatch.setenv("KUBECONFIG", str(path))
    monkeypatch.setattr(client.Configuration, "_default", None)  # restored after the test
    KubernetesReader("acme/cluster-agents:staging-agent")._load()
    assert client.Configuration.get_default_copy().host == server(1)
    KubernetesReader("acme/other-agents:prod")._load()
    assert client.Configuration.get_default_copy().host == server(0)


def test_the_deploy_tool_reads_the_context_from_the_stack_as_its_provider_does(tmp_path, monkeypatch):
    from gitlab_k8s_cd.pipeline.deploy import kube_context

    (tmp_path / "Pulumi.yaml").write_text("name: gitlab-k8s-cd\nruntime: python\n")
    (tmp_path / "Pulumi.staging.yaml").write_text(
        "config:\n  gitlab-k8s-cd:clusterAccess: agent\n"
        "  gitlab-k8s-cd:agent: {project: acme/cluster-agents, name: staging-agent}\n"
    )
    (tmp_path / "Pulumi.production.yaml").write_text("config:\n  gitlab-k8s-cd:app: hello\n")
    monkeypatch.chdir(tmp_path)
    assert kube_context("staging") == "acme/cluster-agents:staging-agent"
    assert kube_context("production") is None  # kubeconfig mode: the file's current context
    assert kube_context("review-7") is None  # no stack file: pulumi up reports it, not the diagnosis
    monkeypatch.chdir(ROOT)
    assert kube_context("staging") is None


def test_the_stand_in_pulumi_refuses_a_stack_without_its_passphrase_as_the_cli_does(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_CONFIG_PASSPHRASE")}
    env["PULUMI_STAND_IN_LOG"] = str(tmp_path / "log")
    result = subprocess.run(
        [str(ROOT / "tests" / "bin" / "pulumi"), "preview", "--stack", "staging"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 255
    assert "passphrase must be set with PULUMI_CONFIG_PASSPHRASE" in result.stderr


def test_what_the_tool_prints_never_shows_a_secret_setting_nor_its_base64(capsys):
    """A crashing pod may print its environment; GitLab masks CI variables in the job's log, not
    the stack's secrets: the tool masks the values of the Secret <app>-secrets (and their base64)."""
    import base64

    class Leaky(StandInClusterReader):
        def diagnose(self, namespace, deployment):
            reason, lines = super().diagnose(namespace, deployment)
            encoded = base64.b64encode(b"hunter2hunter2").decode()
            return f"{reason} DB_PASSWORD=hunter2hunter2", [*lines, f"{deployment}/app | {encoded} on", "ok: on"]

    pulumi = running()
    pulumi.failing = {BAD}
    reader = Leaky(secrets={"hello-secrets": ["hunter2hunter2", "on"]})
    status, summary = deploy(f"{REPO}@{BAD}", [], pulumi, reader)
    printed = capsys.readouterr().out
    assert status == EXIT_ROLLED_BACK
    assert "hunter2hunter2" not in printed + summary and base64.b64encode(b"hunter2hunter2").decode() not in printed
    assert "DB_PASSWORD=[masked]" in summary and "hello/app | [masked] on" in printed
    assert "ok: on" in printed  # a value too short to mask without blanking lines is left alone


def test_a_stack_whose_secrets_cannot_be_read_is_still_diagnosed(capsys):
    pulumi = running()
    pulumi.failing = {BAD}
    status, _ = deploy(f"{REPO}@{BAD}", [], pulumi, StandInClusterReader())  # no Secret it may read
    assert status == EXIT_ROLLED_BACK and "KeyError: 'GREETING'" in capsys.readouterr().out


def test_the_image_goes_to_the_config_key_the_program_reads(monkeypatch):
    """By default the key ``image``, without a namespace: the CLI gives it the project's, where the
    program reads it (docs/contracts.md PC-13). A program that reads another namespace is given its
    image key with it (the component's input image_config_key), and the other bare keys go there too."""
    from gitlab_k8s_cd.pipeline.deploy import PulumiCli

    started = []

    class Started:
        def __init__(self, command):
            started.append(command)

        def wait(self):
            return 0

    monkeypatch.setattr("subprocess.Popen", Started)
    PulumiCli("staging").up(f"{REPO}@{GOOD}", ["commitSha=abc", "kubernetes:context=ci"])
    PulumiCli("production", image_key="ledger:image").up(f"{REPO}@{GOOD}", ["commitSha=abc", "kubernetes:context=ci"])

    def configs(command):
        return [command[index + 1] for index, arg in enumerate(command) if arg == "--config"]

    assert configs(started[0]) == [f"image={REPO}@{GOOD}", "commitSha=abc", "kubernetes:context=ci"]
    assert configs(started[1]) == [f"ledger:image={REPO}@{GOOD}", "ledger:commitSha=abc", "kubernetes:context=ci"]


def stand_in_up(project_dir, *configs, command=("up", "--yes"), state=None):
    """``pulumi up`` (or ``command``) of the stand-in CLI in ``project_dir`` (planning its stack
    offline), and what it handed the plan as ``-c``; ``state``: its $PULUMI_STAND_IN_STATE_DIR."""
    env = {
        **os.environ,
        "PULUMI_STAND_IN_LOG": str(project_dir / "pulumi.log"),
        "PULUMI_STAND_IN_PLAN_DIR": str(project_dir / "plan"),
        "PULUMI_CONFIG_PASSPHRASE": "stand-in-passphrase",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        **({"PULUMI_STAND_IN_STATE_DIR": str(state)} if state else {}),
    }
    argv = [*command, "--stack", "dev"] + [arg for config in configs for arg in ("--config", config)]
    return subprocess.run(
        [sys.executable, str(ROOT / "tests" / "bin" / "pulumi"), *argv],  # this Python runs the plan
        cwd=project_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


HANDED = """\
import json

import pulumi
import pulumi_kubernetes as kubernetes
from pulumi.runtime import config

# What the program was handed: its project, and every config key.
handed = {"project": pulumi.get_project(), "keys": sorted(config.CONFIG.get())}
kubernetes.core.v1.ConfigMap("handed", metadata={"name": "handed"}, data={"handed": json.dumps(handed)})
"""


def test_the_stand_in_pulumi_gives_a_bare_config_key_the_projects_namespace_as_the_cli_does(tmp_path):
    """pulumi/pulumi parseConfigKey: a ``--config`` key without ``:`` is ``<Pulumi.yaml's name>:<key>``,
    whatever namespace the library's own project has; a namespaced one stays as it is
    (docs/contracts.md PC-13). A project named ledger-infra, whose program shows what it was handed."""
    (tmp_path / "Pulumi.yaml").write_text("name: ledger-infra\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  ledger-infra:team: ledger\n")  # not our keys: no placeholder
    (tmp_path / "__main__.py").write_text(HANDED)
    image = "registry.example.com/ledger@sha256:" + "a" * 64
    result = stand_in_up(tmp_path, f"image={image}", "commitSha=abc", "kubernetes:context=ci")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    (entry,) = [json.loads(line) for line in (tmp_path / "pulumi.log").read_text().splitlines()]
    assert entry["argv"][4:6] == ["--config", f"image={image}"]  # as the deploy tool passed it
    (config_map,) = yaml.safe_load_all((tmp_path / "plan" / "kubernetes.yaml").read_text())
    handed = json.loads(config_map["data"]["handed"])
    assert handed == {
        "project": "ledger-infra",
        "keys": ["kubernetes:context", "ledger-infra:commitSha", "ledger-infra:image", "ledger-infra:team"],
    }


def test_the_stand_in_pulumi_keeps_the_outputs_of_a_stacks_last_successful_up_for_stack_output(tmp_path):
    """As the backend keeps the stack's outputs: the pipeline runs' canary jobs read web's image back."""
    (tmp_path / "Pulumi.yaml").write_text("name: ledger-infra\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  ledger-infra:team: ledger\n")
    (tmp_path / "__main__.py").write_text(HANDED + 'pulumi.export("image", pulumi.Config().require("image"))\n')
    state = tmp_path / "state"
    assert stand_in_up(tmp_path, command=("stack", "output", "image"), state=state).returncode == 1  # never deployed
    image = "registry.example.com/ledger@sha256:" + "a" * 64
    assert stand_in_up(tmp_path, f"image={image}", state=state).returncode == 0
    shown = stand_in_up(tmp_path, command=("stack", "output", "image"), state=state)
    assert (shown.returncode, shown.stdout) == (0, image + "\n")
    (tmp_path / "__main__.py").write_text("raise RuntimeError('a failed update')\n")
    assert stand_in_up(tmp_path, "image=other", state=state).returncode != 0
    assert stand_in_up(tmp_path, command=("stack", "output", "image"), state=state).stdout == image + "\n"


def test_the_stand_in_pulumi_refuses_a_config_key_the_cli_cannot_parse(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: ledger-infra\nruntime: python\n")
    result = stand_in_up(tmp_path, "a:b:c=1")
    assert result.returncode == 1
    assert result.stderr == (
        "error: could not parse a:b:c as a configuration key (configuration keys should be of the form "
        "`<namespace>:<name>`)\n"
    )


def test_a_deployment_name_too_long_for_a_job_means_no_migration_to_look_for(capsys):
    """A review app's (or any) web Deployment whose name leaves no room for a Job's: the stack
    could have made none, so the tool looks for none, and says nothing misleading about it."""
    pulumi = running()
    pulumi.outputs["deployment_name"] = "a" + "b" * 60
    pulumi.failing = {BAD}
    reader = StandInClusterReader()
    deploy(f"{REPO}@{BAD}", [], pulumi, reader)
    assert reader.jobs_asked == []
    assert "could not read the migration Job" not in capsys.readouterr().out


# --- the canary track: deploy-canary, promote, abort ------------------------------------------

CANARY = "sha256:" + "c" * 64
STABLE_TRACE = {"commitSha": "a" * 40, "pipelineUrl": "https://gitlab.com/acme/hello/-/pipelines/1", "jobUrl": ""}
GIVEN_TRACE = [
    "commitSha=" + "c" * 40,
    "pipelineUrl=https://gitlab.com/acme/hello/-/pipelines/2",
    "jobUrl=https://gitlab.com/acme/hello/-/jobs/20",
]
"""What a CI job passes of its own deploy (the deploy job's --config values)."""
WEB_TRACE = [
    "commitSha=" + "a" * 40,
    "pipelineUrl=https://gitlab.com/acme/hello/-/pipelines/1",
    "jobUrl=",
]
"""web's trace given back, from the stack's trace output."""
NO_CANARY = [
    "canaryImage=",
    "canaryCommitSha=",
    "canaryPipelineUrl=",
    "canaryJobUrl=",
]


class FailingOnConfig(StandInPulumi):
    """``up`` fails when a ``--config`` value names one of the ``failing`` digests (the canary's)."""

    def up(self, image, configs, excludes=()):
        if any(digest in config for config in configs for digest in self.failing):
            self.ups.append((image, list(configs)))
            self.excluded.append(list(excludes))
            return 255
        return super().up(image, configs, excludes)


def with_canary_track(canary=""):
    pulumi = running()
    stand_in = FailingOnConfig(outputs=pulumi.outputs)
    stand_in.outputs.update(image=f"{REPO}@{GOOD}", trace=json.dumps(STABLE_TRACE), canary_image=canary)
    return stand_in


def test_deploy_canary_runs_the_canary_beside_webs_image_and_trace_which_stay():
    from gitlab_k8s_cd.pipeline.deploy import deploy_canary

    pulumi = with_canary_track()
    extra = "gitlab-k8s-cd:someKey=x"
    status, summary = deploy_canary(f"{REPO}@{CANARY}", [*GIVEN_TRACE, extra], pulumi, StandInClusterReader())
    assert (status, summary) == (EXIT_DEPLOYED, f"canary {CANARY} deployed beside {GOOD}")
    assert pulumi.ups == [
        (
            f"{REPO}@{GOOD}",  # the image web runs: its Deployment does not change
            [
                extra,
                *WEB_TRACE,  # nor its pods' annotations
                "canaryCommitSha=" + "c" * 40,
                "canaryPipelineUrl=https://gitlab.com/acme/hello/-/pipelines/2",
                "canaryJobUrl=https://gitlab.com/acme/hello/-/jobs/20",
                f"canaryImage={REPO}@{CANARY}",
            ],
        )
    ]
    assert pulumi.outputs["deployed_digest"] == GOOD


def test_a_failed_canary_is_explained_by_its_own_deployment_and_removed_web_untouched(capsys):
    from gitlab_k8s_cd.pipeline.deploy import deploy_canary

    pulumi = with_canary_track()
    pulumi.failing = {CANARY}
    reader = StandInClusterReader(failing=("hello-canary",))
    status, summary = deploy_canary(f"{REPO}@{CANARY}", GIVEN_TRACE, pulumi, reader)
    assert status == EXIT_ROLLED_BACK
    assert summary == (
        f"canary {CANARY} failed: ProgressDeadlineExceeded: ReplicaSet hello-canary-7d9 has timed out "
        f"progressing.; canary removed, still running {GOOD}"
    )
    # The canary's Deployment alone is diagnosed (its selector finds the canary's pods only).
    assert reader.asked == [("hello-staging", "hello-canary")]
    assert "hello-canary-7d9-x2x/app | KeyError: 'GREETING'" in capsys.readouterr().out
    # Then one up without the canary, web's image and trace as they were; the migration Job left alone.
    assert pulumi.ups[1] == (f"{REPO}@{GOOD}", [*WEB_TRACE, *NO_CANARY])
    assert pulumi.excluded == [[], [MIGRATION_JOB_URN_GLOB]]


def test_a_canary_whose_removal_fails_too_says_so_and_is_not_retried():
    from gitlab_k8s_cd.pipeline.deploy import deploy_canary

    pulumi = with_canary_track()
    pulumi.failing = {CANARY, GOOD}
    status, summary = deploy_canary(f"{REPO}@{CANARY}", [], pulumi, StandInClusterReader(failing=()))
    assert status == EXIT_ROLLBACK_FAILED and len(pulumi.ups) == 2
    assert summary.endswith(
        "removing it failed too (pulumi up exited 255): run the abort job, or see README: rolling back by hand"
    )


def test_a_canary_needs_a_running_image_to_stand_beside():
    from gitlab_k8s_cd.pipeline.deploy import deploy_canary

    pulumi = StandInPulumi()
    status, summary = deploy_canary(f"{REPO}@{CANARY}", [], pulumi, StandInClusterReader())
    assert status == EXIT_ROLLED_BACK and "the stack runs no image yet" in summary
    assert pulumi.ups == []


def test_promoting_the_canary_deploys_its_image_and_removes_it_in_the_same_up():
    pulumi = with_canary_track(canary=f"{REPO}@{CANARY}")
    status, summary = deploy(f"{REPO}@{CANARY}", GIVEN_TRACE, pulumi, StandInClusterReader())
    assert (status, summary) == (EXIT_DEPLOYED, f"deployed {CANARY}: the canary is promoted, its Deployment removed")
    assert pulumi.ups == [(f"{REPO}@{CANARY}", [*GIVEN_TRACE, *NO_CANARY])]
    # Another image while a canary runs: deployed, and the canary removed all the same.
    pulumi = with_canary_track(canary=f"{REPO}@{CANARY}")
    status, summary = deploy(f"{REPO}@{BAD}", [], pulumi, StandInClusterReader())
    assert summary == f"deployed {BAD}; the canary ({CANARY}) removed"
    assert pulumi.ups == [(f"{REPO}@{BAD}", NO_CANARY)]


def test_the_promote_job_promotes_only_the_canary_that_runs_and_otherwise_changes_nothing():
    """After an abort (no canary), or once a later pipeline's canary replaced this one, promoting
    would roll every pod to an image no canary vouches for: --promote refuses, with no ``up``."""
    from gitlab_k8s_cd.pipeline.deploy import EXIT_NOT_PROMOTED, promote

    pulumi = with_canary_track(canary=f"{REPO}@{CANARY}")
    status, summary = promote(f"{REPO}@{CANARY}", GIVEN_TRACE, pulumi, StandInClusterReader())
    assert (status, summary) == (EXIT_DEPLOYED, f"deployed {CANARY}: the canary is promoted, its Deployment removed")
    assert pulumi.ups == [(f"{REPO}@{CANARY}", [*GIVEN_TRACE, *NO_CANARY])]
    assert pulumi.read.count("canary_image") == 1  # read once, for the check and the deploy
    aborted = with_canary_track(canary="")
    status, summary = promote(f"{REPO}@{CANARY}", GIVEN_TRACE, aborted, StandInClusterReader())
    assert (status, summary) == (
        EXIT_NOT_PROMOTED,
        f"{CANARY} not promoted: no canary runs (aborted, or removed); nothing changed",
    )
    replaced = with_canary_track(canary=f"{REPO}@{BAD}")
    status, summary = promote(f"{REPO}@{CANARY}", GIVEN_TRACE, replaced, StandInClusterReader())
    assert (status, summary) == (
        EXIT_NOT_PROMOTED,
        f"{CANARY} not promoted: the canary running is {BAD}; nothing changed",
    )
    assert aborted.ups == replaced.ups == []
    # Promoting twice: the first promotion removed the canary, so the second changes nothing.
    assert promote(f"{REPO}@{CANARY}", [], with_canary_track(canary=""), StandInClusterReader())[0] == EXIT_NOT_PROMOTED


def test_a_failed_promotion_rolls_web_back_without_the_canary():
    pulumi = with_canary_track(canary=f"{REPO}@{CANARY}")
    pulumi.failing = {CANARY}
    status, summary = deploy(f"{REPO}@{CANARY}", [], pulumi, StandInClusterReader())
    assert status == EXIT_ROLLED_BACK and summary.endswith(f"rolled back to {GOOD}")
    assert pulumi.ups[1] == (f"{REPO}@{GOOD}", NO_CANARY)


def test_abort_removes_the_canary_and_keeps_webs_image_and_trace():
    from gitlab_k8s_cd.pipeline.deploy import abort_canary

    pulumi = with_canary_track(canary=f"{REPO}@{CANARY}")
    status, summary = abort_canary([*GIVEN_TRACE, "gitlab-k8s-cd:someKey=x"], pulumi)
    assert (status, summary) == (EXIT_DEPLOYED, f"canary {CANARY} removed; still running {GOOD}")
    # The trace values given describe the abort job: they would roll web's pods, so they are dropped.
    assert pulumi.ups == [(f"{REPO}@{GOOD}", ["gitlab-k8s-cd:someKey=x", *WEB_TRACE, *NO_CANARY])]
    assert abort_canary([], with_canary_track())[1] == f"no canary was running; still running {GOOD}"
    failed = with_canary_track(canary=f"{REPO}@{CANARY}")
    failed.failing = {GOOD}
    assert abort_canary([], failed) == (
        EXIT_ROLLED_BACK,
        "abort failed: pulumi up exited 255; the canary may still run",
    )


def test_the_canarys_keys_are_in_the_image_keys_namespace():
    from gitlab_k8s_cd.pipeline.deploy import CANARY_KEYS, TRACE_KEYS, abort_canary, config_key, no_canary

    assert config_key("gitlab-k8s-cd:image", "canaryImage") == "gitlab-k8s-cd:canaryImage"
    assert config_key("orders:image", "canaryImage") == "orders:canaryImage"
    assert config_key("image", "canaryImage") == "canaryImage"  # the CLI qualifies it with the project's name
    assert no_canary("orders:image") == [f"orders:{key}=" for key in CANARY_KEYS]
    pulumi = with_canary_track(canary=f"{REPO}@{CANARY}")
    abort_canary(["orders:commitSha=" + "f" * 40], pulumi, image_key="orders:image")
    assert pulumi.ups[0][1] == [
        *(f"orders:{key}={STABLE_TRACE[key]}" for key in TRACE_KEYS),
        *(f"orders:{key}=" for key in CANARY_KEYS),
    ]


def test_the_canarys_keys_are_the_ones_the_program_reads():
    from gitlab_k8s_cd.components.config_keys import KNOWN_KEYS
    from gitlab_k8s_cd.components.review_config import REVIEW_REFUSED
    from gitlab_k8s_cd.pipeline.deploy import CANARY_KEYS, TRACE_KEYS

    assert set(CANARY_KEYS) | set(TRACE_KEYS) <= KNOWN_KEYS
    assert set(CANARY_KEYS) <= set(REVIEW_REFUSED)


def run_tool(tmp_path, outputs, *args):
    """The real tool, as a CI job runs it, against the stand-in tests/bin/pulumi, whose ``up`` plans
    the staging stack offline with the same --config values; returns (exit status, stderr, the
    pulumi calls, the planned Deployments by name)."""
    import yaml

    tmp_path.mkdir()
    (tmp_path / "outputs.json").write_text(json.dumps(outputs))
    log, plan = tmp_path / "pulumi.log", tmp_path / "plan"
    env = {
        **os.environ,
        # The stand-in, and this interpreter as its python3 (it runs the offline plan).
        "PATH": os.pathsep.join([str(ROOT / "tests" / "bin"), os.path.dirname(sys.executable), os.environ["PATH"]]),
        "PULUMI_STAND_IN_LOG": str(log),
        "PULUMI_STAND_IN_OUTPUTS": str(tmp_path / "outputs.json"),
        "PULUMI_STAND_IN_PLAN_DIR": str(plan),
        "PULUMI_CONFIG_PASSPHRASE": "correct-horse-battery-staple",
        # This checkout first (an import root given in the environment, after it, stands in for an editable install).
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    result = subprocess.run(
        [sys.executable, "-m", "gitlab_k8s_cd.pipeline.deploy", "--stack", "staging", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    calls = [json.loads(line)["argv"] for line in log.read_text().splitlines()]
    manifests = yaml.safe_load_all((plan / "kubernetes.yaml").read_text()) if plan.exists() else []
    deployments = {m["metadata"]["name"]: m for m in manifests if m and m["kind"] == "Deployment"}
    return result.returncode, result.stderr + result.stdout, calls, deployments


def test_each_mode_through_the_cli_makes_exactly_its_pulumi_calls_and_plans_what_it_says(tmp_path):
    """deploy-canary, promote and abort, as the CI jobs run them, on the staging stack with a
    canary track declared (a --config here; production's stack file declares it)."""
    track = 'gitlab-k8s-cd:canary={"replicas": 2}'
    stable = "registry.gitlab.com/acme/hello@" + GOOD
    canary = "registry.gitlab.com/acme/hello@" + CANARY
    outputs = {"image": stable, "trace": STABLE_TRACE, "deployed_digest": GOOD, "canary_image": ""}
    reads = [["stack", "output", "trace", "--stack", "staging"], ["stack", "output", "image", "--stack", "staging"]]

    def up(image, *configs):
        command = ["up", "--yes", "--stack", "staging", "--config", f"image={image}"]
        for config in configs:
            command += ["--config", config]
        return command

    status, said, calls, planned = run_tool(
        tmp_path / "canary", outputs, "--canary-image", canary, "--config", track, "--config", GIVEN_TRACE[0]
    )
    assert status == EXIT_DEPLOYED, said
    assert calls == [
        *reads,
        up(
            stable,
            track,
            *WEB_TRACE,
            "canaryCommitSha=" + "c" * 40,
            f"canaryImage={canary}",
        ),
    ]
    assert set(planned) == {"hello", "hello-worker", "hello-canary"}
    assert planned["hello"]["spec"]["template"]["spec"]["containers"][0]["image"] == stable
    assert planned["hello-canary"]["spec"]["template"]["spec"]["containers"][0]["image"] == canary
    assert planned["hello-canary"]["spec"]["replicas"] == 2
    assert planned["hello"]["spec"]["template"]["metadata"]["annotations"]["gitlab-k8s-cd/commit-sha"] == "a" * 40

    running = {**outputs, "canary_image": canary}
    status, said, calls, planned = run_tool(tmp_path / "promote", running, "--image", canary, "--config", track)
    assert status == EXIT_DEPLOYED, said
    assert calls == [
        ["stack", "output", "deployed_digest", "--stack", "staging"],
        ["stack", "output", "canary_image", "--stack", "staging"],
        up(canary, track, *NO_CANARY),
    ]
    assert set(planned) == {"hello", "hello-worker"}
    assert planned["hello"]["spec"]["template"]["spec"]["containers"][0]["image"] == canary

    status, said, calls, planned = run_tool(
        tmp_path / "abort", running, "--abort-canary", "--config", track, "--config", GIVEN_TRACE[0]
    )
    assert status == EXIT_DEPLOYED, said
    assert calls == [
        *reads,
        ["stack", "output", "canary_image", "--stack", "staging"],
        up(stable, track, *WEB_TRACE, *NO_CANARY),
    ]
    assert set(planned) == {"hello", "hello-worker"}
    assert planned["hello"]["spec"]["template"]["spec"]["containers"][0]["image"] == stable
    assert planned["hello"]["spec"]["template"]["metadata"]["annotations"]["gitlab-k8s-cd/commit-sha"] == "a" * 40


def test_the_cli_takes_exactly_one_mode_and_images_by_digest(capsys):
    from gitlab_k8s_cd.pipeline.deploy import main

    for args in ([], ["--image", f"{REPO}@{GOOD}", "--abort-canary"], ["--canary-image", "x", "--image", "y"]):
        with pytest.raises(SystemExit) as exited:
            main(["--stack", "staging", *args])
        assert exited.value.code == 2
    assert main(["--stack", "staging", "--canary-image", f"{REPO}:1.0"]) == 64
    assert "--canary-image 'registry.example.com/acme/hello:1.0': deploy by digest" in capsys.readouterr().err
    # Not a reference at all (the stack's grammar): refused before any pulumi run, the reason said.
    assert main(["--stack", "staging", "--image", f"{REPO.upper()}@{GOOD}"]) == 64
    err = capsys.readouterr().err
    assert "deploy by digest" in err and "(must be an image reference with a tag or a digest" in err
