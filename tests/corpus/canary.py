"""The canary track: a canary image for a stack that declared no track (no quota room, no grant for
CI's deployer: the deploy would fail halfway), by tag (a promotion would deploy something else than
what the canary ran), from another registry (its pods could not pull with the stack's pull Secret),
a trace that describes no canary, a canary no quota admits or whose rollout takes every canary pod
down, a process whose Deployment would take the canary's name, and a canary in a review stack."""

from __future__ import annotations

from tests.conftest import STAGING, key
from tests.corpus import REVIEW_STACK, STAGING_ONLY, Case

CANARY_IMAGE = "registry.gitlab.com/acme/hello@sha256:" + "ef" * 32
TRACK = {"canary": {"replicas": 1}}
WORKER = STAGING[key("processes")]["worker"]

CASES: list[Case] = [
    Case(
        "canary-image-without-a-track",
        {"canaryImage": CANARY_IMAGE},
        "canaryImage",
        "needs a canary track declared in the stack (canary: {replicas: N})",
        f"{CANARY_IMAGE!r} and None",
    ),
    Case(
        "canary-image-by-tag",
        {**TRACK, "canaryImage": "registry.gitlab.com/acme/hello:1.1"},
        "canaryImage",
        "must be pinned by digest",
        "'registry.gitlab.com/acme/hello:1.1'",
    ),
    Case(
        "canary-image-from-another-registry",
        {**TRACK, "canaryImage": "ghcr.io/acme/hello@sha256:" + "ef" * 32},
        "canaryImage",
        "must be in the image's registry (registry.gitlab.com)",
        "'ghcr.io/acme/hello@sha256:",
    ),
    Case(
        "canary-image-of-another-project",
        {**TRACK, "canaryImage": "registry.gitlab.com/acme/other@sha256:" + "ef" * 32},
        "canaryImage",
        "is not in project acme/hello's registry",
        "'registry.gitlab.com/acme/other@sha256:",
    ),
    Case("canary-of-no-pods", {"canary": {"replicas": 0}}, "canary.replicas", "integer ≥ 1", "0"),
    Case("canary-replicas-as-words", {"canary": {"replicas": "two"}}, "canary.replicas", "integer", "'two'"),
    Case("canary-member-misspelled", {"canary": {"replica": 2}}, "canary.replica", "did you mean", "2"),
    Case("canary-not-an-object", {"canary": "1"}, "canary", "must be an object", "1"),
    Case(
        "canary-commit-without-a-canary",
        {**TRACK, "canaryCommitSha": "a" * 40},
        "canaryCommitSha",
        "describes the canary's deploy: set it only together with a canary image",
    ),
    Case(
        "canary-commit-not-a-sha",
        {**TRACK, "canaryImage": CANARY_IMAGE, "canaryCommitSha": "main"},
        "canaryCommitSha",
        "commit",
        "'main'",
    ),
    Case(
        "canary-pipeline-url-without-a-canary",
        {**TRACK, "canaryPipelineUrl": "https://gitlab.com/acme/hello/-/pipelines/7"},
        "canaryPipelineUrl",
        "describes the canary's deploy",
    ),
    Case(
        "canary-job-url-not-a-url",
        {**TRACK, "canaryImage": CANARY_IMAGE, "canaryJobUrl": "jobs/42"},
        "canaryJobUrl",
        "URL",
        "'jobs/42'",
    ),
    # A quota of 20 pods: web 2 + 1, the worker 1 + 1, the solver 1, and the canary's 15 + 4.
    Case(
        "quota-below-the-canarys-peak",
        {"canary": {"replicas": 15}, "quota": {"pods": "20"}},
        "quota.pods",
        "peak of 25 pods (web: replicas 2 + maxSurge 1, worker: replicas 1 + maxSurge 1, canary: replicas 15 + "
        "maxSurge 4, and cert-manager's HTTP-01 solver 1)",
        "'20'",
    ),
    Case(
        "canary-rollout-takes-every-canary-pod-down",
        {
            "replicas": "3",
            "rollout": {"maxUnavailable": 1},
            "processes": {"worker": {**WORKER, "rollout": {"maxUnavailable": 0}}},
            **TRACK,
        },
        "rollout.maxUnavailable",
        "a rollout of the canary may take 1 of 1 pods down",
        "1 and 1",
    ),
    Case(
        "process-named-canary",
        {"processes": {"canary": WORKER}},
        "processes['canary']",
        "is reserved",
        "'canary'",
    ),
    Case(
        "canary-in-a-review-stack",
        {**REVIEW_STACK, **TRACK},
        "canary",
        "review apps have no canary track",
        drop=STAGING_ONLY,
        secrets={},
    ),
    Case(
        "canary-image-in-a-review-stack",
        {**REVIEW_STACK, "canaryImage": CANARY_IMAGE},
        "canaryImage",
        "review apps have no canary track",
        drop=STAGING_ONLY,
        secrets={},
    ),
]
