"""The ledger's own settings, read from this project's config namespace (``ledger-infra:``) and
turned into gitlab-k8s-cd's typed Args: what the ledger is (a web API and a posting worker) is
written here; what differs per stack (image, replicas, currency, the database URL) is config."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from gitlab_k8s_cd.components import AppSpec, ExecProbeArgs, ProbeArgs, ProcessSpec, ResourcesArgs

CURRENCIES = ("EUR", "USD", "GBP")


@dataclass(frozen=True, kw_only=True)
class LedgerConfig:
    namespace: str
    image: str
    currency: str
    web_replicas: int
    worker_replicas: int
    database_url: pulumi.Output[str]

    def __post_init__(self) -> None:
        # The library's Args check the image, replicas and names; the currency is the ledger's own rule.
        if self.currency not in CURRENCIES:
            raise ValueError(f"ledger-infra:currency: {self.currency!r} is not one of {', '.join(CURRENCIES)}")

    @classmethod
    def read(cls, config: pulumi.Config) -> LedgerConfig:
        """The stack's ``ledger-infra:*`` keys (``pulumi.Config()`` reads the project's namespace)."""
        return cls(
            namespace=config.require("namespace"),
            image=config.require("image"),
            currency=config.require("currency"),
            web_replicas=config.get_int("webReplicas") or 2,
            worker_replicas=config.get_int("workerReplicas") or 1,
            # Secret from the start: `pulumi config set --secret databaseUrl ...` wrote it encrypted.
            database_url=config.require_secret("databaseUrl"),
        )

    def spec(self) -> AppSpec:
        """The library's AppSpec of the ledger: web (the image's own command) and the worker."""
        small = ResourcesArgs(cpu_request="100m", memory_request="64Mi", cpu_limit="500m", memory_limit="128Mi")
        return AppSpec(
            replicas=self.web_replicas,
            container_port=8080,
            readiness=ProbeArgs(path="/ready"),
            liveness=ProbeArgs(path="/live"),
            resources=small,
            settings={"LEDGER_CURRENCY": self.currency},
            processes={
                "worker": ProcessSpec(
                    command=["/ledger", "post-entries", "--batch", "100"],
                    replicas=self.worker_replicas,
                    liveness_probe=ExecProbeArgs(command=["/ledger", "post-entries", "--check"]),
                ),
            },
        )
