"""What the planned RBAC lets an identity do, read from a plan's Roles and RoleBindings (no
ClusterRoles: the stacks make none)."""

from __future__ import annotations

from components.testing import Plan


def plural(kind: str) -> str:
    """The API resource of a kind: Ingress -> ingresses, NetworkPolicy -> networkpolicies."""
    name = kind.lower()
    if name.endswith("y"):
        return name[:-1] + "ies"
    return name + ("es" if name.endswith("s") else "s")


def allows(plan: Plan, account: tuple[str, str], verb: str, manifest: dict, roles_from: Plan | None = None) -> bool:
    """Whether the ServiceAccount ``account`` (namespace, name) may ``verb`` the object ``manifest``,
    by the Roles and RoleBindings of ``roles_from`` (default ``plan``). A Namespace is checked as
    the API server does: a namespaced request in that namespace, for that name."""
    source = roles_from or plan
    kind = manifest["kind"]
    group = manifest["apiVersion"].rpartition("/")[0]
    name = manifest["metadata"]["name"]
    where = name if kind == "Namespace" else manifest["metadata"]["namespace"]
    roles = {(r.inputs["metadata"]["namespace"], r.inputs["metadata"]["name"]): r.inputs for r in source.kind("Role")}
    for binding in source.kind("RoleBinding"):
        binding = binding.inputs
        namespace = binding["metadata"]["namespace"]
        subjects = {
            (s.get("namespace", namespace), s["name"]) for s in binding["subjects"] if s["kind"] == "ServiceAccount"
        }
        if namespace != where or account not in subjects:
            continue
        for rule in roles.get((namespace, binding["roleRef"]["name"]), {}).get("rules", []):
            if (
                group in rule["apiGroups"]
                and plural(kind) in rule["resources"]
                and verb in rule["verbs"]
                and name in rule.get("resourceNames", [name])
            ):
                return True
    return False
