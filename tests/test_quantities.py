"""Kubernetes quantities and rollout bounds, as the API server and the Deployment controller read them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gitlab_k8s_cd.components import (
    quantities,
)
from gitlab_k8s_cd.components.validation import InvalidArgument


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("250m", Decimal("0.25")),
        ("1", Decimal(1)),
        ("512Mi", Decimal(512 * 2**20)),
        ("2Gi", Decimal(2 * 2**30)),
        ("1e3", Decimal(1000)),
        ("1.5", Decimal("1.5")),
        ("100k", Decimal(100000)),
        (".5", Decimal("0.5")),
    ],
)
def test_quantity_accepts_and_parses_kubernetes_quantities(text, amount):
    assert quantities.quantity("cpu", text) == text
    assert quantities.parse_quantity(text) == amount


@pytest.mark.parametrize("text", ["", "1x", "m", "1 Gi", "1GiB", "one", "-1", "1.2.3", 2])
def test_quantity_rejects_malformed_or_negative_amounts(text):
    with pytest.raises(InvalidArgument, match=r"^cpu: must"):
        quantities.quantity("cpu", text)


@pytest.mark.parametrize("value", [0, 1, 10, "0%", "25%", "100%"])
def test_int_or_percent_accepts_counts_and_percentages_up_to_100(value):
    assert quantities.int_or_percent("max_surge", value) == value


@pytest.mark.parametrize("value", [-1, "101%", "-5%", "25", "25 %", "1000%", True, 2.5, None])
def test_int_or_percent_rejects_negatives_and_percentages_outside_0_to_100(value):
    with pytest.raises(InvalidArgument, match=r"^max_surge: must be an integer ≥ 0 or a percentage from 0% to 100%"):
        quantities.int_or_percent("max_surge", value)


@pytest.mark.parametrize(
    ("value", "replicas", "surge", "unavailable"),
    [(1, 3, 1, 1), ("25%", 3, 1, 0), ("25%", 4, 1, 1), ("00%", 5, 0, 0), ("100%", 3, 3, 3), ("050%", 3, 2, 1)],
)
def test_resolve_bound_rounds_surge_up_and_unavailable_down(value, replicas, surge, unavailable):
    assert quantities.resolve_bound(value, replicas, round_up=True) == surge
    assert quantities.resolve_bound(value, replicas, round_up=False) == unavailable


@pytest.mark.parametrize("zero", [0, "0%", "00%", "000%"])
def test_is_zero_in_any_spelling(zero):
    assert quantities.int_or_percent("max_surge", zero) == zero
    assert quantities.is_zero(zero)


@pytest.mark.parametrize("amount", ["128", "128m", "1.5", "500u"])
def test_memory_quantity_wants_a_byte_unit(amount):
    with pytest.raises(InvalidArgument, match=r"must be a memory quantity with a unit"):
        quantities.memory_quantity("memory", amount)
    for tiny in ("1e-3", "4Ki"):
        with pytest.raises(InvalidArgument, match=r"must be at least 1Mi"):
            quantities.memory_quantity("memory", tiny)
    for good in ("128Mi", "1G", "128e6", "0.5Gi"):
        assert quantities.memory_quantity("memory", good) == good


def test_cpu_quantity_refuses_byte_units():
    with pytest.raises(InvalidArgument, match=r"must be a CPU quantity"):
        quantities.cpu_quantity("cpu", "1Gi")
    assert quantities.cpu_quantity("cpu", "250m") == "250m"


def test_a_number_where_a_quantity_is_due_is_told_to_be_quoted():
    with pytest.raises(InvalidArgument, match=r"must be a Kubernetes quantity as text: quote it, '20' \(got 20\)"):
        quantities.quantity("pods", 20)
