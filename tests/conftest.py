"""Shared fixtures: the staging stack's config, loaders and plans built from it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from gitlab_k8s_cd.components.review_config import derive_review_config
from gitlab_k8s_cd.components.stack_settings import Settings, load_settings
from gitlab_k8s_cd.components.testing import Plan, cli_config_value, run_component, run_program

ROOT = Path(__file__).resolve().parent.parent
PROJECT: str = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["name"]
"""This repository's project, gitlab-k8s-cd: the namespace of its stack's keys."""
NAMESPACE = PROJECT
_STAGING_FILE: dict[str, Any] = yaml.safe_load((ROOT / "Pulumi.staging.yaml").read_text())["config"]
APP_SECRETS = {"DB_PASSWORD": "staging-db-password-for-tests"}
"""What the tests hand the program for the stack file's encrypted ``secrets`` (the CLI decrypts them)."""
STAGING: dict[str, Any] = {k: v for k, v in _STAGING_FILE.items() if k != f"{NAMESPACE}:secrets"}
"""The staging stack's plain config; its secrets are in :data:`SECRETS`."""
assert set(_STAGING_FILE[f"{NAMESPACE}:secrets"]) == set(APP_SECRETS)
PASSPHRASE = "correct-horse-battery-staple"
SECRETS = {
    f"{NAMESPACE}:pulumiConfigPassphrase": PASSPHRASE,
    f"{NAMESPACE}:secrets": json.dumps(APP_SECRETS),
}
DIGEST = "sha256:" + "ab" * 32
MIGRATE = {"command": ["python3", "-m", "hello.migrate"]}
"""A ``migration`` key's smallest value: its command alone."""


def key(short: str) -> str:
    return f"{NAMESPACE}:{short}"


def staging_config(overrides: Mapping[str, Any] | None = None, drop: Iterable[str] = ()) -> dict[str, Any]:
    """The staging stack's config with short-key ``overrides`` and without the ``drop`` keys."""
    config = {**STAGING, **{key(k): v for k, v in (overrides or {}).items()}}
    for short in drop:
        config.pop(key(short))
    return config


def load(
    overrides: Mapping[str, Any] | None = None,
    drop: Iterable[str] = (),
    secrets: Mapping[str, str] | None = None,
) -> Settings:
    """``load_settings()`` in this process, with the staging config as the CLI would hand it over."""
    secrets = SECRETS if secrets is None else secrets
    config = {k: cli_config_value(v) for k, v in staging_config(overrides, drop).items()}
    pulumi.runtime.set_all_config({**config, **secrets}, list(secrets))
    # The project the engine would run the program as: load_settings() reads its namespace.
    pulumi.runtime.settings._set_project(PROJECT)
    return load_settings()


def plan_staging(
    overrides: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    drop: Iterable[str] = (),
    secrets: Mapping[str, str] | None = None,
) -> Plan:
    """The whole program on the staging config, under mocks, in a subprocess. ``secrets``: more
    full keys set with ``--secret``, with their values."""
    given = {**SECRETS, **(secrets or {})}
    return run_program(
        ROOT / "__main__.py",
        project=PROJECT,
        stack="staging",
        config={**staging_config(overrides, drop), **given},
        secret_keys=list(given),
        env=env,
        check=check,
    )


OTHER_IMAGE = "ghcr.io/acme/hello@sha256:" + "cd" * 32
"""The staging app's image in a registry that is not GitLab's."""
REGISTRY_PASSWORD = "ghcr-pull-token-for-tests"


def image_pull_config(image_pull: Mapping[str, Any], image: str = OTHER_IMAGE) -> dict[str, Any]:
    """``plan_staging``/``load`` arguments for the staging stack pulling ``image`` as ``imagePull``
    says, with no GitLab deploy token (and so no token dates). A ``password`` member goes in as
    ``pulumi config set --secret --path imagePull.password`` puts it: the whole key secret."""
    review_apps = {k: v for k, v in STAGING[key("reviewApps")].items() if k != "deployTokenExpiresAt"}
    overrides: dict[str, Any] = {"image": image, "reviewApps": review_apps}
    if "password" in image_pull:
        secrets = {**SECRETS, key("imagePull"): json.dumps(image_pull)}
        return {"overrides": overrides, "drop": ["deployTokenExpiresAt"], "secrets": secrets}
    return {"overrides": {**overrides, "imagePull": dict(image_pull)}, "drop": ["deployTokenExpiresAt"]}


def review_config(merge_request_iid: int = 42, environment: str = "review/feature-x") -> dict[str, Any]:
    """A review stack's config, derived from the staging stack's as ``gitlab_k8s_cd.pipeline.review`` does."""
    return derive_review_config(
        STAGING, namespace=PROJECT, merge_request_iid=merge_request_iid, environment=environment
    )


def plan_review(
    merge_request_iid: int = 42,
    environment: str = "review/feature-x",
    overrides: Mapping[str, Any] | None = None,
    check: bool = True,
) -> Plan:
    """The whole program on a review stack derived from staging, under mocks, in a subprocess.
    No secret: a review stack is handed none."""
    config = {**review_config(merge_request_iid, environment), **{key(k): v for k, v in (overrides or {}).items()}}
    return run_program(
        ROOT / "__main__.py",
        project=PROJECT,
        stack=f"review-{merge_request_iid}",
        config=config,
        secret_keys=[],
        check=check,
    )


def plan_cli(*args: str, env: Mapping[str, str] | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """``python -m gitlab_k8s_cd.components.plan *args`` in a clean environment (plus ``env``)."""
    # The inherited PYTHONPATH stays after ROOT: it may point gitlab_k8s_cd at the code under test
    # (a git worktree's), ahead of the editable install.
    python_path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    environment = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", **(env or {}), "PYTHONPATH": python_path}
    return subprocess.run(
        [sys.executable, "-m", "gitlab_k8s_cd.components.plan", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )


def component(target: str) -> Plan:
    """Run ``tests.programs.components:<target>`` under mocks."""
    return run_component(f"tests.programs.components:{target}", cwd=ROOT)


@pytest.fixture(scope="session")
def staging_plan() -> Plan:
    return plan_staging()


CANARY_IMAGE = "registry.gitlab.com/acme/hello@sha256:" + "ef" * 32
"""The image of the staging app's canary."""
STABLE_TRACE = {
    "commitSha": "a" * 40,
    "pipelineUrl": "https://gitlab.com/acme/hello/-/pipelines/1",
    "jobUrl": "https://gitlab.com/acme/hello/-/jobs/10",
}
"""What the deploy of the running (stable) image was given of its trace."""
CANARY_TRACK = {"canary": {"replicas": 2}, **STABLE_TRACE}
"""The staging stack with a canary track of two pods, and no canary running."""
CANARY = {
    **CANARY_TRACK,
    "canaryImage": CANARY_IMAGE,
    "canaryCommitSha": "c" * 40,
    "canaryPipelineUrl": "https://gitlab.com/acme/hello/-/pipelines/2",
    "canaryJobUrl": "https://gitlab.com/acme/hello/-/jobs/20",
}
"""The staging stack with its canary running, as the deploy tool's deploy-canary run configures it."""


@pytest.fixture(scope="session")
def canary_plan() -> Plan:
    """Staging with a canary track and its canary running (:data:`CANARY`)."""
    return plan_staging(CANARY)


@pytest.fixture(scope="session")
def canary_track_plan() -> Plan:
    """Staging with a canary track and no canary running (:data:`CANARY_TRACK`)."""
    return plan_staging(CANARY_TRACK)


@pytest.fixture(scope="session")
def review_plan() -> Plan:
    """Merge request !42's review stack (branch feature-x), derived from staging."""
    return plan_review(42, "review/feature-x")


WORKER = {k: v for k, v in STAGING[key("processes")]["worker"].items() if k != "replicas"}
"""The staging stack's worker, without its replicas (an autoscaler's instead)."""
MIGRATION = {"command": ["python3", "-m", "hello.migrate"]}


@pytest.fixture(scope="session")
def option_set_plans(staging_plan, review_plan) -> dict[str, Plan]:
    """Staging, a review stack, and options that change what a stack declares or what CI may
    change: one replica (no PDB) and no review apps; another image and settings, and autoscalers
    for web and the worker (a PDB each); a migration Job; a second review stack. What the
    deployers' Roles serve (tests/test_rbac.py) and every kind a stack declares
    (tests/test_provider_requests.py)."""
    return {
        "staging": staging_plan,
        "review": review_plan,
        "staging, 1 replica, no review apps": plan_staging({"replicas": 1, "reviewApps": {"enabled": False}}),
        "staging, other image, settings and autoscalers": plan_staging(
            {
                "image": "registry.gitlab.com/acme/hello@sha256:" + "cd" * 32,
                "settings": {"GREETING": "Hi"},
                "autoscaling": {"minReplicas": 2, "maxReplicas": 4},
                "processes": {"worker": {**WORKER, "autoscaling": {"minReplicas": 1, "maxReplicas": 3}}},
            },
            drop=("replicas",),
        ),
        "staging, with a migration": plan_staging({"migration": MIGRATION}),
        "review !7": plan_review(7, "review/other"),
    }


LONGEST_FIRST = (
    "tests/test_pipeline_e2e.py",
    "tests/test_consumer.py",
    "tests/test_pipeline_rules.py",
    "tests/test_plan_policy.py",
)
"""The files that take longest (``pytest --durations=0``), first in the collection. ``make test``
runs ``--dist loadfile --no-loadscope-reorder``, so each of the two workers starts on one of them;
xdist's default order (files by their number of tests) started the local pipeline run last, which
then ran alone while the other worker idled."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {path: index for index, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(LONGEST_FIRST)))
