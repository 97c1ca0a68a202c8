"""Basics: one or more refused values for every config key (types, ranges, formats, injection)."""

from __future__ import annotations

from tests.conftest import PASSPHRASE, key
from tests.corpus import REVIEW_STACK, SECRET, STAGING_ONLY, Case

CASES = [
    # types and ranges
    Case("replicas-zero", {"replicas": "0"}, "replicas", "must be an integer ≥ 1", "0"),
    Case("replicas-negative", {"replicas": "-3"}, "replicas", "must be an integer ≥ 1", "-3"),
    Case("replicas-fraction", {"replicas": "2.5"}, "replicas", "must be an integer ≥ 1"),
    Case("container-port-zero", {"containerPort": "0"}, "containerPort", "from 1 to 65535", "0"),
    Case("container-port-too-big", {"containerPort": "70000"}, "containerPort", "from 1 to 65535", "70000"),
    Case("service-port-name", {"servicePort": "http"}, "servicePort", "from 1 to 65535"),
    Case("run-as-root", {"runAsUser": "0"}, "runAsUser", "must be an integer ≥ 1", "0"),
    Case("manage-project-yes", {"manageProject": "yes"}, "manageProject", "must be true or false"),
    Case("hidden-variables-one", {"hiddenVariables": "1"}, "hiddenVariables", "must be true or false"),
    # cluster access (agent mode)
    Case("cluster-access-word", {"clusterAccess": "tunnel"}, "clusterAccess", "'kubeconfig', 'agent'", "'tunnel'"),
    Case("agent-mode-without-agent", {"clusterAccess": "agent"}, "agent", "is required when", "None"),
    Case(
        "agent-without-agent-mode",
        {"agent": {"project": "acme/agents", "name": "a"}},
        "agent",
        "must not be set when clusterAccess is 'kubeconfig'",
        "'acme/agents:a'",
    ),
    Case(
        "agent-name-upper-case",
        {"clusterAccess": "agent", "agent": {"project": "acme/agents", "name": "Agent"}},
        "agent.name",
        "must be a GitLab agent name",
        "'Agent'",
    ),
    # names
    Case("app-upper-case", {"app": "Hello"}, "app", "DNS-1035 label"),
    Case("app-too-long", {"app": "a" * 64}, "app", "DNS-1035 label"),
    Case("namespace-underscore", {"namespace": "ns_1"}, "namespace", "DNS-1123 label"),
    Case("namespace-leading-dash", {"namespace": "-ns"}, "namespace", "DNS-1123 label"),
    # image references
    Case(
        "image-neither-tag-nor-digest", {"image": "registry.gitlab.com/acme/hello"}, "image", "with a tag or a digest"
    ),
    Case("image-without-registry", {"image": "hello:1.0"}, "image", "must name its registry host"),
    Case("image-short-digest", {"image": "registry.gitlab.com/acme/hello@sha256:abc"}, "image", "tag or a digest"),
    Case("image-upper-case", {"image": "registry.gitlab.com/acme/Hello:1"}, "image", "tag or a digest"),
    # quantities
    Case("cpu-request-unit", {"resources": {"cpuRequest": "1x"}}, "resources.cpuRequest", "Kubernetes quantity"),
    Case("memory-limit-gb", {"resources": {"memoryLimit": "1GB"}}, "resources.memoryLimit", "Kubernetes quantity"),
    Case(
        "request-above-limit",
        {"resources": {"cpuRequest": "2", "cpuLimit": "1"}},
        "resources.cpuRequest",
        "a request cannot exceed its limit",
        "'2' and '1'",
    ),
    Case("quota-word", {"quota": {"pods": "lots"}}, "quota.pods", "Kubernetes quantity"),
    Case(
        "limit-range-inverted",
        {"limitRange": {"defaultRequest": {"memory": "1Gi"}, "defaultLimit": {"memory": "1Mi"}}},
        "limitRange.defaultRequest.memory",
        "a request cannot exceed its limit",
        "'1Gi' and '1Mi'",
    ),
    # probes
    Case("probe-path-relative", {"readinessProbe": {"path": "readyz"}}, "readinessProbe.path", "starting with '/'"),
    Case(
        "probe-period-zero",
        {"livenessProbe": {"periodSeconds": 0}},
        "livenessProbe.periodSeconds",
        "must be an integer ≥ 1",
        "0",
    ),
    Case("startup-probe-no-path", {"startupProbe": {"periodSeconds": 5}}, "startupProbe.path", "is required", "None"),
    Case(
        "probe-timeout-word",
        {"readinessProbe": {"timeoutSeconds": "fast"}},
        "readinessProbe.timeoutSeconds",
        "must be an integer ≥ 1",
    ),
    # percentages and contradictions
    Case("surge-over-100", {"rollout": {"maxSurge": "101%"}}, "rollout.maxSurge", "percentage from 0% to 100%"),
    Case(
        "unavailable-negative",
        {"rollout": {"maxUnavailable": "-1%"}},
        "rollout.maxUnavailable",
        "percentage from 0% to 100%",
    ),
    Case(
        "surge-and-unavailable-zero",
        {"rollout": {"maxSurge": 0, "maxUnavailable": "0%"}},
        "rollout.maxSurge",
        "cannot both be 0",
        "0 and '0%'",
    ),
    Case("unavailable-100", {"rollout": {"maxUnavailable": "100%"}}, "rollout.maxUnavailable", "must be below 100%"),
    Case(
        "deadline-not-after-ready",
        {"rollout": {"minReadySeconds": 60, "budgetSeconds": 30}},
        "rollout.budgetSeconds",
        "the rollout budget must be longer than the min ready time",
        "30 and 60",
    ),
    # regexes and the cleanup policy
    Case(
        "delete-regex-broken",
        {"registryCleanup": {"nameRegexDelete": "ci-(["}},
        "registryCleanup.nameRegexDelete",
        "must be RE2 syntax",
    ),
    Case(
        "keep-regex-lookahead",
        {"registryCleanup": {"nameRegexKeep": "(?!ci-).*"}},
        "registryCleanup.nameRegexKeep",
        "RE2 syntax",
    ),
    Case("cleanup-cadence", {"registryCleanup": {"cadence": "2d"}}, "registryCleanup.cadence", "must be one of '1d'"),
    Case("cleanup-keep-n", {"registryCleanup": {"keepN": 3}}, "registryCleanup.keepN", "must be one of 1, 5, 10"),
    # GitLab masking and secrets
    Case(
        "passphrase-short",
        {},
        "pulumiConfigPassphrase",
        "GitLab cannot mask this value",
        SECRET,
        secrets={key("pulumiConfigPassphrase"): "short"},
    ),
    Case(
        "passphrase-space",
        {},
        "pulumiConfigPassphrase",
        "GitLab cannot mask this value",
        SECRET,
        secrets={key("pulumiConfigPassphrase"): "correct horse battery"},
    ),
    Case(
        "passphrase-plain-config",
        {"pulumiConfigPassphrase": PASSPHRASE},
        "pulumiConfigPassphrase",
        "pulumi config set --secret",
        SECRET,
        secrets={},
    ),
    Case(
        "access-token-missing-for-cloud",
        {"pulumiBackendUrl": "https://api.pulumi.com"},
        "pulumiAccessToken",
        "is required for the Pulumi Cloud backend",
        "None",
    ),
    Case(
        "protection-approvals",
        {"protection": {"requiredApprovals": 9}},
        "protection.requiredApprovals",
        "from 0 to 5",
        "9",
    ),
    Case(
        "protection-access-level",
        {"protection": {"deployAccessLevel": "owner"}},
        "protection.deployAccessLevel",
        "must be one of 'developer', 'maintainer'",
    ),
    # the drift check's schedule
    Case("drift-cron-fields", {"driftCheck": {"cron": "every night"}}, "driftCheck.cron", "five-field cron expression"),
    Case("drift-ref-dots", {"driftCheck": {"ref": "main/../x"}}, "driftCheck.ref", "must be a branch name"),
    Case("drift-cron-injection", {"driftCheck": {"cron": "0 3 * * *\nref: evil"}}, "driftCheck.cron", "five-field"),
    # review apps (the base stack's reviewApps, and a review stack's own config)
    Case("review-apps-no-domain", {"reviewApps": {"enabled": "true"}}, "reviewApps.domain", "required when", "None"),
    Case(
        "review-apps-domain-injection",
        {"reviewApps": {"enabled": "true", "domain": "x.example.com;rm -rf /"}},
        "reviewApps.domain",
        "DNS-1123 subdomain",
        "'x.example.com;rm -rf /'",
    ),
    Case(
        "review-apps-namespace-upper",
        {
            "reviewApps": {
                "enabled": "true",
                "domain": "r.example.com",
                "deployTokenExpiresAt": "2027-11-30",
                "namespace": "Review",
            }
        },
        "reviewApps.namespace",
        "DNS-1123 label",
        "'Review'",
    ),
    Case(
        "review-apps-quota-bad-amount",
        {
            "reviewApps": {
                "enabled": "true",
                "domain": "r.example.com",
                "deployTokenExpiresAt": "2027-11-30",
                "quota": {"pods": "lots"},
            }
        },
        "reviewApps.quota.pods",
        "Kubernetes quantity",
        "'lots'",
    ),
    Case(
        "review-apps-state-in-pulumi-cloud",
        {
            "pulumiBackendUrl": "https://api.pulumi.com",
            "reviewApps": {"enabled": "true", "domain": "r.example.com", "deployTokenExpiresAt": "2027-11-30"},
        },
        "reviewApps.backendUrl",
        "must be a self-managed backend",
        "None",
        secrets={key("pulumiAccessToken"): "pul-0123456789abcdef0123456789abcdef01234567"},
    ),
    Case(
        "review-stack-with-a-staging-key",
        {"mergeRequestIid": "7"},
        "clusterCaData",
        "is not used by a review stack",
        "'LS0tLS1CRUdJTi",
    ),
    Case(
        "review-stack-iid-zero",
        {**REVIEW_STACK, "mergeRequestIid": "0"},
        "mergeRequestIid",
        "must be an integer ≥ 1",
        "0",
        drop=STAGING_ONLY,
        secrets={},
    ),
    Case(
        "review-stack-not-a-review-environment",
        {**REVIEW_STACK, "environment": "staging"},
        "environment",
        "must be a review environment",
        "'staging'",
        drop=STAGING_ONLY,
        secrets={},
    ),
    # traceability, from GitLab's CI variables
    Case("commit-short", {"commitSha": "abc1234"}, "commitSha", "40 or 64 lowercase hex digits"),
    Case("pipeline-url-http", {"pipelineUrl": "http://gitlab.example.com/p/1"}, "pipelineUrl", "https:// URL"),
    Case("job-url-script", {"jobUrl": "javascript:alert(1)"}, "jobUrl", "https:// URL"),
    # environment names
    Case("environment-colon", {"environment": "staging:1"}, "environment", "GitLab environment name"),
    Case("environment-leading-space", {"environment": " staging"}, "environment", "GitLab environment name"),
    Case("environment-tier", {"environmentTier": "live"}, "environmentTier", "must be one of 'production'"),
    # URLs
    Case("environment-url-http", {"environmentUrl": "http://hello.example.com"}, "environmentUrl", "https:// URL"),
    Case("gitlab-url-ftp", {"gitlabUrl": "ftp://gitlab.example.com"}, "gitlabUrl", "https:// URL"),
    Case("cluster-server-no-scheme", {"clusterServer": "k8s.example.com:6443"}, "clusterServer", "https:// URL"),
    Case("backend-url-scheme", {"pulumiBackendUrl": "mysql://state"}, "pulumiBackendUrl", "absolute https://"),
    # unknown keys
    Case("unknown-key", {"replica": "2"}, "replica", "did you mean gitlab-k8s-cd:replicas?"),
    Case(
        "unknown-member",
        {"rollout": {"maxSurg": "1"}},
        "rollout.maxSurg",
        "did you mean gitlab-k8s-cd:rollout.maxSurge?",
    ),
    Case(
        "unknown-key-typo",
        {"imagee": "registry.gitlab.com/acme/hello:1"},
        "imagee",
        "did you mean gitlab-k8s-cd:image?",
    ),
    # dates, projects, missing keys
    Case("token-expired", {"deployTokenExpiresAt": "2020-01-01"}, "deployTokenExpiresAt", "a date after today"),
    Case("token-date-format", {"deployTokenExpiresAt": "30/11/2027"}, "deployTokenExpiresAt", "YYYY-MM-DD"),
    Case("project-without-group", {"gitlabProject": "hello"}, "gitlabProject", "project path with its group"),
    Case("project-visibility", {"projectVisibility": "secret"}, "projectVisibility", "must be one of 'private'"),
    Case("ca-not-a-certificate", {"clusterCaData": "bm90IGEgY2VydA=="}, "clusterCaData", "PEM certificate"),
    Case("image-missing", {}, "image", "is required", "None", drop=("image",)),
    Case("object-not-a-mapping", {"rollout": "fast"}, "rollout", "must be an object"),
    # injection: refused, never smuggled into another field or document
    Case(
        "inject-image-newline", {"image": "registry.gitlab.com/acme/hello:1\nkind: Secret"}, "image", "tag or a digest"
    ),
    Case("inject-namespace-document", {"namespace": "ns\n---\nkind: ClusterRoleBinding"}, "namespace", "DNS-1123"),
    Case("inject-environment-quotes", {"environment": "staging'\"{{"}, "environment", "GitLab environment name"),
    Case("inject-app-template", {"app": "{{ .Values.app }}"}, "app", "DNS-1035 label"),
    Case(
        "inject-settings-key",
        {"settings": {"A\nkind: Secret": "x"}},
        "settings['A\\nkind: Secret']",
        "keys must be letters, digits",
        "(got 'A\\nkind: Secret')",
    ),
    Case(
        "inject-description-newline",
        {"projectDescription": "x\nvisibility: public"},
        "projectDescription",
        "must be a single line",
    ),
    Case("inject-url-newline", {"environmentUrl": "https://x.example.com/\n- evil"}, "environmentUrl", "https:// URL"),
    Case("inject-cluster-name", {"clusterName": 'c"; rm -rf /'}, "clusterName", "DNS-1123 subdomain"),
    Case("inject-probe-path", {"readinessProbe": {"path": "/ready\nport: 22"}}, "readinessProbe.path", "no spaces"),
]
