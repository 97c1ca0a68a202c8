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
    # GitLab's own !reference tag does not appear here; safe_load suffices.
    return list(yaml.safe_load_all(COMPONENT.read_text()))


def interpolated_jobs() -> dict:
    """The component's jobs as GitLab sees them once it has put in the inputs (defaults, and an
    example for the one without a default)."""
    header, _ = component_documents()
    values = {
        name: str(spec.get("default", "https://app.example.com")) for name, spec in header["spec"]["inputs"].items()
    }
    text = COMPONENT.read_text().split("\n---\n", 1)[1]
    text = re.sub(r"\$\[\[\s*inputs\.(\w+)\s*\]\]", lambda m: values[m.group(1)], text)
    return yaml.safe_load(text)


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


@pytest.mark.parametrize("job", ["gitlab-k8s-cd-release", "gitlab-k8s-cd-deploy"])
def test_release_and_deploy_run_only_on_the_default_branch(job):
    _, jobs = component_documents()
    assert {"if": "$CI_COMMIT_BRANCH != $CI_DEFAULT_BRANCH", "when": "never"} in jobs[job]["rules"]


def test_deploy_is_serialised_per_environment_never_interrupted_and_never_waits_for_cleanup():
    _, jobs = component_documents()
    deploy = jobs["gitlab-k8s-cd-deploy"]
    assert deploy["resource_group"] == "$[[ inputs.environment ]]"
    assert deploy["interruptible"] is False
    assert deploy["needs"] == ["gitlab-k8s-cd-release"]
    assert deploy["environment"] == {"name": "$[[ inputs.environment ]]", "url": "$[[ inputs.environment_url ]]"}


def test_cleanup_always_runs_after_the_tests_and_blocks_nothing():
    _, jobs = component_documents()
    cleanup = jobs["gitlab-k8s-cd-cleanup"]
    assert cleanup["rules"][-1] == {"when": "always"}
    assert set(cleanup["needs"]) == {
        "gitlab-k8s-cd-build",
        "gitlab-k8s-cd-tests",
        "gitlab-k8s-cd-static-analysis",
        "gitlab-k8s-cd-code-style",
    }
    assert not [name for name, job in jobs.items() if "gitlab-k8s-cd-cleanup" in (job.get("needs") or [])]


def test_the_ci_tag_matches_the_registry_cleanup_policy():
    from gitlab_k8s_cd.components.gitlab_project import CI_TAG_REGEX, RELEASE_TAG_REGEX

    _, jobs = component_documents()
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

    _, jobs = component_documents()
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


@pytest.mark.parametrize("job", ["gitlab-k8s-cd-deploy", "gitlab-k8s-cd-drift-check", ".gitlab-k8s-cd-review"])
def test_the_kubeconfig_path_does_not_depend_on_the_build_directory(job):
    """pulumi-kubernetes keeps $KUBECONFIG's path in the state, and a later destroy or refresh reads it there."""
    found = interpolated_jobs()[job]
    path = found["variables"]["KUBECONFIG"]
    assert path.startswith("/tmp/") and "$" not in path
    assert 'base64 -d > "$KUBECONFIG"' in " ".join(found["before_script"])


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
    jobs = interpolated_jobs()
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
    assert preview["variables"]["KUBECONFIG"] == "/tmp/gitlab-k8s-cd.kubeconfig"
    assert 'base64 -d > "$KUBECONFIG"' in " ".join(preview["before_script"])
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
    buildah = text.split(".gitlab-k8s-cd-buildah:", 1)[1].split("\ngitlab-k8s-cd-build:", 1)[0]
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
