"""A program whose Deployment has a field Kubernetes does not know: the plan must exit 1 and name it."""

import pulumi
import pulumi_kubernetes as k8s

replicas = pulumi.Config().require_int("replicas")
k8s.apps.v1.Deployment(
    "broken",
    metadata={"name": "broken", "namespace": "default"},
    spec={
        "replicas": replicas,
        "selector": {"matchLabels": {"app": "broken"}},
        "template": {
            "metadata": {"labels": {"app": "broken"}},
            "spec": {"containers": [{"name": "app", "image": "registry.example.com/broken:1", "imagePullPolcy": "x"}]},
        },
    },
)
