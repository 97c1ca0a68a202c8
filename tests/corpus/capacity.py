"""Capacity arithmetic: rollouts that take every pod down or can never start, requests above
limits in mixed units, memory without a unit, surges a namespace quota can never admit, and
integers beyond what the API's 32-bit fields hold.

The staging stack runs 2 replicas of 100m/64Mi (limits 500m/128Mi) with maxSurge 25% (1 pod):
a rollout's peak is 3 pods, 300m and 192Mi of requests, 1500m and 384Mi of limits."""

from __future__ import annotations

from tests.corpus import REVIEW_STACK, SECRET, STAGING_ONLY, Case

ALL_DOWN = "i.e. all of them"
NEVER_STARTS = "cannot both be 0"
NEVER_ADMITTED = "the quota would refuse the surge pods"
INT32 = "at most 2147483647 (the API's int32 limit)"
REVIEW = {"enabled": "true", "domain": "r.example.com", "deployTokenExpiresAt": "2027-11-30"}

CASES: list[Case] = [
    # maxUnavailable that reaches replicas, in any spelling
    Case(
        "unavailable-equals-replicas", {"rollout": {"maxUnavailable": 2}}, "rollout.maxUnavailable", ALL_DOWN, "2 and 2"
    ),
    Case(
        "unavailable-above-replicas",
        {"replicas": "3", "rollout": {"maxUnavailable": 5}},
        "rollout.maxUnavailable",
        ALL_DOWN,
        "5 and 3",
    ),
    Case(
        "unavailable-one-of-one",
        {"replicas": "1", "rollout": {"maxUnavailable": 1}},
        "rollout.maxUnavailable",
        ALL_DOWN,
        "1 and 1",
    ),
    Case(
        "unavailable-100-with-a-leading-zero",
        {"rollout": {"maxUnavailable": "0100%"}},
        "rollout.maxUnavailable",
        "must be below 100%",
    ),
    Case(
        "unavailable-percent-reaching-every-pod",
        {"replicas": "4", "rollout": {"maxUnavailable": "100%"}},
        "rollout.maxUnavailable",
        "must be below 100%",
    ),
    # zero surge and zero unavailable, in any spelling or after rounding
    Case(
        "zero-surge-spelled-00",
        {"rollout": {"maxSurge": "00%", "maxUnavailable": 0}},
        "rollout.maxSurge",
        NEVER_STARTS,
        "'00%' and 0",
    ),
    Case(
        "zero-spelled-000-and-string-0",
        {"rollout": {"maxSurge": "000%", "maxUnavailable": "0"}},
        "rollout.maxSurge",
        NEVER_STARTS,
        "'000%' and 0",
    ),
    Case(
        "both-round-to-zero",
        {"rollout": {"maxSurge": "0%", "maxUnavailable": "10%"}},
        "rollout.maxSurge",
        "both round to 0 pods for 2 replicas",
        "'0%' and '10%'",
    ),
    # requests above limits in mixed units
    Case(
        "cpu-request-above-limit-mixed-units",
        {"resources": {"cpuRequest": "1.5", "cpuLimit": "1200m"}},
        "resources.cpuRequest",
        "a request cannot exceed its limit",
        "'1.5' and '1200m'",
    ),
    Case(
        "memory-request-above-limit-binary-vs-decimal",
        {"resources": {"memoryRequest": "200M", "memoryLimit": "190Mi"}},
        "resources.memoryRequest",
        "a request cannot exceed its limit",
        "'200M' and '190Mi'",
    ),
    Case(
        "memory-request-above-limit-gi-vs-mi",
        {"resources": {"memoryRequest": "1Gi", "memoryLimit": "1000Mi"}},
        "resources.memoryRequest",
        "a request cannot exceed its limit",
        "'1Gi' and '1000Mi'",
    ),
    # memory without a unit, cpu with a byte unit
    Case("memory-without-unit", {"resources": {"memoryRequest": "128"}}, "resources.memoryRequest", "with a unit"),
    Case("memory-in-millibytes", {"resources": {"memoryLimit": "256m"}}, "resources.memoryLimit", "with a unit"),
    Case("quota-memory-without-unit", {"quota": {"requests.memory": "2048"}}, "quota.requests.memory", "with a unit"),
    Case(
        "limit-range-memory-without-unit",
        {"limitRange": {"defaultLimit": {"memory": "256"}}},
        "limitRange.defaultLimit.memory",
        "with a unit",
    ),
    Case("cpu-in-bytes", {"resources": {"cpuLimit": "1Gi"}}, "resources.cpuLimit", "must be a CPU quantity"),
    # a quota that can never admit a rollout's peak
    # (staging runs web, 2 replicas, and a worker, 1: every process at the peak of its rollout at once)
    Case(
        "quota-pods-below-peak",
        {"quota": {"pods": "5"}},
        "quota.pods",
        "peak of 6 pods (web: replicas 2 + maxSurge 1, worker: replicas 1 + maxSurge 1, and cert-manager's "
        "HTTP-01 solver 1)",
    ),
    Case(
        "quota-memory-below-peak",
        {"quota": {"requests.memory": "256Mi"}},
        "quota.requests.memory",
        "need requests.memory 384Mi",
    ),
    Case("quota-limits-cpu-below-peak", {"quota": {"limits.cpu": "1"}}, "quota.limits.cpu", "need limits.cpu 2100m"),
    Case("quota-cpu-alias-below-peak", {"quota": {"cpu": "250m"}}, "quota.cpu", "need cpu 410m"),
    Case(
        "quota-limits-memory-below-peak-after-more-replicas",
        {"replicas": "8", "quota": {"limits.memory": "1Gi"}},
        "quota.limits.memory",
        "peak of 13 pods (web: replicas 8 + maxSurge 2",
        "'1Gi'",
    ),
    Case(
        "review-quota-below-one-review-app",
        {"reviewApps": {**REVIEW, "quota": {"pods": "1"}}},
        "reviewApps.quota.pods",
        "review app's rollout's peak of 4 pods (web: replicas 1 + maxSurge 1, worker: replicas 1 + maxSurge 1)",
    ),
    # 32-bit limits
    Case("replicas-above-int32", {"replicas": "2147483648"}, "replicas", INT32, "2147483648"),
    Case(
        "min-ready-above-int32",
        {"rollout": {"minReadySeconds": 2147483648}},
        "rollout.minReadySeconds",
        INT32,
        "2147483648",
    ),
    Case(
        "probe-period-above-int32",
        {"livenessProbe": {"periodSeconds": 4294967296}},
        "livenessProbe.periodSeconds",
        INT32,
        "4294967296",
    ),
    Case("run-as-user-above-int32", {"runAsUser": "2147483648"}, "runAsUser", INT32, "2147483648"),
    Case(
        "max-surge-above-int32",
        {"rollout": {"maxSurge": 2147483648}},
        "rollout.maxSurge",
        "must be an integer ≥ 0 or a percentage",
        "2147483648",
    ),
    Case(
        "merge-request-iid-above-int4",
        {**REVIEW_STACK, "mergeRequestIid": "2147483648"},
        "mergeRequestIid",
        INT32,
        "2147483648",
        drop=STAGING_ONLY,
        secrets={},
    ),
    # quantities at the edges of the grammar (no traceback: an exbi suffix is not an exponent)
    Case("quota-memory-beyond-int64", {"quota": {"requests.memory": "9Ei"}}, "quota.requests.memory", "below 2^63"),
    Case("cpu-exponent-beyond-range", {"resources": {"cpuLimit": "1e999999999"}}, "resources.cpuLimit", "within 1e-9"),
    Case(
        "limit-range-request-not-a-mapping",
        {"limitRange": {"defaultRequest": None}},
        "limitRange.defaultRequest",
        "must be a mapping of resource to quantity",
    ),
    # zero: a zero limit is no limit, and counts 0 against a quota
    Case(
        "cpu-limit-zero", {"resources": {"cpuRequest": "0", "cpuLimit": "0"}}, "resources.cpuRequest", "must be above 0"
    ),
    Case("memory-limit-zero", {"resources": {"memoryLimit": "0Mi"}}, "resources.memoryLimit", "must be above 0"),
    # quota names the API server would refuse, or that would quota nothing the app uses
    Case(
        "quota-key-typo-request",
        {"quota": {"request.cpu": "2"}},
        "quota['request.cpu']",
        "did you mean 'requests.cpu'?",
        "'request.cpu'",
    ),
    Case(
        "quota-key-typo-limit",
        {"quota": {"limit.memory": "1Gi"}},
        "quota['limit.memory']",
        "did you mean 'limits.memory'?",
        "'limit.memory'",
    ),
    Case(
        "quota-key-plural",
        {"quota": {"requests.cpus": "2"}},
        "quota['requests.cpus']",
        "not a ResourceQuota resource",
        "'requests.cpus'",
    ),
    Case("quota-count-pods-below-peak", {"quota": {"count/pods": "2"}}, "quota.count/pods", "peak of 6 pods", "'2'"),
    Case(
        "budget-beyond-an-hour", {"rollout": {"budgetSeconds": 2147483647}}, "rollout.budgetSeconds", "from 1 to 3600"
    ),
    # a quota that cannot hold the namespace's own objects
    Case(
        "quota-no-deployment", {"quota": {"count/deployments.apps": "1"}}, "quota.count/deployments.apps", "at least 2"
    ),
    Case(
        "quota-replicasets-below-history",
        {"quota": {"count/replicasets.apps": "13"}},
        "quota.count/replicasets.apps",
        "at least 14",  # per process: revisionHistoryLimit 5 + the current one + the rollout's new one
    ),
    Case(
        "quota-configmaps-without-room-for-a-change", {"quota": {"configmaps": "2"}}, "quota.configmaps", "at least 3"
    ),
    Case(
        "quota-one-secret",
        {"quota": {"secrets": "4"}},
        "quota.secrets",
        "at least 5",  # the pull Secret, the deployer's token, the secret settings, the TLS Secret, its key's
        SECRET,  # its key is named like a secret's: the count is not shown
    ),
    Case(
        "limit-range-default-zero",
        {"limitRange": {"defaultRequest": {"cpu": "0"}}},
        "limitRange.defaultRequest.cpu",
        "above 0",
    ),
    Case("quantity-unquoted", {"quota": {"pods": 20}}, "quota.pods", "quote it, '20'", "20"),
]
