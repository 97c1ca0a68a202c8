"""Backends: a ``file://`` backend cannot serve CI's jobs, and a self-hosted Pulumi Cloud
(``https://``) needs an access token, not a passphrase."""

from __future__ import annotations

from tests.corpus import Case

CASES: list[Case] = []
