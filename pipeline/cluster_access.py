"""Give a CI job its kubeconfig at the fixed path the stack's Kubernetes provider keeps, in either
cluster-access mode, with one command:

    python -m gitlab_k8s_cd.pipeline.cluster_access --stack staging --to /tmp/gitlab-k8s-cd.kubeconfig

The job then runs ``export KUBECONFIG=<that path>``: pulumi-kubernetes' Python SDK copies
``$KUBECONFIG``, a path, into the provider's ``kubeconfig`` input, and so into the stack's state,
which a later refresh or destroy reads (docs/contracts.md PK-8). The path must therefore not
depend on the job's build directory, and must be the same in both modes.

**The mode comes from the stack's config**, as the program reads it (``clusterAccess``, default
``kubeconfig``; ``agent: {project, name}``; components/cluster_access.py), in
``Pulumi.<stack>.yaml`` of the working directory, in the namespace the program reads (default: the
project's name in Pulumi.yaml, as ``load_settings`` reads; ``--config-namespace`` names another).
One source: switching a stack to agent mode is one config change, and its jobs follow it. A review
job names its base stack (``$GITLAB_K8S_CD_REVIEW_APPS``), whose ``clusterAccess`` and ``agent``
the review stack copies. The tool reads the file only; the program validates every key.

- ``kubeconfig`` mode: decodes ``$KUBECONFIG_B64`` (the deployer's kubeconfig, base64, a masked CI
  variable the stack wrote) to the path, as the jobs' ``base64 -d`` did.
- ``agent`` mode: GitLab hands the job the agent's CI/CD tunnel as a **file** variable
  ``KUBECONFIG`` (a path to a kubeconfig with a context ``<agent project full path>:<agent name>``
  per agent that authorizes the job, and no ``current-context``: docs/contracts.md GL-37, GL-38).
  The tool checks that the stack's agent's context is in it, and copies it to the path with that
  context as its ``current-context`` (what ``kubectl config use-context`` does; the program's
  provider selects the same context explicitly, since it does not read one from the environment,
  PK-18). The job's YAML must not set ``KUBECONFIG`` itself: a YAML variable comes after GitLab's
  and would shadow it (GL-38); the fixed path travels as ``GITLAB_K8S_CD_KUBECONFIG`` instead.

When the job has no usable kubeconfig, the tool says why it may be, from what GitLab does
(docs/contracts.md GL-38..42), and exits non-zero before any ``pulumi`` runs. It never prints a
kubeconfig, a token or ``$KUBECONFIG_B64``; the file it writes is readable by its owner only.

Exit status:

- 0: written;
- 2: usage: a missing argument, no ``Pulumi.<stack>.yaml`` or Pulumi.yaml, or a ``clusterAccess``
  or ``agent`` value the program would refuse too (the message names the key, the value and what
  is expected);
- 3: the job has no kubeconfig: kubeconfig mode without ``$KUBECONFIG_B64`` (or not base64), agent
  mode without GitLab's ``$KUBECONFIG`` (or not a readable kubeconfig);
- 4: agent mode: GitLab's kubeconfig has no context for the stack's agent;
- 5: agent mode: the job's environment is not the one the stack bound the deployer's Role to (its
  name, GitLab's slug of it, or a review job's tier), so the API server would refuse every request.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gitlab_k8s_cd.components.go_values import read_yaml
from gitlab_k8s_cd.components.labels import environment_slug

EXIT_OK, EXIT_USAGE, EXIT_NO_KUBECONFIG, EXIT_NO_CONTEXT, EXIT_OTHER_IDENTITY = 0, 2, 3, 4, 5
KUBECONFIG, AGENT = "kubeconfig", "agent"
MODES = (KUBECONFIG, AGENT)
"""A copy of ``gitlab_k8s_cd.components.cluster_access.MODES``: that module imports the Pulumi SDK,
which this tool does not need. tests/test_cluster_access_tool.py keeps the two equal."""
MODE_KEY, AGENT_KEY, ENVIRONMENT_KEY = "clusterAccess", "agent", "environment"
"""The stack's config keys (components/config_keys.py), in the namespace the program reads."""
B64_VARIABLE = "KUBECONFIG_B64"
REVIEW_PREFIX, REVIEW_TIER = "review/", "development"
"""Review environments' names and tier (components/review_apps.py, components/cluster_access.py;
tests/test_cluster_access_tool.py keeps them equal)."""


class AccessError(Exception):
    """The job cannot be given its kubeconfig; ``status`` is the exit status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, kw_only=True)
class StackAccess:
    """How the stack says CI reaches the cluster."""

    mode: str
    agent_project: str | None = None
    agent_name: str | None = None
    environment: str | None = None
    """The stack's GitLab environment (``environment``), whose group its deployer's Role is bound to."""

    @property
    def context(self) -> str | None:
        """The kubeconfig context GitLab names after the agent (GL-37): ``<project>:<name>``."""
        return f"{self.agent_project}:{self.agent_name}" if self.mode == AGENT else None


def read_stack_access(project_dir: Path, stack: str, namespace: str | None = None) -> StackAccess:
    """The stack's ``clusterAccess`` and ``agent``, from ``Pulumi.<stack>.yaml`` in ``project_dir``
    (a key without a namespace is the project's, as the CLI reads it: docs/contracts.md PC-13).
    AccessError (exit 2) when the file is missing or a value is not one the program accepts."""
    try:
        project_file = read_yaml(project_dir / "Pulumi.yaml")
        stack_file = project_dir / f"Pulumi.{stack}.yaml"
        if not stack_file.is_file():
            raise AccessError(EXIT_USAGE, f"no stack file {stack_file.name} in {project_dir}")
        document = read_yaml(stack_file) or {}
    except FileNotFoundError as error:
        raise AccessError(EXIT_USAGE, f"no {Path(error.filename).name} in {project_dir}") from None
    except (ValueError, yaml.YAMLError) as error:
        raise AccessError(EXIT_USAGE, f"cannot read the stack's config: {error}") from None
    project = project_file.get("name") if isinstance(project_file, dict) else None
    if not isinstance(project, str) or not project:
        raise AccessError(EXIT_USAGE, f"{project_dir / 'Pulumi.yaml'}: no project name")
    namespace = namespace or project
    config = document.get("config") if isinstance(document, dict) else None
    config = config if isinstance(config, dict) else {}
    values = {(key if ":" in str(key) else f"{project}:{key}"): value for key, value in config.items()}
    mode = values.get(f"{namespace}:{MODE_KEY}", KUBECONFIG)
    agent = values.get(f"{namespace}:{AGENT_KEY}")
    where = f"{stack_file.name}: {namespace}:"
    if mode not in MODES:
        raise AccessError(EXIT_USAGE, f"{where}{MODE_KEY} is {mode!r}: expected one of {', '.join(map(repr, MODES))}")
    if mode == KUBECONFIG:
        return StackAccess(mode=mode)
    if not isinstance(agent, Mapping) or not all(
        isinstance(agent.get(k), str) and agent[k] for k in ("project", "name")
    ):
        raise AccessError(
            EXIT_USAGE,
            f"{where}{AGENT_KEY} is {agent!r}: expected {{project: <agent project full path>, name: <agent name>}}, "
            f"required when {MODE_KEY} is 'agent'",
        )
    environment = values.get(f"{namespace}:{ENVIRONMENT_KEY}")
    return StackAccess(
        mode=mode,
        agent_project=agent["project"],
        agent_name=agent["name"],
        environment=environment if isinstance(environment, str) else None,
    )


def _write_private(path: Path, data: bytes) -> None:
    """``data`` to ``path``, readable by its owner only (a credential), replacing what was there."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
    os.chmod(path, 0o600)  # a file that existed keeps its mode through O_CREAT


def from_b64(environ: Mapping[str, str], to: Path) -> str:
    """Kubeconfig mode: ``$KUBECONFIG_B64`` decoded to ``to``; what was done, in one line."""
    encoded = "".join(environ.get(B64_VARIABLE, "").split())  # as `base64 -d`, whitespace is no data
    if not encoded:
        raise AccessError(
            EXIT_NO_KUBECONFIG,
            f"the stack's clusterAccess is 'kubeconfig', and this job has no ${B64_VARIABLE}. The stack writes it "
            "as a CI/CD variable scoped to its environment (and protected, but for the review deployer's): this "
            "job's ref is not protected, its environment is outside the variable's scope, or no admin run of the "
            "stack has created it yet",
        )
    try:
        decoded = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise AccessError(
            EXIT_NO_KUBECONFIG,
            f"${B64_VARIABLE} is not base64: it must hold the stack's deployer kubeconfig as the stack wrote it",
        ) from None
    _write_private(to, decoded)
    return f"the deployer's kubeconfig (${B64_VARIABLE}) is at {to}"


def why_no_tunnel(environ: Mapping[str, str], access: StackAccess) -> str:
    """The reasons GitLab gives a job no ``KUBECONFIG`` (docs/contracts.md GL-38..42, read at source)."""
    environment = environ.get("CI_ENVIRONMENT_NAME")
    job_env = f"this job's environment, {environment!r}" if environment else "this job's environment (it has none)"
    return (
        f"the stack's clusterAccess is 'agent', and GitLab gave this job no KUBECONFIG (the agent's CI/CD "
        "tunnel). GitLab adds it only when an agent authorizes the job; check, in this order:\n"
        f"- the agent {access.agent_name!r}'s config file, .gitlab/agents/{access.agent_name}/config.yaml on "
        f"the default branch of {access.agent_project}, lists this project under ci_access.projects (or its "
        "group under ci_access.groups), and this project is under that project's top-level group (GitLab drops "
        "any other entry);\n"
        f"- that entry's environments match {job_env}: a job without an environment never matches;\n"
        "- access_as: {ci_job: {}} needs GitLab Premium or Ultimate: on Free the authorization is dropped "
        "and the job gets no context;\n"
        "- protected_branches_only: true, and this ref is not protected;\n"
        "- the agent is connected (GitLab reads a changed config file only through a connected agent, and "
        "takes a minute or two);\n"
        "- no KUBECONFIG variable in the job's YAML or the project's CI/CD variables: it would replace GitLab's"
    )


def from_tunnel(environ: Mapping[str, str], access: StackAccess, to: Path) -> str:
    """Agent mode: GitLab's ``$KUBECONFIG`` (a file) copied to ``to`` with the stack's agent's
    context current; what was done, in one line."""
    given = environ.get("KUBECONFIG", "")
    if not given:
        raise AccessError(EXIT_NO_KUBECONFIG, why_no_tunnel(environ, access))
    try:
        document = yaml.safe_load(Path(given).read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        # Never the content: it holds the job's token.
        reason = error.strerror if isinstance(error, OSError) else type(error).__name__
        raise AccessError(
            EXIT_NO_KUBECONFIG,
            f"$KUBECONFIG ({given}) is not a readable kubeconfig ({reason}): GitLab hands the agent's tunnel as a "
            "file variable; a YAML or project variable named KUBECONFIG replaces it",
        ) from None
    contexts = document.get("contexts") if isinstance(document, dict) else None
    names = [c.get("name") for c in contexts or [] if isinstance(c, dict)]
    if access.context not in names:
        found = ", ".join(repr(n) for n in names) if names else "none"
        raise AccessError(
            EXIT_NO_CONTEXT,
            f"GitLab's kubeconfig has no context {access.context!r} (the stack's agent: <agent project full "
            f"path>:<agent name>); it has {found}. Another agent authorizes this job, not this one: check the "
            "stack's agent key against the agent's project path and name, and that agent's ci_access "
            "(its projects and environments)",
        )
    problem = identity_problem(environ, access)
    if problem is not None:
        raise AccessError(EXIT_OTHER_IDENTITY, problem)
    document["current-context"] = access.context
    _write_private(to, yaml.safe_dump(document, sort_keys=False).encode())
    return f"the GitLab agent's tunnel ({access.context}) is at {to}, its context current"


def identity_problem(environ: Mapping[str, str], access: StackAccess) -> str | None:
    """Why the job's impersonated groups (docs/contracts.md AG-1) would not be the one the stack
    bound its deployer's Role to, from GitLab's predefined variables; None when they are. A review
    job (``review/...``) needs the ``development`` tier (the review deployer's group); any other,
    the stack's environment, by GitLab's slug of its name (GL-35). ``CI_ENVIRONMENT_TIER`` is the
    job's ``deployment_tier`` when it sets one, and the group the environment's tier as GitLab
    first stored it (GL-46): this catches a job without the tier, not an environment GitLab
    stored with another one (then the API server's ``forbidden`` names the group)."""
    name = environ.get("CI_ENVIRONMENT_NAME") or ""
    slug = environ.get("CI_ENVIRONMENT_SLUG") or ""
    tier = environ.get("CI_ENVIRONMENT_TIER") or ""
    if not name:
        return None  # GitLab authorizes no job without an environment: from_tunnel has said so
    if name.startswith(REVIEW_PREFIX):
        if tier != REVIEW_TIER:
            return (
                f"this review job's environment {name!r} has the tier {tier or 'none'!r}: the review deployer's "
                f"Role is bound to the group of the {REVIEW_TIER!r} tier, so the API server would refuse it; "
                f"give the job deployment_tier: {REVIEW_TIER}"
            )
        return None
    if access.environment is not None and name != access.environment:
        return (
            f"this job's environment is {name!r}, and the stack deploys {access.environment!r}: its deployer's "
            f"Role is bound to the group of {access.environment!r}'s jobs, so the API server would refuse this one"
        )
    expected = environment_slug(name)
    if slug and slug != expected:
        return (
            f"GitLab's slug for the environment {name!r} is {slug!r}, and the stack bound its deployer's Role "
            f"to the group of the slug {expected!r} (GitLab's rule as read at source, docs/contracts.md GL-35): "
            "this GitLab slugs it otherwise, so the API server would refuse the job"
        )
    return None


def give_kubeconfig(access: StackAccess, environ: Mapping[str, str], to: Path) -> str:
    """The job's kubeconfig at ``to``, in the stack's mode; AccessError when there is none."""
    return from_tunnel(environ, access, to) if access.mode == AGENT else from_b64(environ, to)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, Any] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gitlab_k8s_cd.pipeline.cluster_access", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--stack", required=True, help="the stack whose clusterAccess says the mode (a review job: its base stack)"
    )
    parser.add_argument("--to", required=True, type=Path, help="the fixed path the stack's provider keeps")
    parser.add_argument("--project-dir", type=Path, default=Path("."), help="where Pulumi.yaml is (default: here)")
    parser.add_argument(
        "--config-namespace", help="the config namespace the program reads (default: the project's name)"
    )
    args = parser.parse_args(argv)
    environ = os.environ if environ is None else environ
    try:
        access = read_stack_access(args.project_dir, args.stack, args.config_namespace)
        print(give_kubeconfig(access, environ, args.to))
    except AccessError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.status
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
