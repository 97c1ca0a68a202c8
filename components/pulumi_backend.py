"""Where a stack's state lives, and the secret CI needs to unlock it."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import pulumi

from . import validation as v
from .ci_variables import CiVariable

PULUMI_CLOUD_HOSTS = ("api.pulumi.com", "app.pulumi.com")
SELF_MANAGED_SCHEMES = ("s3", "gs", "azblob", "file")
"""Backends whose secrets a passphrase unlocks (no Pulumi service, so no access token)."""
BACKEND_SCHEMES = ("https", *SELF_MANAGED_SCHEMES)


@dataclass(frozen=True, kw_only=True)
class PulumiBackendArgs:
    """Where CI's ``pulumi up`` keeps the stack's state, and the secret that unlocks it.

    Pulumi Cloud (``https://api.pulumi.com``) needs an access token; a self-managed backend
    (s3, gs, azblob, file) needs the passphrase of the stack's secrets provider.
    """

    url: str
    """The backend URL, as for ``pulumi login``."""
    passphrase: pulumi.Input[str] | None = None
    """``PULUMI_CONFIG_PASSPHRASE`` for a self-managed backend. Default none."""
    access_token: pulumi.Input[str] | None = None
    """``PULUMI_ACCESS_TOKEN`` for Pulumi Cloud. Default none."""

    def __post_init__(self) -> None:
        v.absolute_url("url", self.url, schemes=BACKEND_SCHEMES)
        if self.is_pulumi_cloud:
            if self.access_token is None:
                raise v.InvalidArgument(
                    "access_token", None, f"is required for the Pulumi Cloud backend {self.url} (PULUMI_ACCESS_TOKEN)"
                )
        elif self.passphrase is None:
            raise v.InvalidArgument(
                "passphrase", None, f"is required for the self-managed backend {self.url} (PULUMI_CONFIG_PASSPHRASE)"
            )
        for name in ("passphrase", "access_token"):
            value = getattr(self, name)
            if isinstance(value, str):
                v.maskable(name, value)

    @property
    def is_pulumi_cloud(self) -> bool:
        return urlsplit(self.url).hostname in PULUMI_CLOUD_HOSTS

    def ci_variables(self, *, hidden: bool, protected: bool = True) -> list[CiVariable]:
        """``PULUMI_BACKEND_URL`` and the secret that unlocks the stack, for CI's runs. ``protected``
        false only for review apps', which unprotected branches' pipelines read."""
        secret = (
            CiVariable(
                key="PULUMI_ACCESS_TOKEN",
                value=self.access_token,
                masked=True,
                hidden=hidden,
                protected=protected,
                description="Pulumi Cloud token for CI's pulumi up",
            )
            if self.is_pulumi_cloud
            else CiVariable(
                key="PULUMI_CONFIG_PASSPHRASE",
                value=self.passphrase,
                masked=True,
                hidden=hidden,
                protected=protected,
                description="Unlocks the stack's secrets for CI's pulumi up",
            )
        )
        return [
            CiVariable(
                key="PULUMI_BACKEND_URL",
                value=self.url,
                protected=protected,
                description="Where the stack's state lives",
            ),
            secret,
        ]


def is_self_managed(url: str) -> bool:
    """Whether ``url`` is a bucket or directory backend, which needs a passphrase and no access token."""
    return urlsplit(url).scheme in SELF_MANAGED_SCHEMES
