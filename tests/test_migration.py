"""The pre-deploy migration (gitlab_k8s_cd.components.migration): one Job per image, awaited before every
rollout, failing fast within its budget, cleaned up by its TTL, and never selected by the app's
own selectors."""

from __future__ import annotations

import hashlib
import re

import pytest

from gitlab_k8s_cd.components import (
    AppSpec,
    InvalidArgument,
    MigrationSpec,
    ResourcesArgs,
    ReviewAppArgs,
    WorkloadArgs,
    names,
)
from gitlab_k8s_cd.components.image_reference import ImageReference
from gitlab_k8s_cd.components.migration import FAILURE_GRACE_SECONDS, JOB_URN_GLOB, NO_PROBE_REASON
from gitlab_k8s_cd.components.plan.kubernetes_schema import supported_versions, validate_manifests
from gitlab_k8s_cd.components.plan.policies import crossguard_props
from gitlab_k8s_cd.policy.rules import RULES
from tests.conftest import component, plan_staging

JOB = "kubernetes:batch/v1:Job"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"


def parsed(image: str) -> ImageReference:
    return ImageReference.parse("image", image)


PINNED = "registry.example.com/acme/pinned@sha256:" + "0123456789abcdef" * 4
TAGGED = "registry.example.com/acme/tagged:1.2.3"
MIGRATE = {"command": ["python3", "-m", "hello.migrate"]}


@pytest.fixture(scope="module")
def migrations():
    return component("migrations")


@pytest.fixture(scope="module")
def staging_with_migration():
    return plan_staging({"migration": MIGRATE})


def job(plan, workload):
    return plan.get(JOB, f"{workload}-migration")


def pod(manifest):
    return manifest["spec"]["template"]["spec"]


# --- the spec --------------------------------------------------------------------------------


def test_the_migration_spec_has_the_documented_defaults():
    spec = MigrationSpec(command=["/app/migrate"])
    assert (spec.budget_seconds, spec.backoff_limit, spec.ttl_seconds_after_finished) == (600, 0, 86400)
    assert spec.resources is None and spec.args == ()
    assert spec.await_seconds == 600 + FAILURE_GRACE_SECONDS


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, r"^command and args: one is required: the migration runs a command of its own"),
        ({"command": "/app/migrate --all"}, r"^command: must be a list of strings"),
        ({"args": ["migrate", 3]}, r"^args\[1\]: must be a string without a NUL byte"),
        ({"args": ["--token", "glpat-" + "Ab3" * 7]}, r"^args\[1\]: looks like a GitLab token"),
        ({"budget_seconds": 0}, r"^budget_seconds: must be an integer from 1 to 3600 \(got 0\)"),
        ({"budget_seconds": 3601}, r"^budget_seconds: must be an integer from 1 to 3600 \(got 3601\)"),
        ({"budget_seconds": "600"}, r"^budget_seconds: must be an integer from 1 to 3600 \(got '600'\)"),
        ({"backoff_limit": -1}, r"^backoff_limit: must be an integer ≥ 0 \(got -1\)"),
        ({"backoff_limit": True}, r"^backoff_limit: must be an integer ≥ 0 \(got True\)"),
        ({"ttl_seconds_after_finished": 0}, r"^ttl_seconds_after_finished: must be an integer ≥ 600 \(got 0\)"),
        ({"ttl_seconds_after_finished": 2**31}, r"^ttl_seconds_after_finished: must be at most 2147483647"),
    ],
)
def test_migration_spec_rejects_bad_values(kwargs, message):
    base = {} if "command" in kwargs or "args" in kwargs or not kwargs else {"command": ["/app/migrate"]}
    with pytest.raises(InvalidArgument, match=message):
        MigrationSpec(**{**base, **kwargs})


def test_the_migration_and_the_rollout_must_fit_in_an_hour_together():
    """The deploy job waits for both, one after the other, holding the stack's lock: past GitLab's
    default job timeout (validation.WAIT_MAX_SECONDS) it would be killed mid-update."""
    AppSpec(migration=MigrationSpec(command=["m"], budget_seconds=3240))  # 3240 + 60 + 300 = 3600
    with pytest.raises(
        InvalidArgument,
        match=r"^migration.budget_seconds and rollout.budget_seconds: a deploy waits for the migration "
        r"\(3301s with Pulumi's grace\) and then for the rollout: 3601s in all",
    ):
        AppSpec(migration=MigrationSpec(command=["m"], budget_seconds=3241))


def test_a_review_app_never_migrates():
    spec = AppSpec(replicas=1, migration=MigrationSpec(command=["m"]))
    assert spec.for_review().migration is None
    with pytest.raises(InvalidArgument, match=r"^spec.migration: must be unset: review apps never run the migration"):
        ReviewAppArgs(
            app="hello",
            merge_request_iid=7,
            environment="review/x",
            environment_url="https://x.review.example.com",
            namespace="hello-review",
            image=PINNED,
            project_path="acme/hello",
            cluster_name="staging-eu-1",
            spec=spec,
        )


# --- one Job per image ------------------------------------------------------------------------


def test_each_image_gets_a_job_named_after_its_digest_or_its_tagged_reference(migrations):
    assert job(migrations, "pinned").inputs["metadata"]["name"] == "pinned-migrate-0123456789ab"
    tagged = "tagged-web-migrate-" + hashlib.sha256(TAGGED.encode()).hexdigest()[:12]
    assert job(migrations, "tagged").inputs["metadata"]["name"] == tagged
    assert names.migration_job("pinned", parsed(PINNED.replace("0123", "4567", 1))) != "pinned-migrate-0123456789ab"
    assert names.migration_job("pinned", parsed(PINNED)) == "pinned-migrate-0123456789ab"
    sha512 = "registry.example.com/acme/pinned@sha512:" + "fe" * 64
    assert names.migration_job("pinned", parsed(sha512)) == "pinned-migrate-fefefefefefe"


def test_a_job_name_beyond_63_characters_is_the_apps_fault():
    """A Job's name becomes its pods' job-name label value (docs/contracts.md KA-10)."""
    spec = AppSpec(migration=MigrationSpec(command=["m"]))
    WorkloadArgs(app="a" * 42, instance="i", namespace="n", image=PINNED, spec=spec)
    with pytest.raises(InvalidArgument, match=r"^app: derives the migration Job's name 'a{43}-migrate-0123456789ab' "):
        WorkloadArgs(app="a" * 43, instance="i", namespace="n", image=PINNED, spec=spec)
    with pytest.raises(InvalidArgument, match=r"^service_name: derives the migration Job's name"):
        WorkloadArgs(app="a", service_name="s" * 43, instance="i", namespace="n", image=PINNED, spec=spec)


def test_any_change_replaces_the_job_and_deletes_it_first(migrations):
    """An update would GET a Job its TTL may have deleted; deleting first never leaves the previous
    image's Job pending deletion under a name a rollback creates again (docs/contracts.md PK-13)."""
    for workload in ("pinned", "tagged"):
        assert job(migrations, workload).options == {"deleteBeforeReplace": True, "replaceOnChanges": ["*"]}


# --- awaited before every rollout, failing fast ------------------------------------------------


def test_every_deployment_waits_for_the_job_and_none_of_their_inputs_come_from_it(migrations, staging_plan):
    """depends_on alone: the engine registers no Deployment before the Job's step is done
    (docs/contracts.md PK-12), and a delete-before-replace of the Job replaces no Deployment, since
    none of their inputs depends on it (PK-13)."""
    urn = job(migrations, "pinned").urn
    deployments = [r for r in migrations.find(DEPLOYMENT) if r.name.startswith("pinned-")]
    assert {r.name for r in deployments} == {"pinned-deployment", "pinned-worker-deployment"}
    for deployment in deployments:
        assert urn in deployment.dependencies, deployment.name
        assert not [key for key, urns in deployment.property_dependencies.items() if urn in urns], deployment.name
    assert not [d for d in job(migrations, "pinned").dependencies if ":apps/v1:Deployment::" in d]
    # Without a migration, nothing to wait for.
    assert not [d for r in staging_plan.kind("Deployment") for d in r.dependencies if ":batch/v1:Job::" in d]


def test_the_job_runs_once_and_its_own_deadline_fires_before_pulumis(migrations):
    """pulumi-kubernetes fails a Job at once on BackoffLimitExceeded or DeadlineExceeded, and waits
    out its timeout on anything else (docs/contracts.md PK-12); Kubernetes marks the Job Failed once
    its pod has stopped (KA-9)."""
    for workload, (deadline, retries, ttl) in {"pinned": (600, 0, 86400), "tagged": (120, 2, 3600)}.items():
        manifest = job(migrations, workload).inputs
        assert manifest["spec"]["activeDeadlineSeconds"] == deadline
        assert manifest["spec"]["backoffLimit"] == retries
        assert manifest["spec"]["ttlSecondsAfterFinished"] == ttl
        assert manifest["metadata"]["annotations"]["pulumi.com/timeoutSeconds"] == str(deadline + 60)
        assert pod(manifest)["restartPolicy"] == "Never"
        (container,) = pod(manifest)["containers"]
        # Its log reaches CI's output through the deploy tool alone, which masks secrets in it.
        assert "terminationMessagePolicy" not in container
        assert "selector" not in manifest["spec"]  # Kubernetes generates one on the Job's uid
        assert "podFailurePolicy" not in manifest["spec"]  # its failures the awaiter would wait out


def test_the_jobs_pod_is_the_apps_pod_with_its_own_command(migrations):
    web = migrations.get(DEPLOYMENT, "pinned-deployment").inputs["spec"]["template"]["spec"]
    migration = pod(job(migrations, "pinned").inputs)
    for shared in (
        "serviceAccountName",
        "automountServiceAccountToken",
        "securityContext",
        "imagePullSecrets",
        "volumes",
    ):
        assert migration.get(shared) == web.get(shared), shared
    (own,) = migration["containers"]
    (app,) = web["containers"]
    for shared in ("image", "imagePullPolicy", "envFrom", "securityContext", "volumeMounts", "resources"):
        assert own[shared] == app[shared], shared
    assert own["name"] == "migrate" and own["command"] == ["/app/migrate"] and "args" not in own
    assert not {"ports", "readinessProbe", "livenessProbe", "startupProbe"} & set(own)
    tagged = pod(job(migrations, "tagged").inputs)["containers"][0]
    assert tagged["args"] == ["migrate", "--check"] and "command" not in tagged
    assert (
        tagged["resources"] == ResourcesArgs(cpu_request="50m", memory_request="256Mi", memory_limit="512Mi").manifest()
    )
    assert {"secretRef": {"name": "tagged-secrets"}} in tagged["envFrom"]


def selectors(plan):
    """Every Deployment's, PodDisruptionBudget's and Service's pod selector, by (kind, name)."""
    found = {}
    for kind in ("Deployment", "PodDisruptionBudget"):
        found |= {(kind, r.name): r.inputs["spec"]["selector"]["matchLabels"] for r in plan.kind(kind)}
    return found | {("Service", r.name): r.inputs["spec"]["selector"] for r in plan.kind("Service")}


def test_no_selector_of_the_app_selects_the_migrations_pod(migrations, staging_with_migration):
    for plan in (migrations, staging_with_migration):
        assert len(selectors(plan)) >= 3
        for migration in plan.kind("Job"):
            labels = migration.inputs["spec"]["template"]["metadata"]["labels"]
            assert labels["app.kubernetes.io/component"] == "migrate"
            assert migration.inputs["metadata"]["labels"] == labels
            for where, selector in selectors(plan).items():
                assert not selector.items() <= labels.items(), where


# --- what the plan validates ---------------------------------------------------------------------


def test_the_job_is_valid_on_every_kubernetes_version_the_plan_knows(migrations):
    manifests = [r.manifest() for r in migrations.kind("Job")]
    for version in supported_versions():
        assert validate_manifests(manifests, version) == [], version


def test_the_job_passes_every_rule_of_the_policy_pack_and_says_why_it_has_no_probes(migrations):
    for migration in migrations.kind("Job"):
        assert migration.inputs["metadata"]["annotations"]["gitlab-k8s-cd/no-probe-reason"] == NO_PROBE_REASON
        props = crossguard_props(migration.inputs)
        for rule in RULES:
            # The tag-only image is a development stack's (stack tag): the pinned-image rule allows it there.
            tags = {"gitlab-k8s-cd:development": "true"}
            assert list(rule.check(JOB, props, tags)) == [], (rule.name, migration.name)


def test_with_secret_settings_the_job_skips_checkovs_secrets_as_files_check_with_the_reason(migrations):
    assert "checkov.io/skip1" not in job(migrations, "pinned").inputs["metadata"]["annotations"]
    skip = job(migrations, "tagged").inputs["metadata"]["annotations"]["checkov.io/skip1"]
    assert skip.startswith("CKV_K8S_35=secret settings are environment variables by design")


# --- the stack --------------------------------------------------------------------------------


def pulumi_glob(glob):
    """STAND-IN for pulumi/pulumi's URN glob (pkg/resource/deploy/deployment.go ``getMatcher``,
    docs/contracts.md PC-11): '**' is any text, '*' any text without ':', the rest literal, anchored."""
    segments = ["[^:]*".join(re.escape(part) for part in segment.split("*")) for segment in glob.split("**")]
    return re.compile("^" + ".*".join(segments) + "$")


def test_the_exclude_glob_matches_the_migration_job_and_nothing_else_the_stack_declares(staging_with_migration):
    matcher = pulumi_glob(JOB_URN_GLOB)
    (migration,) = staging_with_migration.kind("Job")
    assert matcher.match(migration.urn)
    # The URN the engine gives it under its parents' type chain, not the mocks' shorter one.
    real = (
        "urn:pulumi:staging::gitlab-k8s-cd::gitlab-k8s-cd:continuous_deployment:ContinuousDeployment$"
        "gitlab-k8s-cd:workload:Workload$kubernetes:batch/v1:Job::hello-workload-migration"
    )
    assert matcher.match(real)
    assert [r.urn for r in staging_with_migration.resources if matcher.match(r.urn)] == [migration.urn]
    assert not matcher.match(real.replace("batch/v1:Job", "apps/v1:Deployment").replace("-migration", "-deployment"))


def test_the_stack_exports_the_migration_job_of_its_image(staging_plan, staging_with_migration):
    assert staging_with_migration.outputs["migration_job"] == "hello-migrate-4c5c9903be6a"
    assert staging_plan.outputs["migration_job"] == ""
    assert staging_plan.kind("Job") == []


def test_an_image_bump_replaces_the_job_and_updates_each_deployment_and_replaces_nothing_else(staging_with_migration):
    from gitlab_k8s_cd.components.plan.diff import compare

    bumped = plan_staging({"migration": MIGRATE, "image": "registry.gitlab.com/acme/hello@sha256:" + "cd" * 32})
    changes = compare(staging_with_migration.resource_table(), bumped.resource_table())
    assert {(c.type, c.action) for c in changes.changes} == {(JOB, "replace"), (DEPLOYMENT, "update")}
    assert bumped.kind("Job")[0].inputs["metadata"]["name"] == "hello-migrate-cdcdcdcdcdcd"
