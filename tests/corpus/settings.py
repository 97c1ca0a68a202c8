"""Settings (the app's environment variables): names the kubelet would skip, NUL bytes, and
names that would override the runtime (``PATH``, ``HOME``, ``KUBERNETES_*``...).

Kubernetes before 1.34 (RelaxedEnvironmentVariableValidation) skips an envFrom key that is not a
C-like name, with nothing but an event to say so; the rule here is that one, on every version."""

from __future__ import annotations

from tests.corpus import SECRET, Case

NAME = "must be an environment variable name"
RUNTIME = "must not replace a variable the runtime sets"


def setting(name: str, value: str = "x") -> dict[str, dict[str, str]]:
    return {"settings": {name: value}}


CASES: list[Case] = [
    Case("setting-starts-with-a-digit", setting("1FOO"), "settings['1FOO']", NAME, "'1FOO'"),
    Case("setting-with-a-colon", setting("A:B"), "settings['A:B']", "keys must be letters", "'A:B'"),
    Case("setting-with-a-space", setting("MY VAR"), "settings['MY VAR']", "keys must be letters", "'MY VAR'"),
    Case("setting-with-equals", setting("A=B"), "settings['A=B']", "keys must be letters", "'A=B'"),
    Case("setting-path", setting("PATH", "/tmp"), "settings['PATH']", RUNTIME, "'PATH'"),
    Case("setting-home", setting("HOME", "/"), "settings['HOME']", RUNTIME, "'HOME'"),
    Case("setting-hostname", setting("HOSTNAME"), "settings['HOSTNAME']", RUNTIME, "'HOSTNAME'"),
    Case(
        "setting-kubernetes-service-host",
        setting("KUBERNETES_SERVICE_HOST", "10.0.0.1"),
        "settings['KUBERNETES_SERVICE_HOST']",
        RUNTIME,
        "'KUBERNETES_SERVICE_HOST'",
    ),
    Case("setting-ld-preload", setting("LD_PRELOAD", "/tmp/x.so"), "settings['LD_PRELOAD']", RUNTIME, "'LD_PRELOAD'"),
    Case("setting-nul-byte", setting("GREETING", "hello\x00world"), "settings['GREETING']", "NUL byte", SECRET),
    Case(
        "setting-value-not-a-string", {"settings": {"PORT": 8080}}, "settings['PORT']", "values must be strings", "8080"
    ),
    Case(
        "setting-service-link",
        setting("HELLO_SERVICE_HOST", "10.0.0.9"),
        "settings['HELLO_SERVICE_HOST']",
        RUNTIME,
        "'HELLO_SERVICE_HOST'",
    ),
    Case(
        "setting-docker-link-of-the-apps-service",
        setting("HELLO_PORT_8080_TCP_ADDR", "10.0.0.9"),
        "settings['HELLO_PORT_8080_TCP_ADDR']",
        "service link HELLO_PORT*",
        "'HELLO_PORT_8080_TCP_ADDR'",
    ),
    Case("setting-lone-surrogate", setting("GREETING", "\ud800"), "settings.GREETING", "valid Unicode", "'\\\\ud800'"),
]
