"""The cleanup tool (pipeline.cleanup) against a real docker-registry with htpasswd auth, and
against stand-ins for what cannot run here: GitLab's API and a token-auth registry."""

from __future__ import annotations

import pytest

from pipeline.cleanup import EXIT_FAILED, EXIT_OK, EXIT_REFUSED, EXIT_USAGE, main, split_image
from tests.registry import free_port, running_registry
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
            return 200, {"Docker-Content-Digest": "sha256:" + "5" * 64}, None
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


@pytest.mark.parametrize("image", ["acme/hello", "registry.example.com/acme/hello:1.0", "registry.example.com"])
def test_an_image_must_be_a_registry_host_and_repository_without_a_tag(image):
    with pytest.raises(ValueError, match=r"--image"):
        split_image(image)
    assert main(["--image", image, "--tag", "x"], environ={}) == EXIT_USAGE
