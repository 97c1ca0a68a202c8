"""Run a Pulumi program (or one component) under Pulumi's mock runtime, each run in a new process.

The mock runtime is process-global state, and pytest runs under mocks can hang (pulumi/pulumi#7663):
so each run happens in a fresh Python process (:mod:`.child`), which writes what the program
registered as JSON; this process reads it back into a :class:`~.model.Plan`. A run is started, and
its plan waited for, apart (:class:`PlanRun`): the plan command loads its schemas and policy rules on
its own core while the program runs on the other.

This module does not import the Pulumi SDK, nor the components (which do): the plan command's
process needs neither, and importing them would cost it about half a second.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .model import Plan


class ProgramError(Exception):
    """The program raised. ``type`` is the exception's qualified class name."""

    def __init__(self, type_: str, message: str, plan: Plan) -> None:
        self.type = type_
        self.message = message
        self.plan = plan
        super().__init__(f"{type_}: {message}")


class StackFileError(ValueError):
    """The stack (its Pulumi.yaml, stack file or overrides) is one the Pulumi CLI would not load."""


@dataclass(frozen=True)
class StackRead:
    """What the child read of a stack file (:func:`start_stack_plan`), beside the plan."""

    project: str
    placeholders: tuple[str, ...] = ()
    encrypted: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


class PlanRun:
    """A program running under mocks in its own process: :meth:`result` waits for its plan. As a
    context manager, leaving it stops the process (an error or an interrupt while it runs)."""

    def __init__(self, request: dict[str, Any], cwd: Path, env: Mapping[str, str] | None, timeout: float) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="plan-")
        self._result_file = Path(self._tmp.name, "result.json")
        self._timeout = timeout
        self.stack: StackRead | None = None
        """With :func:`start_stack_plan`, what the child read of the stack file (after :meth:`result`)."""
        request_file = Path(self._tmp.name, "request.json")
        request_file.write_text(json.dumps({**request, "cwd": str(cwd)}))
        child_env = {**os.environ, **(env or {})}
        # The child must import this very package, wherever the caller's cwd is.
        child_env["PYTHONPATH"] = os.pathsep.join([*_import_root(), str(cwd), child_env.get("PYTHONPATH", "")]).rstrip(
            os.pathsep
        )
        # Its output goes to a file, not a pipe, which could fill while this process is busy.
        self._output: IO[str] = open(Path(self._tmp.name, "output.txt"), "w+")  # noqa: SIM115 - closed in cancel()
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", f"{__package__}.child", str(request_file), str(self._result_file)],
                cwd=cwd,
                env=child_env,
                stdout=self._output,
                stderr=subprocess.STDOUT,
                text=True,
            )
        except BaseException:
            self._output.close()
            self._tmp.cleanup()
            raise

    def result(self, *, check: bool = True) -> Plan:
        """The plan, once the program has run. With ``check``, :class:`ProgramError` if it raised;
        :class:`StackFileError` for a stack file the child could not read."""
        try:
            try:
                returncode = self._process.wait(timeout=self._timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
                raise
            if not self._result_file.exists():
                self._output.seek(0)
                raise RuntimeError(
                    f"the mock runtime process died (exit {returncode}) before writing a result:\n"
                    f"{self._output.read()[-4000:]}"
                )
            data = json.loads(self._result_file.read_text())
        finally:
            self.cancel()
        if "stack_error" in data:
            raise StackFileError(data["stack_error"])
        if "stack" in data:
            self.stack = StackRead(
                **{key: value if key == "project" else tuple(value) for key, value in data["stack"].items()}
            )
        from .model import Plan  # here: the plan command starts its run before it imports YAML (see .cli)

        plan = Plan.from_wire(data)
        if check and plan.error is not None:
            raise ProgramError(plan.error["type"], plan.error["message"], plan)
        return plan

    def __enter__(self) -> PlanRun:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.cancel()

    def cancel(self) -> None:
        """Stop the run if it still runs, and remove its files (again: a no-op)."""
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._output.close()
        self._tmp.cleanup()


def _import_root() -> list[str]:
    """Where this ``gitlab_k8s_cd`` is importable from: the directory that holds it (a wheel's
    site-packages, or an import root of links to a checkout's folders), and the folder ``components/``
    really is in (a checkout's root, whose ``tests`` and ``bench`` packages a run may name)."""
    holder = Path(__file__).parents[3]
    real = Path(__file__).resolve().parents[2]
    return [str(holder)] * (holder / "gitlab_k8s_cd" / "components").is_dir() + [str(real)]


def _request(
    what: Mapping[str, str],
    project: str,
    stack: str,
    config: Mapping[str, Any] | None,
    secret_keys: Sequence[str],
    invokes: Mapping[str, Mapping[str, Any]] | None,
) -> dict[str, Any]:
    """The child's request: ``what`` to run (a ``program`` or a ``target``), for ``project``/``stack``,
    with the config as the Pulumi CLI hands it over."""
    # Imported here: stack_file imports the config module, and with it the Pulumi SDK (see the module docstring).
    from ..stack_file import cli_config_value

    return {
        **what,
        "project": project,
        "stack": stack,
        "config": {key: cli_config_value(value) for key, value in (config or {}).items()},
        "secret_keys": list(secret_keys),
        "invokes": dict(invokes or {}),
    }


def start_stack_plan(
    project_dir: str | os.PathLike[str],
    stack: str,
    overrides: Sequence[str] = (),
    *,
    namespace: str | None = None,
    timeout: float = 120,
) -> PlanRun:
    """Start a run of the project's ``__main__.py`` for ``stack``, whose stack file the child reads
    (``stack_file.stack_config(project_dir, stack, overrides, namespace=namespace)``, as the Pulumi
    CLI reads it) before it runs the program: so that this process need not import what reading it
    imports. ``overrides`` are ``-c`` arguments, ``KEY=VALUE``. After :meth:`PlanRun.result`,
    :attr:`PlanRun.stack` is what was read; :class:`StackFileError` for a stack the CLI would not load."""
    directory = Path(project_dir).resolve()
    request = {
        "program": str(directory / "__main__.py"),
        "stack": stack,
        "stack_file": {"project_dir": str(directory), "overrides": list(overrides), "namespace": namespace},
        "invokes": {},
    }
    # A project directory that does not exist is the stack reader's error to report, as for the CLI.
    return PlanRun(request, directory if directory.is_dir() else Path.cwd(), None, timeout)


def run_program(
    program: str | os.PathLike[str],
    *,
    project: str,
    stack: str,
    config: Mapping[str, Any] | None = None,
    secret_keys: Sequence[str] = (),
    invokes: Mapping[str, Mapping[str, Any]] | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
    check: bool = True,
) -> Plan:
    """Run ``program`` (a ``__main__.py``) for ``project``/``stack`` under mocks, in a new process.

    ``config`` maps full keys (``"my-app:replicas"``) to values; objects and lists are passed
    as JSON and scalars as strings, as the Pulumi CLI does. ``secret_keys`` are the keys
    ``pulumi config set --secret`` would have set. With ``check`` (the default), a program
    that raises makes this raise :class:`ProgramError`; otherwise the error is in ``plan.error``.
    """
    path = Path(program).resolve()
    request = _request({"program": str(path)}, project, stack, config, secret_keys, invokes)
    return PlanRun(request, path.parent, env, timeout).result(check=check)


def run_component(
    target: str,
    *,
    project: str = "test",
    stack: str = "test",
    config: Mapping[str, Any] | None = None,
    secret_keys: Sequence[str] = (),
    invokes: Mapping[str, Mapping[str, Any]] | None = None,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    timeout: float = 120,
    check: bool = True,
) -> Plan:
    """Call ``target`` (``"package.module:function"``, importable from ``cwd``) under mocks, in a
    new process. The function builds the component(s) to test and may ``pulumi.export``."""
    request = _request({"target": target}, project, stack, config, secret_keys, invokes)
    return PlanRun(request, Path(cwd or os.getcwd()).resolve(), env, timeout).result(check=check)


def plan_stack(
    project_dir: str | os.PathLike[str],
    stack: str,
    *,
    config: Mapping[str, Any] | None = None,
    secrets: Mapping[str, Any] | None = None,
    program: str | os.PathLike[str] = "__main__.py",
    invokes: Mapping[str, Mapping[str, Any]] | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
    check: bool = True,
) -> Plan:
    """Run the project's program for ``stack`` under mocks, with the config of its stack file
    ``Pulumi.<stack>.yaml``, read as the offline plan command and the Pulumi CLI read it
    (docs/contracts.md PC-8). The project name is ``Pulumi.yaml``'s ``name``, so that
    ``pulumi.get_project()`` and ``pulumi.Config()`` read what they read under the CLI.

    ``config`` overrides or adds values (``{"replicas": 3}``; a key without a namespace is the
    project's), handed over as values of the stack file are. ``secrets`` does the same for keys set
    with ``--secret``. A value the stack file holds encrypted (``secure:``) cannot be decrypted
    here: the program gets the placeholder secret ``OFFLINE_SECRET`` (as a secret, as the CLI
    marks it) unless ``config`` or ``secrets`` gives the key a value, which then stays a secret.
    ``program`` is relative to ``project_dir``. ValueError for a stack file the CLI would not load.
    """
    from ..stack_file import stack_config  # see _request

    directory = Path(project_dir).resolve()
    read = stack_config(directory, stack, dict(config or {}), secrets=secrets, environ={**os.environ, **(env or {})})
    return run_program(
        directory / program,
        project=read.project,
        stack=stack,
        config=read.config,
        secret_keys=read.secret_keys,
        invokes=invokes,
        env=env,
        timeout=timeout,
        check=check,
    )
