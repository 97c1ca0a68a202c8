"""The plan command's policy check: the shipped pack's mandatory rules always run, a project's
pack beside them; violations exit 1 naming the rule and the resource; stack tags."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from gitlab_k8s_cd.components.plan.policies import evaluate_policies
from gitlab_k8s_cd.components.testing import Plan, PlannedResource, Secret
from tests.conftest import PASSPHRASE, ROOT
from tests.conftest import plan_cli as plan
from tests.test_plan import LATEST, STACK_FILE, TAG_ONLY, plan_project, project_with

DEVELOPMENT = "gitlab-k8s-cd:development=true"


@pytest.mark.parametrize(
    ("image", "tags", "fix"),
    [
        (LATEST, [], "i.e. :latest: pin a digest (image@sha256:...)"),
        (TAG_ONLY, [], "deploy by digest (image@sha256:...), or, on a development stack"),
        (LATEST, ["--stack-tag", DEVELOPMENT], "i.e. :latest: pin a digest"),  # never, not even there
    ],
    ids=["latest", "tag-only", "latest-on-a-development-stack"],
)
def test_an_image_not_pinned_by_digest_fails_the_plan_naming_the_rule_and_the_resource(tmp_path, image, tags, fix):
    result = plan("--stack", "staging", "--out", str(tmp_path), "-c", f"image={image}", *tags)
    assert result.returncode == 1, result.stdout + result.stderr
    # One per process: they all run the one image.
    web, worker = [line for line in result.stderr.splitlines() if line.startswith("  k8s-")]
    for violation, (logical, container) in zip(
        (web, worker),
        (("hello-workload-deployment", "hello"), ("hello-workload-worker-deployment", "worker")),
        strict=True,
    ):
        assert violation.startswith(f"  k8s-pinned-images: kubernetes:apps/v1:Deployment {logical}: ")
        assert f"container {container} uses {'the tag-only image ' if image == TAG_ONLY else ''}{image!r}" in violation
        assert fix in violation
    assert "POLICY VIOLATIONS: 2 mandatory (10 rules of " in result.stderr
    assert "Traceback" not in result.stderr
    assert (tmp_path / "resources.json").exists()  # an invalid plan is still written, for plan_diff


def test_a_tag_only_image_passes_on_a_stack_tagged_as_a_development_stack(tmp_path):
    result = plan("--stack", "staging", "--out", str(tmp_path), "-c", f"image={TAG_ONLY}", "--stack-tag", DEVELOPMENT)
    assert result.returncode == 0, result.stderr
    assert f"stack tags: {DEVELOPMENT})" in result.stdout
    # Only the exact tag makes a development stack, as `pulumi stack tag set` would set it.
    other = plan("--stack", "staging", "--out", str(tmp_path), "-c", f"image={TAG_ONLY}", "--stack-tag", "dev=true")
    assert other.returncode == 1 and "k8s-pinned-images" in other.stderr


@pytest.mark.parametrize("tag", ["gitlab-k8s-cd:development", "=true"])
def test_a_malformed_stack_tag_exits_2(tmp_path, tag):
    result = plan("--stack", "staging", "--out", str(tmp_path), "--stack-tag", tag)
    assert result.returncode == 2 and f"--stack-tag {tag!r}: expected KEY=VALUE" in result.stderr


CRAFTED_PACK = """
from dataclasses import dataclass

@dataclass(frozen=True)
class Rule:
    name: str
    level: str
    check: object

def replicas(resource_type, props, tags):
    if resource_type == "kubernetes:apps/v1:Deployment":
        yield f"replicas {props['spec']['replicas']!r}, tags {dict(tags)}"

def quote_the_passphrase(resource_type, props, tags):
    if props.get("key") == "PULUMI_CONFIG_PASSPHRASE":
        yield f"value {props['value']} and {props['value']!r}"

RULES = [Rule("crafted-advisory", "advisory", replicas), Rule("crafted-mandatory", "mandatory", quote_the_passphrase)]
"""


def test_advisory_findings_are_warnings_and_a_message_never_shows_a_secret(tmp_path):
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "rules.py").write_text(CRAFTED_PACK)
    passphrase = "correct-horse-battery-staple-42"
    result = plan(
        "--stack",
        "staging",
        "--out",
        str(tmp_path / "plan"),
        "--policy-pack",
        str(pack),
        "--stack-tag",
        "team=web",
        env={"PULUMI_CONFIG_PASSPHRASE": passphrase},
    )
    assert result.returncode == 1
    # The rules get the stack tags, and numbers as CrossGuard hands them: floats.
    warning = "warning: crafted-advisory: kubernetes:apps/v1:Deployment hello-workload-deployment: replicas 2.0, "
    assert f"{warning}tags {{'team': 'web'}} (advisory)" in result.stdout
    violations = [line for line in result.stderr.splitlines() if "crafted-mandatory" in line]
    assert violations  # the base stack's passphrase variable, and the review stacks'
    for violation in violations:
        assert violation.startswith("  crafted-mandatory: gitlab:index/projectVariable:ProjectVariable ")
        assert violation.endswith(": value [secret] and '[secret]'")
    assert passphrase not in result.stdout + result.stderr
    assert repr(passphrase)[1:-1] not in result.stdout + result.stderr


def test_a_missing_policy_pack_exits_2(tmp_path):
    result = plan("--stack", "staging", "--out", str(tmp_path), "--policy-pack", str(tmp_path / "none"))
    assert result.returncode == 2 and "no policy pack (a rules.py with RULES) in " in result.stderr


def test_a_secret_is_redacted_from_a_message_also_as_repr_quotes_it():
    secret = "line one\nline 'two' \\ three"
    variable = PlannedResource(
        "urn:x", "gitlab:index/projectVariable:ProjectVariable", "v", None, True, None, {"value": Secret(secret)}
    )
    rule = SimpleNamespace(
        name="quote", level="mandatory", check=lambda t, props, tags: [f"{props['value']} / {props['value']!r}"]
    )
    (finding,) = evaluate_policies(Plan((variable,), {}), [rule], {})
    assert finding.message == '[secret] / "[secret]"'  # repr() escapes the newline and the backslash
    assert str(finding) == f"quote: gitlab:index/projectVariable:ProjectVariable v: {finding.message}"


@pytest.mark.parametrize(
    ("rules", "status", "message"),
    [
        ("import pulumi_policy_not_installed\nRULES = []\n", 2, "failed to load: ModuleNotFoundError: "),
        (
            "from types import SimpleNamespace as R\n"
            "def boom(t, props, tags):\n"
            "    if props.get('key') == 'PULUMI_CONFIG_PASSPHRASE':\n"
            "        raise ValueError(props['value'])\n"
            "    return []\n"
            "RULES = [R(name='boom', level='mandatory', check=boom)]\n",
            3,
            "the policy pack failed: boom raised ValueError on gitlab:index/projectVariable:ProjectVariable ",
        ),
    ],
    ids=["a-pack-that-fails-to-load", "a-rule-that-raises"],
)
def test_a_policy_pack_that_breaks_fails_the_plan_without_a_traceback_or_a_secret(tmp_path, rules, status, message):
    (tmp_path / "pack").mkdir()
    (tmp_path / "pack" / "rules.py").write_text(rules)
    result = plan(
        "--stack",
        "staging",
        "--out",
        str(tmp_path / "plan"),
        "--policy-pack",
        str(tmp_path / "pack"),
        env={"PULUMI_CONFIG_PASSPHRASE": PASSPHRASE},
    )
    assert result.returncode == status
    assert message in result.stderr
    assert "Traceback" not in result.stderr and PASSPHRASE not in result.stdout + result.stderr


@pytest.fixture
def installed_pack(tmp_path, monkeypatch):
    """The policy pack as a wheel installs it (site-packages/gitlab_k8s_cd/policy/), imported from there;
    tests/test_consumer.py installs the real wheel."""
    import shutil
    import sys
    import types

    installed = tmp_path / "site-packages" / "gitlab_k8s_cd" / "policy"
    shutil.copytree(ROOT / "policy", installed)
    module = types.ModuleType("gitlab_k8s_cd.policy")
    module.__file__ = str(installed / "__init__.py")
    monkeypatch.setitem(sys.modules, "gitlab_k8s_cd.policy", module)
    return installed


def test_a_project_without_a_policy_pack_gets_the_one_installed_with_the_tools(tmp_path, installed_pack):
    """An adopting project has no policy/ of its own: the plan (and the MR plan-diff job, which
    pip-installs the tools) evaluates the pack installed with them, as `gitlab_k8s_cd.policy`."""
    import tomllib

    from gitlab_k8s_cd.components.plan.policies import policy_pack

    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "gitlab_k8s_cd.policy" in setuptools["packages"]
    assert (ROOT / setuptools["package-dir"]["gitlab_k8s_cd.policy"] / "rules.py").is_file()
    assert {"PulumiPolicy.yaml", "requirements.txt"} <= set(setuptools["package-data"]["gitlab_k8s_cd.policy"])
    project = tmp_path / "project"
    project.mkdir()
    assert policy_pack(project, None) == installed_pack
    (project / "policy").mkdir()
    (project / "policy" / "rules.py").write_text("RULES = ()\n")
    assert policy_pack(project, None) == project / "policy"  # the project's own wins


SHIPPED = ROOT / "policy"


SHIPPED_MANDATORY = 9  # of its 10 rules, k8s-no-external-services is advisory


NO_OP = "from types import SimpleNamespace as R\n\ndef nothing(t, props, tags):\n    return []\n\n"


def write_pack(directory, rules):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "rules.py").write_text(rules)
    return directory


@pytest.mark.parametrize(
    ("rules", "count"),
    [
        ("RULES = ()\n", 0),
        ("RULES = []\n", 0),
        (NO_OP + "RULES = [R(name='k8s-pinned-images', level='advisory', check=nothing)]\n", 1),
        (
            NO_OP
            + "RULES = [R(name='x', level='disabled', check=nothing), R(name='y', level='Mandatory', check=nothing)]\n",
            2,
        ),
    ],
    ids=["empty-tuple", "empty-list", "advisory-only", "no-exact-mandatory"],
)
@pytest.mark.parametrize("given", [True, False], ids=["--policy-pack", "the-project's-policy"])
def test_a_policy_pack_with_no_mandatory_rule_is_refused_before_planning(tmp_path, rules, count, given):
    project = project_with(tmp_path, STACK_FILE)
    pack = write_pack(tmp_path / ("elsewhere" if given else "policy"), rules)
    result = plan_project(project, *(["--policy-pack", str(pack)] if given else []))
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"error: the policy pack {pack} has no mandatory rule ({count} rules): a pack that enforces nothing" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr and not (project / "plan" / "resources.json").exists()


@pytest.mark.parametrize("given", [True, False], ids=["--policy-pack", "the-project's-policy"])
def test_the_shipped_packs_mandatory_rules_are_evaluated_beside_the_projects_pack(tmp_path, given):
    project = project_with(tmp_path, STACK_FILE)
    pack = write_pack(
        tmp_path / ("elsewhere" if given else "policy"),
        NO_OP + "RULES = [R(name='own', level='mandatory', check=nothing)]\n",
    )
    args = ["--policy-pack", str(pack)] if given else []
    where = (
        f"{1 + SHIPPED_MANDATORY} rules: 1 of {pack} and {SHIPPED_MANDATORY} mandatory of the shipped pack {SHIPPED}"
    )
    passing = plan_project(project, *args)
    assert passing.returncode == 0, passing.stderr
    assert f"Policies: no mandatory violation ({where}, stack tags: none)" in passing.stdout
    latest = plan_project(project, *args, "-c", f"image={LATEST}")
    assert latest.returncode == 1, latest.stdout + latest.stderr
    assert f"POLICY VIOLATIONS: 2 mandatory ({where}, stack tags: none):" in latest.stderr
    assert "  k8s-pinned-images: kubernetes:apps/v1:Deployment hello-workload-deployment: " in latest.stderr


def test_a_projects_rule_of_a_shipped_rules_name_runs_beside_it_never_instead(tmp_path):
    """A merge request could otherwise replace a guardrail by a mandatory rule that finds nothing."""
    project = project_with(tmp_path, STACK_FILE)
    pack = write_pack(
        tmp_path / "policy",
        NO_OP
        + "def adapted(t, props, tags):\n"
        + "    if t == 'kubernetes:apps/v1:Deployment':\n"
        + "        yield 'adapted by the project'\n\n"
        + "RULES = [\n"
        + "    R(name='k8s-pinned-images', level='advisory', check=nothing),\n"  # a demotion: not taken
        + "    R(name='k8s-probes-and-resources', level='mandatory', check=adapted),\n"  # an adaptation: taken
        + "]\n",
    )
    result = plan_project(project, "-c", f"image={LATEST}")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"({2 + SHIPPED_MANDATORY} rules: 2 of {pack} and {SHIPPED_MANDATORY} mandatory of the shipped" in (
        result.stderr
    )
    lines = [line for line in result.stderr.splitlines() if line.startswith("  k8s-")]
    # Resource by resource (web's Deployment, then the worker's), each with both rules' findings.
    assert [line.split(":")[0] for line in lines] == ["  k8s-probes-and-resources", "  k8s-pinned-images"] * 2
    assert lines[0].endswith("hello-workload-deployment: adapted by the project")  # the project's own finding
    assert "i.e. :latest: pin a digest" in lines[1]  # the shipped rule's, though the project's was a no-op
    no_op_guardrail = write_pack(
        tmp_path / "policy", NO_OP + "RULES = [R(name='k8s-pinned-images', level='mandatory', check=nothing)]\n"
    )
    assert no_op_guardrail == pack
    result = plan_project(project, "-c", f"image={LATEST}")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "i.e. :latest: pin a digest" in result.stderr


def test_the_pack_installed_with_the_tools_is_the_shipped_one(tmp_path, installed_pack):
    """In an adopting project (the MR plan-diff job pip-installs the tools), the shipped rules
    come from the installed gitlab_k8s_cd.policy, which a merge request cannot change."""
    from gitlab_k8s_cd.components.plan.policies import policy_rules, shipped_pack

    installed = installed_pack
    assert shipped_pack() == installed
    own = write_pack(
        tmp_path / "project" / "policy", NO_OP + "RULES = [R(name='own', level='mandatory', check=nothing)]\n"
    )
    rules = policy_rules(own)
    assert (rules.shipped, rules.added) == (installed, SHIPPED_MANDATORY)
    assert [rule.name for rule in rules.rules][:2] == ["own", "k8s-probes-and-resources"]
    assert "k8s-no-external-services" not in [rule.name for rule in rules.rules]  # advisory: not forced
    assert policy_rules(installed).describe() == f"10 rules of {installed}"
    # This repository's pack beside the installed copy: both run, and each finding is said once.
    both = policy_rules(ROOT / "policy")
    assert both.describe().startswith(f"{10 + SHIPPED_MANDATORY} rules: 10 of {ROOT / 'policy'}")
    deployment = PlannedResource(
        "urn:d", "kubernetes:apps/v1:Deployment", "d", None, True, None, {"spec": {"template": {"spec": {}}}}
    )
    deployment.inputs["spec"]["template"]["spec"]["containers"] = [{"name": "c", "image": "r.example.com/a:latest"}]
    findings = evaluate_policies(SimpleNamespace(resources=(deployment,)), both.rules, {})
    assert len(findings) == len(set(findings)) > 0


def test_a_rule_whose_level_is_crossguards_enum_is_mandatory():
    """A pack may use pulumi_policy.EnforcementLevel itself, whose str() is not its value: its
    violations must not be demoted to warnings."""
    from pulumi_policy import EnforcementLevel

    variable = PlannedResource("urn:x", "gitlab:index/projectVariable:ProjectVariable", "v", None, True, None, {})
    rule = SimpleNamespace(name="enum", level=EnforcementLevel.MANDATORY, check=lambda t, props, tags: ["flagged"])
    (finding,) = evaluate_policies(Plan((variable,), {}), [rule], {})
    assert finding.level == "mandatory"


def test_a_rules_entry_that_is_not_a_rule_is_a_configuration_error(tmp_path):
    pack = write_pack(tmp_path / "pack", "RULES = ['k8s-pinned-images']\n")
    result = plan("--stack", "staging", "--out", str(tmp_path / "plan"), "--policy-pack", str(pack))
    assert result.returncode == 2
    assert (
        f"the policy pack {pack}: 'k8s-pinned-images' is not a rule with a name, a level and a check" in result.stderr
    )
    assert "Traceback" not in result.stderr
