"""ledger-infra: the ledger service (a web API and a worker that posts entries), deployed with
gitlab-k8s-cd's Namespace and Workload from typed Args, which this project builds from its own
config (``components/ledger.py``, a folder the library's import names leave alone)."""

import pulumi
from components.ledger import LedgerConfig

from gitlab_k8s_cd.components import Namespace, NamespaceArgs, Workload, WorkloadArgs

# 1. The stack's config, validated (with the Args below) before any resource exists.
ledger = LedgerConfig.read(pulumi.Config())
instance = f"ledger-{pulumi.get_stack()}"
spec = ledger.spec()

# 2. The namespace, its quota sized for the ledger, and the ledger in it.
namespace = Namespace(
    "ledger",
    NamespaceArgs(
        name=ledger.namespace,
        app="ledger",
        instance=instance,
        quota={"pods": "10", "requests.cpu": "2", "requests.memory": "1Gi", "limits.cpu": "4", "limits.memory": "2Gi"},
    ),
)
# depends_on: the quota and the default-deny policy exist before any pod does.
workload = Workload(
    "ledger",
    WorkloadArgs(
        app="ledger",
        instance=instance,
        namespace=namespace.name,
        image=ledger.image,
        spec=spec,
        secrets={"DATABASE_URL": ledger.database_url},
    ),
    opts=pulumi.ResourceOptions(depends_on=[namespace]),
)

pulumi.export("namespace", namespace.name)
pulumi.export("deployment_names", workload.deployment_names)
pulumi.export("image", workload.image)
