"""Programs for tests/test_deploy_target.py: deploy targets under a component of the test's own."""

from __future__ import annotations

import dataclasses

import pulumi

from gitlab_k8s_cd.components import ImagePullSpec, NamespaceArgs, PulumiBackendArgs
from gitlab_k8s_cd.components.deploy_target import DeployTargetArgs, deploy_target
from gitlab_k8s_cd.components.rbac import environment_deployer
from tests.programs.components import CLUSTER

TOKEN_EXPIRES = "2099-01-01"


def args(app: str, **changes) -> DeployTargetArgs:
    """An environment's target for ``app``, pulled with a deploy token unless ``changes`` say otherwise."""
    base = DeployTargetArgs(
        project="42",
        namespace=NamespaceArgs(name=f"{app}-test", app=app, instance=f"{app}-test"),
        cluster=CLUSTER,
        access=environment_deployer(app),
        registry="registry.gitlab.com",
        deploy_token_expires_at=TOKEN_EXPIRES,
        backend=PulumiBackendArgs(url="s3://state?region=eu-west-1", passphrase="correct-horse-battery"),
        environment_scope="test",
        namespace_description="the namespace",
        kubeconfig_description="the kubeconfig",
    )
    return dataclasses.replace(base, **changes)


class Owner(pulumi.ComponentResource):
    """Stands for ContinuousDeployment or ReviewApps: the component the target's resources belong to."""

    def __init__(self, name: str, target: DeployTargetArgs) -> None:
        super().__init__("test:deploy_target:Owner", name, None, None)
        made = deploy_target(name, target, self)
        pulumi.export(f"{name}-namespace", made.namespace)
        pulumi.export(f"{name}-pull-secret", made.pull_secret_name)
        self.register_outputs({})


def targets() -> None:
    Owner("token", args("token"))
    Owner("public", args("public", image_pull=ImagePullSpec(public=True), deploy_token_expires_at=None))
    Owner("own", args("own", image_pull=ImagePullSpec(secret_name="pull-me"), deploy_token_expires_at=None))
    Owner(
        "shared",
        args(
            "shared",
            image_pull=ImagePullSpec(username="robot", password="s3cret-pass", share_with_review_apps=True),
            deploy_token_expires_at=None,
            environment_scope="review/*",
            protected=False,
        ),
    )
