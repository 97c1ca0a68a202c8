"""CiVariables: validated before GitLab sees them; masked values are secrets."""

from __future__ import annotations

import pytest

from gitlab_k8s_cd.components import CiVariable, CiVariablesArgs, InvalidArgument
from gitlab_k8s_cd.components.plan.diff import compare
from gitlab_k8s_cd.components.testing import ProgramError, Secret, run_component
from tests.conftest import ROOT, component, plan_staging

VARIABLE = "gitlab:index/projectVariable:ProjectVariable"


@pytest.fixture(scope="module")
def plan():
    return component("ci_variables")


def test_each_variable_is_named_by_its_key_not_its_position(plan):
    assert sorted(r.name for r in plan.find(VARIABLE)) == ["vars-CONFIG_FILE", "vars-FROM_OUTPUT", "vars-PLAIN"]


def test_variables_are_scoped_to_the_environment(plan):
    assert {r.inputs["environmentScope"] for r in plan.find(VARIABLE)} == {"staging"}


def test_a_masked_output_value_is_secret_masked_hidden_and_protected(plan):
    inputs = plan.get(VARIABLE, "vars-FROM_OUTPUT").inputs
    assert isinstance(inputs["value"], Secret)
    assert inputs["value"].value == "s3cr3t-value-0123"
    assert (inputs["masked"], inputs["hidden"], inputs["protected"], inputs["raw"]) == (True, True, True, True)


def test_a_plain_value_stays_plain_and_may_be_unprotected(plan):
    inputs = plan.get(VARIABLE, "vars-PLAIN").inputs
    assert inputs["value"] == "hello world"
    assert (inputs["masked"], inputs["protected"]) == (False, False)


def test_a_file_variable_keeps_its_type(plan):
    assert plan.get(VARIABLE, "vars-CONFIG_FILE").inputs["variableType"] == "file"


def test_an_unmaskable_output_fails_before_its_variable_is_registered():
    with pytest.raises(ProgramError, match=r"BAD: GitLab cannot mask this value") as caught:
        run_component("tests.programs.components:ci_variable_unmaskable_output", cwd=ROOT)
    assert "has a space" not in caught.value.message
    assert caught.value.plan.find(VARIABLE, "bad-BAD") == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"key": "BAD-KEY"}, r"^key: must be 1 to 255 letters, digits or '_'"),
        ({"masked": True, "value": "short"}, r"^K: GitLab cannot mask this value"),
        ({"masked": True, "value": "with whitespace"}, r"^K: GitLab cannot mask this value"),
        ({"hidden": True}, r"^hidden and masked: a hidden variable must also be masked"),
        ({"variable_type": "json"}, r"^variable_type: must be one of 'env_var', 'file'"),
        ({"protected": "yes"}, r"^protected: must be true or false"),
    ],
)
def test_ci_variable_rejects_what_gitlab_would_refuse(kwargs, message):
    with pytest.raises(InvalidArgument, match=message):
        CiVariable(**{"key": "K", "value": "a-fine-value", **kwargs})


def test_ci_variables_reject_a_key_given_twice():
    with pytest.raises(InvalidArgument, match=r"^variables: each key may appear only once \(got 'K'\)"):
        CiVariablesArgs(
            project="1",
            environment_scope="*",
            variables=[CiVariable(key="K", value="a"), CiVariable(key="K", value="b")],
        )


def test_ci_variables_reject_a_bad_environment_scope():
    with pytest.raises(InvalidArgument, match=r"^environment_scope: must be '\*' or an environment name"):
        CiVariablesArgs(project="1", environment_scope="", variables=[])


def test_each_variable_is_replaced_delete_before_create(plan):
    """GitLab keeps one variable per key and scope: a create-before-delete replacement's POST
    would get 400 "has already been taken" (see docs/contracts.md, "hidden forces a replacement")."""
    assert {r.name: r.options.get("deleteBeforeReplace") for r in plan.find(VARIABLE)} == {
        "vars-CONFIG_FILE": True,
        "vars-FROM_OUTPUT": True,
        "vars-PLAIN": True,
    }


def gitlab_replaces(before, after):
    """A stand-in for GitLab's variables API replaying the engine's replacements of ``after``
    over ``before``: one variable per (key, environment scope), as GitLab enforces, so the
    create of a create-before-delete replacement is refused as GitLab refuses it."""
    live = {(r.inputs["key"], r.inputs["environmentScope"]) for r in before.find(VARIABLE)}
    refused = []
    for change in compare(before.resource_table(), after.resource_table()).of("replace"):
        if change.type != VARIABLE:
            continue
        new = after.get(VARIABLE, change.name)
        identity = (new.inputs["key"], new.inputs["environmentScope"])
        if new.options.get("deleteBeforeReplace"):
            live.discard(identity)  # the engine deletes the old one first
        if identity in live:
            refused.append(f"400 {identity}: has already been taken")
    return refused


def test_turning_hidden_variables_off_on_an_existing_stack_replaces_them_without_a_collision(staging_plan):
    """``hidden`` forces a replacement in the provider (docs/contracts.md): every secret variable
    of the stack, the review/* ones included, is replaced, and GitLab accepts each replacement."""
    unhidden = plan_staging({"hiddenVariables": False})
    replaced = [c for c in compare(staging_plan.resource_table(), unhidden.resource_table()).of("replace")]
    assert {c.type for c in replaced} == {VARIABLE}
    assert {c.replaced_by for c in replaced} == {("hidden",)}
    hidden = {r.name for r in staging_plan.find(VARIABLE) if r.inputs["hidden"]}
    # The kubeconfig and the passphrase, staging's and review apps'.
    assert {c.name for c in replaced} == hidden and len(hidden) == 4
    assert gitlab_replaces(staging_plan, unhidden) == []
