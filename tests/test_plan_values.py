"""A plan's values: secrets marked, redacted, revealed (gitlab_k8s_cd.components.plan.values)."""

from __future__ import annotations

from gitlab_k8s_cd.components.plan.values import Secret, contains_secret, redact, reveal


def test_redact_reveal_and_contains_secret_walk_nested_values():
    value = {"a": [1, Secret({"b": "x", "c": ["y"]})], "d": "plain"}
    assert redact(value) == {"a": [1, {"b": "[secret]", "c": ["[secret]"]}], "d": "plain"}
    assert reveal(value) == {"a": [1, {"b": "x", "c": ["y"]}], "d": "plain"}
    assert contains_secret(value) and not contains_secret(reveal(value))


def test_a_secret_crosses_the_wire_marked_and_an_integral_float_as_an_int():
    from gitlab_k8s_cd.components.plan.values import from_wire, secret_envelope, secret_on_wire, to_wire

    wire = to_wire({"replicas": 2.0, "ratio": 0.5, "token": secret_envelope({"a": ["x", 1.0]}), "items": ("y",)})
    assert wire == {"replicas": 2, "ratio": 0.5, "token": {"__secret__": {"a": ["x", 1]}}, "items": ["y"]}
    assert type(wire["replicas"]) is int
    assert from_wire(wire) == {"replicas": 2, "ratio": 0.5, "token": Secret({"a": ["x", 1]}), "items": ["y"]}
    assert from_wire(to_wire({"out": secret_on_wire("s")})) == {"out": Secret("s")}
