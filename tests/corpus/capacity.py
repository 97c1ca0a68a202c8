"""Capacity arithmetic: rollouts that take every pod down or can never start, requests above
limits in mixed units, memory without a unit, surges a namespace quota can never admit, and
integers beyond what the API's 32-bit fields hold."""

from __future__ import annotations

from tests.corpus import Case

CASES: list[Case] = []
