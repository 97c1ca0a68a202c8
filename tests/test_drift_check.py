"""DriftCheck: a nightly pipeline schedule that checks the stack for drift."""

from __future__ import annotations

import pytest

from components import DRIFT_CHECK_VARIABLE, DriftCheckSpec, InvalidArgument
from tests.conftest import plan_staging
from tests.rbac import allows

SCHEDULE = "gitlab:index/pipelineSchedule:PipelineSchedule"


def test_the_stack_declares_a_nightly_schedule_on_main(staging_plan):
    schedule = staging_plan.get(SCHEDULE).inputs
    assert (schedule["cron"], schedule["cronTimezone"], schedule["ref"]) == ("0 3 * * *", "UTC", "refs/heads/main")
    assert schedule["active"] is True
    assert schedule["description"] == "gitlab-k8s-cd drift check of stack staging"


def test_the_schedule_names_the_stack_its_pipeline_checks(staging_plan):
    variable = staging_plan.get("gitlab:index/pipelineScheduleVariable:PipelineScheduleVariable").inputs
    assert (variable["key"], variable["value"]) == (DRIFT_CHECK_VARIABLE, "staging")
    assert variable["pipelineScheduleId"] == 4444  # the stand-in id the mocks give the schedule


def test_the_schedule_is_configurable_and_can_be_paused():
    plan = plan_staging({"driftCheck": {"cron": "30 1 * * 1-5", "timezone": "Europe/Paris", "enabled": False}})
    schedule = plan.get(SCHEDULE).inputs
    assert (schedule["cron"], schedule["cronTimezone"], schedule["active"]) == ("30 1 * * 1-5", "Europe/Paris", False)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cron": "0 3 * *"}, r"^cron: must be a five-field cron expression"),
        ({"timezone": "UTC; rm"}, r"^timezone: must be a time zone name"),
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
