"""What the mock runtime answers in place of the providers, which do not run offline.

Each value is deterministic, so that two plans of the same program compare equal:

- an autonamed Kubernetes object gets ``<logical name>-<8 hex>``; the hex digits hash the
  inputs whose change makes the provider replace the object (:mod:`.replacement`), so a
  replacement gets a new name, as it does for real;
- a ``kubernetes.io/service-account-token`` Secret gets a ``data.token``, as the token
  controller would give it;
- GitLab tokens get a ``token`` (and a deploy token a ``username``), a pipeline schedule its id,
  a cluster agent its ``agentId``,
  a ``random.RandomPassword`` a (secret) ``result``;
- the invokes this library makes (``gitlab.get_group``, ``gitlab.get_project``) get plausible
  answers (:data:`DEFAULT_INVOKES`); ``run_program(invokes=...)`` adds or overrides answers by token.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from .replacement import replace_paths
from .values import get_path, secret_envelope

DEFAULT_INVOKES: Mapping[str, Mapping[str, Any]] = {
    "gitlab:index/getGroup:getGroup": {"id": "4242", "groupId": 4242},
    "gitlab:index/getProject:getProject": {"id": "4343", "defaultBranch": "main"},
}


def stand_in(label: str) -> str:
    """A deterministic, maskable stand-in for a value only a real provider could produce."""
    return "offline-plan-" + hashlib.sha256(label.encode()).hexdigest()[:24]


def computed_state(type_: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """What the provider would add to ``inputs`` on create (see the module docstring)."""
    state = dict(inputs)
    if type_.startswith("kubernetes:") and "apiVersion" in inputs:
        metadata = dict(state.get("metadata") or {})
        if not metadata.get("name"):
            relevant = {path: get_path(inputs, path) for path in replace_paths(type_) if path != "metadata.name"}
            digest = hashlib.sha256(json.dumps([name, relevant], sort_keys=True, default=str).encode()).hexdigest()
            metadata["name"] = f"{name}-{digest[:8]}"
        state["metadata"] = metadata
        if inputs.get("type") == "kubernetes.io/service-account-token":
            token = base64.b64encode(stand_in(f"token:{name}").encode()).decode()
            state["data"] = secret_envelope({"token": token})
    elif type_ == "gitlab:index/projectDeployToken:ProjectDeployToken":
        state.setdefault("username", "gitlab+deploy-token-offline-plan")
        state["token"] = secret_envelope(stand_in(f"deploy-token:{name}"))
    elif type_ == "gitlab:index/pipelineSchedule:PipelineSchedule":
        state.setdefault("pipelineScheduleId", 4444)
    elif type_ == "random:index/randomPassword:RandomPassword":
        state["result"] = secret_envelope(stand_in(f"password:{name}"))
    elif type_ == "gitlab:index/projectAccessToken:ProjectAccessToken":
        state["token"] = secret_envelope("glpat-" + stand_in(f"access-token:{name}"))
    elif type_ == "gitlab:index/clusterAgent:ClusterAgent":
        state["agentId"] = 4545
    elif type_ == "gitlab:index/clusterAgentToken:ClusterAgentToken":
        state["token"] = secret_envelope("glagent-" + stand_in(f"agent-token:{name}"))
    return state
