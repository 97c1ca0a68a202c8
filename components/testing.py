"""Run a Pulumi program (or one component) under Pulumi's mock runtime, and look at what it declared.

This is the plan harness the offline plan and every test are built on, offered as public API
so that other projects can test their own programs, in the spirit of AWS CDK's ``assertions``::

    plan = run_program("__main__.py", project="my-app", stack="dev", config={"my-app:image": "..."})
    deployment = plan.get("kubernetes:apps/v1:Deployment", "web-workload-deployment")
    assert deployment.inputs["spec"]["replicas"] == 2      # ints are ints, not 2.0
    plan.write("build/plan")                                # kubernetes.yaml + gitlab.yaml, secrets redacted

    plan = plan_stack(".", "staging", config={"replicas": 3})  # Pulumi.yaml + Pulumi.staging.yaml
    plan.has_resource_properties("Deployment", {"spec": {"replicas": 3}})  # partial, by kind or type
    plan.resource_count_is("kubernetes:core/v1:Service", 1)

Each run happens in a fresh Python process: the mock runtime is process-global state, and
pytest runs under mocks can hang (pulumi/pulumi#7663). The child process writes what the program
registered as JSON; this process reads it back into a :class:`Plan`. That process is short-lived:
it runs with Python's cyclic garbage collector off (reference counting still frees what is not in a
cycle; a 50-app program of 3,100 resources peaks at about 280 MB either way) and exits without the
interpreter's teardown once its result is written (:mod:`gitlab_k8s_cd.components.plan.child`): a
program under test gets its stdout and stderr flushed, but no ``atexit`` handler, no
``logging.shutdown`` and no join of a non-daemon thread of its own.

This module is the harness's public face; each name lives in the package
:mod:`gitlab_k8s_cd.components.plan` (the runner, the plan model, values and matching).

What the mocks stand in for, because no provider runs (:mod:`gitlab_k8s_cd.components.plan.mocks`;
each value is deterministic, so that two plans of the same program compare equal):

- an autonamed Kubernetes object gets ``<logical name>-<8 hex>``; the hex digits hash the
  inputs whose change makes the provider replace the object, so a replacement gets a new name,
  as it does for real;
- a ``kubernetes.io/service-account-token`` Secret gets a ``data.token``, as the token
  controller would give it;
- GitLab tokens get a ``token`` (and a deploy token a ``username``), a pipeline schedule its id,
  a ``random.RandomPassword`` a (secret) ``result``;
- the invokes this library makes (``gitlab.get_group``, ``gitlab.get_project``) get plausible
  answers. ``run_program(invokes=...)`` adds or overrides answers by invoke token.
"""

from __future__ import annotations

from .go_values import YamlTimestamp
from .plan.matching import Match, mismatches
from .plan.model import Plan, PlannedResource
from .plan.replacement import REPLACE_ON
from .plan.runner import ProgramError, plan_stack, run_component, run_program
from .plan.values import REDACTED, Secret, contains_secret, redact, reveal
from .stack_file import OFFLINE_SECRET, cli_config_value

__all__ = [
    "OFFLINE_SECRET",
    "REDACTED",
    "REPLACE_ON",
    "Match",
    "Plan",
    "PlannedResource",
    "ProgramError",
    "Secret",
    "YamlTimestamp",
    "cli_config_value",
    "contains_secret",
    "mismatches",
    "plan_stack",
    "redact",
    "reveal",
    "run_component",
    "run_program",
]
