"""Runs the whole program once per bad configuration, in one process, under the mock runtime.

Each case must fail in ``load_settings()``, before any resource; so no RPC is ever outstanding
between cases, and one process can run them all (a process per case would cost ~1 s each).
A case that does register resources is reported with the count, and fails its test.

    python -m tests.programs.corpus CASES.json RESULT.json
"""

from __future__ import annotations

import json
import runpy
import sys
from pathlib import Path

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

ROOT = Path(__file__).resolve().parent.parent.parent


class NoMocks(pulumi.runtime.Mocks):
    def new_resource(self, args):
        return f"{args.name}-id", args.inputs

    def call(self, args):
        return {}


def main(cases_file: str, result_file: str) -> int:
    cases = json.loads(Path(cases_file).read_text())
    results = []
    for case in cases:
        registered: list[str] = []

        class Counting(pulumi_mocks.MockMonitor):
            def RegisterResource(self, request):  # noqa: N802
                if request.type != "pulumi:pulumi:Stack":
                    registered.append(request.name)  # noqa: B023 - one monitor per case
                return super().RegisterResource(request)

        pulumi.runtime.set_all_config(case["config"], case["secret_keys"])
        mocks = NoMocks()
        pulumi.runtime.set_mocks(
            mocks, project="gitlab-k8s-cd", stack="staging", preview=False, monitor=Counting(mocks)
        )
        error = None
        try:
            _sync_await(run_pulumi_func(lambda: runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")))
        except Exception as exc:
            error = {"type": f"{type(exc).__module__}.{type(exc).__qualname__}", "message": str(exc)}
        results.append({"id": case["id"], "error": error, "registered": registered})
    Path(result_file).write_text(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
