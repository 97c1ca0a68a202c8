"""The pipeline files against GitLab's own CI schema (check-jsonschema's vendor.gitlab-ci), and
the component's inputs against what its jobs use."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPONENT = ROOT / "templates" / "continuous-deployment.yml"


def gitlab_ci_schema() -> dict:
    path = resources.files("check_jsonschema") / "builtin_schemas" / "vendor" / "gitlab-ci.json"
    return json.loads(path.read_text())


def test_the_gitlab_ci_yml_is_valid_for_gitlab():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.gitlab-ci",
            "--data-transform",
            "gitlab-ci",
            "--regex-variant",
            "nonunicode",
            str(ROOT / ".gitlab-ci.yml"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def component_documents() -> list[dict]:
    # GitLab's own !reference tag does not appear here; safe_load suffices (anchors included).
    return list(yaml.safe_load_all(COMPONENT.read_text()))


BLOCK = re.compile(r"\$\[\[\s*inputs\.(\w+)\s*\]\]")
EXAMPLE_URL = "https://app.example.com"
"""For the one input without a default."""


def input_values(given: dict | None = None) -> dict:
    """The inputs GitLab interpolates: ``given`` over the defaults, each checked as GitLab checks
    it (``spec:inputs`` type, options and regex; docs/contracts.md)."""
    header, _ = component_documents()
    spec = header["spec"]["inputs"]
    given = dict(given or {})
    assert not set(given) - set(spec), f"undeclared inputs: {set(given) - set(spec)}"
    values = {}
    for name, declared in spec.items():
        value = given.get(name, declared.get("default", EXAMPLE_URL if name == "environment_url" else None))
        kind = declared.get("type", "string")
        python = {"string": str, "boolean": bool, "number": (int, float)}[kind]
        assert isinstance(value, python) and not (kind == "number" and isinstance(value, bool)), (name, value, kind)
        if "options" in declared:
            assert value in declared["options"], (name, value, declared["options"])
        if "regex" in declared:
            assert re.search(declared["regex"], str(value)), (name, value, declared["regex"])
        values[name] = value
    return values


def interpolate(node, values: dict):
    """GitLab's interpolation (lib/gitlab/ci/config/interpolation/template.rb, config.rb): every
    string of the parsed YAML, keys included; a string that is one block becomes the input's value
    with its type, a block inside a longer string its text (Ruby's ``to_s``: ``true``, ``false``)."""
    if isinstance(node, dict):
        return {interpolate(k, values): interpolate(v, values) for k, v in node.items()}
    if isinstance(node, list):
        return [interpolate(item, values) for item in node]
    if isinstance(node, str):
        whole = BLOCK.fullmatch(node)
        if whole:
            return values[whole.group(1)]
        return BLOCK.sub(lambda m: ruby_to_s(values[m.group(1)]), node)
    return node


def ruby_to_s(value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def interpolated_jobs(inputs: dict | None = None) -> dict:
    """The component's jobs as GitLab sees them once it has put in the inputs (``inputs`` over the
    defaults, and an example URL for the one without a default)."""
    _, jobs = component_documents()
    return interpolate(jobs, input_values(inputs))


def effective_jobs(inputs: dict | None = None) -> dict:
    """:func:`interpolated_jobs` with ``extends`` resolved as GitLab resolves it: the parent's
    hashes deep-merged under the job's own, anything else (lists included) replaced."""
    jobs = interpolated_jobs(inputs)

    def resolve(name: str) -> dict:
        job = jobs[name]
        if "extends" not in job:
            return job
        parent = resolve(job["extends"])
        return merge(parent, {k: v for k, v in job.items() if k != "extends"})

    return {name: resolve(name) for name in jobs}


def merge(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        merged[key] = merge(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    return merged


def pipeline_includes() -> list[dict]:
    """The inputs of each include of the component in this repository's .gitlab-ci.yml."""
    pipeline = yaml.safe_load((ROOT / ".gitlab-ci.yml").read_text())
    found = [
        entry.get("inputs", {})
        for entry in pipeline["include"]
        if entry.get("local") == str(COMPONENT.relative_to(ROOT))
    ]
    assert len(found) == 2, found
    return found


def test_the_component_is_a_spec_header_and_valid_jobs():
    header, _ = component_documents()
    validator = jsonschema.Draft7Validator(gitlab_ci_schema())
    assert sorted(header) == ["spec"]
    errors = [*validator.iter_errors(header), *validator.iter_errors(interpolated_jobs())]
    assert errors == [], [e.message for e in errors]


def test_every_input_the_jobs_use_is_declared_and_every_declared_input_is_used():
    header, _ = component_documents()
    declared = set(header["spec"]["inputs"])
    used = set(re.findall(r"\$\[\[\s*inputs\.(\w+)\s*\]\]", COMPONENT.read_text().split("\n---\n", 1)[1]))
    assert used == declared


@pytest.mark.parametrize(
    "job",
    [
        "gitlab-k8s-cd-release",
        "gitlab-k8s-cd-deploy",
        "gitlab-k8s-cd-deploy-canary",
        "gitlab-k8s-cd-promote",
        "gitlab-k8s-cd-abort-canary",
    ],
)
def test_release_and_deploy_run_only_on_the_default_branch(job):
    jobs = interpolated_jobs()
    assert {"if": "$CI_COMMIT_BRANCH != $CI_DEFAULT_BRANCH", "when": "never"} in jobs[job]["rules"]


def test_deploy_is_serialised_per_environment_never_interrupted_and_never_waits_for_cleanup():
    _, raw = component_documents()
    base = raw[".$[[ inputs.job_prefix ]]-deploy"]
    assert base["resource_group"] == "$[[ inputs.environment ]]"
    assert base["interruptible"] is False
    assert base["environment"] == {
        "name": "$[[ inputs.environment ]]",
        "url": "$[[ inputs.environment_url ]]",
        "deployment_tier": "$[[ inputs.deployment_tier ]]",
    }
    jobs = interpolated_jobs()
    for name in (
        "gitlab-k8s-cd-deploy",
        "gitlab-k8s-cd-deploy-canary",
        "gitlab-k8s-cd-promote",
        "gitlab-k8s-cd-abort-canary",
    ):
        assert jobs[name]["extends"] == ".gitlab-k8s-cd-deploy", name
        assert "gitlab-k8s-cd-cleanup" not in json.dumps(jobs[name].get("needs", base["needs"])), name
    assert base["needs"][0] == {"job": "$[[ inputs.job_prefix ]]-release", "optional": True}


def test_cleanup_always_runs_after_the_tests_and_blocks_nothing():
    jobs = interpolated_jobs()
    cleanup = jobs["gitlab-k8s-cd-cleanup"]
    assert cleanup["rules"][-1] == {"when": "always"}
    assert set(cleanup["needs"]) == {
        "gitlab-k8s-cd-build",
        "gitlab-k8s-cd-tests",
        "gitlab-k8s-cd-static-analysis",
        "gitlab-k8s-cd-code-style",
    }
    assert not [name for name, job in jobs.items() if "gitlab-k8s-cd-cleanup" in json.dumps(job.get("needs") or [])]


def test_the_ci_tag_matches_the_registry_cleanup_policy():
    from gitlab_k8s_cd.components.gitlab_project import CI_TAG_REGEX, RELEASE_TAG_REGEX

    jobs = interpolated_jobs()
    ci = jobs[".gitlab-k8s-cd"]["variables"]["CI_IMAGE"].split(":")[-1]
    release = jobs[".gitlab-k8s-cd"]["variables"]["RELEASE_IMAGE"].split(":")[-1]
    example = {"${CI_PIPELINE_ID}": "123456", "${CI_COMMIT_SHORT_SHA}": "0a1b2c3d"}
    for variable, value in example.items():
        ci, release = ci.replace(variable, value), release.replace(variable, value)
    assert re.fullmatch(CI_TAG_REGEX, ci) and not re.fullmatch(RELEASE_TAG_REGEX, ci)
    assert re.fullmatch(RELEASE_TAG_REGEX, release) and not re.fullmatch(CI_TAG_REGEX, release)


def test_tool_images_are_pinned_to_a_version():
    header, _ = component_documents()
    for name in ("buildah_image", "python_image", "pulumi_image"):
        image = header["spec"]["inputs"][name]["default"]
        assert re.search(r":v?[0-9][\w.-]*$", image) and not image.endswith(":latest"), image


def test_a_merge_requests_image_gets_a_review_tag_the_cleanup_policy_expires():
    from gitlab_k8s_cd.components.gitlab_project import EXPIRING_TAG_REGEX, RELEASE_TAG_REGEX, REVIEW_TAG_REGEX

    jobs = interpolated_jobs()
    (review_rule,) = [r for r in jobs["gitlab-k8s-cd-release"]["rules"] if "variables" in r]
    assert "merge_request_event" in review_rule["if"]
    tag = review_rule["variables"]["RELEASE_IMAGE"].split(":")[-1]
    for variable, value in {"${CI_MERGE_REQUEST_IID}": "42", "${CI_COMMIT_SHORT_SHA}": "0a1b2c3d"}.items():
        tag = tag.replace(variable, value)
    assert tag == "review-42-0a1b2c3d"
    assert re.fullmatch(REVIEW_TAG_REGEX, tag) and re.fullmatch(EXPIRING_TAG_REGEX, tag)
    assert not re.fullmatch(RELEASE_TAG_REGEX, tag)


def test_the_review_environment_is_stopped_by_the_stop_job_which_destroys_the_review_stack():
    from gitlab_k8s_cd.components import review_stack_name

    jobs = interpolated_jobs()
    review, stop = jobs["gitlab-k8s-cd-review"], jobs["gitlab-k8s-cd-stop-review"]
    assert review["environment"]["name"] == stop["environment"]["name"] == "review/$CI_COMMIT_REF_SLUG"
    assert review["environment"]["on_stop"] == "gitlab-k8s-cd-stop-review"
    assert review["environment"]["auto_stop_in"] == "1 week"  # the input's default
    assert stop["environment"]["action"] == "stop"
    # GitLab asks for the same rules on both, the stop job's manual.
    base = jobs[".gitlab-k8s-cd-review"]["rules"]
    assert [r["if"] for r in stop["rules"]] == [r["if"] for r in base]
    assert stop["rules"][-1]["when"] == "manual" and stop.get("allow_failure") is True
    stack = jobs[".gitlab-k8s-cd-review"]["variables"]["REVIEW_STACK"]
    assert stack.replace("$CI_MERGE_REQUEST_IID", "42") == review_stack_name(42)
    assert stop["script"] == ['pulumi destroy --yes --remove --stack "$REVIEW_STACK"']


def test_the_review_job_reports_its_url_to_the_environment():
    jobs = interpolated_jobs()
    review = jobs["gitlab-k8s-cd-review"]
    assert review["environment"]["url"] == "$REVIEW_URL"
    assert review["artifacts"]["reports"]["dotenv"] == "review.env"
    (derive,) = [line for line in review["script"] if "gitlab_k8s_cd.pipeline.review" in line]
    assert '--dotenv "$CI_PROJECT_DIR/review.env"' in derive and '--environment "$CI_ENVIRONMENT_NAME"' in derive


CLUSTER_JOBS = {
    # job: (the fixed path, the stack whose clusterAccess says the mode)
    "gitlab-k8s-cd-deploy": ("/tmp/gitlab-k8s-cd.kubeconfig", "$K8S_CD_STACK"),
    "gitlab-k8s-cd-deploy-canary": ("/tmp/gitlab-k8s-cd.kubeconfig", "$K8S_CD_STACK"),
    "gitlab-k8s-cd-promote": ("/tmp/gitlab-k8s-cd.kubeconfig", "$K8S_CD_STACK"),
    "gitlab-k8s-cd-abort-canary": ("/tmp/gitlab-k8s-cd.kubeconfig", "$K8S_CD_STACK"),
    "gitlab-k8s-cd-preview": ("/tmp/gitlab-k8s-cd.kubeconfig", "$K8S_CD_STACK"),
    "gitlab-k8s-cd-drift-check": ("/tmp/gitlab-k8s-cd.kubeconfig", "$K8S_CD_STACK"),
    # A review stack copies its base stack's clusterAccess and agent; the stop job has no review stack file.
    "gitlab-k8s-cd-review": ("/tmp/gitlab-k8s-cd-review.kubeconfig", "$GITLAB_K8S_CD_REVIEW_APPS"),
    "gitlab-k8s-cd-stop-review": ("/tmp/gitlab-k8s-cd-review.kubeconfig", "$GITLAB_K8S_CD_REVIEW_APPS"),
}


@pytest.mark.parametrize("job", sorted(CLUSTER_JOBS))
def test_every_job_that_reaches_the_cluster_gets_its_kubeconfig_at_a_fixed_path_with_one_command(job):
    """pulumi-kubernetes keeps $KUBECONFIG's path in the state, and a later destroy or refresh
    reads it there (docs/contracts.md PK-8): the path must not depend on the build directory. The
    tool writes it in the stack's mode (tests/test_cluster_access_tool.py), then KUBECONFIG names it."""
    path, stack = CLUSTER_JOBS[job]
    found = effective_jobs()[job]
    assert found["variables"]["GITLAB_K8S_CD_KUBECONFIG"] == path and path.startswith("/tmp/")
    install, give, export = found["before_script"][-3:]
    assert install.startswith("pip install ") and "$[[" not in install and "tools_requirement" not in install
    assert give == (
        f'python -m gitlab_k8s_cd.pipeline.cluster_access --stack "{stack}" --to "$GITLAB_K8S_CD_KUBECONFIG"'
    )
    assert export == 'export KUBECONFIG="$GITLAB_K8S_CD_KUBECONFIG"'
    assert not any("base64 -d" in line for line in found["before_script"] + found["script"])


def test_every_job_that_runs_pulumi_against_the_cluster_gets_its_kubeconfig():
    """No job is left out of the table above: any that runs pulumi preview, up (the deploy tool) or destroy."""
    jobs = effective_jobs()
    reaching = {
        name
        for name, job in jobs.items()
        if not name.startswith(".")
        and any(
            command in line
            for line in job.get("script", [])
            for command in ("pulumi preview", "pulumi destroy", "gitlab_k8s_cd.pipeline.deploy ")
        )
    }
    assert reaching == set(CLUSTER_JOBS)


def test_no_yaml_variable_replaces_the_kubeconfig_gitlab_hands_an_agent_mode_job():
    """GitLab adds the agent's tunnel as the file variable KUBECONFIG before the job's YAML
    variables, and the last of a name wins (docs/contracts.md GL-38): no job of the component,
    nor the pipeline using it, may define one."""
    _, jobs = component_documents()
    assert all("KUBECONFIG" not in (job.get("variables") or {}) for job in jobs.values() if isinstance(job, dict))
    assert "KUBECONFIG" not in (yaml.safe_load((ROOT / ".gitlab-ci.yml").read_text()).get("variables") or {})
    for name, job in interpolated_jobs().items():
        for rule in job.get("rules", []) if isinstance(job, dict) else []:
            assert "KUBECONFIG" not in (rule.get("variables") or {}), name


def test_review_environments_have_the_development_tier_agent_mode_binds():
    """The review deployer's Role is bound to the review tier's group in agent mode
    (components/cluster_access.py REVIEW_TIER); the jobs set the tier rather than leave it to GitLab's guess."""
    from gitlab_k8s_cd.components.cluster_access import REVIEW_TIER

    jobs = interpolated_jobs()
    for name in ("gitlab-k8s-cd-review", "gitlab-k8s-cd-stop-review"):
        assert jobs[name]["environment"]["deployment_tier"] == REVIEW_TIER, name


def test_a_job_whose_environment_url_comes_from_its_dotenv_report_uploads_it_even_when_it_fails():
    """A failed review deploy must still report the review app's URL. GitLab documents that
    report artifacts upload whatever the job's result (docs/contracts.md GL-9); the job says
    ``when: always`` as well, and writes the report before it deploys."""
    jobs = interpolated_jobs()
    checked = []
    for name, job in jobs.items():
        url = (job.get("environment") or {}).get("url", "") if isinstance(job, dict) else ""
        dotenv = ((job.get("artifacts") or {}).get("reports") or {}).get("dotenv") if isinstance(job, dict) else None
        if dotenv and url.startswith("$"):
            checked.append(name)
            assert job["artifacts"].get("when") == "always", name
            (writes,) = [i for i, line in enumerate(job["script"]) if dotenv in line]
            deploys = [i for i, line in enumerate(job["script"]) if "gitlab_k8s_cd.pipeline.deploy" in line]
            assert deploys and writes < deploys[0], name
    assert checked == ["gitlab-k8s-cd-review"]


def test_review_jobs_read_the_secrets_provider_from_the_state():
    variables = interpolated_jobs()[".gitlab-k8s-cd-review"]["variables"]
    assert variables["PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER"] == "true"


def yaml_strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from yaml_strings(key)
            yield from yaml_strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from yaml_strings(item)


def test_every_yaml_string_of_the_component_interpolates_at_most_one_input():
    """GitLab versions before the fix of gitlab-org/gitlab#442327 interpolate only the first
    ``$[[ ]]`` block of a string (docs/contracts.md): a second one would reach the shell as is."""
    _, jobs = component_documents()
    crowded = [text for text in yaml_strings(jobs) if text.count("$[[") > 1]
    assert crowded == []


def test_the_token_rotation_runs_before_the_drift_check_and_never_beside_a_deploy():
    jobs = effective_jobs()
    rotate, drift, deploy = (jobs[f"gitlab-k8s-cd-{n}"] for n in ("rotate-token", "drift-check", "deploy"))
    preview = jobs["gitlab-k8s-cd-preview"]
    groups = {job["resource_group"] for job in (rotate, drift, deploy, preview)}
    assert groups == {"staging"}  # every job that holds the environment's GITLAB_TOKEN
    assert drift["needs"] == ["gitlab-k8s-cd-rotate-token"]
    assert drift["rules"][-1]["when"] == "always"  # a failed rotation must not hide drift
    assert rotate["environment"] == {"name": "staging", "action": "prepare"}
    assert (
        rotate["script"][-1] == 'python -m gitlab_k8s_cd.pipeline.ci_token rotate --environment "$K8S_CD_ENVIRONMENT"'
    )
    assert jobs[".gitlab-k8s-cd"]["variables"]["K8S_CD_ENVIRONMENT"] == "staging"


def test_the_merge_request_preview_gets_the_environments_variables_and_a_kubeconfig():
    preview = interpolated_jobs()["gitlab-k8s-cd-preview"]
    assert preview["environment"] == {"name": "staging", "action": "prepare"}
    assert preview["variables"]["GITLAB_K8S_CD_KUBECONFIG"] == "/tmp/gitlab-k8s-cd.kubeconfig"
    assert "gitlab_k8s_cd.pipeline.cluster_access" in " ".join(preview["before_script"])
    assert {"if": '$CI_COMMIT_REF_PROTECTED != "true"', "when": "never"} in preview["rules"]


def test_the_readme_and_the_build_jobs_name_the_runner_privileges_buildah_needs():
    """buildah's chroot isolation unshares namespaces and bind-mounts (docs/contracts.md BA-1):
    the runner must be privileged or give CAP_SYS_ADMIN with seccomp unconfined. An earlier
    README said no privileges were needed; this keeps the claim from coming back."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Runner settings buildah needs", 1)[1].split("\n### ", 1)[0]
    for needed in ("privileged = true", 'cap_add = ["SYS_ADMIN"]', "seccomp=unconfined", "saas-linux-"):
        assert needed in section, needed
    assert "no `privileged = true` is needed" not in readme and "*unprivileged*" not in readme
    text = COMPONENT.read_text()
    buildah = text.split("\n.$[[ inputs.job_prefix ]]-buildah:", 1)[1].split("\n$[[ inputs.job_prefix ]]-build:", 1)[0]
    assert "CAP_SYS_ADMIN" in buildah and "privileged" in buildah


def test_the_drift_check_refreshes_and_fails_on_any_planned_change():
    """``--expect-no-changes`` fails on any step but no-op and read ones; the refresh's own steps
    do not fail it (docs/contracts.md PC-3), so only real drift does."""
    drift = interpolated_jobs()["gitlab-k8s-cd-drift-check"]
    _, command = drift["script"]
    assert command.startswith("pulumi preview ")
    assert {"--refresh", "--expect-no-changes", "--diff"} <= set(command.split())
    assert drift["environment"] == {"name": "staging", "action": "verify"}


def test_the_drift_check_first_rewrites_its_stack_file_from_the_stacks_latest_update():
    """The deploy job's ``--config`` values reach only its own copy of the stack file and the
    backend's record of the update; ``pulumi config refresh --force`` puts that record's config
    and secrets provider into this checkout's file, without a backup (docs/contracts.md PC-12),
    before the preview. The command is in every CLI this component admits (3.94.0+ restores the
    secrets provider; the drift check already needs 3.229.0)."""
    drift = interpolated_jobs()["gitlab-k8s-cd-drift-check"]
    assert drift["script"][0] == 'pulumi config refresh --force --stack "staging"'
    assert drift["script"][1].startswith("pulumi preview ")
    assert drift["script"][1].endswith('--stack "staging"')
    header, _ = component_documents()
    version = header["spec"]["inputs"]["pulumi_image"]["default"].rsplit(":", 1)[1]
    assert tuple(map(int, version.split("."))) >= (3, 94, 0)


def test_the_drift_check_keeps_the_migration_job_out_of_its_refresh_and_its_verdict():
    """The migration Job's TTL deletes it a day after it ran; a refresh would read it as gone and
    the preview plan it again. ``--exclude`` keeps it out of both (docs/contracts.md PC-11): a
    glob, quoted for the shell, with no ``$`` that anything could expand. Globs in ``--exclude``
    work in every case since Pulumi 3.188.0 and in program-based refreshes since 3.229.0."""
    from gitlab_k8s_cd.components.migration import JOB_URN_GLOB

    drift = interpolated_jobs()["gitlab-k8s-cd-drift-check"]
    _, command = drift["script"]
    assert f"--exclude '{JOB_URN_GLOB}'" in command
    assert "$" not in JOB_URN_GLOB and "'" not in JOB_URN_GLOB
    header, _ = component_documents()
    version = header["spec"]["inputs"]["pulumi_image"]["default"].rsplit(":", 1)[1]
    assert tuple(map(int, version.split("."))) >= (3, 229, 0)


def test_the_tools_install_without_git_and_the_job_that_runs_git_has_it():
    """The default ``tools_requirement`` is a wheel URL, which pip installs without git: so the
    cleanup job runs in ``python:*-slim``, which has no git (docs/contracts.md PC-6). The plan-diff
    job runs ``git fetch`` and ``git worktree`` (gitlab_k8s_cd.pipeline.plan_diff): it runs in the
    pulumi-python image, which has git. A rotation that could not install its tool would fail every
    night, and the token would die at its expiry."""
    header, _ = component_documents()
    default = header["spec"]["inputs"]["tools_requirement"]["default"]
    assert default.startswith("gitlab-k8s-cd @ https://") and default.endswith("-py3-none-any.whl")
    jobs = interpolated_jobs()
    python_image = header["spec"]["inputs"]["python_image"]["default"]
    pulumi_image = header["spec"]["inputs"]["pulumi_image"]["default"]
    for name, job in jobs.items():
        commands = [*job.get("before_script", []), *job.get("script", [])]
        if any(command.startswith("git ") for command in commands) or "plan_diff" in " ".join(commands):
            assert job["image"] == pulumi_image and pulumi_image.startswith("docker.io/pulumi/pulumi-python-"), name
    assert jobs["gitlab-k8s-cd-cleanup"]["image"] == python_image
    assert jobs["gitlab-k8s-cd-plan-diff"]["image"] == pulumi_image
    assert jobs["gitlab-k8s-cd-rotate-token"]["image"] == pulumi_image


def test_the_deploy_commands_pass_config_keys_without_a_namespace_which_the_cli_gives_the_projects():
    """A consumer's project has its own name, and its program reads that namespace (load_settings):
    the deploy and review jobs pass ``image``, ``commitSha``, ``pipelineUrl`` and ``jobUrl`` bare, and
    ``pulumi up --config`` gives each the name in Pulumi.yaml (docs/contracts.md PC-13)."""
    import shlex

    from gitlab_k8s_cd.pipeline.deploy import PulumiCli

    header, _ = component_documents()
    assert header["spec"]["inputs"]["image_config_key"]["default"] == "image" == PulumiCli("staging").image_key
    commands = [
        shlex.split(line)
        for job in interpolated_jobs().values()
        if isinstance(job, dict)
        for line in job.get("script", [])
        if "gitlab_k8s_cd.pipeline.deploy" in line
    ]
    # The environment's deploy, its canary's deploy and promotion, and a merge request's review app;
    # the canary's abort re-deploys what the stack runs, with no new trace.
    assert len(commands) == 5
    for args in (args for args in commands if "--abort-canary" not in args):
        configs = [args[index + 1] for index, arg in enumerate(args) if arg == "--config"]
        assert [config.partition("=")[0] for config in configs] == ["commitSha", "pipelineUrl", "jobUrl"]
        image_key = args[args.index("--image-key") + 1] if "--image-key" in args else PulumiCli("s").image_key
        assert image_key == "image"


def test_the_review_job_passes_the_image_key_to_both_commands_so_its_stack_is_in_the_programs_namespace(tmp_path):
    """A program reading ``load_settings(namespace="ledger")`` (image_config_key ``ledger:image``):
    the review tool writes the review stack's keys in ledger, and its deploy sets ledger:image."""
    import shlex

    from gitlab_k8s_cd.pipeline.review import main as review_main

    jobs = effective_jobs({"image_config_key": "ledger:image"})
    script = jobs["gitlab-k8s-cd-review"]["script"]
    (derive,) = [shlex.split(line) for line in script if "gitlab_k8s_cd.pipeline.review" in line]
    (deploy,) = [shlex.split(line) for line in script if "gitlab_k8s_cd.pipeline.deploy" in line]
    (environment,) = [
        shlex.split(line) for line in jobs["gitlab-k8s-cd-deploy"]["script"] if "gitlab_k8s_cd.pipeline.deploy" in line
    ]
    assert [args[args.index("--image-key") + 1] for args in (derive, deploy, environment)] == ["ledger:image"] * 3

    # The review command as the job runs it, in a project named ledger-infra whose program reads ledger.
    (tmp_path / "Pulumi.yaml").write_text("name: ledger-infra\nruntime: python\n")
    base = yaml.safe_load((ROOT / "Pulumi.staging.yaml").read_text())
    base["config"] = {f"ledger:{k.partition(':')[2]}": value for k, value in base["config"].items()}
    (tmp_path / "Pulumi.staging.yaml").write_text(yaml.safe_dump(base))
    variables = {
        "$GITLAB_K8S_CD_REVIEW_APPS": "staging",
        "$CI_MERGE_REQUEST_IID": "7",
        "$CI_ENVIRONMENT_NAME": "review/x",
        "$CI_PROJECT_DIR/review.env": str(tmp_path / "review.env"),
    }
    assert derive[:3] == ["python", "-m", "gitlab_k8s_cd.pipeline.review"]
    assert review_main([variables.get(arg, arg) for arg in derive[3:]] + ["--project-dir", str(tmp_path)]) == 0
    written = yaml.safe_load((tmp_path / "Pulumi.review-7.yaml").read_text())["config"]
    image_key = deploy[deploy.index("--image-key") + 1]
    assert {k.partition(":")[0] for k in written} == {image_key.partition(":")[0]}
    assert image_key in written  # the key the deploy overrides is the one the review stack holds


def rendered_includes() -> list[dict]:
    """Each include of .gitlab-ci.yml, rendered with its own inputs (checked as GitLab checks them)."""
    return [effective_jobs(inputs) for inputs in pipeline_includes()]


def test_the_two_includes_render_without_a_collision_and_each_refers_only_to_its_own_jobs():
    """GitLab merges included files key by key: a job or hidden job named in both includes would
    silently merge. Every name is the include's job_prefix's; extends and needs stay inside the
    include, except production's optional needs on staging's deploy."""
    staging_inputs, production_inputs = pipeline_includes()
    staging, production = (interpolated_jobs(inputs) for inputs in (staging_inputs, production_inputs))
    assert set(staging) & set(production) == set()
    assert len(staging) == len(production) == len(component_documents()[1])
    for jobs, prefix in ((staging, "gitlab-k8s-cd"), (production, "production")):
        assert all(name.startswith((prefix + "-", "." + prefix)) for name in jobs), prefix
        hidden = [name for name in jobs if name.startswith(".")]
        assert sorted(hidden) == sorted(
            f".{prefix}{suffix}" for suffix in ("", "-buildah", "-in-ci-image", "-deploy", "-review")
        )
        for name, job in jobs.items():
            assert job.get("extends", "." + prefix) in jobs, (name, job.get("extends"))
            for need in job.get("needs") or []:
                target = need if isinstance(need, str) else need["job"]
                if isinstance(need, dict) and need.get("optional"):
                    continue
                assert target in jobs, (name, target)
    optional = {
        need["job"]
        for job in production.values()
        for need in job.get("needs") or []
        if isinstance(need, dict) and need.get("optional") and need["job"] not in production
    }
    assert optional == {"gitlab-k8s-cd-deploy", "gitlab-k8s-cd-promote"}
    assert optional & set(staging) == optional
    whole = {**yaml.safe_load((ROOT / ".gitlab-ci.yml").read_text()), **staging, **production}
    whole.pop("include")
    errors = [e.message for e in jsonschema.Draft7Validator(gitlab_ci_schema()).iter_errors(whole)]
    assert errors == []


def test_production_deploys_the_digest_staging_deployed_and_never_builds():
    """Staging's deploy reports the image it deployed, by digest, once its deploy command succeeded
    (a job's script stops at its first failing line); production's deploy and canary need that
    report and deploy that very reference, not their own include's ``image`` with the digest."""
    staging, production = rendered_includes()
    release = staging["gitlab-k8s-cd-release"]["script"][-1]
    assert release.startswith("printf 'RELEASE_DIGEST=%s\\nRELEASE_BY_DIGEST=%s@%s\\n' ")
    assert release.endswith('"$(cat release.digest)" "$K8S_CD_IMAGE" "$(cat release.digest)" > release.env')
    deploy = staging["gitlab-k8s-cd-deploy"]
    command, report = deploy["script"]
    assert command.startswith(
        'python -m gitlab_k8s_cd.pipeline.deploy --stack "$K8S_CD_STACK" --image "$RELEASE_BY_DIGEST" '
    )
    assert report == (
        """printf 'RELEASE_DIGEST=%s\\nRELEASE_BY_DIGEST=%s\\n' "$RELEASE_DIGEST" "$RELEASE_BY_DIGEST" """
        """> "$CI_PROJECT_DIR/deployed.env\""""
    )
    for name in ("production-deploy", "production-deploy-canary", "production-promote"):
        assert (
            '"$RELEASE_BY_DIGEST"' in production[name]["script"][0]
            and "$K8S_CD_IMAGE" not in production[name]["script"][0]
        )
    assert deploy["artifacts"]["reports"]["dotenv"] == "deployed.env"
    for name in ("production-deploy", "production-deploy-canary"):
        needs = production[name]["needs"]
        assert {"job": "gitlab-k8s-cd-deploy", "optional": True} in needs, name
        assert {"job": "production-release", "optional": True} in needs, name
        assert all(need.get("optional") for need in needs), name
    # What builds, tests, releases or deploys a review app: excluded by its first rules.
    promoting = {"if": '"gitlab-k8s-cd" != ""', "when": "never"}
    for name in ("build", "tests", "static-analysis", "code-style", "cleanup", "release", "review", "stop-review"):
        assert promoting in production[f"production-{name}"]["rules"], name
        assert {"if": '"" != ""', "when": "never"} in staging[f"gitlab-k8s-cd-{name}"]["rules"], name


def test_the_inputs_are_typed_and_gitlab_would_refuse_a_wrong_type():
    header, _ = component_documents()
    spec = header["spec"]["inputs"]
    from gitlab_k8s_cd.components.gitlab_environment import TIERS

    assert (spec["canary"]["type"], spec["canary"]["default"]) == ("boolean", False)
    assert (spec["registry_tls_verify"]["type"], spec["registry_tls_verify"]["default"]) == ("boolean", True)
    assert spec["deploy_when"]["options"] == ["on_success", "manual"]
    assert spec["deployment_tier"]["options"] == list(TIERS)
    assert (spec["promote_from"]["default"], spec["job_prefix"]["default"]) == ("", "gitlab-k8s-cd")
    for bad in ({"canary": "true"}, {"registry_tls_verify": "$REGISTRY_TLS_VERIFY"}, {"deploy_when": "always"}):
        with pytest.raises(AssertionError):
            input_values(bad)
    for bad_prefix in ("Production", "prod deploy", "-x", "x-"):
        with pytest.raises(AssertionError):
            input_values({"job_prefix": bad_prefix})


def test_a_boolean_input_reaches_a_command_as_true_or_false():
    """Inside a longer string GitLab interpolates a boolean as text (docs/contracts.md); buildah
    reads ``--tls-verify=false``."""
    for value, text in ((True, "--tls-verify=true"), (False, "--tls-verify=false")):
        jobs = effective_jobs({"registry_tls_verify": value})
        assert jobs["gitlab-k8s-cd-build"]["variables"]["K8S_CD_TLS_VERIFY"] == text
        assert all("$K8S_CD_TLS_VERIFY " in line for line in jobs["gitlab-k8s-cd-build"]["script"])
    canary = effective_jobs({"canary": True})["gitlab-k8s-cd-deploy"]["rules"]
    assert {"if": '"true" == "true"', "when": "never"} in canary


def test_each_include_deploys_to_its_stacks_environment_url_and_tier():
    """A successful deployment sets the environment's URL and tier to the job's (docs/contracts.md):
    they must be what the stack declares, or each deploy would undo the stack and the drift check
    would report it."""
    from gitlab_k8s_cd.components.gitlab_environment import TIERS

    for inputs in pipeline_includes():
        config = yaml.safe_load((ROOT / f"Pulumi.{inputs['stack']}.yaml").read_text())["config"]
        environment = config["gitlab-k8s-cd:environment"]
        tier = config.get("gitlab-k8s-cd:environmentTier", environment if environment in TIERS else "other")
        assert (inputs["environment"], inputs["environment_url"], inputs["deployment_tier"]) == (
            environment,
            config["gitlab-k8s-cd:environmentUrl"],
            tier,
        )
    _, production = pipeline_includes()
    assert (production["deploy_when"], production["canary"], production["promote_from"]) == (
        "manual",
        True,
        "gitlab-k8s-cd",
    )


def test_a_canary_deploys_beside_the_stable_release_then_is_promoted_or_aborted_by_hand():
    jobs = effective_jobs({"canary": True, "environment": "production", "stack": "production"})
    canary, promote, abort = (jobs[f"gitlab-k8s-cd-{name}"] for name in ("deploy-canary", "promote", "abort-canary"))
    for job in (canary, promote, abort):
        assert job["resource_group"] == "production" and job["interruptible"] is False
        assert job["environment"]["name"] == "production"
    # Only the promotion records a deployment (approvals hold it); the canary and its abort prepare.
    assert canary["environment"]["action"] == abort["environment"]["action"] == "prepare"
    assert "action" not in promote["environment"]
    assert canary["rules"][-1] == {"when": "on_success"}
    assert promote["rules"][-1] == abort["rules"][-1] == {"when": "manual"}
    assert abort["allow_failure"] is True and "allow_failure" not in promote
    assert promote["needs"] == [{"job": "gitlab-k8s-cd-deploy-canary", "artifacts": True}]
    assert abort["needs"] == []  # runnable when the canary's job failed
    image = '"$RELEASE_BY_DIGEST"'
    assert f'--stack "$K8S_CD_STACK" --canary-image {image} ' in canary["script"][0]
    assert canary["artifacts"]["reports"]["dotenv"] == "canary.env" and "canary.env" in canary["script"][1]
    assert f'--stack "$K8S_CD_STACK" --promote {image} ' in promote["script"][0]
    assert promote["artifacts"]["reports"]["dotenv"] == "deployed.env" and "deployed.env" in promote["script"][1]
    (command,) = abort["script"]
    assert command == (
        'python -m gitlab_k8s_cd.pipeline.deploy --stack "$K8S_CD_STACK" --abort-canary --image-key "image"'
    )


def test_the_drift_schedule_rule_is_written_once_and_heads_every_job_it_excludes():
    text = COMPONENT.read_text()
    assert text.count("(drift check|token rotation) of stack /") == 1
    jobs = effective_jobs()
    rule = {
        "if": "$CI_PIPELINE_SCHEDULE_DESCRIPTION =~ /^gitlab-k8s-cd (drift check|token rotation) of stack /",
        "when": "never",
    }
    scheduled = {"gitlab-k8s-cd-rotate-token", "gitlab-k8s-cd-drift-check"}
    for name, job in jobs.items():
        if not name.startswith(".") and name not in scheduled:
            assert job["rules"][0] == rule, name


def test_the_readme_lists_every_input_with_its_type():
    """The catalog shows the README: its inputs table names each input, and each typed one's type."""
    header, _ = component_documents()
    readme = (ROOT / "README.md").read_text()
    table = readme.split("\n### Inputs\n", 1)[1].split("\n### ", 1)[0]
    rows = {
        name: line
        for line in table.splitlines()
        if line.startswith("| `")
        for name in re.findall(r"`(\w+)`", line.split("|")[1])
    }
    assert set(rows) == set(header["spec"]["inputs"])
    for name, spec in header["spec"]["inputs"].items():
        cell = rows[name].split("|")[2]
        if spec.get("type") == "boolean":
            assert "boolean" in cell and f"`{str(spec['default']).lower()}`" in rows[name], name
        for option in spec.get("options", []):
            assert f"`{option}`" in cell, (name, option)


def test_the_program_imports_the_library_its_requirements_install_and_the_plan_diff_plans_with_that_one():
    """The Pulumi CLI makes the program's virtualenv with `pip install -r requirements.txt` in the
    project's directory (docs/contracts.md PC-17): this repository's requirements.txt installs
    this checkout (the program imports gitlab_k8s_cd.components), and the plan-diff job installs the
    project's requirements from its directory, as the CLI would: the library version the program
    pins, not the component's own tools release."""
    requirements = (ROOT / "requirements.txt").read_text().splitlines()
    assert "-e ." in requirements
    assert "from gitlab_k8s_cd.components import" in (ROOT / "__main__.py").read_text()
    plan_diff = interpolated_jobs()["gitlab-k8s-cd-plan-diff"]
    assert plan_diff["before_script"] == ['cd "$K8S_CD_PULUMI_DIR"']
    install, _, command = plan_diff["script"]
    assert install == "pip install --quiet --disable-pip-version-check -r requirements.txt"
    assert "$K8S_CD_TOOLS" not in " ".join(plan_diff["script"]) and "--project-dir" not in command
