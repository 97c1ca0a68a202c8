"""Config keys live in the running project's namespace: ``pulumi config set replicas 3`` in a project
named ledger-infra writes ``ledger-infra:replicas``, which ``load_settings()`` reads. Our keys in a
namespace the program does not read are refused, never ignored; the providers' are left alone."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from gitlab_k8s_cd.components.config import ConfigError
from gitlab_k8s_cd.components.review_config import derive_review_config
from gitlab_k8s_cd.components.stack_settings import load_settings
from gitlab_k8s_cd.components.testing import cli_config_value, run_program
from gitlab_k8s_cd.pipeline.review import main as review_main
from tests.conftest import APP_SECRETS, PASSPHRASE, PROJECT, ROOT, SECRETS, STAGING, plan_cli

LEDGER = "ledger-infra"


def moved(config: Mapping[str, Any], namespace: str) -> dict[str, Any]:
    """``config`` with every key of this repository's project moved to ``namespace``."""
    return {
        (f"{namespace}:{key.partition(':')[2]}" if key.partition(":")[0] == PROJECT else key): value
        for key, value in config.items()
    }


def load_in(
    project: str,
    config: Mapping[str, Any],
    secret_keys: list[str] | None = None,
    namespace: str | None = None,
):
    """``load_settings(namespace)`` in this process, run as ``project`` (the engine's get_project()).
    The secrets moved out of this repository's namespace were set with --secret; so are ``secret_keys``."""
    moved_secrets = [
        k
        for k in config
        if k.partition(":")[0] != PROJECT and k.partition(":")[2] in ("pulumiConfigPassphrase", "secrets")
    ]
    secret_keys = moved_secrets + (secret_keys or [])
    pulumi.runtime.set_all_config({k: cli_config_value(v) for k, v in config.items()}, secret_keys)
    pulumi.runtime.settings._set_project(project)
    return load_settings(namespace)


def ledger(extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The staging stack's config, set in a project named ledger-infra (its secrets included)."""
    return {**moved({**STAGING, **SECRETS}, LEDGER), **(extra or {})}


# --- load_settings ----------------------------------------------------------------------------


def test_a_project_of_another_name_reads_its_own_namespace():
    settings = load_in(LEDGER, ledger({f"{LEDGER}:replicas": "3"}))
    assert settings.deployment.spec.replicas == 3
    assert settings.deployment.app == STAGING[f"{PROJECT}:app"]


def test_the_librarys_namespace_in_another_project_is_refused_naming_the_key_value_and_where_to_set_it():
    with pytest.raises(ConfigError) as refused:
        load_in(LEDGER, ledger({f"{PROJECT}:replicas": "3"}))
    assert str(refused.value) == (
        f"{PROJECT}:replicas: is in the {PROJECT} namespace, which this program does not read; this program reads "
        f"the {LEDGER} namespace: set it with `pulumi config set replicas …`, which writes {LEDGER}:replicas "
        "(got '3')"
    )
    assert refused.value.keys == (f"{PROJECT}:replicas",)


def test_a_stack_file_copied_from_this_repository_is_refused_and_says_how_many_keys_are_misplaced():
    with pytest.raises(ConfigError) as refused:
        load_in(LEDGER, {**STAGING, **SECRETS})
    message = str(refused.value)
    assert message.startswith(f"{PROJECT}:app: is in the {PROJECT} namespace, which this program does not read")
    count = len({**STAGING, **SECRETS}) - 1
    assert f"; {count} more of this program's keys are in {PROJECT} too (got 'hello')" in message


def test_a_program_that_names_its_namespace_reads_it():
    settings = load_in(LEDGER, moved({**STAGING, **SECRETS}, "ledger"), namespace="ledger")
    assert settings.deployment.environment == "staging"


def test_a_known_key_in_the_projects_namespace_is_refused_when_the_program_names_another():
    """``pulumi config set replicas 3`` writes ledger-infra:replicas; the program reads ledger."""
    with pytest.raises(ConfigError) as refused:
        load_in(LEDGER, {**moved({**STAGING, **SECRETS}, "ledger"), f"{LEDGER}:replicas": "3"}, namespace="ledger")
    assert str(refused.value) == (
        f"{LEDGER}:replicas: is in the {LEDGER} namespace, which this program does not read (the project's, "
        f"{LEDGER}: the program names its own); this program reads the ledger namespace: set it with "
        "`pulumi config set ledger:replicas …`, which writes ledger:replicas (got '3')"
    )


def test_the_providers_namespaces_and_any_other_holding_none_of_our_keys_are_left_alone():
    extra = {
        "kubernetes:namespace": "ci",  # our key name, but the provider's namespace
        "kubernetes:context": "staging",
        "gitlab:token": "glpat-0123456789abcdefghij",
        "random:seed": "1",
        "pulumi:tags": '{"team":"ledger"}',
        "aws:region": "eu-west-1",
        "azure:environment": "public",  # one of our key names, in a namespace that holds no other
    }
    settings = load_in(LEDGER, ledger(extra), secret_keys=["gitlab:token"])
    assert settings.deployment.namespace != "ci"  # the provider's key is not ours


def test_a_namespace_holding_several_of_our_keys_is_refused_a_project_renamed_after_its_config_was_set():
    renamed = {"ledger:replicas": "3", "ledger:containerPort": "8080"}
    with pytest.raises(ConfigError, match=r"^ledger:containerPort: is in the ledger namespace, which this program"):
        load_in(LEDGER, ledger(renamed))


def test_a_single_key_in_a_misspelling_of_the_projects_namespace_is_refused():
    """``pulumi config set ledger-infr:replicas 3``: replicas would silently stay at its default."""
    with pytest.raises(ConfigError) as refused:
        load_in(LEDGER, ledger({"ledger-infr:replicas": "3"}))
    assert str(refused.value) == (
        "ledger-infr:replicas: is in the ledger-infr namespace, which this program does not read (close to "
        f"{LEDGER}: a misspelling?); this program reads the {LEDGER} namespace: set it with "
        f"`pulumi config set replicas …`, which writes {LEDGER}:replicas (got '3')"
    )
    assert refused.value.keys == ("ledger-infr:replicas",)


@pytest.mark.parametrize(
    ("full", "near"),
    [
        ("ledger:replicas", LEDGER),  # the project's name without its suffix
        ("ledger-infra-old:environmentUrl", LEDGER),  # with one more
        ("Ledger-Intra:app", LEDGER),  # a misspelling, case aside
    ],
)
def test_a_single_key_in_a_namespace_close_to_the_projects_is_refused(full, near):
    with pytest.raises(ConfigError, match=rf"^{full}: is in the .* \(close to {near}: a misspelling\?\)"):
        load_in(LEDGER, ledger({full: "x"}))


def test_a_single_key_in_a_namespace_close_to_the_one_the_program_names_is_refused():
    config = {**moved({**STAGING, **SECRETS}, "orders"), "order:replicas": "3"}
    with pytest.raises(ConfigError) as refused:
        load_in(LEDGER, config, namespace="orders")
    assert str(refused.value).startswith(
        "order:replicas: is in the order namespace, which this program does not read (close to orders: a "
        "misspelling?); this program reads the orders namespace: set it with `pulumi config set orders:replicas …`"
    )


def test_a_misspelt_namespaces_secret_is_never_shown():
    with pytest.raises(ConfigError) as refused:
        load_in(LEDGER, ledger({"ledger-infr:pulumiConfigPassphrase": PASSPHRASE}))
    assert str(refused.value).endswith(f"(got [secret, {len(PASSPHRASE)} characters])")
    assert PASSPHRASE not in str(refused.value)


@pytest.mark.parametrize(
    ("project", "provider_key", "value"),
    [
        ("kubernetes-apps", "kubernetes:namespace", "ci"),
        ("azure-infra", "azure:environment", "public"),
        ("vault-infra", "vault:namespace", "admin/ledger"),
        ("vaults", "vault:namespace", "admin/ledger"),  # a misspelling's distance, yet the provider's
    ],
)
def test_a_providers_key_is_left_alone_in_a_project_named_close_to_the_provider(project, provider_key, value):
    settings = load_in(project, {**moved({**STAGING, **SECRETS}, project), provider_key: value})
    assert settings.deployment.environment == "staging"
    assert settings.deployment.namespace != value  # the provider's key is not ours


def test_a_single_key_in_an_unrelated_namespace_is_left_alone():
    """A namespace neither close to the project's name nor holding a second key of ours: another
    package's (``payments-infra`` and ``ledger-infra`` are 0.54 alike, ``ledger-ui`` 0.76)."""
    settings = load_in(LEDGER, ledger({"payments-infra:replicas": "5", "ledger-ui:app": "ui"}))
    assert settings.deployment.spec.replicas != 5


def test_an_unknown_key_in_the_namespace_is_refused_with_a_hint_in_that_namespace():
    with pytest.raises(ConfigError) as refused:
        load_in(LEDGER, ledger({f"{LEDGER}:replcas": "3"}))
    assert str(refused.value) == (f"{LEDGER}:replcas: is not a known key; did you mean {LEDGER}:replicas? (got '3')")


def test_every_message_names_the_namespace_read():
    with pytest.raises(ConfigError, match=rf"^{LEDGER}:replicas: must be an integer"):
        load_in(LEDGER, ledger({f"{LEDGER}:replicas": "many"}))
    with pytest.raises(ConfigError, match=rf"the secrets this stack takes are {LEDGER}:pulumiConfigPassphrase and"):
        load_in(LEDGER, ledger({f"{LEDGER}:environmentUrl": "https://x.example.com"}), [f"{LEDGER}:environmentUrl"])


@pytest.mark.parametrize(
    ("short", "value", "command"),
    [
        ("pulumiConfigPassphrase", PASSPHRASE, "pulumi config set --secret pulumiConfigPassphrase …"),
        ("secrets", json.dumps(APP_SECRETS), "pulumi config set --secret --path secrets.<NAME> …"),
        ("settings", '{"GREETING":"hi"}', "pulumi config set --path settings.<member> …"),
    ],
)
def test_a_misplaced_value_set_as_a_secret_is_never_shown(short, value, command):
    with pytest.raises(ConfigError) as refused:
        load_in(LEDGER, ledger({f"{PROJECT}:{short}": value}), secret_keys=[f"{PROJECT}:{short}"])
    message = str(refused.value)
    assert f"`{command}`" in message and message.endswith(f"(got [secret, {len(value)} characters])")
    assert value not in message


@pytest.mark.parametrize(("short", "value"), [("pulumiConfigPassphrase", PASSPHRASE), ("secrets", '{"A":"x"}')])
def test_a_misplaced_secret_key_is_never_shown_even_set_in_plain_text(short, value):
    with pytest.raises(ConfigError, match=rf"\(got \[secret, {len(value)} characters\]\)$") as refused:
        load_in(LEDGER, {**ledger(), f"{PROJECT}:{short}": value})
    assert value not in str(refused.value)


def test_a_misplaced_plain_value_is_shown():
    with pytest.raises(ConfigError, match=r"\(got '\{\"GREETING\":\"hi\"\}'\)$"):
        load_in(LEDGER, ledger({f"{PROJECT}:settings": '{"GREETING":"hi"}'}))


def test_no_resource_is_registered_when_a_key_is_in_the_wrong_namespace():
    plan = run_program(
        ROOT / "__main__.py",
        project=LEDGER,
        stack="staging",
        config=ledger({f"{PROJECT}:replicas": "3"}),
        secret_keys=[f"{LEDGER}:pulumiConfigPassphrase", f"{LEDGER}:secrets"],
        check=False,
    )
    assert plan.error is not None and plan.error["message"].startswith(f"{PROJECT}:replicas: is in the {PROJECT}")
    assert plan.resources == ()


# --- the offline plan of a project of another name ----------------------------------------------


@pytest.fixture
def ledger_project(tmp_path) -> Path:
    """This repository's program in a project named ledger-infra, with the staging stack's file
    rewritten with ``pulumi config set``'s keys there (its encrypted secrets as they are)."""
    (tmp_path / "__main__.py").symlink_to(ROOT / "__main__.py")
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    (tmp_path / "Pulumi.yaml").write_text(yaml.safe_dump({**project, "name": LEDGER}, sort_keys=False))
    stack = yaml.safe_load((ROOT / "Pulumi.staging.yaml").read_text())
    stack["config"] = moved(stack["config"], LEDGER)
    (tmp_path / "Pulumi.staging.yaml").write_text(yaml.safe_dump(stack, sort_keys=False))
    return tmp_path


def add_config(project: Path, extra: Mapping[str, Any]) -> None:
    stack = yaml.safe_load((project / "Pulumi.staging.yaml").read_text())
    stack["config"].update(extra)
    (project / "Pulumi.staging.yaml").write_text(yaml.safe_dump(stack, sort_keys=False))


def test_the_plan_runs_the_program_as_the_project_pulumi_yaml_names(ledger_project):
    """The plan sets the project from Pulumi.yaml's name, as the engine does: the program reads
    ledger-infra:*, and `-c replicas=3` (no namespace) is the project's, as with the CLI."""
    out = ledger_project / "plan"
    result = plan_cli("--stack", "staging", "-c", "replicas=3", "--out", str(out), cwd=ledger_project)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    assert result.stdout.startswith(f"Offline plan of {LEDGER}/staging")
    assert f"note: {LEDGER}:secrets is encrypted in the stack file" in result.stdout
    deployments = [d for d in yaml.safe_load_all((out / "kubernetes.yaml").read_text()) if d["kind"] == "Deployment"]
    assert {d["metadata"]["name"]: d["spec"].get("replicas") for d in deployments}["hello"] == 3


def test_the_plan_refuses_the_librarys_namespace_in_a_project_of_another_name(ledger_project):
    add_config(ledger_project, {f"{PROJECT}:replicas": 3})
    result = plan_cli("--stack", "staging", "--out", str(ledger_project / "plan"), cwd=ledger_project)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"configuration error: {PROJECT}:replicas: is in the {PROJECT} namespace, which this program does not "
        f"read; this program reads the {LEDGER} namespace: set it with `pulumi config set replicas …`, which "
        f"writes {LEDGER}:replicas (got '3')"
    )


def test_the_plan_refuses_plain_text_beside_secrets_in_the_projects_namespace(ledger_project):
    add_config(ledger_project, {f"{LEDGER}:imagePull": {"username": "robot", "password": "pl4in-pull-password"}})
    result = plan_cli("--stack", "staging", cwd=ledger_project)
    assert result.returncode == 2
    assert f"{LEDGER}:imagePull.password is in plain text in the stack file" in result.stderr
    assert "`pulumi config set --secret --path imagePull.password <value>`" in result.stderr
    assert "pl4in-pull-password" not in result.stderr


# --- review stacks ----------------------------------------------------------------------------


def test_the_review_config_of_a_project_of_another_name_is_in_its_namespace():
    config = derive_review_config(moved(STAGING, LEDGER), namespace=LEDGER, merge_request_iid=7, environment="review/x")
    assert config[f"{LEDGER}:replicas"] == 1 and config[f"{LEDGER}:mergeRequestIid"] == 7
    assert {key.partition(":")[0] for key in config} == {LEDGER}


def test_a_base_stack_key_without_a_namespace_is_the_projects():
    """As the CLI reads the stack file (docs/contracts.md PC-8): ``replicas: 2`` is ``<project>:replicas``."""
    bare = {key.partition(":")[2]: value for key, value in STAGING.items()}
    config = derive_review_config(bare, namespace=LEDGER, merge_request_iid=7, environment="review/x")
    assert config[f"{LEDGER}:image"] == STAGING[f"{PROJECT}:image"]


def test_a_base_stack_with_our_keys_in_the_wrong_namespace_is_refused():
    with pytest.raises(ConfigError, match=rf"^{PROJECT}:app: is in the {PROJECT} namespace, which this program"):
        derive_review_config(STAGING, namespace=LEDGER, merge_request_iid=7, environment="review/x")
    secret = {**moved(STAGING, LEDGER), f"{PROJECT}:pulumiConfigPassphrase": {"secure": "v1:abc:def"}}
    with pytest.raises(ConfigError, match=r"\(got \[secret, 24 characters\]\)$"):
        derive_review_config(secret, namespace=LEDGER, merge_request_iid=7, environment="review/x")


def test_the_review_tool_takes_the_namespace_from_pulumi_yaml_or_the_image_keys(ledger_project, capsys):
    argv = ["config", "--base", "staging", "--merge-request-iid", "7", "--environment", "review/x"]
    assert review_main([*argv, "--project-dir", str(ledger_project)]) == 0
    written = yaml.safe_load((ledger_project / "Pulumi.review-7.yaml").read_text())["config"]
    assert written[f"{LEDGER}:replicas"] == 1 and {key.partition(":")[0] for key in written} == {LEDGER}
    # The same stack file read by a program whose image key is ledger:image: its keys are elsewhere.
    assert review_main([*argv, "--project-dir", str(ledger_project), "--image-key", "ledger:image"]) == 2
    assert "this program reads the ledger namespace" in capsys.readouterr().err


def test_the_written_review_stack_of_a_project_of_another_name_plans(ledger_project):
    argv = ["config", "--base", "staging", "--merge-request-iid", "7", "--environment", "review/x"]
    assert review_main([*argv, "--project-dir", str(ledger_project)]) == 0
    result = plan_cli("--stack", "review-7", "--out", str(ledger_project / "plan"), cwd=ledger_project)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    assert "note:" not in result.stdout  # a review stack needs no secret
