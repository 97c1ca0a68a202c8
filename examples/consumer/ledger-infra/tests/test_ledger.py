"""ledger-infra's own tests, with gitlab-k8s-cd's mock-runtime harness: each plans the dev stack
from Pulumi.dev.yaml, as the Pulumi CLI reads it, with the overrides a test names."""

from pathlib import Path

import pytest
import yaml

from gitlab_k8s_cd.components.testing import Match, ProgramError, plan_stack

PROJECT = Path(__file__).resolve().parent.parent
STACK = yaml.safe_load((PROJECT / "Pulumi.dev.yaml").read_text())["config"]
IMAGE = STACK["ledger-infra:image"]  # the stack's pinned image: whatever digest it holds
DATABASE_URL = "postgres://ledger:a-test-password@ledger-db:5432/ledger"


def test_web_runs_the_stacks_image_by_digest_with_its_replicas():
    plan = plan_stack(PROJECT, "dev", config={"webReplicas": 3})
    assert "@sha256:" in IMAGE
    plan.has_resource_properties(
        "Deployment",
        {
            "metadata": {"name": "ledger", "namespace": "ledger-dev"},
            "spec": {
                "replicas": 3,
                "template": {"spec": {"containers": [{"name": "ledger", "image": IMAGE, "command": Match.absent()}]}},
            },
        },
    )
    plan.resource_count_is("Deployment", 2)
    plan.resource_count_is("Service", 1, {"metadata": {"name": "ledger"}})


def test_the_worker_runs_its_own_command_from_the_same_image():
    plan = plan_stack(PROJECT, "dev")
    plan.has_resource_properties(
        "Deployment",
        {
            "metadata": {"name": "ledger-worker"},
            "spec": {
                "replicas": 1,
                "template": {
                    "spec": {
                        "containers": [
                            {
                                "image": IMAGE,
                                "command": ["/ledger", "post-entries", "--batch", "100"],
                                "ports": Match.absent(),
                            }
                        ]
                    }
                },
            },
        },
    )


def test_every_process_reads_the_ledgers_settings_and_its_secret():
    plan = plan_stack(PROJECT, "dev", config={"currency": "GBP"})
    plan.has_resource_properties("ConfigMap", {"data": Match.exact({"LEDGER_CURRENCY": "GBP"})})
    reads_secret = {
        "spec": {
            "template": {
                "spec": {"containers": [{"envFrom": Match.array_with([{"secretRef": {"name": "ledger-secrets"}}])}]}
            }
        }
    }
    plan.resource_count_is("Deployment", 2, reads_secret)


def test_the_database_url_stays_a_secret():
    plan = plan_stack(PROJECT, "dev", secrets={"databaseUrl": DATABASE_URL})
    # As planned, the value is redacted; revealed, it is the one the stack was given.
    plan.has_resource_properties(
        "Secret", {"metadata": {"name": "ledger-secrets"}, "stringData": {"DATABASE_URL": "[secret]"}}
    )
    plan.has_resource_properties("Secret", {"stringData": {"DATABASE_URL": DATABASE_URL}}, reveal=True)
    assert DATABASE_URL not in yaml.safe_dump_all(plan.manifests())


def test_an_unknown_currency_is_refused_before_anything_is_declared():
    with pytest.raises(ProgramError, match="ledger-infra:currency: 'XYZ' is not one of") as refused:
        plan_stack(PROJECT, "dev", config={"currency": "XYZ"})
    assert refused.value.plan.resources == ()
