"""Delete one CI image tag from a container registry, and nothing else.

    python -m pipeline.cleanup --image registry.example.com/group/app --tag ci-1234-0a1b2c3d

Two ways to delete, chosen by where it runs:

- **In GitLab CI** (``CI_JOB_TOKEN``, ``CI_API_V4_URL`` and ``CI_PROJECT_ID`` are set, or
  ``--via gitlab``): GitLab's REST API deletes the tag itself
  (``DELETE /projects/:id/registry/repositories/:repository_id/tags/:tag``) with the job token.
  GitLab removes only that tag, even when other tags share its digest.
- **Anywhere else** (``--via registry``): the registry v2 API, which can only delete a manifest
  by digest, and so every tag that points to it. The tool resolves the tag's digest, checks
  every other tag of the repository, and **refuses** if any of them points to the same digest.
  Credentials come from ``--username`` and the environment variable named by ``--password-env``
  (default ``REGISTRY_PASSWORD``), never from the command line. Basic and Bearer-token
  (``WWW-Authenticate: Bearer``) registries both work.

``--via`` and ``--registry-url`` default to ``$CLEANUP_VIA`` and ``$REGISTRY_URL``, so that the
CI job's command line stays the same everywhere.

A tag that is already gone is success. Transient failures (connection errors, 5xx) are retried
a bounded number of times with backoff; a registry that stays down fails the job, having deleted
nothing else. Exit status: 0 deleted or already gone; 1 failed; 2 usage; 3 refused (shared digest).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_REFUSED = 0, 1, 2, 3
MANIFEST_TYPES = ", ".join(
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
)
TIMEOUT = (5, 30)  # seconds: connect, read


class CleanupError(Exception):
    """The deletion failed; nothing beyond the tag was touched."""


class Refused(CleanupError):
    """Deleting the tag's digest would delete other tags too."""


@dataclass(frozen=True)
class Outcome:
    deleted: bool
    message: str


def session(retries: int, backoff: float) -> requests.Session:
    """A session that retries connection errors and 5xx, for every method (each call here is idempotent)."""
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        status_forcelist=(500, 502, 503, 504),
        allowed_methods=None,
        backoff_factor=backoff,
        raise_on_status=False,
        respect_retry_after_header=True,
    )
    http = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    http.mount("http://", adapter)
    http.mount("https://", adapter)
    return http


# --- registry v2 -----------------------------------------------------------------------------


class RegistryAuth(requests.auth.AuthBase):
    """Basic auth, upgraded to a Bearer token when the registry asks for one (RFC 6750 challenge)."""

    def __init__(self, http: requests.Session, username: str | None, password: str | None) -> None:
        self.http = http
        self.basic = (username, password) if username else None
        self.tokens: dict[str, str] = {}

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        scope = _scope(request.url or "")
        if scope in self.tokens:
            request.headers["Authorization"] = f"Bearer {self.tokens[scope]}"
        elif self.basic:
            request.prepare_auth(self.basic)
        request.register_hook("response", self._on_response)
        return request

    def _on_response(self, response: requests.Response, **kwargs: object) -> requests.Response:
        challenge = response.headers.get("WWW-Authenticate", "")
        if response.status_code != 401 or not challenge.lower().startswith("bearer "):
            return response
        scope = _scope(response.request.url or "")
        if scope in self.tokens:
            return response  # a fresh token was refused: the credentials are wrong
        params = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
        realm = params.pop("realm", None)
        if not realm:
            return response
        answer = self.http.get(realm, params=params, auth=self.basic, timeout=TIMEOUT)
        if answer.status_code != 200:
            return response
        body = answer.json()
        self.tokens[scope] = body.get("token") or body.get("access_token") or ""
        retry = response.request.copy()
        retry.headers["Authorization"] = f"Bearer {self.tokens[scope]}"
        response.content  # noqa: B018 - release the connection before reusing it
        return response.connection.send(retry, **kwargs)


def _scope(url: str) -> str:
    """The repository a v2 URL is about, which a Bearer token is scoped to."""
    match = re.search(r"/v2/(.+?)/(?:tags|manifests|blobs)/", urlsplit(url).path)
    return match.group(1) if match else ""


@dataclass(frozen=True)
class Registry:
    """The registry v2 API for one repository."""

    base_url: str
    repository: str
    http: requests.Session

    def _url(self, path: str) -> str:
        return f"{self.base_url.rstrip('/')}/v2/{self.repository}/{path}"

    def _check(self, response: requests.Response, what: str) -> requests.Response:
        if response.status_code == 401:
            raise CleanupError(f"{what}: authentication failed (HTTP 401); check the registry username and password")
        if response.status_code == 403:
            raise CleanupError(f"{what}: not allowed (HTTP 403); the credentials cannot delete from {self.repository}")
        if response.status_code >= 400 and response.status_code != 404:
            raise CleanupError(f"{what}: HTTP {response.status_code} {response.text[:200]}")
        return response

    def tags(self) -> list[str]:
        url: str | None = self._url("tags/list?n=1000")
        tags: list[str] = []
        while url:
            response = self._check(self.http.get(url, timeout=TIMEOUT), "listing tags")
            if response.status_code == 404:
                return []  # the repository does not exist (yet, or any more)
            tags += response.json().get("tags") or []
            url = _next_link(response, self.base_url)
        return tags

    def digest(self, tag: str) -> str | None:
        response = self._check(
            self.http.head(self._url(f"manifests/{quote(tag)}"), headers={"Accept": MANIFEST_TYPES}, timeout=TIMEOUT),
            f"resolving {tag}",
        )
        if response.status_code == 404:
            return None
        digest = response.headers.get("Docker-Content-Digest")
        if not digest:
            raise CleanupError(f"resolving {tag}: the registry sent no Docker-Content-Digest")
        return digest

    def delete(self, digest: str) -> None:
        response = self._check(
            self.http.delete(self._url(f"manifests/{digest}"), timeout=TIMEOUT), f"deleting {digest}"
        )
        if response.status_code == 405:
            raise CleanupError("the registry does not allow deletes (storage.delete.enabled is off)")


def _next_link(response: requests.Response, base_url: str) -> str | None:
    link = response.links.get("next", {}).get("url")
    if not link:
        return None
    return link if link.startswith("http") else base_url.rstrip("/") + link


def delete_tag_v2(registry: Registry, tag: str) -> Outcome:
    tags = registry.tags()
    if tag not in tags:
        return Outcome(False, f"{registry.repository}:{tag} does not exist; nothing to delete")
    digest = registry.digest(tag)
    if digest is None:
        return Outcome(False, f"{registry.repository}:{tag} does not exist; nothing to delete")
    sharing = sorted(other for other in tags if other != tag and registry.digest(other) == digest)
    if sharing:
        raise Refused(
            f"refusing to delete {registry.repository}:{tag}: its digest {digest} is also tagged "
            f"{', '.join(sharing)}, and the registry API can only delete the digest with every tag on it"
        )
    registry.delete(digest)
    return Outcome(True, f"deleted {registry.repository}:{tag} ({digest})")


# --- GitLab REST API -------------------------------------------------------------------------


@dataclass(frozen=True)
class GitLabRegistry:
    """GitLab's container registry API for one project, with the CI job token."""

    api_url: str
    project_id: str
    job_token: str
    http: requests.Session

    def _get(self, path: str) -> Iterator[Mapping[str, object]]:
        url: str | None = f"{self.api_url.rstrip('/')}/projects/{quote(self.project_id, safe='')}/{path}"
        while url:
            response = self.http.get(url, headers={"JOB-TOKEN": self.job_token}, timeout=TIMEOUT)
            if response.status_code in (401, 403):
                raise CleanupError(f"GitLab refused the job token (HTTP {response.status_code}) for {path}")
            if response.status_code >= 400:
                raise CleanupError(f"GitLab API {path}: HTTP {response.status_code} {response.text[:200]}")
            yield from response.json()
            url = response.links.get("next", {}).get("url")

    def delete_tag(self, image: str, tag: str) -> Outcome:
        repository = next(
            (r for r in self._get("registry/repositories?per_page=100") if r.get("location") == image), None
        )
        if repository is None:
            return Outcome(
                False, f"{image} is not a registry repository of project {self.project_id}; nothing to delete"
            )
        url = (
            f"{self.api_url.rstrip('/')}/projects/{quote(self.project_id, safe='')}/registry/repositories/"
            f"{repository['id']}/tags/{quote(tag, safe='')}"
        )
        response = self.http.delete(url, headers={"JOB-TOKEN": self.job_token}, timeout=TIMEOUT)
        if response.status_code == 404:
            return Outcome(False, f"{image}:{tag} does not exist; nothing to delete")
        if response.status_code >= 400:
            raise CleanupError(
                f"deleting {image}:{tag} through GitLab: HTTP {response.status_code} {response.text[:200]}"
            )
        return Outcome(True, f"deleted {image}:{tag} through GitLab's API")


# --- command ---------------------------------------------------------------------------------


def split_image(image: str) -> tuple[str, str]:
    """``registry.example.com:5000/group/app`` -> (``registry.example.com:5000``, ``group/app``)."""
    host, _, repository = image.partition("/")
    if not repository or ("." not in host and ":" not in host and host != "localhost"):
        raise ValueError(f"--image {image!r}: expected <registry host>/<repository>, e.g. registry.gitlab.com/acme/app")
    if "@" in repository or ":" in repository:
        raise ValueError(f"--image {image!r}: give the repository without a tag or digest, and the tag with --tag")
    return host, repository


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    env = os.environ if environ is None else environ
    parser = argparse.ArgumentParser(prog="python -m pipeline.cleanup", description=__doc__.split("\n\n")[0])
    parser.add_argument("--image", required=True, help="the repository, <registry host>/<path>, without a tag")
    parser.add_argument("--tag", required=True, help="the tag to delete")
    parser.add_argument(
        "--via",
        choices=("auto", "gitlab", "registry"),
        default=env.get("CLEANUP_VIA", "auto"),
        help="gitlab: GitLab's REST API; registry: the v2 API; auto: gitlab inside GitLab CI",
    )
    parser.add_argument(
        "--registry-url",
        default=env.get("REGISTRY_URL") or None,
        help="the registry's base URL (default $REGISTRY_URL, else https://<registry host>)",
    )
    parser.add_argument("--username", default=env.get("REGISTRY_USER"), help="registry user (default $REGISTRY_USER)")
    parser.add_argument("--password-env", default="REGISTRY_PASSWORD", help="the variable holding the password")
    parser.add_argument("--retries", type=int, default=4, help="retries of a transient failure (default 4)")
    parser.add_argument("--backoff", type=float, default=0.5, help="backoff factor in seconds (default 0.5)")
    args = parser.parse_args(argv)
    try:
        host, repository = split_image(args.image)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    in_gitlab = all(env.get(k) for k in ("CI_JOB_TOKEN", "CI_API_V4_URL", "CI_PROJECT_ID"))
    via = ("gitlab" if in_gitlab else "registry") if args.via == "auto" else args.via
    http = session(args.retries, args.backoff)
    try:
        if via == "gitlab":
            if not in_gitlab:
                print("error: --via gitlab needs CI_JOB_TOKEN, CI_API_V4_URL and CI_PROJECT_ID", file=sys.stderr)
                return EXIT_USAGE
            gitlab = GitLabRegistry(env["CI_API_V4_URL"], env["CI_PROJECT_ID"], env["CI_JOB_TOKEN"], http)
            outcome = gitlab.delete_tag(args.image, args.tag)
        else:
            http.auth = RegistryAuth(http, args.username, env.get(args.password_env))
            registry = Registry(args.registry_url or f"https://{host}", repository, http)
            outcome = delete_tag_v2(registry, args.tag)
    except Refused as refusal:
        print(f"cleanup: {refusal}", file=sys.stderr)
        return EXIT_REFUSED
    except CleanupError as error:
        print(f"cleanup failed: {error}", file=sys.stderr)
        return EXIT_FAILED
    except requests.RequestException as error:
        print(f"cleanup failed: the registry is unreachable after {args.retries} retries: {error}", file=sys.stderr)
        return EXIT_FAILED
    print(f"cleanup: {outcome.message}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
