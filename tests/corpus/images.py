"""Images: ``:latest`` and tag-only images outside a development stack, and references a
registry would refuse."""

from __future__ import annotations

from tests.corpus import Case

CASES: list[Case] = []
