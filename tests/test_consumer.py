"""The consumer tutorial (examples/consumer/README.md), run as written: its commands, extracted
from the README so that they cannot drift, in a clean virtualenv made with ``python -m venv``,
with gitlab-k8s-cd installed from the wheel built from this checkout (as the tag pipeline builds
it) in place of the release URL the tutorial names, and pinned by constraints.txt."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from gitlab_k8s_cd.pipeline.publish import requirement
from tests.conftest import ROOT
from tests.wheel import VERSION, built_wheel

TUTORIAL = ROOT / "examples" / "consumer"
MARKER = "<!-- tests/test_consumer.py runs this block, line by line, in a clean virtualenv -->"


def tutorial_commands() -> list[str]:
    text = (TUTORIAL / "README.md").read_text()
    block = re.search(re.escape(MARKER) + r"\n```sh\n(.*?)\n```", text, re.DOTALL)
    assert block, "the README's tested block is gone"
    return block.group(1).splitlines()


def clean_environment(path: str) -> dict[str, str]:
    """No PYTHONPATH, no active virtualenv: nothing of this checkout is importable but the wheel."""
    drop = {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PIP_REQUIRE_VIRTUALENV"}
    return {**{k: v for k, v in os.environ.items() if k not in drop}, "PATH": path}


@pytest.fixture(scope="module")
def tutorial(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("consumer")
    shutil.copytree(TUTORIAL / "ledger-infra", workdir / "ledger-infra")
    project = workdir / "ledger-infra"
    requirements = project / "requirements.txt"
    released = f"gitlab-k8s-cd[plan] @ {requirement(VERSION).split(' @ ')[1]}"
    assert requirements.read_text().splitlines()[0] == released, "the tutorial installs another release"
    requirements.write_text(
        requirements.read_text().replace(released, f"gitlab-k8s-cd[plan] @ {built_wheel().as_uri()}")
    )
    python = shutil.which("python3.11") or sys.executable
    path = os.pathsep.join([str(Path(python).parent), "/usr/local/bin", "/usr/bin", "/bin"])
    cwd, results = workdir, []
    for command in tutorial_commands():
        if command.startswith("cd "):
            cwd = cwd / command[3:]
            continue
        if command.startswith(".venv/bin/pip install"):
            command += f" --quiet --disable-pip-version-check -c {ROOT / 'constraints.txt'}"
        run = subprocess.run(
            ["bash", "-c", command], cwd=cwd, env=clean_environment(path), capture_output=True, text=True, timeout=600
        )
        results.append((command, run))
        assert run.returncode == 0, f"{command}\n{run.stdout[-2000:]}\n{run.stderr[-3000:]}"
    yield {"project": project, "results": dict(results)}


def output(tutorial, prefix):
    (run,) = [run for command, run in tutorial["results"].items() if command.startswith(prefix)]
    return run.stdout + run.stderr


def test_the_library_is_the_wheels_in_the_clean_virtualenv_and_the_projects_components_are_its_own(tutorial):
    project = tutorial["project"]
    probe = (
        "import components, gitlab_k8s_cd.components as library; from importlib import metadata; "
        "print(components.__file__); print(library.__file__); print(metadata.version('gitlab-k8s-cd'))"
    )
    run = subprocess.run(
        [str(project / ".venv" / "bin" / "python"), "-c", probe],
        cwd=project,
        env=clean_environment("/usr/bin:/bin"),
        capture_output=True,
        text=True,
        check=True,
    )
    own, library, version = run.stdout.splitlines()
    assert Path(own) == project / "components" / "__init__.py"
    assert Path(library).is_relative_to(project / ".venv") and "site-packages" in library
    assert version == VERSION


def test_the_offline_plan_of_the_dev_stack_reads_the_projects_own_config_namespace(tutorial):
    text = output(tutorial, ".venv/bin/python -m gitlab_k8s_cd.components.plan")
    assert "Valid: 3 manifests" in text
    assert "Policies: no mandatory violation" in text and "site-packages/gitlab_k8s_cd/policy" in text
    manifests = list(yaml.safe_load_all((tutorial["project"] / "build" / "plan" / "kubernetes.yaml").read_text()))
    config_map = next(m for m in manifests if m["kind"] == "ConfigMap")
    assert config_map["metadata"] == {"name": "ledger-settings", "namespace": "ledger-dev"}
    assert config_map["data"] == {"LEDGER_CURRENCY": "EUR"}
    assert next(m for m in manifests if m["kind"] == "Namespace")["metadata"]["name"] == "ledger-dev"


def test_the_projects_own_tests_pass_with_the_librarys_harness(tutorial):
    text = output(tutorial, ".venv/bin/python -m pytest")
    count = (tutorial["project"] / "tests" / "test_ledger.py").read_text().count("\ndef test_")
    assert count >= 2 and f"{count} passed" in text


def test_the_policy_pack_is_written_into_the_project_pinning_this_release(tutorial):
    pack = tutorial["project"] / "policy-pack"
    assert sorted(p.name for p in pack.iterdir()) == [
        ".gitignore",
        "PulumiPolicy.yaml",
        "__main__.py",
        "requirements.txt",
    ]
    assert (pack / "requirements.txt").read_text().splitlines()[-1] == requirement(VERSION)
