"""Names and URLs: a Service name that is not a DNS-1035 label, derived names and label values
beyond 63 characters (review instances included), URLs with credentials, bad ports or the wrong
scheme, environment names and project paths GitLab refuses, and GitLab's length limits."""

from __future__ import annotations

from tests.corpus import REVIEW_STACK, STAGING_ONLY, Case

ENVIRONMENT = "must be a GitLab environment name"
NEW_PROJECT = "must end in a path GitLab accepts for a new project"

CASES: list[Case] = [
    # The app names the Service: DNS-1035, a letter first.
    Case("app-starts-with-a-digit", {"app": "1hello"}, "app", "DNS-1035 label"),
    Case("app-ends-with-a-dash", {"app": "hello-"}, "app", "DNS-1035 label"),
    # URLs
    Case(
        "url-port-out-of-range", {"environmentUrl": "https://hello.example.com:99999"}, "environmentUrl", "port from 1"
    ),
    Case("url-port-zero", {"clusterServer": "https://k8s.example.com:0"}, "clusterServer", "port from 1 to 65535"),
    Case("url-port-not-a-number", {"gitlabUrl": "https://gitlab.example.com:https"}, "gitlabUrl", "port from 1"),
    Case("url-host-underscore", {"environmentUrl": "https://hello_world.example.com"}, "environmentUrl", "valid host"),
    Case("url-http-for-cluster", {"clusterServer": "http://k8s.example.com:6443"}, "clusterServer", "https:// URL"),
    Case(
        "environment-url-too-long-for-gitlab",
        {"environmentUrl": "https://hello.example.com/" + "x" * 240},
        "environmentUrl",
        "at most 255 characters (GitLab's limit)",
    ),
    Case(
        "gitlab-url-with-the-api-path",
        {"gitlabUrl": "https://gitlab.example.com/api/v4"},
        "gitlabUrl",
        "without /api/v4",
    ),
    Case("gitlab-url-with-a-fragment", {"gitlabUrl": "https://gitlab.example.com/#top"}, "gitlabUrl", "a base URL"),
    # Environment names: literal, as GitLab stores them
    Case("environment-dollar", {"environment": "$CI_ENVIRONMENT_NAME"}, "environment", ENVIRONMENT),
    Case("environment-braces", {"environment": "staging-${X}"}, "environment", ENVIRONMENT),
    Case("environment-trailing-slash", {"environment": "staging/"}, "environment", ENVIRONMENT),
    Case("environment-too-long", {"environment": "s" * 256}, "environment", ENVIRONMENT),
    # Project paths GitLab refuses for a new project, and reserved names
    Case("project-leading-dash", {"gitlabProject": "acme/-hello"}, "gitlabProject", "project path"),
    Case("project-double-dot", {"gitlabProject": "acme/he..llo"}, "gitlabProject", NEW_PROJECT),
    Case("project-trailing-underscore", {"gitlabProject": "acme/hello_"}, "gitlabProject", NEW_PROJECT),
    Case("project-reserved-name", {"gitlabProject": "acme/badges"}, "gitlabProject", "a name GitLab reserves"),
    Case("project-reserved-group", {"gitlabProject": "admin/hello"}, "gitlabProject", "a name GitLab reserves"),
    Case("project-segment-too-long", {"gitlabProject": "acme/" + "h" * 256}, "gitlabProject", "project path"),
    # GitLab's length limits
    Case(
        "description-too-long",
        {"projectDescription": "x" * 2001},
        "projectDescription",
        "at most 2000 characters (GitLab's limit; got 2001)",
        "'" + "x" * 40 + "...'",
    ),
    # derived names: what gitlab_k8s_cd.components.names derives from the app must fit the API server's limits
    # (label values, namespaces and Services: at most 63 characters); refused as the app's fault.
    Case(
        "instance-label-beyond-63",
        {
            "app": "inventory-reconciliation-service-backend-v2",
            "environment": "production-eu-west-1a",
            "namespace": "inv",
        },
        "app",
        "instance 'inventory-reconciliation-service-backend-v2-production-eu-west-1a' (65 characters)",
    ),
    Case(
        "instance-label-beyond-63-with-a-cut-environment-slug",
        {"app": "warehouse-slotting-optimizer-api-gateway", "environment": "release train/europe", "namespace": "wh"},
        "app",
        "(65 characters), which must be a label value (letters, digits, '-', '_' or '.') of at most 63 characters",
    ),
    Case(
        "review-instance-beyond-63-for-merge-request-9999999",
        {"app": "customer-notification-preferences-service-v2-apis"},
        "app",
        "of review app !9999999 'customer-notification-preferences-service-v2-apis-review-9999999' (64 characters)",
    ),
    Case(
        "review-stack-instance-beyond-63",
        {**REVIEW_STACK, "app": "customer-notification-preferences-and-consent-service-v2"},
        "app",
        "'customer-notification-preferences-and-consent-service-v2-review-7' must fit in 63 characters",
        "'customer-notification-preferences-and-consent-service-v2'",
        drop=STAGING_ONLY,
        secrets={},
    ),
    Case(
        "review-stack-instance-beyond-63-by-its-merge-request",
        {**REVIEW_STACK, "app": "customer-notification-preferences-and-consents", "mergeRequestIid": "2147483647"},
        "app",
        "-review-2147483647' must fit in 63 characters",
        "'customer-notification-preferences-and-consents'",
        drop=STAGING_ONLY,
        secrets={},
    ),
    Case(
        "review-stack-service-not-dns-1035",
        {**REVIEW_STACK, "app": "7up"},
        "app",
        "DNS-1035 label",
        "'7up'",
        drop=STAGING_ONLY,
        secrets={},
    ),
    Case(
        "review-domain-too-long-for-any-review-url",
        {"reviewApps": {"enabled": "true", "domain": ("a" * 60 + ".") * 3 + "b" * 40 + ".com"}},
        "reviewApps.domain",
        "GitLab takes at most 255",
    ),
    Case(
        "environment-in-the-review-scope",
        {"environment": "review/main"},
        "environment",
        "must not be a review environment",
    ),
    Case("url-unbalanced-bracket", {"jobUrl": "https://[x/"}, "jobUrl", "https:// URL"),
    Case("url-unbalanced-bracket-backend", {"pulumiBackendUrl": "s3://[x"}, "pulumiBackendUrl", "URL with a host"),
    Case("project-dot-dot-segment", {"gitlabProject": "acme/../hello"}, "gitlabProject", "project path"),
    Case(
        "review-domain-label-over-63",
        {"reviewApps": {"enabled": "true", "domain": "a" * 64 + ".example.com", "deployTokenExpiresAt": "2027-11-30"}},
        "reviewApps.domain",
        "labels of at most 63 characters",
    ),
]
