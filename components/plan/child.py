"""The mock runtime's process: it runs one program (or one component) under Pulumi's mocks and
writes what it registered as JSON (:mod:`.runner` starts it, and reads the result back).

    python -m gitlab_k8s_cd.components.plan.child REQUEST.json RESULT.json

The request names the program (``program``: a ``__main__.py``) or the function (``target``:
``"package.module:function"``), the project, the stack, the config and secret keys as the Pulumi
CLI hands them, and the answers to invokes; or, with ``stack_file``, the project whose stack file
this process reads first (so that the plan command's own process need not import what reading it
imports: the components, and the SDK).
"""

from __future__ import annotations

import gc
import json
import logging
import os
import runpy
import sys
import threading
import traceback
from pathlib import Path
from typing import Any

from .mocks import DEFAULT_INVOKES, computed_state
from .values import secret_on_wire, to_wire


def main(request_file: str, result_file: str) -> int:
    # The SDK is imported here, not at the top, so that ``__main__`` below turns the cyclic
    # garbage collector off first (see there).
    import pulumi
    from pulumi.runtime import mocks as pulumi_mocks
    from pulumi.runtime.settings import get_root_resource
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    request = json.loads(Path(request_file).read_text())
    read: dict[str, Any] = {}  # what the result says of the stack file, when this process read it
    if "stack_file" in request:
        try:
            request, read = _with_stack_file(request)
        except StackFileRefused as error:
            Path(result_file).write_text(json.dumps({"stack_error": str(error)}))
            return 0
    invokes = {**DEFAULT_INVOKES, **request["invokes"]}
    registered: list[dict[str, Any]] = []
    log: list[str] = []

    class PlanMocks(pulumi.runtime.Mocks):
        def __init__(self) -> None:
            self.current = threading.local()  # RegisterResource runs on executor threads

        def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
            state = computed_state(args.typ, args.name, args.inputs)
            inputs = args.inputs  # deserialized by MockMonitor: secrets stay in their envelope
            if isinstance(inputs.get("metadata"), dict) and not inputs["metadata"].get("name"):
                # pulumi-kubernetes autonames in Check, so the name is part of the planned inputs.
                inputs = {**inputs, "metadata": {**inputs["metadata"], "name": state["metadata"]["name"]}}
            self.current.inputs = inputs
            return f"{args.name}-id", state

        def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
            answer = invokes.get(args.token)
            if answer is None:
                raise NotImplementedError(f"no mock answer for invoke {args.token}; pass run_program(invokes=...)")
            return {**args.args, **answer}

    class RecordingMonitor(pulumi_mocks.MockMonitor):
        """MockMonitor that also records each registration's URN, parent and provider."""

        def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
            response = super().RegisterResource(request)
            if request.type != "pulumi:pulumi:Stack":
                registered.append(
                    {
                        "urn": response.urn,
                        "type": request.type,
                        "name": request.name,
                        "parent": None if _is_stack(request.parent) else request.parent,
                        "custom": bool(request.custom),
                        "provider": request.provider or None,
                        "inputs": to_wire(mocks.current.inputs),
                        "options": _options(request),
                        "dependencies": sorted(request.dependencies),
                        "property_dependencies": {
                            key: sorted(deps.urns) for key, deps in sorted(request.propertyDependencies.items())
                        },
                    }
                )
            return response

    class LogCollector(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            log.append(record.getMessage())

    logger = logging.getLogger("gitlab-k8s-cd.plan")
    logger.addHandler(LogCollector())
    logger.setLevel(logging.INFO)  # what pulumi.log.info/warn/error would show a user; not debug
    pulumi.runtime.set_all_config(request["config"], request["secret_keys"])
    mocks = PlanMocks()
    pulumi.runtime.set_mocks(
        mocks,
        project=request["project"],
        stack=request["stack"],
        preview=False,
        logger=logger,
        monitor=RecordingMonitor(mocks),
    )
    sys.path.insert(0, request["cwd"])

    def program() -> None:
        if "program" in request:
            runpy.run_path(request["program"], run_name="__main__")
        else:
            module_name, _, function = request["target"].partition(":")
            getattr(__import__(module_name, fromlist=[function]), function)()

    error = None
    try:
        _sync_await(run_pulumi_func(program))
    except Exception as exc:
        error = {
            "type": f"{type(exc).__module__}.{type(exc).__qualname__}",
            "message": str(exc),
            "traceback": traceback.format_exc(),
        }

    outputs: dict[str, Any] = {}
    root = get_root_resource()
    for key, value in (getattr(root, "outputs", None) or {}).items():
        output = pulumi.Output.from_input(value)
        try:
            resolved = _sync_await(output.future())
            secret = _sync_await(output.is_secret())
        except Exception as exc:  # reported to the parent process
            error = error or {
                "type": f"{type(exc).__module__}.{type(exc).__qualname__}",
                "message": f"stack output {key!r}: {exc}",
                "traceback": traceback.format_exc(),
            }
            continue
        outputs[key] = secret_on_wire(resolved) if secret else resolved
    Path(result_file).write_text(
        json.dumps(
            {"resources": registered, "outputs": to_wire(outputs), "error": error, "log": log, **read}, default=str
        )
    )
    return 0


def _options(request: Any) -> dict[str, Any]:
    """The options of a RegisterResourceRequest that change what the engine does on replace or
    delete, only those set (a create-before-delete replacement is the engine's default)."""
    options = {
        "deleteBeforeReplace": bool(request.deleteBeforeReplace),
        "retainOnDelete": bool(request.retainOnDelete),
        "protect": bool(request.protect),
        "ignoreChanges": sorted(request.ignoreChanges),
        "replaceOnChanges": sorted(request.replaceOnChanges),
    }
    return {key: value for key, value in options.items() if value}


def _is_stack(urn: str) -> bool:
    """Whether ``urn`` is the root stack's (its type chain ends in ``pulumi:pulumi:Stack``)."""
    return not urn or urn.split("::")[2].split("$")[-1] == "pulumi:pulumi:Stack"


class StackFileRefused(Exception):
    """The stack is one the Pulumi CLI would not load."""


def _with_stack_file(request: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``request`` with the project, config and secret keys of its stack file, read as the Pulumi CLI
    reads it, and what the result reports of it."""
    # Imported here: only a plan of a stack file needs them (stack_file imports the components).
    import yaml

    from ..stack_file import stack_config

    spec = request["stack_file"]
    try:
        read = stack_config(Path(spec["project_dir"]), request["stack"], spec["overrides"], namespace=spec["namespace"])
    except (OSError, ValueError, yaml.YAMLError, RecursionError) as error:
        raise StackFileRefused(str(error)) from error
    stack = {
        "project": read.project,
        "placeholders": list(read.placeholders),
        "encrypted": list(read.encrypted),
        "notes": list(read.notes),
    }
    return {**request, "project": read.project, "config": read.config, "secret_keys": list(read.secret_keys)}, {
        "stack": stack
    }


if __name__ == "__main__":  # pragma: no cover
    # This process imports the SDKs, runs one program, writes its result and exits, so two things
    # the interpreter does for a long-lived program only cost time here (bench/README.md):
    # - the cyclic collector would walk the SDKs' hundreds of thousands of freshly imported objects,
    #   again and again, with nothing to free that the exit does not (reference counting still
    #   frees everything outside a cycle);
    # - the interpreter's teardown (the SDK's threads and event loop, every module's objects) would
    #   keep the caller waiting after the result is written; a worker's exit skips it, as
    #   multiprocessing's do.
    gc.disable()
    status = main(sys.argv[1], sys.argv[2])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
