"""A stand-in for the API server's RBAC authorizer: what the planned Roles and RoleBindings let
an identity do (no ClusterRoles: the stacks make none). It refuses what the real authorizer
refuses for these rules (docs/contracts.md KR-1..KR-4): another namespace, another group,
resource or verb; a name a rule's ``resourceNames`` do not list. Like the API server, it gives a
request the name the request carries, which is none for a ``create`` (a POST to the collection)
and none for a ``list`` or ``watch`` without a ``metadata.name`` field selector: a rule with
``resourceNames`` never allows those. It knows no wildcard, and the stacks grant none.

Sources: kubernetes ``plugin/pkg/auth/authorizer/rbac/rbac.go`` ``RuleAllows`` and
``pkg/apis/rbac/v1/evaluation_helpers.go`` ``ResourceNameMatches`` (a rule with names matches
only a request whose name is one of them); kubernetes/apiserver
``pkg/endpoints/request/requestinfo.go`` (master ``24a394e5``) l. 176-183 (the verb is the
method's: POST ``create``, PATCH ``patch``), 208-216 (the name is the path's), 221-251 (a GET
without a name is a ``list`` or ``watch``, named only by a ``metadata.name`` field selector),
254-256 (a DELETE without a name is ``deletecollection``); kubernetes/website
``content/en/docs/reference/access-authn-authz/rbac.md`` ("You cannot restrict create or
deletecollection requests by their resource name")."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from gitlab_k8s_cd.components.testing import Plan


@dataclass(frozen=True)
class Group:
    """A group the request is authenticated or impersonated with (agent mode: a GitLab CI job's,
    docs/contracts.md AG-1), where a ServiceAccount is given as (namespace, name). A RoleBinding's
    ``Group`` subject matches a request carrying that group (KR-1's subjects, kind Group)."""

    name: str


ANY = None
"""In :func:`granted_requests`: a verb granted on every name."""
UNNAMED_VERBS = frozenset({"create", "deletecollection"})
"""Requests that never carry a name (requestinfo.go: a POST or DELETE to the collection)."""
SELECTOR_VERBS = frozenset({"list", "watch"})
"""Requests named only by a ``metadata.name`` field selector."""


def plural(kind: str) -> str:
    """The API resource of a kind: Ingress -> ingresses, NetworkPolicy -> networkpolicies."""
    name = kind.lower()
    if name.endswith("y"):
        return name[:-1] + "ies"
    return name + ("es" if name.endswith("s") else "s")


def rules_of(plan: Plan, account: tuple[str, str] | Group, namespace: str) -> Iterator[dict]:
    """The rules of every planned Role that a RoleBinding in ``namespace`` binds to ``account``
    (a ServiceAccount's (namespace, name), or a :class:`Group`)."""
    roles = {(r.inputs["metadata"]["namespace"], r.inputs["metadata"]["name"]): r.inputs for r in plan.kind("Role")}
    for binding in plan.kind("RoleBinding"):
        binding = binding.inputs
        bound_in = binding["metadata"]["namespace"]
        subjects: set[tuple[str, str] | Group] = {
            (s.get("namespace", bound_in), s["name"]) for s in binding["subjects"] if s["kind"] == "ServiceAccount"
        }
        subjects |= {Group(s["name"]) for s in binding["subjects"] if s["kind"] == "Group"}
        if bound_in == namespace and account in subjects:
            yield from roles.get((bound_in, binding["roleRef"]["name"]), {}).get("rules", [])


def request_name(verb: str, name: str | None, field_selector_name: str | None = None) -> str:
    """The name the API server authorizes a request under ("" for none)."""
    if verb in UNNAMED_VERBS:
        return ""
    if verb in SELECTOR_VERBS:
        return field_selector_name or ""
    return name or ""


def grants(
    plan: Plan,
    account: tuple[str, str],
    namespace: str,
    group: str,
    resource: str,
    verb: str,
    name: str | None = None,
    field_selector_name: str | None = None,
) -> bool:
    """Whether the ServiceAccount ``account`` (namespace, name) may ``verb`` ``resource`` of
    ``group`` in ``namespace``. ``name``: the object a get, patch, update or delete is for (a
    create carries no name, whatever the object will be called); ``field_selector_name``: a list
    or watch's ``metadata.name`` field selector, if any."""
    asked = request_name(verb, name, field_selector_name)
    return any(
        group in rule["apiGroups"]
        and resource in rule["resources"]
        and verb in rule["verbs"]
        and (not rule.get("resourceNames") or asked in rule["resourceNames"])
        for rule in rules_of(plan, account, namespace)
    )


def granted(plan: Plan, account: tuple[str, str], namespace: str) -> set[tuple[str, str, str]]:
    """Every (group, resource, verb) the planned Roles bound to ``account`` grant in ``namespace``,
    on some name or on all."""
    return {(group, resource, verb) for group, resource, verb, _ in granted_requests(plan, account, namespace)}


def granted_requests(plan: Plan, account: tuple[str, str], namespace: str) -> set[tuple[str, str, str, str | None]]:
    """Every (group, resource, verb, name) the planned Roles bound to ``account`` grant in
    ``namespace``; name :data:`ANY` where a rule lists no ``resourceNames``. A named grant that an
    unnamed one already covers is left out, so that two Roles granting the same are equal."""
    expanded = {
        (group, resource, verb, name)
        for rule in rules_of(plan, account, namespace)
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
        for name in (rule.get("resourceNames") or [ANY])
    }
    return {r for r in expanded if r[3] is ANY or (*r[:3], ANY) not in expanded}


def allows(plan: Plan, account: tuple[str, str], verb: str, manifest: dict, roles_from: Plan | None = None) -> bool:
    """Whether ``account`` may ``verb`` the object ``manifest``, by the Roles and RoleBindings of
    ``roles_from`` (default ``plan``). A Namespace is checked as the API server does: a
    namespaced request in that namespace, for that name."""
    kind = manifest["kind"]
    group = manifest["apiVersion"].rpartition("/")[0]
    name = manifest["metadata"]["name"]
    where = name if kind == "Namespace" else manifest["metadata"]["namespace"]
    return grants(roles_from or plan, account, where, group, plural(kind), verb, name)
