"""Names and URLs: a Service name that is not a DNS-1035 label, derived names and label values
beyond 63 characters (review instances included), URLs with credentials, bad ports or the wrong
scheme, environment names and project paths GitLab refuses, and GitLab's length limits."""

from __future__ import annotations

from tests.corpus import Case

CASES: list[Case] = []
