"""A deploy's trace: the commit, pipeline and job that deployed what runs.

GitLab CI passes them to a deploy (``$CI_COMMIT_SHA``, ``$CI_PIPELINE_URL``, ``$CI_JOB_URL``);
a local run gives none. They end up in two places:

- annotations of each Deployment and its pods, which answer "what is running, from where?" from
  kubectl; annotations only, so that a new commit rolls the pods and replaces nothing;
- stack outputs: ``commit``, and ``trace`` (by config key), which the deploy tool gives back to a
  deploy-canary or abort run, so that web's pods keep their annotations, and do not roll, while
  the canary comes and goes.

Args keep the three values as fields of their own (``commit_sha``, ``pipeline_url``, ``job_url``,
and a canary's ``canary_*``: the 0.1.0 API); :meth:`DeployTrace.of` reads them from there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Any

from . import endpoints
from . import validation as v

TRACE_PREFIX = "gitlab-k8s-cd"
"""The annotations' prefix: ``gitlab-k8s-cd/commit-sha``..."""
CONFIG_KEYS = {"commit_sha": "commitSha", "pipeline_url": "pipelineUrl", "job_url": "jobUrl"}
"""Each part's stack config key (the canary's are ``canary<Key>``), which names it in the ``trace``
output: the deploy tool (``pipeline/deploy.py``'s ``TRACE_KEYS``) hands the output back as ``--config`` values."""


def commit_sha(field: str, value: Any) -> str:
    """A git commit id: 40 (SHA-1) or 64 (SHA-256) lowercase hex digits, as GitLab's CI_COMMIT_SHA."""
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", value):
        raise v.InvalidArgument(field, value, "must be a full commit SHA: 40 or 64 lowercase hex digits")
    return value


@dataclass(frozen=True, kw_only=True)
class DeployTrace:
    """One deploy's trace, each part optional."""

    commit_sha: str | None = None
    """The deployed commit (``$CI_COMMIT_SHA``). Default none."""
    pipeline_url: str | None = None
    """The deploying pipeline (``$CI_PIPELINE_URL``). Default none."""
    job_url: str | None = None
    """The deploying job (``$CI_JOB_URL``). Default none."""

    def __post_init__(self) -> None:
        if self.commit_sha is not None:
            commit_sha("commit_sha", self.commit_sha)
        for name in ("pipeline_url", "job_url"):
            if getattr(self, name) is not None:
                endpoints.absolute_url(name, getattr(self, name))

    @classmethod
    def of(cls, args: Any, prefix: str = "") -> DeployTrace:
        """The trace in ``args``' fields ``<prefix>commit_sha``, ``<prefix>pipeline_url`` and
        ``<prefix>job_url``; an error names the field of ``args``."""
        names = {part: prefix + part for part in PARTS}
        return v.renamed(lambda: cls(**{part: getattr(args, name) for part, name in names.items()}), names)

    def given(self) -> dict[str, str]:
        """The parts that are set, by field name."""
        return {part: getattr(self, part) for part in PARTS if getattr(self, part) is not None}

    @property
    def commit(self) -> str:
        """The ``commit`` output: the commit, or "" for none."""
        return self.commit_sha or ""

    def config_values(self) -> dict[str, str]:
        """The ``trace`` output: each part by its config key, "" for none."""
        return {key: getattr(self, part) or "" for part, key in CONFIG_KEYS.items()}

    def annotations(self, project_path: str) -> dict[str, str]:
        """The Deployment's and its pods' annotations: the project, and the parts that are set
        (an empty value would be as good as none, and a local run gives none)."""
        known = {
            "project-path": project_path,
            "commit-sha": self.commit_sha,
            "pipeline-url": self.pipeline_url,
            "job-url": self.job_url,
        }
        return {f"{TRACE_PREFIX}/{name}": value for name, value in known.items() if value}


PARTS = tuple(f.name for f in fields(DeployTrace))
"""The trace's parts, as the Args name their fields."""
