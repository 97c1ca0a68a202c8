"""Registry cleanup that eats releases: a delete regex that matches release tags, a keep regex
that does not keep them, and regex syntax GitLab's engine (RE2) refuses.

GitLab matches a tag against ``\\A<regex>\\z`` (ungrouped), and the keep regex wins: a delete regex
may match a release tag only if the keep regex keeps it. Review tags expire on purpose (their
review app stops after ``review_auto_stop_in``, 1 week by default; ``olderThan`` is at least 7d)."""

from __future__ import annotations

from tests.corpus import Case

EATS = "must not delete release images"
KEEPS = "must keep release images"
RE2 = "must be RE2 syntax"
GROUP = "must group its alternatives"


def cleanup(**members: str) -> dict[str, dict[str, str]]:
    return {"registryCleanup": members}


CASES: list[Case] = [
    Case(
        "delete-everything-keep-main",
        cleanup(nameRegexDelete=".*", nameRegexKeep="main"),
        "registryCleanup.nameRegexDelete",
        EATS,
    ),
    Case(
        "delete-release-prefix",
        cleanup(nameRegexDelete="(release-.*)", nameRegexKeep="(v[0-9]+)"),
        "registryCleanup.nameRegexDelete",
        EATS,
    ),
    Case("keep-only-main", cleanup(nameRegexKeep="(main|latest)"), "registryCleanup.nameRegexKeep", KEEPS),
    Case(
        "keep-short-release-only", cleanup(nameRegexKeep="release-[0-9a-f]{40}"), "registryCleanup.nameRegexKeep", KEEPS
    ),
    Case("delete-ungrouped", cleanup(nameRegexDelete="ci-.*|review-.*"), "registryCleanup.nameRegexDelete", GROUP),
    Case("keep-ungrouped", cleanup(nameRegexKeep="release-.*|main"), "registryCleanup.nameRegexKeep", GROUP),
    Case("delete-possessive", cleanup(nameRegexDelete="ci-[0-9]++"), "registryCleanup.nameRegexDelete", RE2),
    Case("keep-atomic-group", cleanup(nameRegexKeep="(?>release-.*)"), "registryCleanup.nameRegexKeep", RE2),
    Case("delete-backslash-z", cleanup(nameRegexDelete="ci-.*\\Z"), "registryCleanup.nameRegexDelete", RE2),
    Case("delete-lookbehind", cleanup(nameRegexDelete="(?<=ci-)[0-9]+"), "registryCleanup.nameRegexDelete", RE2),
    Case(
        "delete-repeat-over-1000", cleanup(nameRegexDelete="ci-[0-9]{1,1001}"), "registryCleanup.nameRegexDelete", RE2
    ),
    Case(
        "delete-too-long",
        cleanup(nameRegexDelete="(" + "a" * 300 + ")"),
        "registryCleanup.nameRegexDelete",
        "at most 255 characters",
    ),
    Case(
        "keep-regex-missing-hex-digits",
        cleanup(nameRegexDelete="(.*)", nameRegexKeep="(release-[0-9a-d]+)"),
        "registryCleanup.nameRegexDelete",
        EATS,
    ),
]
