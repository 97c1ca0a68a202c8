"""DriftCheck: a nightly pipeline schedule that checks the stack for drift."""

from __future__ import annotations

import re

import pytest

from gitlab_k8s_cd.components import (
    DriftCheckSpec,
    InvalidArgument,
    drift_check_description,
    token_rotation_description,
)
from tests.conftest import plan_staging
from tests.rbac import allows

SCHEDULE = "gitlab:index/pipelineSchedule:PipelineSchedule"


def test_the_stack_declares_a_nightly_schedule_on_main(staging_plan):
    schedule = staging_plan.get(SCHEDULE).inputs
    assert (schedule["cron"], schedule["cronTimezone"], schedule["ref"]) == ("0 3 * * *", "UTC", "refs/heads/main")
    assert schedule["active"] is True
    assert schedule["description"] == "gitlab-k8s-cd drift check of stack staging"


def test_the_schedule_sets_no_pipeline_variable_which_gitlab_com_projects_refuse_by_default(staging_plan):
    """Projects created on GitLab.com since 17.7 refuse pipeline variables to everyone, and
    schedule variables are pipeline variables (docs/contracts.md): the component recognises the
    schedule by its description instead."""
    assert staging_plan.find("gitlab:index/pipelineScheduleVariable:PipelineScheduleVariable") == []
    assert staging_plan.get(SCHEDULE).inputs["description"] == drift_check_description("staging")


def test_the_component_runs_its_drift_jobs_exactly_for_the_description_the_stack_gives_its_schedule():
    from tests.test_gitlab_ci_schema import interpolated_jobs

    jobs = interpolated_jobs()
    expected = f'$CI_PIPELINE_SCHEDULE_DESCRIPTION != "{drift_check_description("staging")}"'
    assert jobs["gitlab-k8s-cd-drift-check"]["rules"][0] == {"if": expected, "when": "never"}
    # The rotation runs for either description of the stack's schedule, and for no other.
    rule = jobs["gitlab-k8s-cd-rotate-token"]["rules"][0]
    assert rule["when"] == "never"
    pattern = re.fullmatch(r"\$CI_PIPELINE_SCHEDULE_DESCRIPTION !~ /(.*)/", rule["if"]).group(1)
    for description, rotates in [
        (drift_check_description("staging"), True),
        (token_rotation_description("staging"), True),
        (drift_check_description("staging-eu"), False),
        (token_rotation_description("production"), False),
        ("nightly dependency update", False),
    ]:
        assert bool(re.search(pattern, description)) is rotates, description


def test_the_drift_check_is_configurable_and_turning_it_off_keeps_the_token_rotation():
    """The schedule's pipeline also rotates CI's GitLab token: a paused schedule would let the
    token expire and every deploy fail, so turning the drift check off only renames the schedule."""
    plan = plan_staging({"driftCheck": {"cron": "30 1 * * 1-5", "timezone": "Europe/Paris", "enabled": False}})
    schedule = plan.get(SCHEDULE).inputs
    assert (schedule["cron"], schedule["cronTimezone"], schedule["active"]) == ("30 1 * * 1-5", "Europe/Paris", True)
    assert schedule["description"] == token_rotation_description("staging")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cron": "0 3 * *"}, r"^cron: must be a five-field cron expression"),
        ({"timezone": "UTC; rm"}, r"^timezone: must be an IANA time zone name"),
        ({"ref": "feature branch"}, r"^ref: must be a branch name"),
        ({"enabled": "yes"}, r"^enabled: must be true or false"),
    ],
)
def test_drift_check_spec_rejects_bad_values(kwargs, message):
    with pytest.raises(InvalidArgument, match=message):
        DriftCheckSpec(**kwargs)


def test_the_drift_checks_refresh_can_read_everything_the_stack_made_in_the_cluster(staging_plan):
    """`pulumi preview --refresh` GETs every object with the deployer's identity: in its own
    namespace, and in the review namespace, where the base stack grants it read access."""
    deployer = ("hello-staging", "hello-deployer")
    unreadable = [
        (r.inputs["kind"], r.inputs["metadata"]["name"])
        for r in staging_plan.resources
        if r.is_kubernetes and not allows(staging_plan, deployer, "get", r.inputs)
    ]
    assert unreadable == []


def test_the_deployer_cannot_change_what_the_stack_made_in_the_review_namespace(staging_plan):
    deployer = ("hello-staging", "hello-deployer")
    review = [
        r.inputs
        for r in staging_plan.resources
        if r.is_kubernetes and "review" in r.inputs["metadata"].get("namespace", r.inputs["metadata"]["name"])
    ]
    assert review
    for manifest in review:
        for verb in ("create", "patch", "update", "delete"):
            assert not allows(staging_plan, deployer, verb, manifest), (manifest["kind"], verb)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"cron": "60 3 * * *"}, r"^cron: must be a cron expression whose minute is from 0 to 59"),
        ({"cron": "0 3 30 2 *"}, r"^cron: must name a day that exists"),
        ({"timezone": "Mars/Olympus"}, r"^timezone: must be an IANA time zone name"),
    ],
)
def test_a_schedule_gitlab_would_refuse_or_never_run_is_refused(kwargs, expected):
    with pytest.raises(InvalidArgument, match=expected):
        DriftCheckSpec(**kwargs)


def test_a_schedule_with_names_and_a_time_zone_is_taken():
    spec = DriftCheckSpec(cron="30 2 * * mon-fri", timezone="Europe/Paris")
    assert (spec.cron, spec.timezone) == ("30 2 * * mon-fri", "Europe/Paris")


@pytest.mark.parametrize("cron", ["* * * * *", "*/5 3 * * *", "0,30 * * * *"])
def test_a_schedule_more_often_than_hourly_is_refused(cron):
    """Each run holds the environment's resource group, which deploys wait for."""
    with pytest.raises(InvalidArgument, match=r"^cron: must run at most once an hour"):
        DriftCheckSpec(cron=cron)
