"""Kubernetes names and label selectors, as apimachinery validates them."""

from __future__ import annotations

import pytest

from gitlab_k8s_cd.components import (
    kubernetes_names,
)
from gitlab_k8s_cd.components.validation import InvalidArgument


@pytest.mark.parametrize("name", ["a", "hello", "hello-staging", "a1", "1a", "x" * 63])
def test_dns1123_label_accepts_kubernetes_names(name):
    assert kubernetes_names.dns1123_label("name", name) == name


@pytest.mark.parametrize("name", ["", "Hello", "-a", "a-", "a_b", "a.b", "x" * 64, "a\nb", 5, None])
def test_dns1123_label_rejects_what_the_api_server_rejects(name):
    with pytest.raises(InvalidArgument, match=r"^name: must be a DNS-1123 label"):
        kubernetes_names.dns1123_label("name", name)


@pytest.mark.parametrize("name", ["default", "kube-system", "kube-public", "kube-node-lease", "kube-anything"])
def test_claimable_namespace_refuses_the_clusters_own(name):
    with pytest.raises(InvalidArgument, match=r"must not be the cluster's own namespace"):
        kubernetes_names.claimable_namespace("namespace", name)
    assert kubernetes_names.claimable_namespace("namespace", "hello-kube-system") == "hello-kube-system"


@pytest.mark.parametrize("name", ["1hello", "-hello", "Hello", "a" * 64, "hello-"])
def test_dns1035_label_wants_a_letter_first(name):
    with pytest.raises(InvalidArgument, match=r"must be a DNS-1035 label"):
        kubernetes_names.dns1035_label("app", name)
