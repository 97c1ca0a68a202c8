"""TEST STAND-IN for how pulumi-kubernetes diffs a Kubernetes object on `pulumi up`/`preview`,
which cannot run here (no provider, no cluster).

The provider compares the new inputs with the object's last live state **pruned to the shape of
the old inputs** (pulumi/pulumi-kubernetes v4.32.0, unchanged to master of 2026-07-01:
``provider/pkg/provider/provider.go`` l. 1436-1451, 1494 ``pruneLiveState``, 1536-1540; the
pruning is ``provider/pkg/provider/util.go`` l. 234-305, ``pruneMap`` and ``pruneSlice``, ported
below). So a field the old inputs never set (``spec.replicas`` under an autoscaler) is not in
the diff, whatever the live object holds (docs/contracts.md KH-1).
"""

from __future__ import annotations

import copy
from typing import Any


def prune_map(source: dict[str, Any] | None, target: dict[str, Any] | None) -> dict[str, Any] | None:
    """``pruneMap``: the keys of ``source`` (live) that ``target`` (old inputs) has, recursively."""
    if target is None or source is None:
        return None
    result: dict[str, Any] = {}
    for key, value in source.items():
        if key not in target:
            continue
        target_value = target[key]
        if value is None or target_value is None or type(value) is not type(target_value):
            result[key] = value
        elif isinstance(value, dict):
            result[key] = prune_map(value, target_value)
        elif isinstance(value, list):
            result[key] = prune_slice(value, target_value)
        else:
            result[key] = value
    return result


def prune_slice(source: list[Any] | None, target: list[Any] | None) -> list[Any] | None:
    """``pruneSlice``: element by element, as long as both have one."""
    if target is None or source is None:
        return None
    if not source or not target:
        return []
    if type(source[0]) is not type(target[0]):
        return copy.deepcopy(source)
    result = []
    for index, target_value in enumerate(target):
        if index + 1 > len(source):
            break
        value = source[index]
        if value is None or target_value is None:
            result.append(value)
        elif isinstance(value, dict):
            nested = prune_map(value, target_value)
            if nested is not None:
                result.append(nested)
        elif isinstance(value, list):
            nested_list = prune_slice(value, target_value)
            if nested_list is not None:
                result.append(nested_list)
        else:
            result.append(value)
    return result
