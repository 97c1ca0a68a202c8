"""Labels, selectors and GitLab's slugs."""

from __future__ import annotations

import re

import pytest

from gitlab_k8s_cd.components.labels import (
    COMPONENT_LABEL,
    environment_slug,
    gitlab_annotations,
    process_selector,
    project_path_slug,
    recommended_labels,
    selector_labels,
)


def test_selector_is_a_subset_of_the_recommended_labels():
    labels = recommended_labels("hello", "hello-staging", "app")
    selector = selector_labels("hello", "hello-staging")
    assert selector.items() <= labels.items()
    assert labels["app.kubernetes.io/managed-by"] == "pulumi"
    assert labels["app.kubernetes.io/component"] == "app"


def test_selector_contains_nothing_that_changes_with_a_deploy():
    assert set(selector_labels("hello", "hello-staging")) == {"app.kubernetes.io/name", "app.kubernetes.io/instance"}


def test_a_processs_selector_is_its_own_labels_subset_and_no_other_processs():
    web = process_selector("hello", "hello-staging", "web")
    worker = process_selector("hello", "hello-staging", "worker")
    assert web.items() <= recommended_labels("hello", "hello-staging", "web").items()
    assert not worker.items() <= recommended_labels("hello", "hello-staging", "web").items()
    assert (web[COMPONENT_LABEL], worker[COMPONENT_LABEL]) == ("web", "worker")


@pytest.mark.parametrize("name", ["production", "staging", "staging-1234567890123456"])
def test_environment_slug_keeps_a_name_that_is_already_a_slug(name):
    assert environment_slug(name) == name


@pytest.mark.parametrize(
    ("name", "prefix"),
    # Cases from GitLab's Gitlab::Slug::Environment; the 6-character suffix hashes the name.
    [
        ("staging-12345678901234567", "staging-123456789-"),
        ("9-staging-123456789012345", "env-9-staging-123-"),
        ("staging-1234567890123456-", "staging-123456789-"),
        ("PRODUCTION", "production-"),
        ("review/1-foo", "review-1-foo-"),
        ("1-foo", "env-1-foo-"),
        ("1/foo", "env-1-foo-"),
        ("foo--bar", "foo-bar-"),
        ("foo**bar", "foo-bar-"),
        ("*-foo", "env-foo-"),
        ("staging-12345678-01234567", "staging-12345678-"),
    ],
)
def test_environment_slug_shortens_and_suffixes_like_gitlab(name, prefix):
    slug = environment_slug(name)
    assert slug.startswith(prefix)
    assert re.fullmatch(re.escape(prefix) + r"[0-9a-z]{6}", slug)
    assert len(slug) <= 24
    assert environment_slug(name) == slug  # deterministic


@pytest.mark.parametrize(("name", "slug"), [("foo-", "foo"), ("staging-12345678-", "staging-12345678")])
def test_environment_slug_drops_a_trailing_dash_from_a_name_it_did_not_change(name, slug):
    assert environment_slug(name) == slug


def test_environment_slug_suffix_tells_similar_names_apart():
    assert environment_slug("review/a") != environment_slug("review-a")


def test_project_path_slug_matches_ci_project_path_slug():
    assert project_path_slug("Acme/Platform/hello_world.app") == "acme-platform-hello-world-app"
    assert len(project_path_slug("a/" + "b" * 100)) == 63


def test_gitlab_annotations_link_the_deployment_to_the_environment():
    assert gitlab_annotations("acme/hello", "review/x") == {
        "app.gitlab.com/app": "acme-hello",
        "app.gitlab.com/env": environment_slug("review/x"),
    }


# GitLab's own spec (gitlabhq spec/lib/gitlab/slug/environment_spec.rb), with its stub: every
# name hashes to 'a' * 64, whose last 6 base-36 digits are 'q517sa' (docs/contracts.md GL-35).
GITLAB_SPEC = {
    "staging-12345678901234567": "staging-123456789-q517sa",
    "9-staging-123456789012345": "env-9-staging-123-q517sa",
    "staging-1234567890123456": "staging-1234567890123456",
    "staging-1234567890123456-": "staging-123456789-q517sa",
    "production": "production",
    "PRODUCTION": "production-q517sa",
    "review/1-foo": "review-1-foo-q517sa",
    "1-foo": "env-1-foo-q517sa",
    "1/foo": "env-1-foo-q517sa",
    "foo-": "foo",
    "foo--bar": "foo-bar-q517sa",
    "foo**bar": "foo-bar-q517sa",
    "*-foo": "env-foo-q517sa",
    "staging-12345678-": "staging-12345678",
    "staging-12345678-01234567": "staging-12345678-q517sa",
    "": "env-q517sa",
}


@pytest.mark.parametrize(("name", "slug"), GITLAB_SPEC.items())
def test_environment_slug_is_gitlabs_on_gitlabs_own_spec_examples(monkeypatch, name, slug):
    from types import SimpleNamespace

    from gitlab_k8s_cd.components import labels

    stub = SimpleNamespace(sha256=lambda data: SimpleNamespace(hexdigest=lambda: "a" * 64))
    monkeypatch.setattr(labels, "hashlib", stub)
    assert environment_slug(name) == slug
