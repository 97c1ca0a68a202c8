"""GitLabProject: registry on, cleanup policy, archived (never deleted) on destroy."""

from __future__ import annotations

import re

import pytest

from gitlab_k8s_cd.components import (
    CI_TAG_REGEX,
    RELEASE_TAG_REGEX,
    GitLabProjectArgs,
    InvalidArgument,
    RegistryCleanupArgs,
)
from gitlab_k8s_cd.components.gitlab_project import EXPIRING_TAG_REGEX
from tests.conftest import component

PROJECT = "gitlab:index/project:Project"


@pytest.fixture(scope="module")
def plan():
    return component("gitlab_projects")


def gitlab_full_match(pattern: str, tag: str) -> bool:
    """GitLab matches cleanup regexes against the whole tag name."""
    return re.fullmatch(pattern, tag) is not None


def test_project_is_archived_not_deleted_on_destroy(plan):
    assert plan.get(PROJECT, "owned-project").inputs["archiveOnDestroy"] is True


def test_project_lives_in_its_group_with_a_members_only_registry(plan):
    inputs = plan.get(PROJECT, "owned-project").inputs
    assert (inputs["name"], inputs["path"], inputs["visibilityLevel"]) == ("owned", "owned", "private")
    assert inputs["namespaceId"] == 4242  # the mock's answer to gitlab.get_group("acme/platform")
    assert inputs["containerRegistryAccessLevel"] == "private"


def test_cleanup_policy_deletes_ci_and_review_tags_and_keeps_release_tags_and_the_latest_n(plan):
    policy = plan.get(PROJECT, "owned-project").inputs["containerExpirationPolicy"]
    assert policy == {
        "enabled": True,
        "cadence": "1d",
        "keepN": 10,
        "olderThan": "7d",
        "nameRegexDelete": EXPIRING_TAG_REGEX,
        "nameRegexKeep": RELEASE_TAG_REGEX,
    }


@pytest.mark.parametrize("tag", ["ci-1234-0a1b2c3d", "ci-98765-0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"])
def test_default_delete_regex_matches_the_pipelines_ci_tags(tag):
    assert gitlab_full_match(CI_TAG_REGEX, tag)
    assert gitlab_full_match(EXPIRING_TAG_REGEX, tag)
    assert not gitlab_full_match(RELEASE_TAG_REGEX, tag)


@pytest.mark.parametrize("tag", ["review-42-0a1b2c3d", "review-1-0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"])
def test_default_delete_regex_expires_review_images(tag):
    assert gitlab_full_match(EXPIRING_TAG_REGEX, tag)
    assert not gitlab_full_match(RELEASE_TAG_REGEX, tag)


@pytest.mark.parametrize("tag", ["release-0a1b2c3d", "v1.2.3", "1.2.3", "v2.0.0-rc.1", "main", "latest"])
def test_default_keep_regex_protects_release_tags_from_the_delete_regex(tag):
    assert gitlab_full_match(RELEASE_TAG_REGEX, tag)
    assert not gitlab_full_match(EXPIRING_TAG_REGEX, tag)


# Layer-cache tags as buildah's --cache-to pushes them to <image>/cache: SHA-256 cache keys, 64 lowercase hex.
CACHE_TAGS = [
    "0" * 64,
    "5f2b1c0e9a8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a291807f6e5d4c3b2a19080",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
]
RELEASE_TAGS = [
    "release-0a1b2c3d",
    "release-0a1b2c3d4e5f60718293a4b5c6d7e8f901234567",
    "1.2.3",
    "v1.2.3",
    "main",
    "latest",
]


@pytest.mark.parametrize("tag", CACHE_TAGS)
def test_default_policy_expires_the_layer_cache_tags_and_does_not_keep_them(tag):
    """Nothing else deletes the build's layer cache: without this it grows with every build."""
    policy = RegistryCleanupArgs()
    assert gitlab_full_match(policy.name_regex_delete, tag)
    assert not gitlab_full_match(policy.name_regex_keep, tag)


@pytest.mark.parametrize(
    "tag", ["0" * 63, "0" * 65, "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"]
)
def test_default_delete_regex_matches_only_whole_sha256_cache_keys(tag):
    assert not gitlab_full_match(RegistryCleanupArgs().name_regex_delete, tag)


@pytest.mark.parametrize("tag", RELEASE_TAGS)
def test_default_delete_regex_never_matches_a_release_tag(tag):
    policy = RegistryCleanupArgs()
    assert not gitlab_full_match(policy.name_regex_delete, tag)
    assert gitlab_full_match(policy.name_regex_keep, tag)


def test_a_project_managed_by_another_stack_is_only_looked_up(plan):
    assert plan.find(PROJECT, "shared-project") == []
    assert plan.outputs["shared_id"] == "4343"  # the mock's answer to gitlab.get_project("acme/shared")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cadence": "2d"}, r"^cadence: must be one of '1d', '7d', '14d', '1month', '3month'"),
        ({"keep_n": 3}, r"^keep_n: must be one of 1, 5, 10, 25, 50, 100"),
        ({"older_than": "1d"}, r"^older_than: must be one of '7d', '14d', '30d', '90d'"),
        ({"name_regex_delete": "ci-[0-9"}, r"^name_regex_delete: must be RE2 syntax"),
        ({"name_regex_keep": "(?!ci-).*"}, r"^name_regex_keep: must be RE2 syntax"),
        ({"enabled": "yes"}, r"^enabled: must be true or false"),
    ],
)
def test_registry_cleanup_args_reject_what_gitlab_would_refuse(kwargs, message):
    with pytest.raises(InvalidArgument, match=message):
        RegistryCleanupArgs(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"path": "hello"}, r"^path: must be a GitLab project path with its group"),
        ({"visibility": "secret"}, r"^visibility: must be one of 'private', 'internal', 'public'"),
        ({"description": "two\nlines"}, r"^description: must be a single line"),
    ],
)
def test_gitlab_project_args_reject_bad_values(kwargs, message):
    with pytest.raises(InvalidArgument, match=message):
        GitLabProjectArgs(**{"path": "acme/hello", **kwargs})


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"name_regex_delete": ".*", "name_regex_keep": "main"}, r"^name_regex_delete: must not delete release images"),
        ({"name_regex_delete": "(release-.*)", "name_regex_keep": "(v.*)"}, r"must not delete release images"),
        ({"name_regex_keep": "(main|latest)"}, r"^name_regex_keep: must keep release images"),
        ({"name_regex_keep": "release-[0-9a-f]{40}"}, r"must keep release images: .*'release-0a1b2c3d'"),
    ],
)
def test_no_cleanup_policy_can_delete_a_release_image(kwargs, expected):
    """Checked as GitLab matches (RE2, \\A<regex>\\z, the keep regex wins) on the release tags the
    pipeline pushes (release-<short sha>)."""
    with pytest.raises(InvalidArgument, match=expected):
        RegistryCleanupArgs(**kwargs)


def test_a_delete_regex_may_match_releases_the_keep_regex_keeps():
    policy = RegistryCleanupArgs(name_regex_delete=".*")  # the default keep regex keeps release-*
    assert policy.name_regex_delete == ".*"


def test_the_default_policy_expires_ci_review_and_cache_tags_and_keeps_releases():
    from gitlab_k8s_cd.components.gitlab_project import RELEASE_TAG_SAMPLES
    from gitlab_k8s_cd.components.gitlab_rules import gitlab_tag_match

    policy = RegistryCleanupArgs()
    for tag in ("ci-123-0a1b2c3d", "review-7-0a1b2c3d", "ab" * 32):
        assert gitlab_tag_match(policy.name_regex_delete, tag), tag
        assert not gitlab_tag_match(policy.name_regex_keep, tag), tag
    for tag in (*RELEASE_TAG_SAMPLES, "v1.2.3", "main"):
        assert gitlab_tag_match(policy.name_regex_keep, tag), tag


def test_a_description_beyond_gitlabs_2000_characters_is_refused():
    assert GitLabProjectArgs(path="acme/hello", description="x" * 2000)
    with pytest.raises(InvalidArgument, match=r"^description: must be at most 2000 characters .*got 2001"):
        GitLabProjectArgs(path="acme/hello", description="x" * 2001)


def test_a_managed_project_needs_a_path_gitlab_gives_new_projects_a_looked_up_one_does_not():
    with pytest.raises(InvalidArgument, match=r"path GitLab accepts for a new project"):
        GitLabProjectArgs(path="acme/hello_")
    assert GitLabProjectArgs(path="acme/hello_", manage=False).path == "acme/hello_"
