"""The version scheme: one SemVer version, written without a ``v``, in pyproject.toml, in
CHANGELOG.md's latest release, in the component's default tools requirement and (by the tag
pipeline) in the git tag; and the tag pipeline that publishes it (docs/contracts.md GL-30, GL-31)."""

from __future__ import annotations

import re
import tomllib

import yaml

from gitlab_k8s_cd.pipeline.publish import SEMVER, requirement
from tests.conftest import ROOT

CHANGELOG = (ROOT / "CHANGELOG.md").read_text()
PYPROJECT_VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def changelog_releases() -> list[str]:
    """The ``## [x.y.z] - YYYY-MM-DD`` headings, newest first (Keep a Changelog)."""
    return re.findall(r"^## \[([^\]]+)\] - \d{4}-\d{2}-\d{2}$", CHANGELOG, re.MULTILINE)


def component_header() -> dict:
    header, _ = yaml.safe_load_all((ROOT / "templates" / "continuous-deployment.yml").read_text())
    return header


def gitlab_ci() -> dict:
    return yaml.safe_load((ROOT / ".gitlab-ci.yml").read_text())


def test_pyprojects_version_is_semver_without_a_v_as_catalog_tags_must_be():
    assert SEMVER.fullmatch(PYPROJECT_VERSION), PYPROJECT_VERSION


def test_the_changelogs_latest_release_is_pyprojects_version():
    releases = changelog_releases()
    assert releases, "CHANGELOG.md has no release heading"
    assert releases[0] == PYPROJECT_VERSION
    assert all(SEMVER.fullmatch(release) for release in releases)
    assert len(set(releases)) == len(releases)


def test_the_changelog_keeps_an_unreleased_section_above_the_releases_and_links_each():
    assert CHANGELOG.index("## [Unreleased]") < CHANGELOG.index(f"## [{PYPROJECT_VERSION}]")
    for release in ["Unreleased", *changelog_releases()]:
        assert re.search(rf"^\[{re.escape(release)}\]: https://gitlab\.com/gitlab-k8s-cd/", CHANGELOG, re.MULTILINE)


def test_the_components_default_tools_are_this_release_from_the_generic_registry_without_git():
    """The release a consumer includes installs its own tools: no git (python:*-slim has none) and
    no package index (so no same-named package elsewhere can win)."""
    default = component_header()["spec"]["inputs"]["tools_requirement"]["default"]
    assert default == requirement(PYPROJECT_VERSION)
    assert "git+" not in default and "index-url" not in default


def test_the_component_uses_no_component_context_which_its_own_pipelines_include_local_refuses():
    """``$[[ component.version ]]`` needs GitLab 18.6 and ``spec: component``, is empty for a SHA or
    branch, and fails a pipeline that includes the template any other way (docs/contracts.md GL-32)."""
    text = (ROOT / "templates" / "continuous-deployment.yml").read_text()
    assert not re.search(r"\$\[\[\s*component\.", text)
    assert "component" not in component_header()["spec"]


def test_the_tag_pipeline_publishes_the_package_once_the_librarys_tests_pass():
    job = gitlab_ci()["publish-package"]
    assert job["rules"][0]["if"].startswith("$CI_COMMIT_TAG =~ /^")
    assert set(job["needs"]) == {"library-tests", "library-lint"}
    assert job["script"][1] == "python -m build --outdir dist ."
    assert job["script"][-1] == 'python -m gitlab_k8s_cd.pipeline.publish --version "$CI_COMMIT_TAG" dist'
    assert "build" in job["script"][0] and "-c constraints.txt" in job["script"][0]
    assert "build==" in (ROOT / "requirements-dev.txt").read_text()
    assert "build==" in (ROOT / "constraints.txt").read_text()


def test_the_catalog_release_uses_the_release_keyword_after_the_package_and_the_components_tests():
    job = gitlab_ci()["catalog-release"]
    assert job["rules"][0]["if"].startswith("$CI_COMMIT_TAG =~ /^")
    assert job["release"]["tag_name"] == "$CI_COMMIT_TAG"
    assert "publish-package" in job["needs"] and "gitlab-k8s-cd-tests" in job["needs"]
    image, version = job["image"].rsplit(":", 1)
    assert image == "registry.gitlab.com/gitlab-org/cli" and re.fullmatch(r"v\d+\.\d+\.\d+", version)
    assert tuple(map(int, version[1:].split("."))) >= (1, 58, 0)  # glab makes releases since 1.58.0
    wheel, sdist = (link["url"] for link in job["release"]["assets"]["links"])
    expected = requirement("${CI_COMMIT_TAG}", api="${CI_API_V4_URL}", project="${CI_PROJECT_ID}").split(" @ ")[1]
    assert wheel == expected.replace("%7B", "{").replace("%7D", "}").replace("%24", "$")
    assert sdist == wheel.replace("-py3-none-any.whl", ".tar.gz")


def test_this_repositorys_own_pipeline_installs_its_tools_from_a_variable_the_e2e_run_overrides():
    ci = gitlab_ci()
    includes = [i for i in ci["include"] if i.get("local") == "templates/continuous-deployment.yml"]
    assert len(includes) == 2  # staging, production
    assert all(include["inputs"]["tools_requirement"] == "$TOOLS_REQUIREMENT" for include in includes)
    assert ci["variables"]["TOOLS_REQUIREMENT"] == "."


def test_the_release_jobs_run_for_exactly_the_tags_the_publish_tool_accepts():
    """The jobs' rule (RE2, GitLab's engine) and pipeline.publish agree on what a release tag is."""
    import re2

    from gitlab_k8s_cd.pipeline.publish import SEMVER

    (rule,) = gitlab_ci()["publish-package"]["rules"]
    assert gitlab_ci()["catalog-release"]["rules"] == [rule]
    subject, operator, pattern = rule["if"].split(" ", 2)
    assert (subject, operator) == ("$CI_COMMIT_TAG", "=~") and pattern.startswith("/^") and pattern.endswith("$/")
    rule = re2.compile(pattern[1:-1])
    for tag in (
        "0.1.0",
        "1.0.0",
        "10.20.30",
        "1.0.0-rc.1",
        "1.0.0-01",
        "1.0.0+build.7",
        "1.0.0-rc.1+b",
        "v1.0.0",
        "1.0",
        "01.0.0",
        "1.0.0 ",
        "release-1",
    ):
        assert bool(rule.search(tag)) == bool(SEMVER.fullmatch(tag)), tag
