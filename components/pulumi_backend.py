"""Where a stack's state lives, and the secret CI needs to unlock it."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import pulumi

from . import endpoints, gitlab_rules, redaction
from . import validation as v
from .ci_variables import CiVariable

SELF_MANAGED_SCHEMES = ("s3", "gs", "azblob")
"""Bucket backends, whose secrets a passphrase unlocks (no Pulumi service, so no access token).
Not ``file://``: a directory lives on one machine, and every CI job starts on a fresh one."""
BACKEND_SCHEMES = ("https", *SELF_MANAGED_SCHEMES)
"""``https://`` is Pulumi Cloud, pulumi.com's or self-hosted: it takes an access token."""


@dataclass(frozen=True, kw_only=True)
class PulumiBackendArgs:
    """Where CI's ``pulumi up`` keeps the stack's state, and the secret that unlocks it.

    Pulumi Cloud (``https://api.pulumi.com``, or a self-hosted one at any ``https://`` URL) needs an
    access token; a bucket backend (s3, gs, azblob) needs the passphrase of the stack's secrets provider.
    """

    url: str
    """The backend URL, as for ``pulumi login``."""
    passphrase: pulumi.Input[str] | None = None
    """``PULUMI_CONFIG_PASSPHRASE`` for a self-managed backend. Default none."""
    access_token: pulumi.Input[str] | None = None
    """``PULUMI_ACCESS_TOKEN`` for Pulumi Cloud. Default none."""

    def __post_init__(self) -> None:
        reject_local_backend("url", self.url)
        endpoints.absolute_url("url", self.url, schemes=BACKEND_SCHEMES)
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
                gitlab_rules.maskable(name, value)

    @property
    def is_pulumi_cloud(self) -> bool:
        """Whether the backend is a Pulumi Cloud service: any https:// backend, pulumi.com's or self-hosted."""
        return urlsplit(self.url).scheme == "https"

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


def reject_local_backend(field: str, url: object) -> None:
    """A ``file://`` (or ``file:``) backend keeps the state on the machine that ran ``pulumi``: CI's
    next job would find none, and create every resource again."""
    if isinstance(url, str) and url.lower().startswith("file:"):
        raise v.InvalidArgument(
            field,
            redaction.Sanitized(endpoints.without_credentials(url)),
            "must be a backend every CI job can reach: s3://, gs://, azblob:// or https:// (Pulumi Cloud); a "
            "file:// backend lives on one machine, and each CI job starts on a fresh one",
        )


def is_self_managed(url: str) -> bool:
    """Whether ``url`` is a bucket or directory backend, which needs a passphrase and no access token."""
    return urlsplit(url).scheme in SELF_MANAGED_SCHEMES
