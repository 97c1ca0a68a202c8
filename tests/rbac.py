"""A stand-in for the API server's RBAC authorizer: what the planned Roles and RoleBindings let
an identity do (no ClusterRoles: the stacks make none). It refuses what the real authorizer
refuses for these rules: another namespace, another group, resource or verb, another name
where ``resourceNames`` is set; it knows no wildcard, and the stacks grant none."""

from __future__ import annotations

from collections.abc import Iterator

from components.testing import Plan


def plural(kind: str) -> str:
    """The API resource of a kind: Ingress -> ingresses, NetworkPolicy -> networkpolicies."""
    name = kind.lower()
    if name.endswith("y"):
        return name[:-1] + "ies"
    return name + ("es" if name.endswith("s") else "s")


def rules_of(plan: Plan, account: tuple[str, str], namespace: str) -> Iterator[dict]:
    """The rules of every planned Role that a RoleBinding in ``namespace`` binds to ``account``."""
    roles = {(r.inputs["metadata"]["namespace"], r.inputs["metadata"]["name"]): r.inputs for r in plan.kind("Role")}
    for binding in plan.kind("RoleBinding"):
        binding = binding.inputs
        bound_in = binding["metadata"]["namespace"]
        subjects = {
            (s.get("namespace", bound_in), s["name"]) for s in binding["subjects"] if s["kind"] == "ServiceAccount"
        }
        if bound_in == namespace and account in subjects:
            yield from roles.get((bound_in, binding["roleRef"]["name"]), {}).get("rules", [])


def grants(
    plan: Plan, account: tuple[str, str], namespace: str, group: str, resource: str, verb: str, name: str | None = None
) -> bool:
    """Whether the ServiceAccount ``account`` (namespace, name) may ``verb`` ``resource`` of
    ``group`` in ``namespace`` (``name``: one object; None: a list or watch of all of them)."""
    return any(
        group in rule["apiGroups"]
        and resource in rule["resources"]
        and verb in rule["verbs"]
        and (rule.get("resourceNames") is None or (name is not None and name in rule["resourceNames"]))
        for rule in rules_of(plan, account, namespace)
    )


def granted(plan: Plan, account: tuple[str, str], namespace: str) -> set[tuple[str, str, str]]:
    """Every (group, resource, verb) the planned Roles bound to ``account`` grant in ``namespace``."""
    return {
        (group, resource, verb)
        for rule in rules_of(plan, account, namespace)
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }


def allows(plan: Plan, account: tuple[str, str], verb: str, manifest: dict, roles_from: Plan | None = None) -> bool:
    """Whether ``account`` may ``verb`` the object ``manifest``, by the Roles and RoleBindings of
    ``roles_from`` (default ``plan``). A Namespace is checked as the API server does: a
    namespaced request in that namespace, for that name."""
    kind = manifest["kind"]
    group = manifest["apiVersion"].rpartition("/")[0]
    name = manifest["metadata"]["name"]
    where = name if kind == "Namespace" else manifest["metadata"]["namespace"]
    return grants(roles_from or plan, account, where, group, plural(kind), verb, name)
