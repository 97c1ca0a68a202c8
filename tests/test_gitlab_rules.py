"""GitLab's rules: variable keys and masking, environment names and scopes, project paths, RE2 regexes."""

from __future__ import annotations

import pytest

from gitlab_k8s_cd.components import (
    gitlab_rules,
)
from gitlab_k8s_cd.components.validation import InvalidArgument


@pytest.mark.parametrize("value", ["abcdefgh", "glpat-AbC_123.xyz~", "a+b/c=d@e:f", "eyJhbGciOi.eyJzdWIi.sig-_"])
def test_maskable_accepts_what_gitlab_can_mask(value):
    assert gitlab_rules.maskable("TOKEN", value) == value


@pytest.mark.parametrize("value", ["short", "has space in it", "tab\tinside", "new\nline12", "quote'inside", "é" * 10])
def test_maskable_rejects_what_gitlab_would_refuse_without_showing_the_value(value):
    with pytest.raises(InvalidArgument, match=r"^TOKEN: GitLab cannot mask this value") as caught:
        gitlab_rules.maskable("TOKEN", value)
    assert value not in str(caught.value)
    assert f"[secret, {len(value)} characters]" in str(caught.value)


@pytest.mark.parametrize("key", ["A", "KUBE_NAMESPACE", "a1_b2"])
def test_variable_key_accepts_gitlab_keys(key):
    assert gitlab_rules.variable_key("key", key) == key


@pytest.mark.parametrize("key", ["", "WITH-DASH", "WITH SPACE", "K" * 256, "ÄÖ"])
def test_variable_key_rejects_what_gitlab_rejects(key):
    with pytest.raises(InvalidArgument, match=r"^key: must be 1 to 255 letters, digits or '_'"):
        gitlab_rules.variable_key("key", key)


@pytest.mark.parametrize("name", ["staging", "production", "review/feature-1", "prod eu.1", "a" * 255])
def test_environment_name_accepts_gitlab_environment_names(name):
    assert gitlab_rules.environment_name("environment", name) == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        " staging",
        "staging ",
        "-x",
        "stag\ning",
        "a" * 256,
        "sta:ging",
        "review/",
        "review/$CI_COMMIT_REF_SLUG",
        "{x}",
    ],
)
def test_environment_name_rejects_what_gitlab_rejects(name):
    with pytest.raises(InvalidArgument, match=r"^environment: must be a GitLab environment name"):
        gitlab_rules.environment_name("environment", name)


@pytest.mark.parametrize("scope", ["*", "staging", "review/*"])
def test_environment_scope_accepts_names_and_wildcards(scope):
    assert gitlab_rules.environment_scope("scope", scope) == scope


def test_environment_scope_rejects_newlines():
    with pytest.raises(InvalidArgument, match=r"^scope: must be '\*' or an environment name"):
        gitlab_rules.environment_scope("scope", "staging\n*")


@pytest.mark.parametrize("path", ["acme/hello", "acme/platform/hello", "a_b/c.d-e"])
def test_project_path_accepts_group_and_project(path):
    assert gitlab_rules.project_path("project", path) == path


@pytest.mark.parametrize("path", ["hello", "acme/", "/hello", "acme/hello.git", "acme/he llo", "acme//x"])
def test_project_path_rejects_paths_without_a_group_or_with_bad_parts(path):
    with pytest.raises(InvalidArgument, match=r"^project: must be a GitLab project path"):
        gitlab_rules.project_path("project", path)


def test_re2_pattern_rejects_what_does_not_compile_or_re2_lacks():
    assert gitlab_rules.re2_pattern("regex", "ci-[0-9]+") == "ci-[0-9]+"
    with pytest.raises(InvalidArgument, match=r"must be RE2 syntax, GitLab's regex engine \(missing \]"):
        gitlab_rules.re2_pattern("regex", "ci-[0-9")
    # What Python's re takes and RE2 refuses: lookaround, backreferences, possessive and atomic
    # forms, \Z, and repetitions above 1000.
    for re2_lacks in ["(?=x)", "(?!x)", "(?<=x)y", r"(a)\1", "a*+", "(?>a)", r"a\Z", "a{1001}"]:
        with pytest.raises(InvalidArgument, match=r"must be RE2 syntax"):
            gitlab_rules.re2_pattern("regex", re2_lacks)


@pytest.mark.parametrize("regex", ["ci-.*|review-.*", "a|b", "(ci)-x|y"])
def test_re2_pattern_refuses_ungrouped_alternatives_which_gitlab_anchors_one_end_each(regex):
    with pytest.raises(InvalidArgument, match=r"must group its alternatives"):
        gitlab_rules.re2_pattern("regex", regex)
    assert gitlab_rules.re2_pattern("regex", f"({regex})") == f"({regex})"
    assert gitlab_rules.re2_pattern("regex", r"[|]a\|b") == r"[|]a\|b"  # a literal '|' is no alternative
    assert gitlab_rules.re2_pattern("regex", "[]|]ci") == "[]|]ci"  # nor one in a class that starts with ']'
    assert gitlab_rules.re2_pattern("regex", "[^]|]ci") == "[^]|]ci"


def test_gitlab_tag_match_anchors_the_regex_the_way_gitlab_does():
    # "\A#{regex}\z", ungrouped (Projects::ContainerRepository::CleanupTagsService).
    assert gitlab_rules.gitlab_tag_match("(ci-[0-9]+)", "ci-12")
    assert not gitlab_rules.gitlab_tag_match("(ci-[0-9]+)", "xci-12")
    assert gitlab_rules.gitlab_tag_match("ci-1|main", "release-main")  # ends with main: why ungrouped is refused


def test_re2_pattern_is_at_most_255_characters():
    assert gitlab_rules.re2_pattern("regex", "a" * 255)
    with pytest.raises(InvalidArgument, match=r"at most 255 characters"):
        gitlab_rules.re2_pattern("regex", "a" * 256)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("acme/-hello", r"must be a GitLab project path"),  # no path may start with '-'
        ("acme/hello-", r"path GitLab accepts for a new project"),
        ("acme/he..llo", r"path GitLab accepts for a new project"),
        ("acme/badges", r"a name GitLab reserves"),
        ("acme/Tree", r"a name GitLab reserves"),
        ("admin/hello", r"must not start with 'admin'"),
    ],
)
def test_a_new_project_path_follows_gitlabs_rules_for_new_projects(path, expected):
    with pytest.raises(InvalidArgument, match=expected):
        gitlab_rules.project_path("project", path, new=True)


def test_an_existing_project_may_keep_a_legacy_path():
    assert gitlab_rules.project_path("project", "acme/_legacy.", new=False) == "acme/_legacy."


@pytest.mark.parametrize(
    ("path", "group"), [("acme/hello", "acme"), ("ACME/platform/hello", "acme"), ("alice/tools", "alice")]
)
def test_a_projects_top_level_group_is_its_first_segment_compared_case_insensitively(path, group):
    assert gitlab_rules.top_level_group(path) == group
