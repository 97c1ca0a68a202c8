"""The offline plan: run a stack's program under Pulumi's mocks, validate, check policies, write and compare.

    python -m gitlab_k8s_cd.components.plan --stack staging [-c key=value ...] [--stack-tag KEY=VALUE ...]
                              [--out DIR] [--compare DIR] [--kubernetes-version 1.31]
                              [--policy-pack DIR] [--project-dir DIR] [--config-namespace NS]

It needs no Pulumi CLI, no cluster and no GitLab. It reads the stack file as the Pulumi CLI does
(docs/contracts.md PC-8), runs the program as the project its Pulumi.yaml names (the
program's ``pulumi.get_project()``, whose namespace ``load_settings`` reads), prints a tree of
every resource the stack declares (secrets as ``[secret]``), validates every Kubernetes manifest
strictly against the OpenAPI schema of ``--kubernetes-version``, evaluates the policy pack's
rules on every resource as CrossGuard would (docs/contracts.md PC-9), with the mandatory rules of
the pack shipped with this package always among them (see ``policies.policy_rules``), and writes to
``--out`` (default ``build/plan``):

- ``kubernetes.yaml``: every Kubernetes object, in apply order, secrets redacted;
- ``gitlab.yaml``: every GitLab resource with its inputs, secrets redacted;
- ``resources.json``: every resource by URN, what ``--compare`` reads;
- ``outputs.json``: the stack's outputs (what ``pulumi stack output`` would show), secrets redacted;
- ``changes.json``: with ``--compare``, the changes against the earlier plan.

Exit status: 0 the plan is valid; 1 the plan is invalid: a manifest fails the schema (object and
field named) or a mandatory policy is violated (rule and resource named); 2 a configuration error
(key, value and expectation named; a policy pack with no mandatory rule, too); 3 the program failed
otherwise.

Where the time goes: the program runs in a process of its own (:mod:`.child`), which reads the
stack file, imports the SDK and the components and registers every resource under the mocks; this
process imports neither, and loads the policy rules and the schemas while that one runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from .kubernetes_schema import supported_versions
from .runner import ProgramError, StackFileError, start_stack_plan

EXIT_OK, EXIT_INVALID, EXIT_CONFIG, EXIT_PROGRAM = 0, 1, 2, 3
EXIT_INVALID_MANIFEST = EXIT_INVALID
DEFAULT_KUBERNETES_VERSION = "1.31"
CONFIG_ERRORS = ("gitlab_k8s_cd.components.config.ConfigError", "gitlab_k8s_cd.components.validation.InvalidArgument")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    project_dir = Path(args.project_dir).resolve()
    # The program runs on one core while this process loads the rules and the schemas on the other.
    with start_stack_plan(project_dir, args.stack, args.config, namespace=args.config_namespace) as run:
        # Imported once the program's process is started (they load while it starts): the command's
        # own imports are all that delays it.
        from .diff import compare
        from .kubernetes_schema import preload, validate_manifests
        from .policies import (
            MANDATORY,
            PolicyError,
            evaluate_policies,
            policy_pack,
            policy_rules,
            show_tags,
            stack_tags,
        )
        from .tree import render_tree

        refused = None
        try:
            tags = stack_tags(args.stack_tag)
            pack = policy_pack(project_dir, args.policy_pack)
            policies = policy_rules(pack)
            preload(args.kubernetes_version)
        except (OSError, ValueError) as error:
            refused = error
        try:
            plan = run.result()
            failure = None
        except StackFileError as error:  # reported first, as the stack is read first
            print(f"error: {error}", file=sys.stderr)
            return EXIT_CONFIG
        except ProgramError as error:
            plan, failure = error.plan, error
    if refused is not None:
        print(f"error: {refused}", file=sys.stderr)
        return EXIT_CONFIG
    stack = run.stack
    if stack is None:  # a stack plan's result has it
        raise RuntimeError("the plan's process wrote no account of the stack file")
    for note in stack.notes:
        print(f"note: {note}", file=sys.stderr)

    if failure is not None:
        if failure.type in CONFIG_ERRORS:
            print(f"configuration error: {failure.message}", file=sys.stderr)
            return EXIT_CONFIG
        print(
            f"the program failed: {failure}\n{failure.plan.error.get('traceback', '') if failure.plan.error else ''}",
            file=sys.stderr,
        )
        return EXIT_PROGRAM

    print(f"Offline plan of {stack.project}/{args.stack} (Pulumi mock runtime: no CLI, no cluster, no GitLab)")
    for key in stack.placeholders:
        print(f"  note: {key} is not set here; planned with a placeholder secret")
    for key in stack.encrypted:
        print(
            f"  note: {key} is encrypted in the stack file; planned with a placeholder secret (nothing decrypts "
            "offline)"
        )
    print()
    print(render_tree(plan, f"{stack.project}-{args.stack}"))
    print()
    written = plan.write(args.out)

    documents = plan.manifests()
    problems = validate_manifests(documents, args.kubernetes_version)
    manifests = len(documents)
    try:
        findings = evaluate_policies(plan, policies.rules, tags)
    except PolicyError as error:
        print(f"the policy pack failed: {error}", file=sys.stderr)
        return EXIT_PROGRAM
    if args.compare:
        comparison = compare(json.loads((Path(args.compare) / "resources.json").read_text()), plan.resource_table())
        (Path(args.out) / "changes.json").write_text(json.dumps(comparison.to_json(), indent=1) + "\n")
        print(f"Compared with {args.compare}: {comparison.summary()}")
        for change in comparison.changes:
            print(change)
        print()
    print(f"Wrote {', '.join(str(p) for p in written)}")
    if problems:
        print(
            f"INVALID: {len(problems)} of {manifests} manifests fail the Kubernetes {args.kubernetes_version} schema:",
            file=sys.stderr,
        )
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
    else:
        print(f"Valid: {manifests} manifests against the Kubernetes {args.kubernetes_version} schema (strict)")

    where = f"{policies.describe()}, stack tags: {show_tags(tags)}"
    for finding in findings:
        if finding.level != MANDATORY:
            print(f"warning: {finding} (advisory)")
    mandatory = [finding for finding in findings if finding.level == MANDATORY]
    if mandatory:
        print(f"POLICY VIOLATIONS: {len(mandatory)} mandatory ({where}):", file=sys.stderr)
        for finding in mandatory:
            print(f"  {finding}", file=sys.stderr)
    else:
        print(f"Policies: no mandatory violation ({where})")
    return EXIT_INVALID if problems or mandatory else EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m gitlab_k8s_cd.components.plan", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--stack", required=True, help="the stack, read from Pulumi.<stack>.yaml")
    parser.add_argument(
        "-c",
        "--config",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config value, as `pulumi up -c` does (KEY without a namespace means <project>:KEY)",
    )
    parser.add_argument(
        "--stack-tag",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a tag the stack has (`pulumi stack tag set KEY VALUE`), which policies read; default none. "
        "A development stack: --stack-tag gitlab-k8s-cd:development=true",
    )
    parser.add_argument("--out", default="build/plan", help="where to write the plan (default build/plan)")
    parser.add_argument("--compare", metavar="DIR", help="an earlier plan's directory to compare with")
    parser.add_argument(
        "--kubernetes-version",
        default=DEFAULT_KUBERNETES_VERSION,
        choices=supported_versions(),
        metavar="X.Y",
        help=f"validate against this Kubernetes version (default {DEFAULT_KUBERNETES_VERSION})",
    )
    parser.add_argument(
        "--policy-pack",
        metavar="DIR",
        help="the policy pack whose rules.py RULES the plan evaluates, as `pulumi preview --policy-pack DIR` "
        "does (default: policy/ in the project, else the one shipped with this package); it needs a mandatory "
        "rule, and the shipped pack's mandatory rules are evaluated too",
    )
    parser.add_argument("--project-dir", default=".", help="the Pulumi project (default: the current directory)")
    parser.add_argument(
        "--config-namespace",
        metavar="NS",
        help="the config namespace the program reads (load_settings(namespace=NS)); default: the project's name, "
        "as load_settings() reads",
    )
    return parser
