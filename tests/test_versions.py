"""Versions that must agree: the Pulumi CLI the component's jobs run, the SDK the program is
pinned to, and the library's floors (docs/contracts.md, "Versions")."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent


def pinned(name: str) -> Version:
    """The ``==`` pin of ``name`` in requirements.txt."""
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and Requirement(line).name.lower().replace("_", "-") == name:
            (spec,) = Requirement(line).specifier
            assert spec.operator == "==", line
            return Version(spec.version)
    raise AssertionError(f"{name} is not pinned in requirements.txt")


def floor(name: str) -> Version:
    """The lowest version of ``name`` that pyproject.toml's dependencies admit."""
    for line in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]:
        requirement = Requirement(line)
        if requirement.name == name:
            (low,) = [Version(s.version) for s in requirement.specifier if s.operator == ">="]
            return low
    raise AssertionError(f"{name} is not a dependency in pyproject.toml")


def component_input_default(name: str) -> str:
    header = next(yaml.safe_load_all((ROOT / "templates" / "continuous-deployment.yml").read_text()))
    return header["spec"]["inputs"][name]["default"]


def test_the_deploy_jobs_pulumi_cli_is_never_older_than_the_pinned_sdk():
    """A Pulumi SDK may need engine features of its own release: the CLI that runs the program
    must be at least as new. The pulumi/pulumi-python-X.Y image tags are CLI versions."""
    image = component_input_default("pulumi_image")
    match = re.fullmatch(r"docker\.io/pulumi/pulumi-python-(\d+\.\d+):(\d+\.\d+\.\d+)", image)
    assert match, image
    assert Version(match.group(2)) >= pinned("pulumi"), (image, pinned("pulumi"))


def test_the_deploy_images_python_is_the_one_the_cleanup_and_plan_jobs_run():
    image = component_input_default("pulumi_image")
    python = component_input_default("python_image")
    assert re.search(r"pulumi-python-(\d+\.\d+):", image).group(1) in python


def test_the_library_admits_no_pulumi_kubernetes_whose_cluster_identifier_panics():
    """``cluster_identifier`` (which keeps a credential switch from replacing the provider) came
    in 4.16 and could panic until 4.17.1."""
    assert floor("pulumi-kubernetes") >= Version("4.17.1")
    assert pinned("pulumi-kubernetes") >= floor("pulumi-kubernetes")


def test_every_pinned_runtime_dependency_is_admitted_by_the_librarys_ranges():
    dependencies = {
        Requirement(line).name: Requirement(line)
        for line in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    }
    for name in ("pulumi", "pulumi-kubernetes", "pulumi-gitlab", "pulumi-random"):
        assert dependencies[name].specifier.contains(pinned(name)), name
