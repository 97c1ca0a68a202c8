"""Secrets in plain destinations: a value set with ``pulumi config set --secret`` whose key goes to
a ConfigMap, a stack output, an unmasked CI variable or a label; and credentials-looking values
or secret-looking keys, which an error message must never echo."""

from __future__ import annotations

from tests.corpus import Case

CASES: list[Case] = []
