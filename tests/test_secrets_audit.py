"""The secrets audit: every secret the staging plan handles stays secret, everywhere it could leak."""

from __future__ import annotations

import base64
import subprocess
import sys

import pytest

from components.testing import Secret, reveal
from tests.conftest import PASSPHRASE, ROOT, plan_staging

VARIABLE = "gitlab:index/projectVariable:ProjectVariable"
CREDENTIAL_WORDS = ("TOKEN", "PASSWORD", "PASSPHRASE", "SECRET", "KEY", "KUBECONFIG")


def secret_leaves(value):
    """Every string inside a :class:`Secret`, anywhere in ``value``."""
    if isinstance(value, Secret):
        yield from (leaf for leaf in _strings(reveal(value.value)))
    elif isinstance(value, dict):
        for item in value.values():
            yield from secret_leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from secret_leaves(item)


def plain_leaves(value):
    """Every string *not* inside a Secret."""
    if isinstance(value, Secret):
        return
    if isinstance(value, dict):
        for item in value.values():
            yield from plain_leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from plain_leaves(item)
    elif isinstance(value, str):
        yield value


def _strings(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


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
    found = {s for s in found if len(s) >= 8}
    return found | {base64.b64encode(s.encode()).decode() for s in found}


def test_the_audit_knows_every_kind_of_secret(secrets, staging_plan):
    variables = {r.inputs["key"]: r.inputs["value"] for r in staging_plan.find(VARIABLE)}
    assert PASSPHRASE in secrets
    assert variables["GITLAB_TOKEN"].value in secrets  # the project access token
    assert variables["KUBECONFIG_B64"].value in secrets
    assert any(s.startswith("offline-plan-") for s in secrets)  # the deploy token and SA token stand-ins


def test_no_secret_appears_in_any_plain_input_or_output(secrets, staging_plan):
    for resource in staging_plan.resources:
        for leaf in plain_leaves(resource.inputs):
            assert not any(secret in leaf for secret in secrets), (resource.name, leaf[:60])
    for leaf in plain_leaves(staging_plan.outputs):
        assert not any(secret in leaf for secret in secrets)


def test_no_secret_appears_in_the_log(secrets, staging_plan):
    assert not any(secret in line for line in staging_plan.log for secret in secrets)


def test_no_secret_appears_in_the_printed_plan_or_its_files(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "components.plan", "--stack", "staging", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE, "PYTHONPATH": str(ROOT)},
    )
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
    for resource in staging_plan.find(VARIABLE):
        inputs = resource.inputs
        if isinstance(inputs["value"], Secret) or any(w in inputs["key"] for w in CREDENTIAL_WORDS):
            assert isinstance(inputs["value"], Secret), inputs["key"]
            assert (inputs["masked"], inputs["hidden"], inputs["protected"]) == (True, True, True), inputs["key"]


def test_every_output_carrying_a_secret_is_secret(secrets, staging_plan):
    for name, value in staging_plan.outputs.items():
        if any(secret in str(reveal(value)) for secret in secrets):
            assert isinstance(value, Secret), name


def test_every_kubernetes_secret_keeps_its_data_secret(staging_plan):
    for resource in staging_plan.kind("Secret"):
        for field in ("data", "stringData"):
            if field in resource.inputs:
                assert isinstance(resource.inputs[field], Secret), (resource.name, field)
