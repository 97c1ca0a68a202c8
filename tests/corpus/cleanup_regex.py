"""Registry cleanup that eats releases: a delete regex that matches release tags, a keep regex
that does not keep them, and regex syntax GitLab's engine (RE2) refuses."""

from __future__ import annotations

from tests.corpus import Case

CASES: list[Case] = []
