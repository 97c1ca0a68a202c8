"""A stack file read as the Pulumi CLI reads it (components/stack_file.py; docs/contracts.md PC-8),
by the offline plan and the harness: YAML 1.2 scalars, unquoted dates, secure values, and values
the CLI cannot load. The Go values themselves are tests/test_go_values.py's."""

from __future__ import annotations

import pytest
import yaml

from gitlab_k8s_cd.components.stack_file import stack_config
from tests.conftest import plan_cli as plan
from tests.test_plan import QUOTED_DATE, STACK_FILE, plan_project, project_with


def test_the_cli_hands_the_program_text_for_every_yaml_scalar_top_level_and_nested(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: p\nruntime: python\n")
    (tmp_path / "Pulumi.s.yaml").write_text(
        "config:\n"
        "  p:date: 2027-11-30\n"
        "  p:moment: 2027-1-5T10:00:00.25+02:00\n"
        "  p:quoted: '2027-11-30'\n"
        "  p:int: 0x1F\n"
        "  p:octal: 010\n"
        "  p:float: 2.0\n"
        "  p:exponent: 1e3\n"
        "  p:small: 0.0000001\n"
        "  p:bool: true\n"
        "  p:yes: yes\n"
        "  p:sexagesimal: 1:30\n"
        "  p:null:\n"
        "  bare: 3\n"
        "  p:object: {when: 2027-11-30, n: 1.0, none: ~, on: off, big: 1e21, 2: two, z: '<&>'}\n"
    )
    stack = stack_config(tmp_path, "s", ["p:float=2.0", "p:bare=", "p:null"])
    assert {key: text for key, text in stack.config.items() if key.startswith("p:")} == {
        "p:date": "2027-11-30 00:00:00 +0000 UTC",
        "p:moment": "2027-01-05 10:00:00.25 +0200 +0200",
        "p:quoted": "2027-11-30",
        "p:int": "31",
        "p:octal": "8",
        "p:float": "2.0",  # -c hands the text as it is
        "p:exponent": "1000",
        "p:small": "1e-7",
        "p:bool": "true",
        "p:yes": "yes",
        "p:sexagesimal": "1:30",
        "p:null": "",
        "p:bare": "",  # "bare" without a namespace is p:bare; `-c p:bare=` sets it to nothing
        "p:object": '{"2":"two","big":1e+21,"n":1,"none":null,"on":"off",'
        '"when":"2027-11-30 00:00:00 +0000 UTC","z":"\\u003c\\u0026\\u003e"}',
    }
    assert stack_config(tmp_path, "s", []).config["p:float"] == "2"
    assert stack_config(tmp_path, "s", []).config["p:bare"] == "3"  # a key without a namespace gets the project's
    assert [note.split(": ", 1)[1] for note in stack.notes] == [
        "p:date is the unquoted YAML timestamp 2027-11-30, which the Pulumi CLI hands the program as "
        "'2027-11-30 00:00:00 +0000 UTC'; quote it to pass the text as written",
        "p:moment is the unquoted YAML timestamp 2027-1-5T10:00:00.25+02:00, which the Pulumi CLI hands the "
        "program as '2027-01-05 10:00:00.25 +0200 +0200'; quote it to pass the text as written",
        "no value for p:null; the Pulumi CLI hands the program ''",
        "p:object.when is the unquoted YAML timestamp 2027-11-30, which the Pulumi CLI hands the program as "
        "'2027-11-30 00:00:00 +0000 UTC'; quote it to pass the text as written",
    ]


def test_a_key_twice_in_a_mapping_is_refused_as_the_cli_refuses_it(tmp_path):
    stack = STACK_FILE.replace(
        "  gitlab-k8s-cd:replicas: 2\n", "  gitlab-k8s-cd:replicas: 2\n  gitlab-k8s-cd:replicas: 3\n"
    )
    result = plan_project(project_with(tmp_path, stack))
    assert result.returncode == 2
    line = STACK_FILE.splitlines().index("  gitlab-k8s-cd:replicas: 2") + 1
    message = f"line {line + 1}: mapping key 'gitlab-k8s-cd:replicas' already defined at line {line}"
    assert f"Pulumi.staging.yaml: {message}" in result.stderr


def test_an_unquoted_date_where_a_string_is_expected_exits_2_naming_the_key_never_a_traceback(tmp_path):
    project = project_with(tmp_path, STACK_FILE.replace(QUOTED_DATE, QUOTED_DATE.replace('"', "")))
    result = plan_project(project)
    assert result.returncode == 2, result.stdout + result.stderr
    (error,) = [line for line in result.stderr.splitlines() if line.startswith("configuration error: ")]
    assert error.startswith("configuration error: gitlab-k8s-cd:deployTokenExpiresAt: must be a date in YYYY-MM-DD")
    assert error.endswith("(got '2027-11-30 00:00:00 +0000 UTC')")
    assert "deployTokenExpiresAt is the unquoted YAML timestamp 2027-11-30" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (project / "plan" / "kubernetes.yaml").exists()


def test_an_unquoted_date_inside_an_object_exits_2_naming_the_member(tmp_path):
    project = project_with(tmp_path, STACK_FILE + "  gitlab-k8s-cd:driftCheck:\n    ref: 2027-11-30\n")
    result = plan_project(project)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "configuration error: gitlab-k8s-cd:driftCheck.ref: must be a branch name" in result.stderr
    assert "'2027-11-30 00:00:00 +0000 UTC'" in result.stderr
    assert "Traceback" not in result.stderr


def test_yaml_1_2_scalars_reach_the_program_as_the_cli_hands_them(tmp_path):
    """`2.0` is handed over as 2, so it is a valid replica count; `yes` stays the text "yes"."""
    project = project_with(tmp_path, STACK_FILE.replace("replicas: 2\n", "replicas: 2.0\n"))
    result = plan_project(project)
    assert result.returncode == 0, result.stderr
    deployment = next(
        d for d in yaml.safe_load_all((project / "plan" / "kubernetes.yaml").read_text()) if d["kind"] == "Deployment"
    )
    assert deployment["spec"]["replicas"] == 2
    text = plan_project(project, "-c", "replicas=2.0")  # a -c override is text as it is: no YAML in it
    assert text.returncode == 2
    assert "gitlab-k8s-cd:replicas: must be an integer ≥ 1 (got '2.0')" in text.stderr
    (tmp_path / "Pulumi.staging.yaml").write_text(STACK_FILE.replace("manageProject: true", "manageProject: yes"))
    refused = plan_project(project)
    assert refused.returncode == 2
    assert "gitlab-k8s-cd:manageProject: must be true or false (got 'yes')" in refused.stderr


@pytest.mark.parametrize("number", [".inf", "-.inf", ".nan"])
def test_a_value_the_cli_cannot_load_exits_2_naming_the_key(tmp_path, number):
    project = project_with(tmp_path, STACK_FILE.replace("replicas: 2\n", f"replicas: {number}\n"))
    result = plan_project(project)
    assert result.returncode == 2
    assert (
        "Pulumi.staging.yaml: gitlab-k8s-cd:replicas: the Pulumi CLI cannot load this value (json: unsupported value: "
        in (result.stderr)
    )


def test_a_setting_encrypted_in_the_stack_file_is_refused_not_planned_into_a_configmap(tmp_path):
    """`pulumi config set --secret --path settings.DB_PASSWORD ...` writes a nested `secure:` value
    and makes the whole key secret (docs/contracts.md PC-7): the plan refuses it (exit 2), since a
    ConfigMap is plain text, and writes nothing."""
    stack = STACK_FILE.replace(
        "    GREETING: Hello from staging\n",
        "    GREETING: Hello from staging\n    DB_PASSWORD:\n      secure: v1:c2FsdA==:Y2lwaGVydGV4dA==\n",
    )
    assert stack != STACK_FILE
    project = project_with(tmp_path, stack)
    result = plan("--stack", "staging", "--project-dir", str(project), "--out", str(project / "plan"))
    assert result.returncode == 2, result.stderr
    assert "gitlab-k8s-cd:settings: is set as a secret" in result.stderr
    assert "a ConfigMap" in result.stderr
    assert not (tmp_path / "plan" / "kubernetes.yaml").exists()


@pytest.mark.parametrize(
    "value",
    ["!!binary aGVsbG8=", "[" * 5000 + "]" * 5000],
    ids=["binary", "nested-5000-deep"],
)
def test_a_stack_file_value_the_cli_cannot_load_exits_2_without_a_traceback(tmp_path, value):
    stack = STACK_FILE.replace(
        "gitlab-k8s-cd:projectDescription: The example app deployed by gitlab-k8s-cd",
        f"gitlab-k8s-cd:projectDescription: {value}",
    )
    assert stack != STACK_FILE
    project = project_with(tmp_path, stack)
    result = plan("--stack", "staging", "--project-dir", str(project), "--out", str(project / "plan"))
    assert result.returncode == 2, result.stderr[-500:]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("plain", "key"),
    [
        ("    STRIPE_KEY: sk_live_plain_text_0123\n", "gitlab-k8s-cd:secrets.STRIPE_KEY"),
        ("    DB_USER:\n      nested: sk_live_plain_text_0123\n", "gitlab-k8s-cd:secrets.DB_USER"),
    ],
)
def test_a_secret_setting_in_plain_text_beside_encrypted_ones_is_refused_never_showing_it(tmp_path, plain, key):
    """The CLI marks the whole key secret when one member is (docs/contracts.md PC-7): the program
    could not tell a member added without --secret, which would sit in git in plain text. The
    stack file's reader refuses it (the plan command then exits 2: the test below)."""
    stack = STACK_FILE.replace("  gitlab-k8s-cd:secrets:\n", "  gitlab-k8s-cd:secrets:\n" + plain)
    assert stack != STACK_FILE
    with pytest.raises(ValueError) as refused:
        stack_config(project_with(tmp_path, stack), "staging", [])
    assert f"{key} is in plain text in the stack file, where only an encrypted value may be" in str(refused.value)
    assert "pulumi config set --secret --path secrets." in str(refused.value)
    assert "sk_live_plain_text_0123" not in str(refused.value)


def test_an_image_pull_password_in_plain_text_exits_2_never_showing_it(tmp_path):
    stack = STACK_FILE + "  gitlab-k8s-cd:imagePull:\n    username: robot\n    password: pl4in-pull-password\n"
    result = plan_project(project_with(tmp_path, stack))
    assert result.returncode == 2
    assert "gitlab-k8s-cd:imagePull.password is in plain text in the stack file" in result.stderr
    assert "pl4in-pull-password" not in result.stdout + result.stderr
