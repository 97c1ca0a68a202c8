"""The cleanup tool (gitlab_k8s_cd.pipeline.cleanup) against a real docker-registry with htpasswd auth, and
against stand-ins for what cannot run here: GitLab's API and a token-auth registry."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests

from gitlab_k8s_cd.pipeline import cleanup as cleanup_tool
from gitlab_k8s_cd.pipeline.cleanup import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_USAGE,
    RegistryAuth,
    main,
    realm_refusal,
    split_image,
)
from tests.registry import OCI_MANIFEST, free_port, running_registry
from tests.stand_ins import stand_in_server

REPO = "acme/hello"


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    with running_registry(tmp_path_factory.mktemp("registry")) as running:
        yield running


def cleanup(registry, tag, password=None, repo=REPO, *extra):
    env = {"REGISTRY_PASSWORD": registry.password if password is None else password}
    argv = [
        "--image",
        f"{registry.host}/{repo}",
        "--tag",
        tag,
        "--registry-url",
        registry.url,
        "--username",
        registry.username,
        "--via",
        "registry",
        "--backoff",
        "0",
        *extra,
    ]
    return main(argv, environ=env)


def test_a_ci_tag_is_deleted_and_the_release_tag_kept(registry, capsys):
    registry.push(REPO, "ci-101-0a1b2c3d", b"ci image: code and test tools")
    registry.push(REPO, "release-0a1b2c3d", b"release image: minimal")
    assert cleanup(registry, "ci-101-0a1b2c3d") == EXIT_OK
    assert "deleted acme/hello:ci-101-0a1b2c3d (sha256:" in capsys.readouterr().out
    assert "ci-101-0a1b2c3d" not in registry.tags(REPO)
    assert "release-0a1b2c3d" in registry.tags(REPO)


def test_a_missing_tag_is_success_with_a_message(registry, capsys):
    registry.push(REPO, "release-1111aaaa", b"another release")
    assert cleanup(registry, "ci-999-deadbeef") == EXIT_OK
    assert "acme/hello:ci-999-deadbeef does not exist; nothing to delete" in capsys.readouterr().out
    assert cleanup(registry, "ci-1-00000000", None, "acme/never-pushed") == EXIT_OK


def test_a_digest_another_tag_points_to_is_never_deleted(registry, capsys):
    digest = registry.push(REPO, "ci-102-22222222", b"same bytes")
    assert registry.push(REPO, "v1.2.3", b"same bytes") == digest
    assert cleanup(registry, "ci-102-22222222") == EXIT_REFUSED
    message = capsys.readouterr().err
    assert f"refusing to delete acme/hello:ci-102-22222222: its digest {digest} is also tagged v1.2.3" in message
    assert {"ci-102-22222222", "v1.2.3"} <= set(registry.tags(REPO))


def test_a_bad_password_fails_and_deletes_nothing(registry, capsys):
    registry.push(REPO, "ci-103-33333333", b"ci image 103")
    before = registry.tags(REPO)
    assert cleanup(registry, "ci-103-33333333", "wrong-password") == EXIT_FAILED
    assert "authentication failed (HTTP 401)" in capsys.readouterr().err
    assert registry.tags(REPO) == before


def test_a_registry_that_is_down_fails_loudly_after_bounded_retries(capsys):
    port = free_port()  # nothing listens here
    code = main(
        [
            "--image",
            f"127.0.0.1:{port}/{REPO}",
            "--tag",
            "ci-1-00000000",
            "--registry-url",
            f"http://127.0.0.1:{port}",
            "--via",
            "registry",
            "--retries",
            "2",
            "--backoff",
            "0",
        ],
        environ={"REGISTRY_PASSWORD": "x"},
    )
    assert code == EXIT_FAILED
    assert "the registry is unreachable after 2 retries" in capsys.readouterr().err


def test_transient_5xx_answers_are_retried_until_the_registry_answers(capsys):
    """A stand-in registry that fails twice with 503, then answers."""

    def answer(request, server):
        if len(server.requests) <= 2:
            return 503, {}, {"errors": [{"code": "UNAVAILABLE"}]}
        return 200, {}, {"name": REPO, "tags": ["release-1"]}

    with stand_in_server(answer) as server:
        code = main(
            [
                "--image",
                f"127.0.0.1:1/{REPO}",
                "--tag",
                "ci-1-00000000",
                "--registry-url",
                server.url,
                "--via",
                "registry",
                "--backoff",
                "0",
            ],
            environ={},
        )
    assert code == EXIT_OK
    assert [r.method for r in server.requests] == ["GET", "GET", "GET"]
    assert "does not exist; nothing to delete" in capsys.readouterr().out


def test_a_token_auth_registry_gets_a_bearer_token_for_the_repository():
    """A stand-in for a registry with token auth (as GitLab's is), and its token service."""

    def answer(request, server):
        if request.path.startswith("/jwt/auth"):
            assert request.headers.get("Authorization", "").startswith("Basic ")
            assert "scope=repository%3Aacme%2Fhello%3Apull%2Cdelete" in request.path
            return 200, {}, {"token": "stand-in-token"}
        if request.headers.get("Authorization") != "Bearer stand-in-token":
            challenge = (
                f'Bearer realm="{server.url}/jwt/auth",service="container_registry",'
                f'scope="repository:acme/hello:pull,delete"'
            )
            return 401, {"WWW-Authenticate": challenge}, {"errors": [{"code": "UNAUTHORIZED"}]}
        if request.path.startswith("/v2/acme/hello/tags/list"):
            return 200, {}, {"name": REPO, "tags": ["ci-5-55555555"]}
        if request.method == "HEAD":
            return 200, {"Docker-Content-Digest": "sha256:" + "5" * 64, "Content-Type": OCI_MANIFEST}, None
        return 202, {}, None

    with stand_in_server(answer) as server:
        code = main(
            [
                "--image",
                f"127.0.0.1:1/{REPO}",
                "--tag",
                "ci-5-55555555",
                "--registry-url",
                server.url,
                "--username",
                "ci",
                "--via",
                "registry",
            ],
            environ={"REGISTRY_PASSWORD": "pw"},
        )
    assert code == EXIT_OK
    assert ("DELETE", f"/v2/acme/hello/manifests/sha256:{'5' * 64}") in [(r.method, r.path) for r in server.requests]


def test_in_gitlab_ci_the_tag_is_deleted_through_gitlabs_api_with_the_job_token(capsys):
    """A stand-in for GitLab's registry API (no GitLab server can run here)."""

    def answer(request, server):
        assert request.headers.get("JOB-TOKEN") == "job-token-value"
        if request.method == "GET" and "/registry/repositories" in request.path:
            return (
                200,
                {},
                [
                    {"id": 7, "location": "registry.example.com/acme/other"},
                    {"id": 8, "location": "registry.example.com/acme/hello"},
                ],
            )
        if (
            request.method == "DELETE"
            and request.path == "/api/v4/projects/42/registry/repositories/8/tags/ci-7-77777777"
        ):
            return 200, {}, None
        return 404, {}, {"message": "404 Tag Not Found"}

    with stand_in_server(answer) as server:
        env = {"CI_JOB_TOKEN": "job-token-value", "CI_API_V4_URL": f"{server.url}/api/v4", "CI_PROJECT_ID": "42"}
        assert main(["--image", "registry.example.com/acme/hello", "--tag", "ci-7-77777777"], environ=env) == EXIT_OK
        assert "deleted registry.example.com/acme/hello:ci-7-77777777 through GitLab's API" in capsys.readouterr().out
        assert main(["--image", "registry.example.com/acme/hello", "--tag", "ci-8-88888888"], environ=env) == EXIT_OK
        assert "does not exist; nothing to delete" in capsys.readouterr().out
    assert "job-token-value" not in capsys.readouterr().out


@pytest.mark.parametrize(
    "image",
    [
        "acme/hello",
        "registry.example.com/acme/hello:1.0",
        "registry.example.com",
        "registry.example.com/acme/../other",
        "registry.example.com/acme/%2e%2e",
        "registry.example.com/Acme/hello",
        "registry.example.com/acme//hello",
        "registry.example.com/acme/hello/",
    ],
)
def test_an_image_must_be_a_registry_host_and_repository_without_a_tag(image):
    with pytest.raises(ValueError, match=r"--image"):
        split_image(image)
    assert main(["--image", image, "--tag", "x"], environ={}) == EXIT_USAGE


BAD_HOSTS = [
    "registry.example.com@evil.example",  # userinfo: the origin would be evil.example
    "user:pw@registry.example.com",
    "registry.example.com:99999",
    "registry.example.com:65536",
    "registry.example.com:0",
    "registry.example.com:abc",
    "registry.example.com:",
    "registry.example.com#.evil.example",
    "registry.example.com?.evil.example",
    "registry.example.com\\.evil.example",
    "registry..example.com",
    "-registry.example.com",
    "registry-.example.com",
    "reg_istry.example.com",
    "registry.example.com.",
    "r\u00e9gistry.example.com",
    "[::g]:5000",
    "[:::::1]",
    "[::1]:70000",
    "registry.example.com:5000:5000",
    "registry.example.com%2f",
]


@pytest.mark.parametrize("host", BAD_HOSTS)
def test_an_image_whose_registry_host_is_not_a_host_is_a_usage_error_before_any_request(monkeypatch, capsys, host):
    monkeypatch.setattr(cleanup_tool, "session", lambda *_: pytest.fail("no session for a usage error"))
    image = f"{host}/acme/app"
    with pytest.raises(ValueError, match=r"the registry host .* expected a host name"):
        split_image(image)
    assert main([f"--image={image}", "--tag", "ci-1-0a1b2c3d", "--via", "registry"], environ={}) == EXIT_USAGE
    env = {"CI_JOB_TOKEN": "t", "CI_API_V4_URL": "https://gitlab.example.com/api/v4", "CI_PROJECT_ID": "42"}
    assert main([f"--image={image}", "--tag", "ci-1-0a1b2c3d"], environ=env) == EXIT_USAGE  # "-x": not an option
    err = capsys.readouterr().err
    assert err.count(f"error: --image {image!r}: the registry host {host!r}: expected a host name") == 2


@pytest.mark.parametrize(
    "host", ["registry.example.com", "registry.example.com:5000", "127.0.0.1:65535", "localhost", "[::1]:1", "REG.io"]
)
def test_a_registry_host_of_the_reference_grammar_is_accepted(host):
    assert split_image(f"{host}/acme/app") == (host, "acme/app")


ACCEPTED = [
    "registry.example.com/acme/app",
    "registry.example.com:5000/acme/sub/app",
    "localhost/app",
    "[::1]:1/acme/app",
    "REG.io/acme__x/a-b.c",
]


def test_what_the_tool_accepts_as_a_repository_the_stacks_image_reference_accepts():
    """One grammar: an image the tool would clean up, tagged, is an image the stack deploys from
    that registry."""
    from gitlab_k8s_cd.components.image_reference import ImageReference

    accepted = []
    for image in [f"{host}/acme/app" for host in BAD_HOSTS] + ACCEPTED + ["registry.example.com/acme/app:1.0"]:
        try:
            host, repository = split_image(image)
        except ValueError:
            continue
        reference = ImageReference.parse("image", f"{image}:ci-1-0a1b2c3d")
        assert (reference.registry, reference.name) == (host, f"{host}/{repository}")
        accepted.append(image)
    assert accepted == ACCEPTED


def test_the_tool_and_the_stack_refuse_the_same_registry_hosts():
    """One rule, gitlab_k8s_cd.components.image_reference's: the stack refuses a registry the tool
    refuses (a port out of range, an IPv6 address that does not parse: docs/contracts.md CR-4)."""
    from gitlab_k8s_cd.components.image_reference import ImageReference

    for host in [*BAD_HOSTS, "[:::]:5000", "[::1]:1", "registry.example.com:5000", "localhost"]:
        try:
            split_image(f"{host}/acme/app")
            tool = True
        except ValueError:
            tool = False
        try:
            ImageReference.parse("image", f"{host}/acme/app:ci-1-0a1b2c3d")
            stack = True
        except ValueError:
            stack = False
        assert tool is stack, host


def test_the_tool_and_the_stack_refuse_the_same_repository_paths():
    from gitlab_k8s_cd.components.image_reference import ImageReference
    from gitlab_k8s_cd.components.validation import InvalidArgument

    for path in ("acme/app", "acme/../app", "Acme/app", "acme//app", "acme/app/", "a_b/c--d", "a___b/c"):
        try:
            split_image(f"registry.example.com/{path}")
            tool = True
        except ValueError:
            tool = False
        try:
            ImageReference.parse("image", f"registry.example.com/{path}:1")
            stack = True
        except InvalidArgument:
            stack = False
        assert tool is stack, path


# --- only CI tags -----------------------------------------------------------------------------


def test_the_ci_tag_regex_is_the_one_the_cleanup_policy_expires():
    """gitlab_k8s_cd.pipeline.cleanup keeps a copy (importing components would import the Pulumi SDK): the same text."""
    from gitlab_k8s_cd.components.gitlab_project import CI_TAG_REGEX

    assert cleanup_tool.CI_TAG_REGEX == CI_TAG_REGEX


def test_the_cleanup_tool_does_not_import_the_pulumi_sdk():
    """The cleanup job needs requests, not Pulumi: the image grammar it imports (components.image_reference)
    and the package it is in import no SDK."""
    code = (
        "import sys, gitlab_k8s_cd.pipeline.cleanup;"
        "print(sorted(m for m in sys.modules if m.split('.')[0].startswith('pulumi')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def _registry_argv(url: str, tag: str) -> list[str]:
    image = f"127.0.0.1:1/{REPO}"
    return [
        "--image",
        image,
        "--tag",
        tag,
        "--registry-url",
        url,
        "--username",
        "ci",
        "--via",
        "registry",
        "--backoff",
        "0",
    ]


def _gitlab_env(url: str) -> dict[str, str]:
    return {"CI_JOB_TOKEN": "job-token-value", "CI_API_V4_URL": f"{url}/api/v4", "CI_PROJECT_ID": "42"}


NOT_CI_TAGS = [
    "..",
    ".",
    "../..",
    "%2e%2e",
    "ci-1-0a1b2c3d/..",
    "ci-1-0a1b2c3d/../../x",
    "a/b",
    " ci-1-0a1b2c3d",
    "ci-1-0a1b2c3d ",
    "ci-1-0a1b2c3d\n",
    "ci 1 0a1b2c3d",
    "",
    "latest",
    "release-0a1b2c3d",
    "v1.2.3",
    "ci-1-0A1B2C3D",
    "ci-1-0a1b2c3",
    "ci--0a1b2c3d",
    "ci-1-" + "0" * 41,
    "ci-" + "1" * 120 + "-0a1b2c3d",  # 132 characters: the OCI grammar allows 128
    "ci-\u0661-0a1b2c3d",  # an Arabic-Indic digit one: Unicode \\d would take it
]


@pytest.fixture(scope="module")
def recording_server():
    """One stand-in for both GitLab's API and a registry, recording what reaches it."""

    def answer(request, server):
        if "/registry/repositories" in request.path and request.method == "GET":
            return 200, {}, [{"id": 8, "location": f"127.0.0.1:1/{REPO}"}]
        return 200, {}, {"name": REPO, "tags": []}

    with stand_in_server(answer) as server:
        yield server


@pytest.mark.parametrize("tag", NOT_CI_TAGS)
def test_a_tag_that_is_not_a_ci_tag_is_refused_before_any_request_in_either_mode(tag, recording_server, capsys):
    server = recording_server
    server.requests.clear()
    assert main(_registry_argv(server.url, tag), environ={"REGISTRY_PASSWORD": "pw"}) == EXIT_USAGE
    assert main(["--image", f"127.0.0.1:1/{REPO}", "--tag", tag], environ=_gitlab_env(server.url)) == EXIT_USAGE
    assert server.requests == []
    err = capsys.readouterr().err
    assert err.count("usage: python -m gitlab_k8s_cd.pipeline.cleanup") == 2
    assert err.count(f"--tag {tag!r}: expected a CI tag of the form ci-<pipeline id>-<short sha>") == 2
    # The same stand-in does see a CI tag's requests, in both modes: the refusal above is the tag's doing.
    assert main(_registry_argv(server.url, "ci-1-0a1b2c3d"), environ={"REGISTRY_PASSWORD": "pw"}) == EXIT_OK
    assert [r.method for r in server.requests] == ["GET"]
    assert main(["--image", f"127.0.0.1:1/{REPO}", "--tag", "ci-1-0a1b2c3d"], environ=_gitlab_env(server.url)) == 0
    assert [r.method for r in server.requests] == ["GET", "GET", "DELETE"]


# --- credentials go to the registry and GitLab only --------------------------------------------


def test_registry_credentials_are_added_only_for_the_registrys_own_origin():
    auth = RegistryAuth(requests.Session(), "https://registry.example.com", "ci", "secret")
    auth.tokens["acme/hello"] = "bearer-value"

    def authorization(url):
        return auth(requests.Request("GET", url).prepare()).headers.get("Authorization")

    assert authorization("https://registry.example.com/v2/").startswith("Basic ")
    assert authorization("https://REGISTRY.example.com:443/v2/acme/hello/tags/list") == "Bearer bearer-value"
    for elsewhere in (
        "https://other.example.com/v2/acme/hello/tags/list",  # another host
        "https://registry.example.com:5000/v2/acme/hello/tags/list",  # another port
        "http://registry.example.com/v2/acme/hello/tags/list",  # another scheme
        "https://registry.example.com.evil.example/v2/acme/hello/tags/list",
    ):
        assert authorization(elsewhere) is None, elsewhere


@pytest.mark.parametrize(
    ("registry_url", "realm", "hosts", "allowed"),
    [
        ("https://registry.gitlab.com", "https://gitlab.com/jwt/auth", ["gitlab.com"], True),  # GitLab.com
        ("https://registry-1.docker.io", "https://auth.docker.io/token", ["auth.docker.io"], True),
        ("https://registry.example.com", "https://registry.example.com:8443/jwt/auth", [], True),  # its own host
        ("https://registry.gitlab.com", "http://gitlab.com/jwt/auth", ["gitlab.com"], False),
        ("https://registry.example.com", "http://registry.example.com/jwt/auth", [], False),
        ("http://127.0.0.1:5000", "http://127.0.0.1:5001/auth", [], True),  # a local plain-http registry
        ("http://127.0.0.1:5000", "http://localhost:5001/auth", ["localhost"], False),
        ("http://registry.internal", "http://auth.internal/token", ["auth.internal"], False),
        ("https://registry.example.com", "/jwt/auth", [], False),
        ("https://registry.example.com", "ftp://registry.example.com/jwt/auth", [], False),
    ],
)
def test_the_token_realm_must_be_https_or_plain_http_on_a_plain_http_registrys_own_host(
    registry_url, realm, hosts, allowed
):
    refusal = realm_refusal(registry_url, realm, hosts)
    assert (refusal is None) is allowed
    if not allowed:
        assert f"token realm {realm!r} is not https" in refusal


@pytest.mark.parametrize(
    ("registry_url", "realm", "hosts", "allowed"),
    [
        ("https://registry.gitlab.com", "https://gitlab.com/jwt/auth", [], False),  # without CI_SERVER_HOST
        ("https://registry.gitlab.com", "https://gitlab.com/jwt/auth", ["GitLab.com"], True),
        ("https://registry.gitlab.com", "https://gitlab.com.evil.example/jwt/auth", ["gitlab.com"], False),
        ("https://registry.gitlab.com", "https://registry.gitlab.com@evil.example/jwt/auth", [], False),
        ("https://registry.gitlab.com", "https://evil.example/jwt/auth", ["gitlab.com", "auth.docker.io"], False),
        ("https://registry-1.docker.io", "https://auth.docker.io/token", [], False),
        ("https://registry-1.docker.io", "https://auth.docker.io/token", ["", "auth.docker.io"], True),
        ("https://[::1]:5000", "https://[::1]:5001/token", [], True),
        ("https://registry.example.com", "https://[::1]/token", ["[::1]"], True),
    ],
)
def test_the_token_realm_must_be_on_the_registrys_host_or_an_allowed_one(registry_url, realm, hosts, allowed):
    refusal = realm_refusal(registry_url, realm, hosts)
    assert (refusal is None) is allowed
    if not allowed:
        assert f"token realm {realm!r} is on " in refusal and "which is not an allowed token service host" in refusal


def _token_registry(realm_of):
    """A stand-in registry with token auth whose challenge names ``realm_of(server)``."""

    def answer(request, server):
        if request.headers.get("Authorization") != "Bearer stand-in-token":
            challenge = f'Bearer realm="{realm_of(server)}",service="container_registry"'
            return 401, {"WWW-Authenticate": challenge}, {"errors": [{"code": "UNAUTHORIZED"}]}
        if request.path.startswith("/v2/acme/hello/tags/list"):
            return 200, {}, {"name": REPO, "tags": ["ci-5-55555555"]}
        if request.method == "HEAD":
            return 200, {"Docker-Content-Digest": "sha256:" + "5" * 64, "Content-Type": OCI_MANIFEST}, None
        return 202, {}, None

    return answer


def _token_service(request, server):
    if request.headers.get("Authorization", "").startswith("Basic "):
        return 200, {}, {"token": "stand-in-token"}
    return 401, {}, {"errors": [{"code": "UNAUTHORIZED"}]}


def test_a_token_realm_on_another_port_gets_the_credentials_it_is_there_for():
    realm_on_tokens = _token_registry(lambda _: f"{tokens.url}/jwt/auth")
    with stand_in_server(_token_service) as tokens, stand_in_server(realm_on_tokens) as registry:
        code = main(_registry_argv(registry.url, "ci-5-55555555"), {"REGISTRY_PASSWORD": "pw"})
    assert code == EXIT_OK
    assert [r.path.split("?")[0] for r in tokens.requests] == ["/jwt/auth"]
    assert ("DELETE", f"/v2/acme/hello/manifests/sha256:{'5' * 64}") in [(r.method, r.path) for r in registry.requests]


def test_a_plain_http_token_realm_on_another_host_gets_no_credentials_and_nothing_is_deleted(capsys):
    with stand_in_server(_token_service) as tokens:
        realm = f"http://localhost:{tokens.url.rsplit(':', 1)[1]}/jwt/auth"
        with stand_in_server(_token_registry(lambda _: realm)) as registry:
            code = main(_registry_argv(registry.url, "ci-5-55555555"), {"REGISTRY_PASSWORD": "pw"})
    assert code == EXIT_FAILED
    assert tokens.requests == []
    assert "DELETE" not in [r.method for r in registry.requests]
    assert f"token realm {realm!r} is not https" in capsys.readouterr().err


class HttpsTokenService(requests.adapters.HTTPAdapter):
    """Every https request of the tool, answered here with a token: the stand-ins speak plain
    http, and the allow-list is about https realms on other hosts."""

    def __init__(self):
        super().__init__()
        self.sent = []

    def send(self, request, **kwargs):
        self.sent.append(request)
        response = requests.Response()
        response.status_code, response.url, response.request = 200, request.url, request
        response.headers["Content-Type"] = "application/json"
        response._content = b'{"token": "stand-in-token"}'
        return response


@pytest.fixture
def https_tokens(monkeypatch):
    service = HttpsTokenService()
    make_session = cleanup_tool.session

    def session(retries, backoff):
        http = make_session(retries, backoff)
        http.mount("https://", service)
        return http

    monkeypatch.setattr(cleanup_tool, "session", session)
    return service


REALM = "https://tokens.example.net/jwt/auth"


@pytest.mark.parametrize(
    ("extra", "environ"),
    [
        ([], {}),
        ([], {"CI_SERVER_HOST": "gitlab.example.com"}),  # GitLab's host opens GitLab's host only
        (["--token-realm-host", "auth.docker.io"], {}),
        (["--token-realm-host", "example.net"], {}),  # a parent domain is another host
    ],
    ids=["nothing-allowed", "another-ci-server-host", "another-realm-host", "a-parent-domain"],
)
def test_a_token_realm_on_a_host_not_allowed_gets_nothing_and_nothing_is_deleted(https_tokens, capsys, extra, environ):
    with stand_in_server(_token_registry(lambda _: REALM)) as registry:
        argv = [*_registry_argv(registry.url, "ci-5-55555555"), *extra]
        code = main(argv, {"REGISTRY_PASSWORD": "pw", **environ})
    assert code == EXIT_FAILED
    assert https_tokens.sent == []
    assert [r.method for r in registry.requests] == ["GET"]  # the challenge, then nothing
    err = capsys.readouterr().err
    assert f"token realm {REALM!r} is on 'tokens.example.net', which is not an allowed token service host" in err
    assert "pass --token-realm-host tokens.example.net" in err


@pytest.mark.parametrize(
    ("extra", "environ"),
    [
        ([], {"CI_SERVER_HOST": "tokens.example.net"}),
        (["--token-realm-host", "TOKENS.example.net"], {}),
        (["--token-realm-host", "auth.docker.io", "--token-realm-host", "tokens.example.net"], {}),
    ],
    ids=["ci-server-host", "token-realm-host", "one-of-several-token-realm-hosts"],
)
def test_a_token_realm_on_an_allowed_host_gets_the_credentials_and_the_tag_is_deleted(https_tokens, extra, environ):
    with stand_in_server(_token_registry(lambda _: REALM)) as registry:
        argv = [*_registry_argv(registry.url, "ci-5-55555555"), *extra]
        code = main(argv, {"REGISTRY_PASSWORD": "pw", **environ})
    assert code == EXIT_OK
    (sent,) = https_tokens.sent
    assert sent.url.startswith(f"{REALM}?") and sent.headers["Authorization"] == "Basic Y2k6cHc="  # ci:pw
    assert ("DELETE", f"/v2/acme/hello/manifests/sha256:{'5' * 64}") in [(r.method, r.path) for r in registry.requests]


@pytest.mark.parametrize(
    "host", ["tokens.example.net:443", "tokens.example.net/jwt", "user@tokens.example.net", "", "[:::]", "[::g]"]
)
def test_a_malformed_token_realm_host_is_a_usage_error(monkeypatch, capsys, host):
    monkeypatch.setattr(cleanup_tool, "session", lambda *_: pytest.fail("no session for a usage error"))
    assert main([*_registry_argv("http://127.0.0.1:1", "ci-5-55555555"), "--token-realm-host", host], {}) == EXIT_USAGE
    assert f"--token-realm-host {host!r}: " in capsys.readouterr().err


def _next_page_elsewhere(kind, registry_url, other_url):
    port = registry_url.rsplit(":", 1)[1]
    return {
        "another port": other_url,
        "another host name": f"http://localhost:{port}",
        "another scheme": f"https://127.0.0.1:{port}",
    }[kind]


@pytest.mark.parametrize("kind", ["another port", "another host name", "another scheme"])
def test_a_registrys_next_page_on_another_origin_is_refused_with_nothing_deleted(kind, capsys):
    def answer(request, server):
        if request.method == "GET" and "last=" not in request.path:
            target = _next_page_elsewhere(kind, server.url, other.url)
            link = f'<{target}/v2/acme/hello/tags/list?last=ci-6-66666666&n=1000>; rel="next"'
            return 200, {"Link": link}, {"name": REPO, "tags": ["ci-6-66666666"]}
        if request.method == "GET":
            return 200, {}, {"name": REPO, "tags": []}
        if request.method == "HEAD":
            return 200, {"Docker-Content-Digest": "sha256:" + "6" * 64, "Content-Type": OCI_MANIFEST}, None
        return 202, {}, None

    with stand_in_server(answer) as other, stand_in_server(answer) as registry:
        code = main(_registry_argv(registry.url, "ci-6-66666666"), {"REGISTRY_PASSWORD": "pw"})
    assert code == EXIT_FAILED
    assert "listing tags: the registry's next page" in capsys.readouterr().err
    assert other.requests == []
    assert [(r.method, "last=" in r.path) for r in registry.requests] == [("GET", False)]


def test_a_registrys_next_page_on_its_own_origin_is_read_before_deciding(capsys):
    def answer(request, server):
        if request.method == "GET" and "last=" not in request.path:
            link = '</v2/acme/hello/tags/list?last=ci-6-66666666&n=1000>; rel="next"'  # relative, as distribution's
            return 200, {"Link": link}, {"name": REPO, "tags": ["ci-6-66666666"]}
        if request.method == "GET":
            return 200, {}, {"name": REPO, "tags": ["v6.0.0"]}
        if request.method == "HEAD":
            return 200, {"Docker-Content-Digest": "sha256:" + "6" * 64, "Content-Type": OCI_MANIFEST}, None
        return 202, {}, None

    with stand_in_server(answer) as registry:
        assert main(_registry_argv(registry.url, "ci-6-66666666"), {}) == EXIT_REFUSED
    assert "is also tagged v6.0.0" in capsys.readouterr().err
    assert "DELETE" not in [r.method for r in registry.requests]


def test_a_redirect_is_not_followed_in_either_mode(capsys):
    def elsewhere(request, server):
        return 200, {}, {"name": REPO, "tags": []}

    with stand_in_server(elsewhere) as other:

        def redirect(request, server):
            return 307, {"Location": f"{other.url}{request.path}"}, None

        with stand_in_server(redirect) as registry:
            code = main(_registry_argv(registry.url, "ci-6-66666666"), {"REGISTRY_PASSWORD": "pw"})
            assert code == EXIT_FAILED
            assert main(["--image", f"127.0.0.1:1/{REPO}", "--tag", "ci-6-66666666"], _gitlab_env(registry.url)) == 1
    assert other.requests == []
    err = capsys.readouterr().err
    assert err.count(f"HTTP 307 redirect to '{other.url}") == 2


@pytest.mark.parametrize("kind", ["another port", "another host name", "another scheme"])
def test_the_job_token_never_follows_gitlabs_next_page_to_another_origin(kind, capsys):
    def answer(request, server):
        if request.method == "GET" and "page=2" not in request.path:
            target = _next_page_elsewhere(kind, server.url, other.url)
            link = f'<{target}/api/v4/projects/42/registry/repositories?page=2&per_page=100>; rel="next"'
            return 200, {"Link": link}, [{"id": 7, "location": "registry.example.com/acme/other"}]
        if request.method == "GET":
            return 200, {}, [{"id": 8, "location": "registry.example.com/acme/hello"}]
        return 200, {}, None

    with stand_in_server(answer) as other, stand_in_server(answer) as gitlab:
        code = main(["--image", "registry.example.com/acme/hello", "--tag", "ci-7-77777777"], _gitlab_env(gitlab.url))
    assert code == EXIT_FAILED
    assert "refusing to send the job token there, and deleting nothing" in capsys.readouterr().err
    assert other.requests == []
    assert [(r.method, "page=2" in r.path) for r in gitlab.requests] == [("GET", False)]


def test_gitlabs_next_page_on_its_own_origin_is_followed_with_the_job_token():
    def answer(request, server):
        assert request.headers.get("JOB-TOKEN") == "job-token-value"
        if request.method == "GET" and "page=2" not in request.path:
            link = f'<{server.url}/api/v4/projects/42/registry/repositories?page=2&per_page=100>; rel="next"'
            return 200, {"Link": link}, [{"id": 7, "location": "registry.example.com/acme/other"}]
        if request.method == "GET":
            return 200, {}, [{"id": 8, "location": "registry.example.com/acme/hello"}]
        return 200, {}, None

    with stand_in_server(answer) as gitlab:
        code = main(["--image", "registry.example.com/acme/hello", "--tag", "ci-7-77777777"], _gitlab_env(gitlab.url))
    assert code == EXIT_OK
    assert ("DELETE", "/api/v4/projects/42/registry/repositories/8/tags/ci-7-77777777") in [
        (r.method, r.path) for r in gitlab.requests
    ]


# --- indexes (manifest lists): their children are shared digests too ---------------------------


def test_the_registry_deletes_a_child_from_under_its_index_and_keeps_an_indexs_children(registry):
    """What the refusals below rest on, shown on the real registry (docker/distribution)."""
    repo = "acme/premise"
    child, kept = registry.push(repo, None, b"amd64"), registry.push(repo, None, b"arm64")
    index = registry.push_index(repo, "v1.0.0", [child, kept])
    registry.delete_manifest(repo, child)
    assert registry.tags(repo) == ["v1.0.0"] and not registry.manifest_exists(repo, child)  # v1.0.0 lost a platform
    registry.delete_manifest(repo, index)
    assert registry.tags(repo) == [] and registry.manifest_exists(repo, kept)  # the index went alone


def test_an_image_that_another_tags_index_lists_is_never_deleted(registry, capsys):
    repo = "acme/multi-1"
    child = registry.push(repo, "ci-201-20120120", b"ci image, one platform of a release index")
    registry.push_index(repo, "v2.0.0", [child, registry.push(repo, None, b"arm64 release")])
    assert cleanup(registry, "ci-201-20120120", None, repo) == EXIT_REFUSED
    assert (
        f"refusing to delete {repo}:ci-201-20120120: its digest {child} is listed by the index tagged v2.0.0"
        in capsys.readouterr().err
    )
    assert registry.tags(repo) == ["ci-201-20120120", "v2.0.0"] and registry.manifest_exists(repo, child)


def test_an_index_whose_child_another_tag_points_to_is_never_deleted(registry, capsys):
    repo = "acme/multi-2"
    release = registry.push(repo, "release-20220220", b"release image")
    index = registry.push_index(repo, "ci-202-20220220", [release, registry.push(repo, None, b"arm64")])
    assert cleanup(registry, "ci-202-20220220", None, repo) == EXIT_REFUSED
    err = capsys.readouterr().err
    assert f"it is an index whose children other tags use: {release} (used by release-20220220)" in err
    assert registry.tags(repo) == ["ci-202-20220220", "release-20220220"] and registry.manifest_exists(repo, index)


def test_an_index_sharing_a_child_with_another_tags_index_is_never_deleted(registry, capsys):
    repo = "acme/multi-3"
    shared = registry.push(repo, None, b"shared platform image")
    registry.push_index(repo, "ci-203-20320320", [shared, registry.push(repo, None, b"ci only")])
    registry.push_index(repo, "v3.0.0", [shared])
    assert cleanup(registry, "ci-203-20320320", None, repo) == EXIT_REFUSED
    assert f"{shared} (used by v3.0.0)" in capsys.readouterr().err
    assert registry.tags(repo) == ["ci-203-20320320", "v3.0.0"]


def test_an_index_whose_children_no_other_tag_uses_is_deleted(registry, capsys):
    repo = "acme/multi-4"
    registry.push(repo, "release-20420420", b"a release of its own")
    index = registry.push_index(
        repo, "ci-204-20420420", [registry.push(repo, None, b"amd64"), registry.push(repo, None, b"arm64")]
    )
    assert cleanup(registry, "ci-204-20420420", None, repo) == EXIT_OK
    assert f"deleted {repo}:ci-204-20420420 ({index})" in capsys.readouterr().out
    assert registry.tags(repo) == ["release-20420420"] and not registry.manifest_exists(repo, index)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.2:9101\\@127.0.0.1:9100/jwt", "https://evil.example\\@gitlab.example.com/api/v4/projects"],
)
def test_a_url_is_judged_by_the_host_requests_will_connect_to(url):
    """urllib's urlsplit reads the host after a backslash-@, requests (urllib3) the one before it:
    the checks use the URL as requests will send it, so a crafted realm or next page cannot pass
    for the registry's or GitLab's own host."""
    from gitlab_k8s_cd.pipeline.cleanup import origin, realm_refusal

    connected = url.split("//", 1)[1].split("\\", 1)[0].split(":")[0]
    assert origin(url)[1] == connected
    assert realm_refusal("http://127.0.0.1:9100", url) is not None or connected == "127.0.0.1"
