"""The package gitlab_k8s_cd.components: its public names, each imported from its module on first use."""

from __future__ import annotations

import ast
import subprocess
import sys

import gitlab_k8s_cd.components as package
from tests.conftest import ROOT


def test_the_table_of_homes_the_type_checkers_imports_and_all_name_the_same_names_in_the_same_modules():
    tree = ast.parse((ROOT / "components" / "__init__.py").read_text())
    checking = next(
        node for node in tree.body if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
    )
    imported = {
        alias.name: node.module for node in checking.body if isinstance(node, ast.ImportFrom) for alias in node.names
    }
    assert imported == package._HOMES
    assert sorted(package.__all__) == sorted(package._HOMES)


def test_each_public_name_is_the_object_its_module_defines():
    import importlib

    for name, home in package._HOMES.items():
        assert getattr(package, name) is getattr(importlib.import_module(f"gitlab_k8s_cd.components.{home}"), name)
    assert set(package.__all__) <= set(dir(package))


def test_an_unknown_name_is_an_attribute_error_naming_it():
    try:
        package.NoSuchThing  # noqa: B018
    except AttributeError as error:
        assert "'gitlab_k8s_cd.components' has no attribute 'NoSuchThing'" in str(error)
    else:
        raise AssertionError("no AttributeError")


def test_importing_the_package_or_the_plan_command_imports_no_sdk_until_a_name_is_used():
    code = (
        "import sys\n"
        "import gitlab_k8s_cd.components, gitlab_k8s_cd.components.plan.cli\n"
        "print(sorted(m for m in ('pulumi', 'pulumi_kubernetes', 'pulumi_gitlab', 'jsonschema') if m in sys.modules))\n"
        "from gitlab_k8s_cd.components import ContinuousDeployment\n"
        "print('pulumi' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT.parent)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["[]", "True"]
