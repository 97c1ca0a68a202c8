"""Programs that exercise the plan harness itself (gitlab_k8s_cd.components.testing)."""

from __future__ import annotations

import pulumi
import pulumi_gitlab as gitlab
import pulumi_kubernetes as k8s


def numbers_and_secrets() -> None:
    config = pulumi.Config("harness")
    k8s.core.v1.ConfigMap("settings", metadata={"namespace": "n"}, data={"VALUE": config.get("value") or "one"})
    k8s.core.v1.Secret(
        "credentials", metadata={"namespace": "n"}, string_data={"password": pulumi.Output.secret("hunter2-hunter2")}
    )
    k8s.apps.v1.Deployment(
        "web",
        metadata={"namespace": "n"},
        spec={
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "r.example.com/web:1"}]},
            },
        },
    )
    pulumi.export("plain", "visible")
    pulumi.export("hidden", pulumi.Output.secret("s3cr3t"))
    pulumi.export("count", 3)


def group_lookup() -> None:
    group = gitlab.get_group_output(full_path="acme")
    pulumi.export("group_id", group.group_id)


def failing() -> None:
    k8s.core.v1.Namespace("before-the-error", metadata={"name": "x"})
    raise RuntimeError("the program broke")


def sleeping() -> None:
    """Runs until its process is stopped: for a run cancelled while it runs."""
    import time

    time.sleep(600)
