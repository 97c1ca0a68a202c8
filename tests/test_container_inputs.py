"""Command lines and settings a container gets in plain text: what the kubelet passes, never a secret."""

from __future__ import annotations

import pytest

from gitlab_k8s_cd.components import (
    container_inputs,
)
from gitlab_k8s_cd.components.validation import InvalidArgument


def test_configmap_data_wants_string_keys_and_values():
    assert container_inputs.configmap_data("settings", {"LOG_LEVEL": "info", "a.b-c_d": "x"}) == {
        "LOG_LEVEL": "info",
        "a.b-c_d": "x",
    }
    with pytest.raises(InvalidArgument, match=r"values must be strings"):
        container_inputs.configmap_data("settings", {"REPLICAS": 2})
    with pytest.raises(InvalidArgument, match=r"keys must be letters, digits"):
        container_inputs.configmap_data("settings", {"BAD KEY": "x"})


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"1FOO": "x"}, r"must be an environment variable name"),
        ({"PATH": "/tmp"}, r"must not replace a variable the runtime sets"),
        ({"KUBERNETES_SERVICE_HOST": "x"}, r"must not replace"),
        ({"LD_PRELOAD": "/tmp/x.so"}, r"must not replace"),
        ({"HELLO_SERVICE_HOST": "10.0.0.1"}, r"must not replace"),  # the kubelet's service links
        ({"HELLO_SERVICE_PORT_HTTP": "80"}, r"must not replace"),
        ({"GREETING": "a\0b"}, r"must not contain a NUL byte"),
        ({"DB_PASSWORD": "hunter2hunter2"}, r"is named like a secret"),
        ({"UPSTREAM": "https://u:hunter2@example.com"}, r"looks like a URL with a password"),
    ],
)
def test_environment_settings_refuse_what_would_be_skipped_override_the_runtime_or_leak(settings, expected):
    with pytest.raises(InvalidArgument, match=expected) as caught:
        container_inputs.environment_settings("settings", settings)
    assert "hunter2" not in str(caught.value)


def test_environment_settings_take_ordinary_names():
    settings = {"LOG_LEVEL": "info", "app.mode": "x", "_X": "", "TOKEN_TTL": "60"}
    assert container_inputs.environment_settings("settings", settings) == settings
