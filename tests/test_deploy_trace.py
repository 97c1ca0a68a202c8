"""DeployTrace: the commit, pipeline and job of a deploy, checked once and given as annotations
and outputs, for web, the canary and review apps alike."""

from __future__ import annotations

import dataclasses
import types

import pytest

from gitlab_k8s_cd.components import ContinuousDeploymentArgs, InvalidArgument, ReviewAppArgs
from gitlab_k8s_cd.components.deploy_trace import CONFIG_KEYS, PARTS, TRACE_PREFIX, DeployTrace
from gitlab_k8s_cd.pipeline import deploy
from tests.conftest import CANARY, load

SHA = "0a1b2c3d" * 5
PIPELINE = "https://gitlab.com/acme/hello/-/pipelines/7"
JOB = "https://gitlab.com/acme/hello/-/jobs/70"


@pytest.mark.parametrize("sha", ["0a1b2c3", SHA.upper(), SHA + "0", "g" * 40, 1234567])
def test_a_commit_that_is_not_a_full_lowercase_sha_is_refused_naming_the_field_and_the_value(sha):
    with pytest.raises(InvalidArgument, match=r"^commit_sha: must be a full commit SHA") as refused:
        DeployTrace(commit_sha=sha)
    assert refused.value.values == (sha,)


@pytest.mark.parametrize("sha", [SHA, "ab" * 32])
def test_sha1_and_sha256_commits_are_taken(sha):
    assert DeployTrace(commit_sha=sha).commit == sha


@pytest.mark.parametrize("part", ["pipeline_url", "job_url"])
def test_a_pipeline_or_job_that_is_not_an_absolute_url_is_refused(part):
    with pytest.raises(InvalidArgument, match=rf"^{part}: ") as refused:
        DeployTrace(**{part: "-/jobs/70"})
    assert refused.value.fields == (part,)
    assert refused.value.values == ("-/jobs/70",)


def test_read_from_args_an_error_names_the_args_own_field():
    args = types.SimpleNamespace(canary_commit_sha="abc", canary_pipeline_url=None, canary_job_url=None)
    with pytest.raises(InvalidArgument, match=r"^canary_commit_sha: must be a full commit SHA"):
        DeployTrace.of(args, prefix="canary_")


def test_the_canarys_bad_trace_is_refused_under_its_own_field_and_webs_under_its():
    canary = load(CANARY).deployment
    with pytest.raises(InvalidArgument, match=r"^canary_job_url: "):
        dataclasses.replace(canary, canary_job_url="not a url")
    with pytest.raises(InvalidArgument, match=r"^commit_sha: must be a full commit SHA"):
        dataclasses.replace(canary, commit_sha="abc")


def test_the_canarys_trace_and_webs_are_read_from_their_own_fields():
    canary = load(CANARY).deployment
    assert canary.canary_trace == DeployTrace(
        commit_sha=CANARY["canaryCommitSha"], pipeline_url=CANARY["canaryPipelineUrl"], job_url=CANARY["canaryJobUrl"]
    )
    assert canary.deploy_trace == DeployTrace(
        commit_sha=CANARY["commitSha"], pipeline_url=CANARY["pipelineUrl"], job_url=CANARY["jobUrl"]
    )


def test_a_review_apps_bad_commit_is_refused_under_its_field():
    review = ReviewAppArgs(
        app="hello",
        merge_request_iid=42,
        environment="review/feature-x",
        environment_url="https://review-feature-x.review.example.com",
        namespace="hello-review",
        image="registry.gitlab.com/acme/hello@sha256:" + "ab" * 32,
        project_path="acme/hello",
        cluster_name="staging-eu-1",
        commit_sha=SHA,
    )
    assert review.deploy_trace.commit == SHA
    with pytest.raises(InvalidArgument, match=r"^commit_sha: must be a full commit SHA"):
        dataclasses.replace(review, commit_sha="HEAD")


def test_annotations_name_the_project_always_and_only_the_parts_given():
    prefix = TRACE_PREFIX + "/"
    assert DeployTrace().annotations("acme/hello") == {prefix + "project-path": "acme/hello"}
    assert DeployTrace(commit_sha=SHA, job_url=JOB).annotations("acme/hello") == {
        prefix + "project-path": "acme/hello",
        prefix + "commit-sha": SHA,
        prefix + "job-url": JOB,
    }


def test_the_trace_output_has_every_config_key_and_empty_for_what_is_not_given():
    trace = DeployTrace(pipeline_url=PIPELINE)
    assert trace.config_values() == {"commitSha": "", "pipelineUrl": PIPELINE, "jobUrl": ""}
    assert trace.commit == ""
    assert trace.given() == {"pipeline_url": PIPELINE}


def test_the_trace_outputs_keys_are_those_the_deploy_tool_gives_back():
    """The deploy tool hands the ``trace`` output back as --config values: the same keys, in order."""
    assert tuple(CONFIG_KEYS.values()) == deploy.TRACE_KEYS
    assert tuple(DeployTrace().config_values()) == deploy.TRACE_KEYS


def test_every_part_is_a_field_of_the_args_that_carry_a_trace():
    assert set(PARTS) == set(CONFIG_KEYS)
    environment = {f.name for f in dataclasses.fields(ContinuousDeploymentArgs)}
    review = {f.name for f in dataclasses.fields(ReviewAppArgs)}
    assert set(PARTS) <= environment
    assert {f"canary_{part}" for part in PARTS} <= environment
    assert set(PARTS) <= review
