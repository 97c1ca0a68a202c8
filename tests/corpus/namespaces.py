"""Namespaces that are not ours to take: the cluster's own (``kube-*``, ``default``), and a
review namespace that would share a base stack's. The review deployer's credentials are
readable by every branch pipeline, so a review namespace of ``kube-system`` would hand every
branch write access there."""

from __future__ import annotations

from tests.corpus import REVIEW_STACK, STAGING_ONLY, Case

OWN = "must not be the cluster's own namespace"
REVIEW = {"enabled": "true", "domain": "r.example.com", "deployTokenExpiresAt": "2027-11-30"}

CASES: list[Case] = [
    Case("namespace-kube-system", {"namespace": "kube-system"}, "namespace", OWN),
    Case("namespace-kube-public", {"namespace": "kube-public"}, "namespace", OWN),
    Case("namespace-kube-node-lease", {"namespace": "kube-node-lease"}, "namespace", OWN),
    Case("namespace-default", {"namespace": "default"}, "namespace", OWN),
    Case("namespace-any-kube-prefix", {"namespace": "kube-hello"}, "namespace", OWN),
    Case(
        "review-namespace-kube-system",
        {"reviewApps": {**REVIEW, "namespace": "kube-system"}},
        "reviewApps.namespace",
        OWN,
    ),
    Case("review-namespace-default", {"reviewApps": {**REVIEW, "namespace": "default"}}, "reviewApps.namespace", OWN),
    Case(
        "review-namespace-kube-prefix",
        {"reviewApps": {**REVIEW, "namespace": "kube-review"}},
        "reviewApps.namespace",
        OWN,
    ),
    Case(
        "review-namespace-is-the-base-namespace",
        {"reviewApps": {**REVIEW, "namespace": "hello-staging"}},
        "reviewApps.namespace",
        "must differ from the environment's namespace",
        "'hello-staging' and 'hello-staging'",
    ),
    Case(
        "review-namespace-is-the-explicit-base-namespace",
        {"namespace": "hello-shared", "reviewApps": {**REVIEW, "namespace": "hello-shared"}},
        "reviewApps.namespace",
        "must differ from the environment's namespace",
        "'hello-shared' and 'hello-shared'",
    ),
    Case(
        "base-namespace-is-the-default-review-namespace",
        {"namespace": "hello-review"},
        "namespace",
        "must not be the review apps' namespace",
    ),
    Case(
        "review-namespace-is-productions",
        {"reviewApps": {**REVIEW, "namespace": "hello-production"}},
        "reviewApps.namespace",
        "must not be an environment's namespace",
    ),
    Case(
        "review-stack-in-kube-system",
        {**REVIEW_STACK, "namespace": "kube-system"},
        "namespace",
        OWN,
        drop=STAGING_ONLY,
        secrets={},
    ),
    Case(
        "review-stack-in-default",
        {**REVIEW_STACK, "namespace": "default"},
        "namespace",
        OWN,
        drop=STAGING_ONLY,
        secrets={},
    ),
]
