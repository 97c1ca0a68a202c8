"""The bad-input corpus: invalid stack configurations, one module per class of input.

Each module defines ``CASES``, a list of :class:`Case`; ``tests/test_bad_input_corpus.py`` runs
every case through the whole program (``__main__.py``) under the mock runtime and checks that it
is refused before any resource is registered, naming the key, the value and what is expected.
A class's module says what the class is and why its inputs would hurt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gitlab_k8s_cd.components.review_config import REVIEW_KEYS
from tests.conftest import SECRETS, staging_config

SECRET = "[secret"
"""How a secret value is shown in a message: its length, never its text."""


@dataclass(frozen=True)
class Case:
    id: str
    overrides: dict[str, Any]
    """Short config keys to set on top of the staging stack's config."""
    key: str
    """The config key the message must name first."""
    expected: str
    """A fragment of the expectation."""
    shown: str | None = None
    """How the value must appear; default the repr of the override's (first leaf) value."""
    drop: tuple[str, ...] = ()
    """Short config keys to remove from the staging stack's config."""
    secrets: dict[str, str] = field(default_factory=lambda: dict(SECRETS))
    """Full config keys set as secrets (``pulumi config set --secret``), with their values."""
    hidden: tuple[str, ...] = ()
    """Texts that must not appear in the message (besides the secrets' values)."""


# A review stack's own config (what gitlab_k8s_cd.pipeline.review writes), for the cases that need one.
REVIEW_STACK = {
    "mergeRequestIid": "7",
    "environment": "review/feature-x",
    "environmentUrl": "https://review-feature-x.review.hello.example.com",
    "namespace": "hello-review",
    "replicas": "1",
}
STAGING_ONLY = tuple(k.partition(":")[2] for k in staging_config() if k.partition(":")[2] not in REVIEW_KEYS)
