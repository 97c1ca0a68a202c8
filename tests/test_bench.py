"""bench/replay.py, the bare-SDK baseline of P2's overhead figure (bench/README.md): it must register
exactly what the program it replays registered, or the figure compares different work."""

from __future__ import annotations

from pathlib import Path

import pulumi_gitlab
import pulumi_kubernetes

from bench import replay
from bench.run import CONFIG, SECRET_KEYS
from gitlab_k8s_cd.components.testing import Secret, run_component

ROOT = Path(__file__).resolve().parent.parent
FIELDS = ("type", "name", "parent", "custom", "provider", "inputs", "options", "dependencies", "property_dependencies")


def plan_of(target: str, env: dict[str, str]):
    return run_component(
        target, project="gitlab-k8s-cd", stack="staging", config=CONFIG, secret_keys=SECRET_KEYS, env=env, cwd=ROOT
    )


def test_the_replay_registers_every_resource_of_the_fleet_as_the_fleet_did(tmp_path):
    original = plan_of("bench.programs:fleet", {"BENCH_APPS": "1", "BENCH_REVIEW_APPS": "1"})
    file = tmp_path / "replay.json"
    replay.write(original.resources, file)
    again = plan_of("bench.replay:replay", {"BENCH_REPLAY": str(file)})
    assert len(again.resources) == len(original.resources)
    replayed = {resource.urn: resource for resource in again.resources}
    for resource in original.resources:
        for name in FIELDS:
            assert getattr(replayed[resource.urn], name) == getattr(resource, name), (resource.urn, name)
    # The fleet's secrets are replayed as secrets, not as plain text.
    secrets = [r for r in again.resources if any(isinstance(v, Secret) for v in r.inputs.values())]
    assert secrets and len(secrets) == len(
        [r for r in original.resources if any(isinstance(v, Secret) for v in r.inputs.values())]
    )


def test_type_tokens_map_to_the_classes_the_packages_registered():
    assert replay.sdk_class("kubernetes:rbac.authorization.k8s.io/v1:Role") is pulumi_kubernetes.rbac.v1.Role
    assert replay.sdk_class("kubernetes:core/v1:ConfigMap") is pulumi_kubernetes.core.v1.ConfigMap
    assert replay.sdk_class("gitlab:index/projectVariable:ProjectVariable") is pulumi_gitlab.ProjectVariable
    assert replay.sdk_class("pulumi:providers:kubernetes") is pulumi_kubernetes.Provider
