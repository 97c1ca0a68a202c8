"""The app model: processes beside web, autoscalers, secret settings, the environment's Ingress, and
images from other registries.

A process that runs the image's own command is a second web with no Service; one nobody watches
(no liveness probe, no stated reason) hangs unnoticed; an autoscaler beside fixed replicas fights
Pulumi on every deploy; a secret setting in plain config, or named like a setting, leaks or
loses; an Ingress whose certificate cert-manager cannot issue serves the controller's fallback; a
migration that runs the image's own command, that retries blindly, that would outlive the deploy
job, whose Job the quota refuses or whose logs its TTL deletes before anyone reads them fails
deploys or hides why; one in a review stack would change the base environment's database; an
image from a registry that is not the project's own GitLab registry would get a deploy token that
can never pull it, or pull with credentials left in plain text or copied where every branch reads them."""

from __future__ import annotations

import json

from tests.conftest import SECRETS, STAGING, key
from tests.corpus import REVIEW_STACK, SECRET, STAGING_ONLY, Case

WORKER = {"command": ["/app/worker"], "livenessProbe": {"command": ["/app/worker", "--check"]}}
TOKEN = "glpat-" + "Qw7" * 7
INGRESS = STAGING[key("ingress")]
"""The staging stack's Ingress, which a case changes a member of."""
MIGRATE = {"command": ["python3", "-m", "hello.migrate"]}


def worker(**members: object) -> dict[str, object]:
    return {"processes": {"worker": {**WORKER, **members}}}


OTHER_IMAGE = "ghcr.io/acme/hello@sha256:" + "cd" * 32
"""The app's image in a registry that is not GitLab's."""
NO_TOKEN = ("deployTokenExpiresAt",)
"""No GitLab deploy token, so no date for one."""


def other_registry(**overrides: object) -> dict[str, object]:
    """The staging app pulled from another registry: its image, and review apps with no token date."""
    review_apps = {k: v for k, v in STAGING[key("reviewApps")].items() if k != "deployTokenExpiresAt"}
    return {"image": OTHER_IMAGE, "reviewApps": review_apps, **overrides}


def pull_secrets(members: dict[str, object]) -> dict[str, str]:
    """The staging secrets, and ``imagePull`` as ``pulumi config set --secret --path imagePull.password``
    leaves it: the whole key secret."""
    return {**SECRETS, key("imagePull"): json.dumps(members)}


def app_secrets(values: dict[str, object]) -> dict[str, str]:
    """The staging secrets, with ``secrets`` (set with ``--secret --path secrets.<NAME>``) replaced."""
    return {**SECRETS, key("secrets"): json.dumps(values)}


CASES: list[Case] = [
    # processes
    Case("process-named-web", {"processes": {"web": WORKER}}, "processes['web']", "is reserved", "'web'"),
    Case(
        "process-named-migrate", {"processes": {"migrate": WORKER}}, "processes['migrate']", "is reserved", "'migrate'"
    ),
    Case("process-uppercase", {"processes": {"Worker": WORKER}}, "processes['Worker']", "DNS-1123 label", "'Worker'"),
    Case(
        "process-running-the-image-command",
        {"processes": {"worker": {"livenessProbe": WORKER["livenessProbe"]}}},
        "processes['worker'].command",
        "one is required",
        "() and ()",
    ),
    Case(
        "process-unwatched",
        {"processes": {"worker": {"command": ["/app/worker"]}}},
        "processes['worker'].livenessProbe",
        "an exec liveness probe, or the reason",
        "None and None",
    ),
    Case(
        "process-probe-and-reason",
        worker(noProbeReason="none needed"),
        "processes['worker'].livenessProbe",
        "only one may be set",
        "'none needed'",
    ),
    Case(
        "process-command-as-text",
        worker(command="/app/worker --queue default"),
        "processes['worker'].command",
        "must be a list of strings",
    ),
    Case(
        "process-credential-in-args",
        worker(args=["--token", TOKEN]),
        "processes['worker'].args[1]",
        "looks like a GitLab token, and would go to the Deployments' pod specs",
        SECRET,
        hidden=(TOKEN,),
    ),
    Case("process-zero-replicas", worker(replicas=0), "processes['worker'].replicas", "must be an integer ≥ 1", "0"),
    Case(
        "process-replicas-and-autoscaling",
        worker(replicas=2, autoscaling={"maxReplicas": 4}),
        "processes['worker'].replicas",
        "only one may be set",
        "2 and 'set'",
    ),
    Case(
        "process-member-typo",
        worker(livenesProbe={"command": ["x"]}),
        "processes['worker'].livenesProbe",
        "did you mean gitlab-k8s-cd:processes['worker'].livenessProbe?",
        "{'command': ['x']}",
    ),
    Case(
        "process-request-above-limit",
        worker(resources={"cpuRequest": "2", "cpuLimit": "1"}),
        "processes['worker'].resources.cpuRequest",
        "a request cannot exceed its limit",
        "'2' and '1'",
    ),
    Case(
        "process-rollout-takes-every-pod",
        worker(rollout={"maxUnavailable": 1}),
        "processes['worker'].rollout.maxUnavailable",
        "a rollout of process worker may take 1 of 1 pods down",
        "1 and 1",
    ),
    Case(
        "process-probe-command-empty",
        worker(livenessProbe={"command": []}),
        "processes['worker'].livenessProbe.command",
        "must be a list of strings",
        "[]",
    ),
    Case(
        "processes-too-many",
        {"processes": {f"p{n}": WORKER for n in range(11)}},
        "processes",
        "must be at most 10",
        "'11 processes'",
    ),
    # autoscaling
    Case(
        "autoscaling-beside-replicas",
        {"autoscaling": {"maxReplicas": 6}},
        "replicas",
        "only one may be set: with an autoscaler, the replicas are its own",
        "'2' and 'set'",
    ),
    Case(
        "autoscaling-max-below-min",
        {"autoscaling": {"minReplicas": 4, "maxReplicas": 3}},
        "autoscaling.maxReplicas",
        "maxReplicas must be at least minReplicas",
        "3 and 4",
        drop=("replicas",),
    ),
    Case(
        "autoscaling-without-a-target",
        {"autoscaling": {"maxReplicas": 3, "cpuUtilization": None}},
        "autoscaling.cpuUtilization",
        "at least one target is needed",
        "None and None",
        drop=("replicas",),
    ),
    Case(
        "autoscaling-zero-target",
        {"autoscaling": {"maxReplicas": 3, "cpuUtilization": 0}},
        "autoscaling.cpuUtilization",
        "must be an integer ≥ 1",
        "0",
        drop=("replicas",),
    ),
    Case(
        "autoscaling-no-maximum",
        {"autoscaling": {}},
        "autoscaling.maxReplicas",
        "is required",
        "None",
        drop=("replicas",),
    ),
    Case(
        "autoscaling-max-beyond-the-quota",
        {"autoscaling": {"maxReplicas": 30}, "quota": {"pods": "20"}},
        "quota.pods",
        "peak of 41 pods (web: maxReplicas 30 + maxSurge 8",
        "'20'",
        drop=("replicas",),
    ),
    # secret settings
    Case(
        "secrets-in-plain-config",
        {"secrets": {"API_KEY": "abc123abc123"}},
        "secrets",
        "must be set with `pulumi config set --secret --path secrets.<NAME> <value>`",
        SECRET,
        secrets={k: v for k, v in SECRETS.items() if k != key("secrets")},
        hidden=("abc123abc123",),
    ),
    Case(
        "secret-setting-bad-name",
        {},
        "secrets['1DB']",
        "must be an environment variable name",
        "'1DB'",
        secrets=app_secrets({"1DB": "s3cr3t-value"}),
    ),
    Case(
        "secret-setting-also-a-setting",
        {},
        "secrets['GREETING']",
        "is a setting too",
        "'GREETING'",
        secrets=app_secrets({"GREETING": "s3cr3t-value"}),
    ),
    Case(
        "secret-setting-not-text",
        {},
        "secrets['DB_PORT']",
        "must be a string",
        SECRET,
        secrets=app_secrets({"DB_PORT": 5432}),
    ),
    Case(
        "secret-setting-replaces-the-runtimes",
        {},
        "secrets['LD_PRELOAD']",
        "must not replace a variable the runtime sets",
        "'LD_PRELOAD'",
        secrets=app_secrets({"LD_PRELOAD": "/tmp/evil.so"}),
        hidden=("/tmp/evil.so",),
    ),
    # the environment's Ingress
    Case(
        "ingress-issuer-without-a-secret",
        {"ingress": {**INGRESS, "tlsSecret": None}},
        "ingress.tlsSecret",
        "a cert-manager issuer needs tls_secret",
        "None and 'letsencrypt'",
    ),
    Case(
        "ingress-two-issuers",
        {"ingress": {**INGRESS, "issuer": "local"}},
        "ingress.clusterIssuer",
        "only one may be set",
        "'letsencrypt' and 'local'",
    ),
    Case(
        "ingress-class-with-a-space", {"ingress": {**INGRESS, "className": "my nginx"}}, "ingress.className", "DNS-1123"
    ),
    Case(
        "ingress-controller-namespace-uppercase",
        {"ingress": {**INGRESS, "controllerNamespace": "Ingress"}},
        "ingress.controllerNamespace",
        "DNS-1123 label",
    ),
    Case(
        "ingress-member-typo",
        {"ingress": {**INGRESS, "tlsSecrets": "hello-tls"}},
        "ingress.tlsSecrets",
        "did you mean gitlab-k8s-cd:ingress.tlsSecret?",
        SECRET,  # named like a secret's: not shown
    ),
    Case(
        "ingress-enabled-not-a-boolean",
        {"ingress": {**INGRESS, "enabled": "yes"}},
        "ingress.enabled",
        "must be true or false",
    ),
    # the migration Job
    Case(
        "migration-runs-the-image-command",
        {"migration": {"budgetSeconds": 300}},
        "migration.command",
        "one is required: the migration runs a command of its own",
        "() and ()",
    ),
    Case(
        "migration-command-as-text",
        {"migration": {"command": "rails db:migrate"}},
        "migration.command",
        "must be a list of strings",
    ),
    Case(
        "migration-budget-beyond-an-hour",
        {"migration": {**MIGRATE, "budgetSeconds": 7200}},
        "migration.budgetSeconds",
        "must be an integer from 1 to 3600",
    ),
    Case(
        "migration-and-rollout-beyond-an-hour",
        {"migration": {**MIGRATE, "budgetSeconds": 3300}},
        "migration.budgetSeconds",
        "a deploy waits for the migration (3360s with Pulumi's grace) and then for the rollout: 3660s in all",
        "3300 and 300",
    ),
    Case(
        "migration-negative-backoff",
        {"migration": {**MIGRATE, "backoffLimit": -1}},
        "migration.backoffLimit",
        "must be an integer ≥ 0",
    ),
    Case(
        "migration-ttl-deletes-the-logs-at-once",
        {"migration": {**MIGRATE, "ttlSecondsAfterFinished": 0}},
        "migration.ttlSecondsAfterFinished",
        "must be an integer ≥ 600",
    ),
    Case(
        "migration-member-typo",
        {"migration": {**MIGRATE, "budgetSecond": 60}},
        "migration.budgetSecond",
        "did you mean gitlab-k8s-cd:migration.budgetSeconds?",
    ),
    Case(
        "migration-credential-in-args",
        {"migration": {**MIGRATE, "args": ["--token", TOKEN]}},
        "migration.args[1]",
        "looks like a GitLab token, and would go to the migration Job's pod spec",
        SECRET,
        hidden=(TOKEN,),
    ),
    Case(
        "migration-pod-over-the-quota",
        {
            "migration": {**MIGRATE, "resources": {"memoryRequest": "1Gi", "memoryLimit": "1Gi"}},
            "quota": {"requests.memory": "1Gi"},
        },
        "quota.requests.memory",
        "must admit the migration's 5 pods (web: replicas 2, worker: replicas 1, the migration's 1, "
        "cert-manager's HTTP-01 solver 1)",
        "'1Gi'",
    ),
    Case(
        "migration-job-over-the-quota",
        {"migration": MIGRATE, "quota": {"count/jobs.batch": "0"}},
        "quota.count/jobs.batch",
        "must be at least 1",
        "'0'",
    ),
    Case(
        "migration-job-name-too-long",
        {"app": "a" + "b" * 44, "migration": MIGRATE},
        "app",
        "derives the migration Job's name",
    ),
    Case(
        "migration-in-a-review-stack",
        {**REVIEW_STACK, "migration": MIGRATE},
        "migration",
        "review apps never run the migration",
        drop=STAGING_ONLY,
        secrets={},
    ),
    # images from other registries
    Case(
        "image-from-another-registry-without-image-pull",
        {"image": OTHER_IMAGE},
        "image",
        "which is not GitLab's registry (registry.gitlab.com): a GitLab deploy token could never pull from it",
    ),
    Case(
        "image-from-another-project-in-gitlabs-registry",
        {"image": "registry.gitlab.com/acme/other@sha256:" + "ab" * 32},
        "image",
        "is not in project acme/hello's registry",
    ),
    Case(
        "image-on-a-self-managed-registry-not-named",
        {"gitlabUrl": "https://gitlab.example.com", "image": "gitlab.example.com:5050/acme/hello@sha256:" + "ab" * 32},
        "image",
        "gitlab_registry is not set",
    ),
    Case(
        "gitlab-registry-with-a-scheme",
        {"gitlabRegistry": "https://registry.gitlab.com"},
        "gitlabRegistry",
        "must be a registry host as an image names it",
    ),
    Case(
        "gitlab-registry-with-a-path",
        {"gitlabRegistry": "registry.gitlab.com/acme"},
        "gitlabRegistry",
        "without a path",
    ),
    Case(
        "gitlab-registry-an-ipv6-address-that-does-not-parse",
        {"gitlabRegistry": "[:::]:5000"},
        "gitlabRegistry",
        "must be an IPv6 address that parses",
    ),
    Case(
        "image-pull-secret-name-not-a-name",
        other_registry(imagePull={"secretName": "GHCR Pull"}),
        "imagePull.secretName",
        "must be a DNS-1123 subdomain",
        "'GHCR Pull'",
        drop=NO_TOKEN,
    ),
    Case(
        "image-pull-password-in-plain-config",
        other_registry(imagePull={"username": "robot", "password": "hunter2-hunter2"}),
        "imagePull.password",
        "must be set with `pulumi config set --secret --path imagePull.password <value>`",
        SECRET,
        drop=NO_TOKEN,
        hidden=("hunter2-hunter2",),
    ),
    Case(
        "image-pull-secret-name-and-credentials",
        other_registry(),
        "imagePull.secretName",
        "exactly one way to pull the image must be given",
        SECRET,  # the key is secret (its password): nothing under it is shown
        drop=NO_TOKEN,
        secrets=pull_secrets({"secretName": "ghcr-pull", "username": "robot", "password": "s3cr3t-pull-pw"}),
        hidden=("s3cr3t-pull-pw",),
    ),
    Case(
        "image-pull-nothing-said",
        other_registry(imagePull={}),
        "imagePull.public",
        "exactly one way to pull the image must be given",
        "False and None and None",
        drop=NO_TOKEN,
    ),
    Case(
        "image-pull-unknown-member",
        other_registry(imagePull={"public": True, "anonymous": True}),
        "imagePull.anonymous",
        "is not a known key",
        "True",
        drop=NO_TOKEN,
    ),
    Case(
        "image-pull-username-looks-like-a-token",
        other_registry(),
        "imagePull.username",
        "looks like a GitLab token",
        SECRET,
        drop=NO_TOKEN,
        secrets=pull_secrets({"username": TOKEN, "password": "s3cr3t-pull-pw", "shareWithReviewApps": True}),
        hidden=(TOKEN,),
    ),
    Case(
        "image-pull-username-with-a-colon",
        other_registry(),
        "imagePull.username",
        "must have no ':'",
        SECRET,
        drop=NO_TOKEN,
        secrets=pull_secrets({"username": "ro:bot", "password": "s3cr3t-pull-pw", "shareWithReviewApps": True}),
        hidden=("ro:bot",),
    ),
    Case(
        "image-pull-password-with-a-trailing-newline",
        other_registry(),
        "imagePull.password",
        "must be non-empty, without leading or trailing space",
        SECRET,
        drop=NO_TOKEN,
        secrets=pull_secrets({"username": "robot", "password": "s3cr3t-pull-pw\n", "shareWithReviewApps": True}),
        hidden=("s3cr3t-pull-pw",),
    ),
    Case(
        "image-pull-credentials-copied-to-review-apps-unasked",
        other_registry(),
        "imagePull.shareWithReviewApps",
        "must be true for review apps to pull with these credentials",
        SECRET,
        drop=NO_TOKEN,
        secrets=pull_secrets({"username": "robot", "password": "s3cr3t-pull-pw"}),
        hidden=("s3cr3t-pull-pw",),
    ),
    Case(
        "deploy-token-date-without-a-deploy-token",
        other_registry(imagePull={"public": True}),
        "deployTokenExpiresAt",
        "must not be set: no GitLab deploy token is made",
        "'2027-11-30'",
    ),
]
