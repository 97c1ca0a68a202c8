"""``python -m gitlab_k8s_cd.policy write DIR``: a policy pack, in the consumer's repository, that
Pulumi can run (docs/contracts.md PC-15) with the installed release's rules."""

from __future__ import annotations

import runpy
import subprocess
import sys
from importlib import metadata

import pulumi_policy
import pytest
import yaml
from pulumi_policy import EnforcementLevel

from gitlab_k8s_cd.pipeline.publish import requirement
from gitlab_k8s_cd.policy.rules import RULES
from gitlab_k8s_cd.policy.write import pulumi_policy_requirement
from tests.conftest import ROOT


@pytest.fixture
def pack(tmp_path):
    directory = tmp_path / "policy-pack"
    result = subprocess.run(
        [sys.executable, "-m", "gitlab_k8s_cd.policy", "write", str(directory)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return directory


def test_the_pack_runs_in_a_virtualenv_of_its_own_directory_never_in_site_packages(pack):
    runtime = yaml.safe_load((pack / "PulumiPolicy.yaml").read_text())["runtime"]
    assert runtime["name"] == "python"
    # Relative: Pulumi joins it to the pack's directory, which is the consumer's, not the library's.
    assert runtime["options"] == {"toolchain": "pip", "virtualenv": "venv"}
    assert (pack / ".gitignore").read_text().splitlines()[-1] == "venv/"


def test_the_packs_requirements_pin_pulumi_policy_and_this_release_by_a_direct_url(pack):
    lines = [line for line in (pack / "requirements.txt").read_text().splitlines() if not line.startswith("#")]
    shipped = (ROOT / "policy" / "requirements.txt").read_text().split()
    assert lines == [pulumi_policy_requirement(), requirement(metadata.version("gitlab-k8s-cd"))]
    assert lines[0] in shipped and lines[0] == f"pulumi-policy=={metadata.version('pulumi-policy')}"
    assert lines[1].startswith("gitlab-k8s-cd @ https://") and "--extra-index-url" not in lines[1]


def test_a_requirement_of_ones_own_replaces_the_default(tmp_path):
    from gitlab_k8s_cd.policy.write import main

    assert main(["write", str(tmp_path), "--requirement", "gitlab-k8s-cd==0.1.0"]) == 0
    assert (tmp_path / "requirements.txt").read_text().splitlines()[-1] == "gitlab-k8s-cd==0.1.0"


def test_the_written_pack_declares_one_crossguard_policy_per_installed_rule(pack, monkeypatch):
    """Run the pack's directory as ``python -m pulumi.policy`` does: ``runpy.run_path(DIR, run_name="__main__")``."""
    captured = {}

    class Capture:
        def __init__(self, name, policies, **kwargs):
            captured["name"], captured["policies"] = name, policies

    monkeypatch.setattr(pulumi_policy, "PolicyPack", Capture)
    runpy.run_path(str(pack), run_name="__main__")
    assert captured["name"] == "gitlab-k8s-cd"
    assert [p.name for p in captured["policies"]] == [r.name for r in RULES]
    assert [p.enforcement_level for p in captured["policies"]] == [EnforcementLevel(r.level) for r in RULES]


def test_the_installed_package_ships_the_packs_files():
    from importlib import resources

    shipped = resources.files("gitlab_k8s_cd.policy")
    assert {"PulumiPolicy.yaml", "requirements.txt", "rules.py", "pack.py"} <= {p.name for p in shipped.iterdir()}
