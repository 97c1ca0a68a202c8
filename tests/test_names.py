"""gitlab_k8s_cd.components.names: every fixed name and derived label value, and the API server's limits on them."""

from __future__ import annotations

import dataclasses

import pytest

from gitlab_k8s_cd.components import ConfigError, InvalidArgument, ReviewAppArgs, ReviewAppsSpec, names
from tests.conftest import load

APP_49 = "a" * 49
"""The longest app whose review apps fit for every merge request up to !9999999 is 48 characters."""


def test_each_object_of_an_apps_namespace_gets_a_fixed_name_derived_from_the_app():
    made = [
        names.deployer,
        names.deployer_token,
        names.pull_secret,
        names.app_service_account,
        names.default_deny,
        names.allow_http,
        names.quota,
        names.limit_range,
        names.base_reader,
        names.workload,
    ]
    assert [name("hello") for name in made] == [
        "hello-deployer",
        "hello-deployer-token",
        "hello-registry-pull",
        "hello",
        "hello-default-deny-ingress",
        "hello-allow-http",
        "hello-quota",
        "hello-limits",
        "hello-base-reader",
        "hello",
    ]
    assert names.environment_instance("hello", "staging") == "hello-staging"
    assert names.review_apps_instance("hello") == "hello-review"
    assert names.check_review_app("hello", 42) == "hello-review-42"


def test_the_args_derive_the_same_instances_and_namespaces_as_this_module():
    """ContinuousDeploymentArgs.instance, ReviewAppArgs.instance and ReviewAppsSpec.namespace_for
    compute their own; they must stay what the Roles and the checks here assume."""
    app = load({"environment": "eu/production-1"}).deployment
    assert app.instance == names.environment_instance(app.app, app.environment)
    assert ReviewAppsSpec(domain="r.example.com").namespace_for("hello") == names.review_apps_instance("hello")
    review = ReviewAppArgs(
        app="hello",
        merge_request_iid=7,
        environment="review/x",
        environment_url="https://x.review.example.com",
        namespace="hello-review",
        image="registry.example.com/acme/hello:1.0",
        project_path="acme/hello",
        cluster_name="c1",
    )
    assert review.instance == names.review_instance("hello", 7) == review.workload_args().service_name


def test_an_instance_label_beyond_63_characters_is_the_apps_fault_with_the_name_and_the_limit():
    app = "a" * 42
    with pytest.raises(InvalidArgument) as error:
        names.check_environment(app, "production-eu-west-1a")
    message = str(error.value)
    assert message.startswith(f"app: derives the label value app.kubernetes.io/instance '{app}-production-eu-west-1a'")
    assert "(64 characters), which must be a label value" in message and "at most 63 characters" in message
    assert message.endswith(f"shorten the app or environment name (got '{app}')")
    names.check_environment("a" * 41, "production-eu-west-1a")  # 63: fits


def test_an_environment_slug_is_cut_to_24_characters_before_the_instance_is_checked():
    """GitLab's slug of a long environment name is 24 characters: 17, '-', and a 6-character hash."""
    assert len(names.environment_instance("a", "quarterly-release-train-europe")) == 1 + 1 + 24
    with pytest.raises(InvalidArgument, match=r"^app: derives the label value .*\(64 characters\)"):
        names.check_environment("a" * 39, "quarterly-release-train-europe")


def test_a_base_stack_refuses_an_app_whose_review_apps_would_not_fit_up_to_merge_request_9999999():
    review_apps = ReviewAppsSpec(enabled=True, domain="r.example.com", deploy_token_expires_at="2027-11-30")
    names.check_environment(APP_49, "staging")  # without review apps, it fits
    names.check_environment(APP_49[:-1], "staging", review_apps)
    with pytest.raises(InvalidArgument) as error:
        names.check_environment(APP_49, "staging", review_apps)
    assert str(error.value).startswith(
        "app: derives the instance label (and Service name) of review app !9999999 "
        f"'{APP_49}-review-9999999' (64 characters), which must be a label value"
    )
    assert "at most 63" in str(error.value)


def test_the_service_is_a_dns_1035_label_so_it_starts_with_a_letter():
    with pytest.raises(
        InvalidArgument, match=r"^app: must be a DNS-1035 label .*starting with a letter.*\(got '7up'\)"
    ):
        names.check_environment("7up", "staging")
    with pytest.raises(InvalidArgument, match=r"^app: derives the Service name '7up-review-3'"):
        names.check_review_app("7up", 3)


def test_a_review_apps_instance_beyond_63_characters_is_the_apps_fault():
    with pytest.raises(InvalidArgument) as error:
        names.check_review_app("a" * 50, 123456)
    assert str(error.value).startswith(f"app: derives the review app's instance label '{'a' * 50}-review-123456' (64")
    assert names.check_review_app("a" * 49, 123456) == "a" * 49 + "-review-123456"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"app": "a" * 42, "environment": "production-eu-west-1a", "namespace": "prod"},
            r"^app: derives the label value app.kubernetes.io/instance .* at most 63 characters",
        ),
        ({"app": APP_49}, r"^app: derives the instance label \(and Service name\) of review app !9999999"),
    ],
)
def test_continuous_deployment_args_refuse_a_derived_name_beyond_its_limit(overrides, message):
    app = load().deployment
    with pytest.raises(InvalidArgument, match=message):
        dataclasses.replace(app, **overrides)


def test_review_app_args_refuse_a_review_app_whose_service_is_not_a_dns_1035_label():
    args = {
        "app": "hello",
        "merge_request_iid": 7,
        "environment": "review/x",
        "environment_url": "https://x.review.example.com",
        "namespace": "hello-review",
        "image": "registry.example.com/acme/hello:1.0",
        "project_path": "acme/hello",
        "cluster_name": "c1",
    }
    ReviewAppArgs(**args)
    with pytest.raises(InvalidArgument, match=r"^app: "):
        ReviewAppArgs(**{**args, "app": "7up"})


def test_the_canary_deployment_is_named_after_web_and_checked_as_the_other_derived_names():
    assert names.canary_workload("hello") == "hello-canary"
    assert names.canary_workload("hello-review-42") == "hello-review-42-canary"
    with pytest.raises(InvalidArgument, match=r"^app: derives the canary Deployment's name '.*' \(254 characters\)"):
        names.canary_workload("a" * 247)
    # A process called so would take its name: the name is reserved (gitlab_k8s_cd.components.process).
    with pytest.raises(
        ConfigError, match=r"^gitlab-k8s-cd:processes\['canary'\]: is reserved: .* 'canary' web's canary"
    ):
        load({"processes": {"canary": {"command": ["/app/x"], "noProbeReason": "none"}}})
