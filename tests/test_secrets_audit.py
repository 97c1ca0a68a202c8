"""The secrets audit: every secret the staging plan handles stays secret, everywhere it could leak."""

from __future__ import annotations

import base64

import pytest

from gitlab_k8s_cd.components.testing import REDACTED, Secret, redact, reveal
from tests.conftest import APP_SECRETS, PASSPHRASE, plan_cli, plan_staging

VARIABLE = "gitlab:index/projectVariable:ProjectVariable"
CREDENTIAL_WORDS = ("TOKEN", "PASSWORD", "PASSPHRASE", "SECRET", "KEY", "KUBECONFIG")


def _strings(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


def secret_leaves(value):
    """Every string inside a :class:`Secret`, anywhere in ``value``: the revealed leaves at the
    places redact() marks "[secret]"."""
    return list(_at_redactions(redact(value), reveal(value)))


def _at_redactions(redacted, revealed):
    if isinstance(redacted, dict):
        for key, item in redacted.items():
            yield from _at_redactions(item, revealed[key])
    elif isinstance(redacted, list):
        for item, original in zip(redacted, revealed, strict=True):
            yield from _at_redactions(item, original)
    elif redacted == REDACTED and isinstance(revealed, str):
        yield revealed


def plain_leaves(value):
    """Every string *not* inside a Secret (redact() turns each secret leaf into "[secret]")."""
    return [leaf for leaf in _strings(redact(value)) if leaf != REDACTED]


@pytest.fixture(scope="module")
def secrets(staging_plan):
    """Every secret value the plan holds, with the pieces a secret is made of (the token inside
    the kubeconfig, the password inside the dockerconfigjson) and their base64 forms."""
    found = set()
    for resource in staging_plan.resources:
        found.update(secret_leaves(resource.inputs))
    found.update(secret_leaves(staging_plan.outputs))
    found.add(PASSPHRASE)
    found.add(staging_plan.outputs["deployer_kubeconfig"].value.split("token: ")[1].split()[0])
    review_kubeconfig = base64.b64decode(_variable(staging_plan, "review/*", "KUBECONFIG_B64").value).decode()
    found.add(review_kubeconfig.split("token: ")[1].split()[0])  # the review deployer's token
    found = {s for s in found if len(s) >= 8}
    return found | {base64.b64encode(s.encode()).decode() for s in found}


def _variable(plan, scope, key):
    (found,) = [
        r.inputs["value"]
        for r in plan.find(VARIABLE)
        if (r.inputs["environmentScope"], r.inputs["key"]) == (scope, key)
    ]
    return found


def test_the_audit_knows_every_kind_of_secret(secrets, staging_plan):
    assert PASSPHRASE in secrets
    assert _variable(staging_plan, "staging", "KUBECONFIG_B64").value in secrets
    assert _variable(staging_plan, "review/*", "KUBECONFIG_B64").value in secrets
    assert _variable(staging_plan, "review/*", "PULUMI_CONFIG_PASSPHRASE").value in secrets  # random, review's own
    assert any(s.startswith("offline-plan-") for s in secrets)  # the deploy token and SA token stand-ins
    assert APP_SECRETS["DB_PASSWORD"] in secrets  # the app's secret settings


def test_no_secret_appears_in_any_plain_input_or_output(secrets, staging_plan):
    for resource in staging_plan.resources:
        for leaf in plain_leaves(resource.inputs):
            assert not any(secret in leaf for secret in secrets), (resource.name, leaf[:60])
    for leaf in plain_leaves(staging_plan.outputs):
        assert not any(secret in leaf for secret in secrets)


def test_no_secret_appears_in_the_log(secrets, staging_plan):
    assert not any(secret in line for line in staging_plan.log for secret in secrets)


def test_no_secret_appears_in_the_printed_plan_or_its_files(tmp_path):
    result = plan_cli("--stack", "staging", "--out", str(tmp_path), env={"PULUMI_CONFIG_PASSPHRASE": PASSPHRASE})
    assert result.returncode == 0, result.stderr
    # The same program and config as the staging plan: the same stand-in secrets.
    secrets = set()
    for resource in plan_staging().resources:
        secrets.update(s for s in secret_leaves(resource.inputs) if len(s) >= 8)
    secrets.add(PASSPHRASE)
    written = "".join(f.read_text() for f in tmp_path.iterdir())
    for secret in secrets:
        assert secret not in result.stdout + result.stderr
        assert secret not in written
    assert "[secret]" in result.stdout and "[secret]" in written


def test_every_variable_carrying_a_secret_is_masked_hidden_and_protected(staging_plan):
    """Protected, except review apps' (review/*): merge request pipelines on unprotected branches
    read them, which is why they open only the review namespace and the review stacks."""
    for resource in staging_plan.find(VARIABLE):
        inputs = resource.inputs
        if isinstance(inputs["value"], Secret) or any(w in inputs["key"] for w in CREDENTIAL_WORDS):
            protected = not inputs["environmentScope"].startswith("review/")
            assert isinstance(inputs["value"], Secret), inputs["key"]
            assert (inputs["masked"], inputs["hidden"], inputs["protected"]) == (True, True, protected), inputs["key"]


def test_the_review_passphrase_is_not_the_base_stacks(staging_plan):
    review = _variable(staging_plan, "review/*", "PULUMI_CONFIG_PASSPHRASE").value
    assert review != PASSPHRASE and review == staging_plan.outputs["review_pulumi_config_passphrase"].value


def test_every_output_carrying_a_secret_is_secret(secrets, staging_plan):
    for name, value in staging_plan.outputs.items():
        if any(secret in str(reveal(value)) for secret in secrets):
            assert isinstance(value, Secret), name


def test_every_kubernetes_secret_keeps_its_data_secret(staging_plan):
    for resource in staging_plan.kind("Secret"):
        for field in ("data", "stringData"):
            if field in resource.inputs:
                assert isinstance(resource.inputs[field], Secret), (resource.name, field)
