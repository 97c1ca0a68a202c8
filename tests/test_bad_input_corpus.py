"""The bad-input corpus: invalid stack configurations, each refused before any resource is
registered, with a message that names the key, the value and what is expected.

All cases run through the whole program (__main__.py) under the mock runtime, in one child
process (tests/programs/corpus.py). A configuration error is what the plan command exits 2 for
(gitlab_k8s_cd.components.plan.cli.CONFIG_ERRORS); tests/test_plan.py runs the command itself on such a case.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

from gitlab_k8s_cd.components.config_keys import KNOWN_KEYS
from gitlab_k8s_cd.components.plan.cli import CONFIG_ERRORS
from gitlab_k8s_cd.components.testing import cli_config_value
from tests.conftest import DIGEST, PASSPHRASE, ROOT, plan_cli, staging_config
from tests.corpus import (
    app_model,
    backends,
    basics,
    canary,
    capacity,
    cleanup_regex,
    images,
    names,
    namespaces,
    schedules,
    secrets,
    settings,
)

# One module per class of input that would hurt (tests/corpus/<class>.py says why).
MODULES = (
    basics,
    namespaces,
    secrets,
    capacity,
    names,
    cleanup_regex,
    schedules,
    settings,
    backends,
    images,
    app_model,
    canary,
)
CASES = [case for module in MODULES for case in module.CASES]


def test_the_corpus_is_large_and_each_case_distinct():
    assert len(CASES) >= 150
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("module", MODULES, ids=[m.__name__.rsplit(".", 1)[1] for m in MODULES])
def test_every_class_of_input_has_several_cases(module):
    assert len(module.CASES) >= 5


def test_every_config_key_has_a_case():
    covered = {c.key.split(".")[0].split("[")[0] for c in CASES}
    assert KNOWN_KEYS - covered == set()


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    work = tmp_path_factory.mktemp("corpus")
    cases = []
    for case in CASES:
        config = {k: cli_config_value(v) for k, v in staging_config(case.overrides, case.drop).items()}
        cases.append({"id": case.id, "config": {**config, **case.secrets}, "secret_keys": list(case.secrets)})
    (work / "cases.json").write_text(json.dumps(cases))
    result = subprocess.run(
        [sys.executable, "-m", "tests.programs.corpus", str(work / "cases.json"), str(work / "result.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        # Secrets come from each case alone, never from this machine's environment.
        env={k: v for k, v in os.environ.items() if k not in ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_ACCESS_TOKEN")},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return {r["id"]: r for r in json.loads((work / "result.json").read_text())}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_bad_value_is_refused_naming_key_value_and_expectation_before_any_resource(case, outcomes):
    outcome = outcomes[case.id]
    assert outcome["error"] is not None, "the program accepted it"
    assert outcome["error"]["type"] in CONFIG_ERRORS  # the plan exits 2
    message = outcome["error"]["message"]
    assert message.startswith(f"gitlab-k8s-cd:{case.key}"), message
    assert case.expected in message, message
    shown = case.shown if case.shown is not None else repr(_value_at(case.overrides, case.key))
    assert shown in message, message
    # A secret's text, or a text the case says looks like one, is never echoed.
    for text in (*case.secrets.values(), *case.hidden, PASSPHRASE):
        assert text not in message, message
    assert outcome["registered"] == [], "resources were registered before the refusal"


def _value_at(overrides, key):
    """The value the case gives for ``key`` (``rollout.maxSurge``), or its first leaf value."""
    value = overrides
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return next(iter(_leaf_values(overrides)))
        value = value[part]
    return value


def _leaf_values(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaf_values(item)
    else:
        yield value


def test_quotes_newlines_and_braces_in_a_setting_value_stay_inside_that_value(tmp_path):
    """A setting's value may hold anything; it must come out quoted, as one ConfigMap value."""
    hostile = "x\"\n---\nkind: ClusterRoleBinding\n{{ .Values }}: 'y'"
    result = plan_cli(
        "--stack",
        "staging",
        "--out",
        str(tmp_path),
        "-c",
        f"settings={json.dumps({'EVIL': hostile})}",
        "-c",
        f"image=registry.gitlab.com/acme/hello@{DIGEST}",
        env={"PULUMI_CONFIG_PASSPHRASE": PASSPHRASE},
    )
    assert result.returncode == 0, result.stderr
    documents = list(yaml.safe_load_all((tmp_path / "kubernetes.yaml").read_text()))
    assert len(documents) == 31  # as many objects as without the hostile value
    assert not [d for d in documents if d["kind"] == "ClusterRoleBinding"]
    config_map = next(d for d in documents if d["kind"] == "ConfigMap")
    assert config_map["data"] == {"EVIL": hostile}
