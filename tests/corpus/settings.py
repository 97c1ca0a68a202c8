"""Settings (the app's environment variables): names the kubelet would skip, NUL bytes, and
names that would override the runtime (``PATH``, ``HOME``, ``KUBERNETES_*``...)."""

from __future__ import annotations

from tests.corpus import Case

CASES: list[Case] = []
