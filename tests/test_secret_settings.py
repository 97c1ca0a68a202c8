"""An app's secret settings (gitlab_k8s_cd.components.secret_settings): what a Workload accepts, and
the annotation that rolls its pods when they change."""

from __future__ import annotations

import pytest

from gitlab_k8s_cd.components import AppSpec, InvalidArgument, WorkloadArgs
from tests.conftest import APP_SECRETS

DEPLOYMENT = "kubernetes:apps/v1:Deployment"


def test_the_pods_roll_when_a_secret_changes_through_a_keyed_digest_that_reveals_nothing(staging_plan):
    """The Secret keeps its name (CI may not create one), so a pod annotation carries the change:
    an HMAC-SHA256 of the data under a random key in the state; a plain hash would let anyone who
    may read Deployments test guesses of a short password."""
    import hashlib
    import hmac
    import json

    from gitlab_k8s_cd.components.plan.mocks import stand_in
    from gitlab_k8s_cd.components.secret_settings import SECRETS_VERSION_ANNOTATION

    annotations = staging_plan.get(DEPLOYMENT, "hello-workload-deployment").inputs["spec"]["template"]["metadata"][
        "annotations"
    ]
    version = annotations[SECRETS_VERSION_ANNOTATION]
    data = json.dumps(APP_SECRETS, sort_keys=True).encode()
    key = stand_in("password:hello-workload-secrets-version-key").encode()  # the mocks' random key
    assert version == hmac.new(key, data, "sha256").hexdigest()
    assert isinstance(version, str)  # plain: nothing secret is in it, and the plan shows it
    assert version != hashlib.sha256(data).hexdigest()
    assert APP_SECRETS["DB_PASSWORD"] not in version


def test_a_new_secret_value_updates_the_deployments_and_replaces_nothing(staging_plan):
    import json

    from gitlab_k8s_cd.components.plan.diff import compare
    from gitlab_k8s_cd.components.secret_settings import SECRETS_VERSION_ANNOTATION
    from gitlab_k8s_cd.components.testing import run_program
    from tests.conftest import ROOT, SECRETS, key, staging_config

    rotated = run_program(
        ROOT / "__main__.py",
        project="gitlab-k8s-cd",
        stack="staging",
        config={**staging_config(), **SECRETS, key("secrets"): json.dumps({"DB_PASSWORD": "rotated-password-1"})},
        secret_keys=list(SECRETS),
    )
    changes = compare(staging_plan.resource_table(), rotated.resource_table()).changes
    # The Secret's data is redacted in plans, so the offline diff sees the pods' annotation change
    # only; the provider updates the Secret in place (enableSecretMutable, docs/contracts.md PK-10).
    assert [(c.action, c.type) for c in changes] == [("update", DEPLOYMENT)] * 2
    for change in changes:
        assert change.fields == (f"spec.template.metadata.annotations.{SECRETS_VERSION_ANNOTATION}",)


@pytest.mark.parametrize(
    ("secrets", "message"),
    [
        ({"1X": "v"}, r"^secrets\['1X'\]: must be an environment variable name"),
        ({"MODE": "v"}, r"^secrets\['MODE'\]: is a setting too"),
        ({"PATH": "v"}, r"^secrets\['PATH'\]: must not replace a variable the runtime sets"),
        ({"A": 3}, r"^secrets\['A'\]: must be a string \(or an Output of one\) \(got \[secret, 1 characters\]\)"),
        ({"A": "x\0y"}, r"^secrets\['A'\]: must not contain a NUL byte \(got \[secret, 3 characters\]\)"),
    ],
)
def test_secret_settings_refuse_bad_names_and_values_never_showing_a_value(secrets, message):
    with pytest.raises(InvalidArgument, match=message):
        WorkloadArgs(
            app="a",
            instance="a-1",
            namespace="n",
            image="registry.example.com/a:1",
            spec=AppSpec(settings={"MODE": "m"}),
            secrets=secrets,
        )
