"""``python -m gitlab_k8s_cd.pipeline.cluster_access``: the job's kubeconfig at the fixed path, in
the mode the stack's config says (kubeconfig: ``$KUBECONFIG_B64`` decoded; agent: GitLab's
``$KUBECONFIG`` file with the agent's context current), or an explanation and a non-zero exit."""

from __future__ import annotations

import base64
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from gitlab_k8s_cd.pipeline import cluster_access as tool
from tests.conftest import PROJECT, ROOT, load

AGENT = {"project": "acme/cluster-agents", "name": "staging-agent"}
CONTEXT = "acme/cluster-agents:staging-agent"
JOB_TOKEN = "glcbt-64_job-token-stands-here"
DEPLOYER = "apiVersion: v1\nkind: Config\ncurrent-context: staging-eu-1\n# the deployer's token stands here\n"


def gitlab_kubeconfig(*agents: tuple[int, str]) -> dict:
    """What GitLab hands a job (docs/contracts.md GL-37): one cluster ``gitlab`` (the KAS tunnel),
    per agent a user ``agent:<id>`` with the token ``ci:<id>:<job token>`` and a context
    ``<agent project full path>:<agent name>``, no ``current-context``."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "gitlab", "cluster": {"server": "https://kas.gitlab.example.com/k8s-proxy"}}],
        "users": [{"name": f"agent:{i}", "user": {"token": f"ci:{i}:{JOB_TOKEN}"}} for i, _ in agents],
        "contexts": [
            {"name": context, "context": {"cluster": "gitlab", "user": f"agent:{i}", "namespace": "hello-staging"}}
            for i, context in agents
        ],
    }


def project(tmp_path: Path, config: dict | None = None, name: str = PROJECT, stack: str = "staging") -> Path:
    """A Pulumi project named ``name`` with one stack file holding ``config``."""
    (tmp_path / "Pulumi.yaml").write_text(yaml.safe_dump({"name": name, "runtime": "python"}))
    (tmp_path / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config or {}}))
    return tmp_path


def agent_mode(tmp_path: Path, agent: dict = AGENT) -> Path:
    return project(tmp_path, {f"{PROJECT}:clusterAccess": "agent", f"{PROJECT}:agent": agent})


def run(tmp_path: Path, environ: dict, *extra: str, capsys) -> tuple[int, str, str, Path]:
    to = tmp_path / "fixed" / "gitlab-k8s-cd.kubeconfig"
    status = tool.main(["--stack", "staging", "--to", str(to), "--project-dir", str(tmp_path), *extra], environ)
    captured = capsys.readouterr()
    return status, captured.out, captured.err, to


def private(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) == 0o600


# --- kubeconfig mode ------------------------------------------------------------------------------


def test_kubeconfig_mode_decodes_the_deployers_kubeconfig_to_the_fixed_path_readable_by_its_owner_only(
    tmp_path, capsys
):
    encoded = base64.encodebytes(DEPLOYER.encode()).decode()  # with newlines, as `base64` wraps: no data
    status, out, err, to = run(project(tmp_path), {"KUBECONFIG_B64": encoded}, capsys=capsys)
    assert (status, err) == (0, "")
    assert to.read_text() == DEPLOYER and private(to)
    assert "token" not in out and str(to) in out


def test_the_repositorys_staging_stack_is_in_kubeconfig_mode_and_the_tool_reads_it_so():
    assert tool.read_stack_access(ROOT, "staging") == tool.StackAccess(mode="kubeconfig")


def test_kubeconfig_mode_without_the_variable_explains_and_writes_nothing(tmp_path, capsys):
    status, out, err, to = run(project(tmp_path), {}, capsys=capsys)
    assert status == tool.EXIT_NO_KUBECONFIG and not to.exists() and out == ""
    assert "$KUBECONFIG_B64" in err and "scoped to its environment" in err and "not protected" in err


def test_kubeconfig_mode_refuses_a_value_that_is_not_base64_without_printing_it(tmp_path, capsys):
    status, out, err, to = run(project(tmp_path), {"KUBECONFIG_B64": "not*base64!secret"}, capsys=capsys)
    assert status == tool.EXIT_NO_KUBECONFIG and not to.exists()
    assert "is not base64" in err and "secret" not in err + out


def test_kubeconfig_mode_ignores_a_kubeconfig_gitlab_also_gives_the_job(tmp_path, capsys):
    """An agent may authorize the project anyway (its own project's jobs always are): the stack says kubeconfig."""
    given = tmp_path / "gitlab.kubeconfig"
    given.write_text(yaml.safe_dump(gitlab_kubeconfig((1, CONTEXT))))
    environ = {"KUBECONFIG": str(given), "KUBECONFIG_B64": base64.b64encode(DEPLOYER.encode()).decode()}
    status, _, _, to = run(project(tmp_path), environ, capsys=capsys)
    assert status == 0 and to.read_text() == DEPLOYER


# --- agent mode -----------------------------------------------------------------------------------


def test_agent_mode_copies_gitlabs_kubeconfig_with_the_agents_context_current(tmp_path, capsys):
    other = "acme/other-agents:prod"
    given = tmp_path / "gitlab.kubeconfig"
    original = gitlab_kubeconfig((3, other), (7, CONTEXT))
    given.write_text(yaml.safe_dump(original))
    status, out, err, to = run(agent_mode(tmp_path), {"KUBECONFIG": str(given)}, capsys=capsys)
    assert (status, err) == (0, "")
    written = yaml.safe_load(to.read_text())
    assert written == {**original, "current-context": CONTEXT}  # nothing else changed
    assert private(to) and JOB_TOKEN not in out and CONTEXT in out
    assert "current-context" not in yaml.safe_load(given.read_text())  # GitLab's file is left as it is


def test_agent_mode_may_write_over_gitlabs_own_file(tmp_path, capsys):
    """A job that already exported KUBECONFIG to the fixed path runs the tool again: same result."""
    to = tmp_path / "fixed" / "gitlab-k8s-cd.kubeconfig"
    to.parent.mkdir()
    to.write_text(yaml.safe_dump(gitlab_kubeconfig((7, CONTEXT))))
    status, _, _, written = run(agent_mode(tmp_path), {"KUBECONFIG": str(to)}, capsys=capsys)
    assert status == 0 and written == to and yaml.safe_load(to.read_text())["current-context"] == CONTEXT


def test_agent_mode_without_gitlabs_kubeconfig_names_every_reason_gitlab_has_for_it(tmp_path, capsys):
    environ = {"KUBECONFIG_B64": base64.b64encode(DEPLOYER.encode()).decode(), "CI_ENVIRONMENT_NAME": "staging"}
    status, out, err, to = run(agent_mode(tmp_path), environ, capsys=capsys)
    assert status == tool.EXIT_NO_KUBECONFIG and not to.exists() and out == ""
    for reason in (
        ".gitlab/agents/staging-agent/config.yaml on the default branch of acme/cluster-agents",
        "ci_access.projects",
        "under that project's top-level group",
        "environments match this job's environment, 'staging'",
        "Premium or Ultimate",
        "protected_branches_only",
        "the agent is connected",
        "no KUBECONFIG variable in the job's YAML",
    ):
        assert reason in err, reason


def test_agent_mode_in_a_job_without_an_environment_says_it_never_matches(tmp_path, capsys):
    _, _, err, _ = run(agent_mode(tmp_path), {}, capsys=capsys)
    assert "(it has none)" in err and "a job without an environment never matches" in err


def test_agent_mode_refuses_a_kubeconfig_without_the_stacks_agent_naming_what_it_has(tmp_path, capsys):
    given = tmp_path / "gitlab.kubeconfig"
    given.write_text(yaml.safe_dump(gitlab_kubeconfig((3, "acme/other-agents:prod"))))
    status, out, err, to = run(agent_mode(tmp_path), {"KUBECONFIG": str(given)}, capsys=capsys)
    assert status == tool.EXIT_NO_CONTEXT and not to.exists()
    assert f"no context '{CONTEXT}'" in err and "it has 'acme/other-agents:prod'" in err
    assert JOB_TOKEN not in err + out


def agent_job(tmp_path: Path, **ci: str) -> dict:
    """A deploy job's environment in agent mode: GitLab's kubeconfig with the stack's agent, and
    the predefined ``CI_ENVIRONMENT_*`` variables given."""
    given = tmp_path / "gitlab.kubeconfig"
    given.write_text(yaml.safe_dump(gitlab_kubeconfig((7, CONTEXT))))
    return {"KUBECONFIG": str(given), **ci}


def staging_in_agent_mode(tmp_path: Path) -> Path:
    return project(
        tmp_path,
        {f"{PROJECT}:clusterAccess": "agent", f"{PROJECT}:agent": AGENT, f"{PROJECT}:environment": "staging"},
    )


@pytest.mark.parametrize(
    "ci",
    [
        {"CI_ENVIRONMENT_NAME": "staging", "CI_ENVIRONMENT_SLUG": "staging", "CI_ENVIRONMENT_TIER": "staging"},
        # A review job (its base stack is staging's): the development tier's group.
        {"CI_ENVIRONMENT_NAME": "review/feature-x", "CI_ENVIRONMENT_SLUG": "review-feat-abc123"}
        | {"CI_ENVIRONMENT_TIER": "development"},
    ],
)
def test_agent_mode_gives_the_kubeconfig_to_a_job_of_the_group_the_stack_bound(tmp_path, capsys, ci):
    status, _, err, to = run(staging_in_agent_mode(tmp_path), agent_job(tmp_path, **ci), capsys=capsys)
    assert (status, err) == (0, "") and to.exists()


@pytest.mark.parametrize(
    ("ci", "said"),
    [
        (
            {"CI_ENVIRONMENT_NAME": "production", "CI_ENVIRONMENT_SLUG": "production"},
            "this job's environment is 'production', and the stack deploys 'staging'",
        ),
        (
            {"CI_ENVIRONMENT_NAME": "staging", "CI_ENVIRONMENT_SLUG": "staging-x1y2z3"},
            "GitLab's slug for the environment 'staging' is 'staging-x1y2z3', and the stack bound its deployer's "
            "Role to the group of the slug 'staging'",
        ),
        (
            {"CI_ENVIRONMENT_NAME": "review/feature-x", "CI_ENVIRONMENT_TIER": "other"},
            "this review job's environment 'review/feature-x' has the tier 'other'",
        ),
    ],
)
def test_agent_mode_refuses_a_job_whose_group_the_stack_did_not_bind_saying_which(tmp_path, capsys, ci, said):
    status, out, err, to = run(staging_in_agent_mode(tmp_path), agent_job(tmp_path, **ci), capsys=capsys)
    assert status == tool.EXIT_OTHER_IDENTITY and not to.exists() and out == ""
    assert said in err, err
    assert JOB_TOKEN not in err


def test_the_tools_review_environments_are_the_components():
    from gitlab_k8s_cd.components.cluster_access import REVIEW_TIER
    from gitlab_k8s_cd.components.review_apps import REVIEW_ENVIRONMENT_SCOPE

    assert tool.REVIEW_TIER == REVIEW_TIER and tool.REVIEW_PREFIX + "*" == REVIEW_ENVIRONMENT_SCOPE


@pytest.mark.parametrize("content", [None, "contexts: [unclosed\n  token: ci:1:" + JOB_TOKEN, b"\xff\xfe"])
def test_agent_mode_refuses_an_unreadable_kubeconfig_without_printing_it(tmp_path, capsys, content):
    given = tmp_path / "gitlab.kubeconfig"
    if isinstance(content, bytes):
        given.write_bytes(content)
    elif content is not None:
        given.write_text(content)
    status, out, err, to = run(agent_mode(tmp_path), {"KUBECONFIG": str(given)}, capsys=capsys)
    assert status == tool.EXIT_NO_KUBECONFIG and not to.exists()
    assert "is not a readable kubeconfig" in err and JOB_TOKEN not in err + out


# --- the stack's config ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({f"{PROJECT}:clusterAccess": "tunnel"}, "clusterAccess is 'tunnel': expected one of 'kubeconfig', 'agent'"),
        ({f"{PROJECT}:clusterAccess": "agent"}, "agent is None: expected {project: <agent project full path>"),
        (
            {f"{PROJECT}:clusterAccess": "agent", f"{PROJECT}:agent": {"project": "acme/agents"}},
            "agent is {'project': 'acme/agents'}: expected {project: ",
        ),
    ],
)
def test_a_mode_the_program_refuses_is_refused_naming_the_key_the_value_and_the_expectation(
    tmp_path, capsys, config, expected
):
    status, _, err, to = run(project(tmp_path, config), {"KUBECONFIG_B64": "eA=="}, capsys=capsys)
    assert status == tool.EXIT_USAGE and not to.exists()
    assert f"Pulumi.staging.yaml: {PROJECT}:{expected}" in err


def test_a_missing_stack_file_is_a_usage_error(tmp_path, capsys):
    project(tmp_path, stack="production")
    status, _, err, _ = run(tmp_path, {"KUBECONFIG_B64": "eA=="}, capsys=capsys)
    assert status == tool.EXIT_USAGE and "no stack file Pulumi.staging.yaml" in err


def test_keys_without_a_namespace_are_the_projects_and_another_namespace_can_be_named(tmp_path):
    """As the CLI reads a stack file (docs/contracts.md PC-13) and load_settings(namespace=...) reads."""
    project(tmp_path, {"clusterAccess": "agent", "agent": AGENT})
    assert tool.read_stack_access(tmp_path, "staging").context == CONTEXT
    project(tmp_path, {"orders:clusterAccess": "agent", "orders:agent": AGENT, "clusterAccess": "kubeconfig"})
    assert tool.read_stack_access(tmp_path, "staging", "orders").context == CONTEXT
    assert tool.read_stack_access(tmp_path, "staging").context is None


def test_the_tool_reads_the_context_the_programs_provider_selects(tmp_path):
    """The same stack values: the tool's context is the Kubernetes provider's (load_settings)."""
    protection = {"deployAccessLevel": "maintainer", "requiredApprovals": 0}
    values = {"clusterAccess": "agent", "agent": AGENT, "protection": protection}
    project(tmp_path, {f"{PROJECT}:{k}": v for k, v in values.items()})
    assert tool.read_stack_access(tmp_path, "staging").context == load(values).kube_context == CONTEXT
    project(tmp_path, {f"{PROJECT}:clusterAccess": "kubeconfig"})
    assert tool.read_stack_access(tmp_path, "staging").context is None is load().kube_context


def test_the_modes_are_the_components_modes():
    """The tool keeps a copy (the components' module imports the Pulumi SDK)."""
    from gitlab_k8s_cd.components import cluster_access as components

    assert tool.MODES == components.MODES and (tool.KUBECONFIG, tool.AGENT) == (components.KUBECONFIG, components.AGENT)


def test_the_tool_does_not_import_the_pulumi_sdk():
    code = (
        "import sys, gitlab_k8s_cd.pipeline.cluster_access;"
        "print(sorted(m for m in sys.modules if m.split('.')[0].startswith('pulumi')))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_command_runs_as_the_jobs_run_it(tmp_path):
    given = tmp_path / "gitlab.kubeconfig"
    given.write_text(yaml.safe_dump(gitlab_kubeconfig((7, CONTEXT))))
    to = tmp_path / "fixed.kubeconfig"
    result = subprocess.run(
        [sys.executable, "-m", "gitlab_k8s_cd.pipeline.cluster_access", "--stack", "staging", "--to", str(to)],
        cwd=agent_mode(tmp_path),
        env={"PATH": "/usr/bin:/bin", "KUBECONFIG": str(given), **_python_path()},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(to.read_text())["current-context"] == CONTEXT


def _python_path() -> dict[str, str]:
    """The import root that points gitlab_k8s_cd at the code under test, if one is given."""
    return {"PYTHONPATH": os.environ["PYTHONPATH"]} if os.environ.get("PYTHONPATH") else {}
