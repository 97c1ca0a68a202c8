"""The bad-input corpus: invalid stack configurations, each refused before any resource is
registered, with a message that names the key, the value and what is expected.

All cases run through the whole program (__main__.py) under the mock runtime, in one child
process (tests/programs/corpus.py). A configuration error is what the plan command exits 2 for
(components.plan.CONFIG_ERRORS); tests/test_plan.py runs the command itself on such a case.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

import pytest
import yaml

from components.config import KNOWN_KEYS, REVIEW_KEYS
from components.plan import CONFIG_ERRORS
from components.testing import cli_config_value
from tests.conftest import DIGEST, PASSPHRASE, ROOT, SECRETS, key, plan_cli, staging_config

SECRET = "[secret"  # how a secret value is shown: never its text


@dataclass(frozen=True)
class Case:
    id: str
    overrides: dict[str, Any]
    key: str  # the config key the message must name first
    expected: str  # a fragment of the expectation
    shown: str | None = None  # how the value must appear; default repr of the override's value
    drop: tuple[str, ...] = ()
    secrets: dict[str, str] = field(default_factory=lambda: dict(SECRETS))


# A review stack's own config (what pipeline.review writes), for the cases that need one.
REVIEW_STACK = {
    "mergeRequestIid": "7",
    "environment": "review/feature-x",
    "environmentUrl": "https://review-feature-x.review.hello.example.com",
    "namespace": "hello-review",
    "replicas": "1",
}
STAGING_ONLY = tuple(k.partition(":")[2] for k in staging_config() if k.partition(":")[2] not in REVIEW_KEYS)

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
    # names
    Case("app-upper-case", {"app": "Hello"}, "app", "DNS-1123 label"),
    Case("app-too-long", {"app": "a" * 64}, "app", "DNS-1123 label"),
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
        "valid regular expression",
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
        {"reviewApps": {"enabled": "true", "domain": "r.example.com", "namespace": "Review"}},
        "reviewApps.namespace",
        "DNS-1123 label",
        "'Review'",
    ),
    Case(
        "review-apps-quota-bad-amount",
        {"reviewApps": {"enabled": "true", "domain": "r.example.com", "quota": {"pods": "lots"}}},
        "reviewApps.quota.pods",
        "Kubernetes quantity",
        "'lots'",
    ),
    Case(
        "review-apps-state-in-pulumi-cloud",
        {"pulumiBackendUrl": "https://api.pulumi.com", "reviewApps": {"enabled": "true", "domain": "r.example.com"}},
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
    Case("inject-app-template", {"app": "{{ .Values.app }}"}, "app", "DNS-1123 label"),
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


def test_the_corpus_is_large_and_each_case_distinct():
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


def test_every_config_key_has_a_case():
    covered = {c.key.split(".")[0].split("[")[0] for c in CASES}
    assert KNOWN_KEYS - covered == set()


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    work = tmp_path_factory.mktemp("corpus")
    cases = []
    for case in CASES:
        config = {k: cli_config_value(v) for k, v in staging_config(case.overrides, case.drop).items()}
        cases.append({"id": case.id, "config": {**config, **case.secrets}, "secret_keys": list(case.secrets)})
    (work / "cases.json").write_text(json.dumps(cases))
    result = subprocess.run(
        [sys.executable, "-m", "tests.programs.corpus", str(work / "cases.json"), str(work / "result.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        # Secrets come from each case alone, never from this machine's environment.
        env={k: v for k, v in os.environ.items() if k not in ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_ACCESS_TOKEN")},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return {r["id"]: r for r in json.loads((work / "result.json").read_text())}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_bad_value_is_refused_naming_key_value_and_expectation_before_any_resource(case, outcomes):
    outcome = outcomes[case.id]
    assert outcome["error"] is not None, "the program accepted it"
    assert outcome["error"]["type"] in CONFIG_ERRORS  # the plan exits 2
    message = outcome["error"]["message"]
    assert message.startswith(f"gitlab-k8s-cd:{case.key}"), message
    assert case.expected in message, message
    if case.shown is not None:
        assert case.shown in message, message
    else:
        value = next(iter(_leaf_values(case.overrides)))
        assert repr(value) in message, message
    if case.shown == SECRET:
        assert all(secret not in message for secret in case.secrets.values())
        assert PASSPHRASE not in message
    assert outcome["registered"] == [], "resources were registered before the refusal"


def _leaf_values(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaf_values(item)
    else:
        yield value


def test_quotes_newlines_and_braces_in_a_setting_value_stay_inside_that_value(tmp_path):
    """A setting's value may hold anything; it must come out quoted, as one ConfigMap value."""
    hostile = "x\"\n---\nkind: ClusterRoleBinding\n{{ .Values }}: 'y'"
    result = plan_cli(
        "--stack",
        "staging",
        "--out",
        str(tmp_path),
        "-c",
        f"settings={json.dumps({'EVIL': hostile})}",
        "-c",
        f"image=registry.gitlab.com/acme/hello@{DIGEST}",
        env={"PULUMI_CONFIG_PASSPHRASE": PASSPHRASE},
    )
    assert result.returncode == 0, result.stderr
    documents = list(yaml.safe_load_all((tmp_path / "kubernetes.yaml").read_text()))
    assert len(documents) == 27  # as many objects as without the hostile value
    assert not [d for d in documents if d["kind"] == "ClusterRoleBinding"]
    config_map = next(d for d in documents if d["kind"] == "ConfigMap")
    assert config_map["data"] == {"EVIL": hostile}
