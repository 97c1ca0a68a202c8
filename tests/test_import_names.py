"""The library's import names (pyproject.toml): gitlab_k8s_cd.components, .pipeline and .policy,
which a consuming project's own top-level folders can neither shadow nor be shadowed by."""

from __future__ import annotations

import subprocess
import sys
import tomllib

from tests.conftest import ROOT


def run(code: str, cwd) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_a_project_with_its_own_components_pipeline_and_policy_folders_imports_both_its_own_and_the_library(tmp_path):
    for folder in ("components", "pipeline", "policy"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "__init__.py").write_text(f"OWN = {folder!r}\n")
    code = (
        "import components, pipeline, policy\n"
        "from gitlab_k8s_cd.components import ContinuousDeployment\n"
        "import gitlab_k8s_cd.pipeline.deploy, gitlab_k8s_cd.policy.rules\n"
        "print(components.OWN, pipeline.OWN, policy.OWN, ContinuousDeployment.__module__,"
        " len(gitlab_k8s_cd.policy.rules.RULES))\n"
    )
    result = run(code, tmp_path)  # the current directory comes first on sys.path, as a program's does
    assert result.returncode == 0, result.stderr
    own, own_pipeline, own_policy, module, rules = result.stdout.split()
    assert (own, own_pipeline, own_policy) == ("components", "pipeline", "policy")
    assert module == "gitlab_k8s_cd.components.continuous_deployment" and int(rules) > 0


def test_this_checkouts_folders_cannot_be_imported_by_their_folder_names(tmp_path):
    """Else a module would load twice, under two names, as two sets of classes."""
    for folder, name in (("components", "gitlab_k8s_cd.components"), ("pipeline", "gitlab_k8s_cd.pipeline")):
        result = run(f"import {folder}", ROOT)
        assert result.returncode == 1
        assert f"ImportError: {folder}: import {name}, not the folder by its name" in result.stderr


def test_the_distribution_installs_exactly_the_three_packages_from_the_repository_folders():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    # The three, and their subpackages (which setuptools installs only when listed): each folder of
    # theirs that is a package is listed, so that none is left out of the wheel.
    top = ["gitlab_k8s_cd.components", "gitlab_k8s_cd.pipeline", "gitlab_k8s_cd.policy"]
    assert [package for package in setuptools["packages"] if package.count(".") == 1] == top
    folders = {
        "gitlab_k8s_cd.components": "components",
        "gitlab_k8s_cd.pipeline": "pipeline",
        "gitlab_k8s_cd.policy": "policy",
    }
    subpackages = sorted(
        f"{package}.{init.parent.relative_to(ROOT / folder).as_posix().replace('/', '.')}"
        for package, folder in folders.items()
        for init in (ROOT / folder).rglob("*/__init__.py")
    )
    assert sorted(setuptools["packages"]) == sorted(top + subpackages)
    assert "gitlab_k8s_cd.components.plan" in subpackages
    assert setuptools["package-dir"] == {
        "gitlab_k8s_cd.components": "components",
        "gitlab_k8s_cd.pipeline": "pipeline",
        "gitlab_k8s_cd.policy": "policy",
    }
    # No gitlab_k8s_cd/__init__.py anywhere: a namespace package, which imports nothing itself.
    assert not (ROOT / "gitlab_k8s_cd").exists()
