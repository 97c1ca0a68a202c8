"""The consumer tutorial (examples/consumer/README.md), run as written: its commands, extracted
from the README so that they cannot drift, run unchanged, one by one, in a clean virtualenv made
with ``python -m venv``. Two things differ from a reader's run, both outside the commands:

- requirements.txt names the release's wheel in gitlab.com's generic package registry, which the
  tag pipeline publishes there, never from here: the test swaps that URL for the file URL of the
  wheel built from this checkout (as the tag pipeline builds it);
- every dependency is pinned by constraints.txt through the environment variable
  ``PIP_CONSTRAINT``, which pip reads as ``-c`` (so that the run is repeatable)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from packaging.utils import canonicalize_name

from gitlab_k8s_cd.components.testing import OFFLINE_SECRET
from gitlab_k8s_cd.pipeline.publish import requirement
from tests.conftest import PASSPHRASE, ROOT
from tests.pulumi_passphrase import decrypt_value, key_from_encryption_salt
from tests.wheel import VERSION, built_wheel

TUTORIAL = ROOT / "examples" / "consumer"
MARKER = "<!-- tests/test_consumer.py runs this block, line by line, in a clean virtualenv -->"


def tutorial_commands() -> list[str]:
    text = (TUTORIAL / "README.md").read_text()
    block = re.search(re.escape(MARKER) + r"\n```sh\n(.*?)\n```", text, re.DOTALL)
    assert block, "the README's tested block is gone"
    return block.group(1).splitlines()


def clean_environment(path: str) -> dict[str, str]:
    """No PYTHONPATH, no active virtualenv, no pip settings of ours: nothing of this checkout is
    importable but the wheel."""
    drop = {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"}
    return {**{k: v for k, v in os.environ.items() if k not in drop and not k.startswith("PIP_")}, "PATH": path}


def pinned_environment(path: str) -> dict[str, str]:
    """The clean environment, with pip pinned to constraints.txt. pip reads each ``PIP_<OPTION>``
    variable as its long option, and splits an ``append`` option's value (``--constraint``) at
    whitespace (pip 23.2.1, Python 3.11's bundled one: ``configuration.py`` ``get_environ_vars``,
    ``cli/parser.py`` ``_update_defaults``); ``python -m venv`` ignores it (ensurepip removes every
    ``PIP_*`` variable before it runs pip: ``_disable_pip_configuration_settings``)."""
    constraints = ROOT / "constraints.txt"
    assert not any(c.isspace() for c in str(constraints)), "pip would split the path at its whitespace"
    return {**clean_environment(path), "PIP_CONSTRAINT": str(constraints), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


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
        run = subprocess.run(
            ["bash", "-c", command], cwd=cwd, env=pinned_environment(path), capture_output=True, text=True, timeout=600
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


def test_pip_installed_exactly_the_pins_of_constraints_txt(tutorial):
    """PIP_CONSTRAINT was read: every package of the clean virtualenv that constraints.txt pins is at its pin."""
    pins = dict(line.split("==", 1) for line in (ROOT / "constraints.txt").read_text().splitlines() if "==" in line)
    run = subprocess.run(
        [str(tutorial["project"] / ".venv" / "bin" / "python"), "-m", "pip", "list", "--format=json"],
        env=clean_environment("/usr/bin:/bin"),
        capture_output=True,
        text=True,
        check=True,
    )
    installed = {canonicalize_name(p["name"]): p["version"] for p in json.loads(run.stdout)}
    pinned = {canonicalize_name(name): version for name, version in pins.items()}
    checked = {name: version for name, version in installed.items() if name in pinned}
    assert {"pulumi", "pulumi-kubernetes", "pytest"} <= set(checked)
    assert checked == {name: pinned[name] for name in checked}


def test_the_offline_plan_of_the_dev_stack_deploys_the_ledgers_web_and_worker_from_its_own_config(tutorial):
    text = output(tutorial, ".venv/bin/python -m gitlab_k8s_cd.components.plan")
    assert "Valid: 11 manifests" in text
    assert "Policies: no mandatory violation" in text and "site-packages/gitlab_k8s_cd/policy" in text
    assert "ledger-infra:databaseUrl is encrypted in the stack file; planned with a placeholder" in text
    written = (tutorial["project"] / "build" / "plan" / "kubernetes.yaml").read_text()
    manifests = list(yaml.safe_load_all(written))
    stack = yaml.safe_load((TUTORIAL / "ledger-infra" / "Pulumi.dev.yaml").read_text())["config"]
    deployments = {m["metadata"]["name"]: m for m in manifests if m["kind"] == "Deployment"}
    assert sorted(deployments) == ["ledger", "ledger-worker"]
    for deployment in deployments.values():
        assert deployment["metadata"]["namespace"] == stack["ledger-infra:namespace"]
        assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == stack["ledger-infra:image"]
    assert deployments["ledger"]["spec"]["replicas"] == stack["ledger-infra:webReplicas"]
    assert deployments["ledger-worker"]["spec"]["replicas"] == stack["ledger-infra:workerReplicas"]
    (config_map,) = [m for m in manifests if m["kind"] == "ConfigMap"]
    assert config_map["data"] == {"LEDGER_CURRENCY": stack["ledger-infra:currency"]}
    (secret,) = [m for m in manifests if m["kind"] == "Secret"]
    assert secret["stringData"] == {"DATABASE_URL": "[secret]"}
    assert OFFLINE_SECRET not in written


def test_the_tutorials_stack_secret_is_a_real_ciphertext_of_the_tests_passphrase():
    stack = yaml.safe_load((TUTORIAL / "ledger-infra" / "Pulumi.dev.yaml").read_text())
    key = key_from_encryption_salt(PASSPHRASE, stack["encryptionsalt"])
    url = decrypt_value(key, stack["config"]["ledger-infra:databaseUrl"]["secure"])
    assert url.startswith("postgres://ledger:")


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
