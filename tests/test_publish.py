"""gitlab_k8s_cd.pipeline.publish: the tag pipeline's upload of the sdist and wheel to the generic
package registry, against a stand-in GitLab that records what it is sent (docs/contracts.md GL-23)."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
from typing import ClassVar

import pytest

from gitlab_k8s_cd.pipeline.publish import SEMVER, package_url, publish, requirement, sdist_name, wheel_name


class StandIn(http.server.BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, str, str | None, bytes]]] = []
    status = 201

    def do_PUT(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        StandIn.received.append(("PUT", self.path, self.headers.get("JOB-TOKEN"), body))
        self.send_response(StandIn.status)
        self.end_headers()
        self.wfile.write(b'{"message":"201 Created"}')

    def log_message(self, *args):
        pass


@pytest.fixture
def gitlab():
    StandIn.received, StandIn.status = [], 201
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/v4"
    server.shutdown()


def dist(tmp_path, version, extra=()):
    directory = tmp_path / "dist"
    directory.mkdir()
    for name in (wheel_name(version), sdist_name(version), *extra):
        (directory / name).write_bytes(f"the bytes of {name}".encode())
    return directory


def outside_ci():
    return {key: value for key, value in os.environ.items() if not key.startswith("CI_")}


def environ(api):
    return {"CI_API_V4_URL": api, "CI_PROJECT_ID": "42", "CI_JOB_TOKEN": "job-token-xyz"}


def test_each_file_is_put_at_its_generic_package_path_with_the_job_token(tmp_path, gitlab):
    urls = publish(dist(tmp_path, "0.1.0"), "0.1.0", environ(gitlab))
    prefix = "/api/v4/projects/42/packages/generic/gitlab-k8s-cd/0.1.0/"
    assert [(m, path, token) for m, path, token, _ in StandIn.received] == [
        (
            "PUT",
            prefix + "gitlab_k8s_cd-0.1.0-py3-none-any.whl",
            "job-token-xyz",
        ),
        ("PUT", prefix + "gitlab_k8s_cd-0.1.0.tar.gz", "job-token-xyz"),
    ]
    assert StandIn.received[0][3] == b"the bytes of gitlab_k8s_cd-0.1.0-py3-none-any.whl"
    assert urls == [f"{gitlab}{path[len('/api/v4') :]}" for _, path, _, _ in StandIn.received]


def test_the_default_requirement_downloads_from_the_path_the_upload_used():
    """What the component's default tools_requirement names is where the tag pipeline uploads
    (on the canonical project, by its URL-encoded path)."""
    assert requirement("0.1.0") == (
        "gitlab-k8s-cd @ https://gitlab.com/api/v4/projects/gitlab-k8s-cd%2Fgitlab-k8s-cd/packages/generic/"
        "gitlab-k8s-cd/0.1.0/gitlab_k8s_cd-0.1.0-py3-none-any.whl"
    )
    assert package_url("0.1.0", "x.whl", api="https://h/api/v4", project="42") == (
        "https://h/api/v4/projects/42/packages/generic/gitlab-k8s-cd/0.1.0/x.whl"
    )


@pytest.mark.parametrize(
    "version", ["v0.1.0", "0.1", "01.0.0", "0.1.0 ", "latest", "0.1.0/../x", "1.0.0-rc.1", "1.0.0+b"]
)
def test_a_tag_that_is_not_semver_is_refused_before_any_request(tmp_path, gitlab, version):
    with pytest.raises(Exception, match="not a semantic version"):
        publish(dist(tmp_path, "0.1.0"), version, environ(gitlab))
    assert StandIn.received == []


@pytest.mark.parametrize("version", ["0.1.0", "1.0.0", "10.20.30"])
def test_semver_versions_are_accepted(version):
    assert SEMVER.fullmatch(version)


def test_a_tag_that_disagrees_with_the_built_version_is_refused_before_any_request(tmp_path, gitlab):
    with pytest.raises(Exception, match=r"expected exactly .*gitlab_k8s_cd-0\.2\.0.*equal pyproject"):
        publish(dist(tmp_path, "0.1.0"), "0.2.0", environ(gitlab))
    assert StandIn.received == []


def test_a_stray_file_in_dist_is_refused(tmp_path, gitlab):
    with pytest.raises(Exception, match="holds"):
        publish(dist(tmp_path, "0.1.0", extra=["other-0.1.0.tar.gz"]), "0.1.0", environ(gitlab))
    assert StandIn.received == []


def test_a_refused_upload_fails_the_job_naming_the_file_and_status(tmp_path, gitlab):
    StandIn.status = 403
    directory = dist(tmp_path, "0.1.0")
    result = subprocess.run(
        [sys.executable, "-m", "gitlab_k8s_cd.pipeline.publish", "--version", "0.1.0", str(directory)],
        env={**outside_ci(), **environ(gitlab)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "gitlab_k8s_cd-0.1.0-py3-none-any.whl: GitLab answered 403" in result.stderr
    assert "job-token-xyz" not in result.stderr + result.stdout


def test_outside_ci_it_exits_2_and_sends_nothing(tmp_path, gitlab):
    result = subprocess.run(
        [sys.executable, "-m", "gitlab_k8s_cd.pipeline.publish", "--version", "0.1.0", str(dist(tmp_path, "0.1.0"))],
        env=outside_ci(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2 and "CI_API_V4_URL, CI_PROJECT_ID, CI_JOB_TOKEN not set" in result.stderr
    assert StandIn.received == []
