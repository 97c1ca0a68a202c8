"""The ledger's settings, as a ConfigMap its pods read."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as kubernetes

CURRENCIES = ("EUR", "USD", "GBP")


@dataclass(frozen=True, kw_only=True)
class LedgerSettingsArgs:
    namespace: pulumi.Input[str]
    currency: str

    def __post_init__(self) -> None:
        if self.currency not in CURRENCIES:
            raise ValueError(f"currency: {self.currency!r} is not one of {', '.join(CURRENCIES)}")


class LedgerSettings(pulumi.ComponentResource):
    def __init__(self, name: str, args: LedgerSettingsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ledger-infra:index:LedgerSettings", name, None, opts)
        config_map = kubernetes.core.v1.ConfigMap(
            f"{name}-settings",
            metadata={"name": f"{name}-settings", "namespace": args.namespace},
            data={"LEDGER_CURRENCY": args.currency},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.config_map_name = config_map.metadata["name"]
        self.register_outputs({"config_map_name": self.config_map_name})
