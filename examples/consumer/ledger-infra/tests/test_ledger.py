"""ledger-infra's own tests, with gitlab-k8s-cd's mock-runtime harness."""

from pathlib import Path

import pytest

from gitlab_k8s_cd.components.testing import ProgramError, run_program

PROGRAM = Path(__file__).resolve().parent.parent / "__main__.py"
CONFIG = {"ledger-infra:app": "ledger", "ledger-infra:namespace": "ledger-dev", "ledger-infra:currency": "EUR"}


def test_the_settings_config_map_is_in_the_ledgers_namespace():
    plan = run_program(PROGRAM, project="ledger-infra", stack="dev", config=CONFIG)
    config_map = plan.get("kubernetes:core/v1:ConfigMap", "ledger-settings")
    assert config_map.inputs["metadata"]["namespace"] == "ledger-dev"
    assert config_map.inputs["data"] == {"LEDGER_CURRENCY": "EUR"}
    namespace = plan.get("kubernetes:core/v1:Namespace", "ledger-namespace")
    assert namespace.inputs["metadata"]["labels"]["app.kubernetes.io/name"] == "ledger"


def test_an_unknown_currency_is_refused_before_anything_is_declared():
    with pytest.raises(ProgramError, match="currency: 'XYZ' is not one of"):
        run_program(PROGRAM, project="ledger-infra", stack="dev", config={**CONFIG, "ledger-infra:currency": "XYZ"})
