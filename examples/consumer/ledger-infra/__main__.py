"""ledger-infra: the ledger's namespace, from gitlab-k8s-cd's components, and its settings, from a
component of this project's own (``components/``, which the library's import names leave alone)."""

import pulumi
from components.ledger import LedgerSettings, LedgerSettingsArgs

from gitlab_k8s_cd.components import Namespace, NamespaceArgs

config = pulumi.Config()  # this project's namespace: ledger-infra:app, ledger-infra:namespace, ...
app = config.require("app")

namespace = Namespace(
    "ledger",
    NamespaceArgs(name=config.require("namespace"), app=app, instance=f"{app}-{pulumi.get_stack()}"),
)
settings = LedgerSettings(
    "ledger",
    LedgerSettingsArgs(namespace=namespace.name, currency=config.require("currency")),
    opts=pulumi.ResourceOptions(depends_on=[namespace]),
)

pulumi.export("namespace", namespace.name)
pulumi.export("settings_config_map", settings.config_map_name)
