"""Namespaces that are not ours to take: the cluster's own (``kube-*``, ``default``), and a
review namespace that would share a base stack's. The review deployer's credentials are
readable by every branch pipeline, so a review namespace of ``kube-system`` would hand every
branch write access there."""

from __future__ import annotations

from tests.corpus import Case

CASES: list[Case] = []
