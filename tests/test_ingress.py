"""The Ingress to web (gitlab_k8s_cd.components.ingress): the environment URL's host and path, always TLS, a
cert-manager issuer or an existing Secret, and a NetworkPolicy that admits the controller alone."""

from __future__ import annotations

import pytest

from gitlab_k8s_cd.components import IngressArgs, IngressSpec, InvalidArgument
from gitlab_k8s_cd.components.ingress import allow_http_spec


def test_an_environment_ingress_takes_the_urls_host_and_path():
    args = IngressSpec(enabled=True, class_name="nginx").args("https://apps.example.com/hello/")
    assert (args.host, args.path, args.class_name) == ("apps.example.com", "/hello/", "nginx")
    assert IngressSpec().args("https://hello.example.com").path == "/"


def test_the_controller_defaults_are_ingress_nginx_s_official_ones():
    """docs/contracts.md KA-8: its namespace and its controller pods' labels (not the release's)."""
    args = IngressSpec(enabled=True).args("https://hello.example.com")
    assert args.controller_namespace == "ingress-nginx"
    assert args.controller_pod_labels == {
        "app.kubernetes.io/name": "ingress-nginx",
        "app.kubernetes.io/component": "controller",
    }


def test_cert_manager_gets_its_issuer_annotation_and_pulumi_its_wait():
    """docs/contracts.md CM-1: ingress-shim acts on cert-manager.io/(cluster-)issuer, and writes the
    certificate to the tls entry's secretName."""
    cluster = IngressArgs(host="h.example.com", tls_secret="h-tls", cluster_issuer="letsencrypt", await_seconds=60)
    assert cluster.annotations() == {"cert-manager.io/cluster-issuer": "letsencrypt", "pulumi.com/timeoutSeconds": "60"}
    assert IngressArgs(host="h.example.com", tls_secret="h-tls", issuer="local").annotations() == {
        "cert-manager.io/issuer": "local"
    }
    assert IngressArgs(host="h.example.com").annotations() == {}


def test_the_policy_admits_the_controller_pods_of_its_namespace_in_one_peer():
    """Two peers would admit the whole namespace *or* those pods anywhere; one peer with both
    selectors admits those pods in that namespace."""
    spec = allow_http_spec({"app": "a"}, 8080, from_namespace="edge", from_pods={"role": "proxy"})
    assert spec["ingress"] == [
        {
            "ports": [{"port": 8080, "protocol": "TCP"}],
            "from": [
                {
                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "edge"}},
                    "podSelector": {"matchLabels": {"role": "proxy"}},
                }
            ],
        }
    ]
    assert "podSelector" not in allow_http_spec({}, 1, from_namespace="edge", from_pods={})["ingress"][0]["from"][0]
    assert "from" not in allow_http_spec({}, 1)["ingress"][0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"host": "Review.Example.com"}, r"^host: must be a DNS-1123 subdomain"),
        ({"host": "ok.example.com", "class_name": "nginx class"}, r"^class_name: must be a DNS-1123 subdomain"),
        ({"host": "ok.example.com", "tls_secret": "TLS"}, r"^tls_secret: must be a DNS-1123 subdomain"),
        ({"host": "ok.example.com", "path": "no-slash"}, r"^path: must be an HTTP path starting with '/'"),
        (
            {"host": "ok.example.com", "cluster_issuer": "le", "issuer": "local", "tls_secret": "t"},
            r"^cluster_issuer and issuer: only one may be set",
        ),
        ({"host": "ok.example.com", "issuer": "local"}, r"^tls_secret and issuer: a cert-manager issuer needs"),
        ({"host": "ok.example.com", "controller_namespace": "Ingress"}, r"^controller_namespace: must be a DNS-1123"),
        (
            {"host": "ok.example.com", "controller_pod_labels": {"app": "x" * 64}},
            r"^controller_pod_labels\['app'\]: must be a label value",
        ),
        (
            {"host": "ok.example.com", "controller_pod_labels": {"-bad": "x"}},
            r"^controller_pod_labels\['-bad'\]: must be a label key",
        ),
        ({"host": "ok.example.com", "await_seconds": 3601}, r"^await_seconds: must be an integer from 1 to 3600"),
    ],
)
def test_ingress_args_reject_bad_values(kwargs, message):
    with pytest.raises(InvalidArgument, match=message):
        IngressArgs(**kwargs)
