"""Delete one CI image tag from a container registry, and nothing else.

    python -m gitlab_k8s_cd.pipeline.cleanup --image registry.example.com/group/app --tag ci-1234-0a1b2c3d

**Only CI tags.** ``--tag`` must be a tag the pipeline's build job creates, ``ci-<pipeline id>-<short
sha>``: the regex ``ci-[0-9]+-[0-9a-f]{8,40}`` matched in full (``CI_TAG_REGEX``, a copy of
``gitlab_k8s_cd.components.gitlab_project.CI_TAG_REGEX``, which the cleanup policy expires; a test keeps the two
equal), and the OCI tag grammar ``[\\w][\\w.-]{0,127}`` (at most 128 characters). Anything else
(a release tag, ``latest``, ``..``, ``a/b``, ``%2e``, whitespace) is refused before any request is
sent: in GitLab mode a tag is a URL path segment, and ``..`` there would turn the tag endpoint into
the delete-*repository* endpoint.

Two ways to delete, chosen by where it runs:

- **In GitLab CI** (``CI_JOB_TOKEN``, ``CI_API_V4_URL`` and ``CI_PROJECT_ID`` are set, or
  ``--via gitlab``): GitLab's REST API deletes the tag itself
  (``DELETE /projects/:id/registry/repositories/:repository_id/tags/:tag``) with the job token.
  GitLab removes only that tag, even when other tags share its digest.
- **Anywhere else** (``--via registry``): the registry v2 API, which can only delete a manifest
  by digest, and so every tag that points to it. The tool resolves the tag's digest, checks
  every other tag of the repository, and **refuses** if deleting that digest would break another
  tag: another tag points to the same digest; another tag is an index (manifest list) whose
  ``manifests[].digest`` lists it (the registry deletes a child from under its index, which then
  fails to pull on that platform: docker/distribution ``registry/handlers/manifests.go``
  ``DeleteManifest`` deletes the one manifest and untags its tags, nothing else; a test shows it on
  the real registry); or the tag is itself an index, one of whose children another tag points to
  or lists. That last refusal is cautious: distribution keeps an index's children when the index
  is deleted, but other registries' garbage collection is not ours to know, and a CI image is
  never such an index in this pipeline. Only tags are checked: an index pushed by digest alone,
  with no tag, is invisible to the v2 API. Credentials come from ``--username`` and the
  environment variable named by ``--password-env`` (default ``REGISTRY_PASSWORD``), never from
  the command line. Basic and Bearer-token (``WWW-Authenticate: Bearer``) registries both work.

**Where credentials go** (what we chose, and the sources read: docker/distribution at
``0d6b721d``, ``internal/client/auth/session.go`` and ``internal/client/repository.go``;
containers/image at ``df7e80d2``, ``docker/docker_client.go`` and ``docker/docker_image.go``;
gitlabhq ``lib/gitlab/pagination/offset_header_builder.rb``):

- The registry's Basic credentials and its Bearer tokens go to the registry's own origin (scheme,
  host and port of ``--registry-url``) and to its token realm, nothing else. Requests to any other
  origin carry no registry credentials (distribution does the same: it authorizes a request only
  for an endpoint whose challenges it holds, keyed by scheme, host and port).
- The token realm is where the Basic credentials are *meant* to go, and it is often another host
  (GitLab's registry sends ``realm="https://gitlab.example.com/jwt/auth"``, registry.gitlab.com's
  is gitlab.com; Docker Hub's is auth.docker.io). Neither distribution (``fetchToken``) nor
  containers/image (``getBearerToken``) checks the realm's scheme or host, so a registry (or
  whoever answers for it) could name any host and collect the credentials. We allow-list it: the
  realm's host name must be the registry's own, or ``$CI_SERVER_HOST`` when set (the GitLab
  instance, which issues its registry's tokens), or one given with ``--token-realm-host HOST``
  (repeatable; e.g. ``auth.docker.io``); its port is not checked. And the realm must be https,
  or plain http on the host name of a plain-http registry (a local test registry). Any other
  realm is refused: exit 1, no credentials sent, nothing deleted.
- A ``Link: <...>; rel="next"`` page on another origin is refused: exit 1, nothing deleted.
  distribution's server sends relative links (``registry/handlers/tags.go``), and containers/image
  keeps only a link's path and query, so it never leaves the registry; distribution's client
  follows it anywhere but without credentials. We refuse rather than follow: a tag listing
  continued elsewhere cannot be trusted for the shared-digest check. Redirects are not followed
  either (requests would drop ``Authorization`` on another host, but not GitLab's ``JOB-TOKEN``).
- The ``JOB-TOKEN`` goes only to ``CI_API_V4_URL``'s origin. GitLab's pagination links are
  absolute, on the host and port of GitLab's configured URL (the one ``CI_API_V4_URL`` is made
  from): a next page elsewhere is refused, exit 1, nothing deleted.

``--via`` and ``--registry-url`` default to ``$CLEANUP_VIA`` and ``$REGISTRY_URL``, so that the
CI job's command line stays the same everywhere.

A tag that is already gone is success. Transient failures (connection errors, 5xx) are retried
a bounded number of times with backoff; a registry that stays down fails the job, having deleted
nothing else. Exit status:

- 0: deleted, or already gone;
- 1: failed (the registry or GitLab refused, stayed down, or pointed the tool elsewhere: another
  origin for a page, a redirect, a token realm that is not https or on a host not allowed);
  nothing was deleted;
- 2: usage (a missing or malformed argument; a ``--tag`` that is not a CI tag; an ``--image``
  whose registry host is not a host name, IPv4 or bracketed IPv6 address, with a port 1-65535);
- 3: refused in registry mode, because deleting the digest would break another tag (the same
  digest, an index that lists it, or an index whose children other tags use).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from gitlab_k8s_cd.components.image_reference import PATH, host_and_port, registry_host, registry_of
from gitlab_k8s_cd.components.validation import InvalidArgument

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_REFUSED = 0, 1, 2, 3
CI_TAG_REGEX = r"ci-[0-9]+-[0-9a-f]{8,40}"
"""A copy of ``gitlab_k8s_cd.components.gitlab_project.CI_TAG_REGEX``: that module declares GitLab resources,
so importing it would import the Pulumi SDK and pulumi-gitlab, which this tool does not need.
tests/test_cleanup.py keeps the two equal."""
OCI_TAG_REGEX = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
"""The OCI tag grammar, ``[\\w][\\w.-]{0,127}`` with Go's ASCII ``\\w`` (Python's ``\\w`` is Unicode)."""
INDEX_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
IMAGE_TYPES = (
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
MANIFEST_TYPES = ", ".join(INDEX_TYPES + IMAGE_TYPES)
TIMEOUT = (5, 30)  # seconds: connect, read


class CleanupError(Exception):
    """The deletion failed; nothing beyond the tag was touched."""


class Refused(CleanupError):
    """Deleting the tag's digest would delete or break other tags too."""


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


def check_tag(tag: str) -> None:
    """Accept only the CI tags the pipeline creates: the tag becomes a URL path segment."""
    if not (re.fullmatch(CI_TAG_REGEX, tag) and re.fullmatch(OCI_TAG_REGEX, tag)):
        raise ValueError(
            f"--tag {tag!r}: expected a CI tag of the form ci-<pipeline id>-<short sha>, matching "
            f"{CI_TAG_REGEX} in full, at most 128 characters; this tool deletes CI images only"
        )


def as_sent(url: str) -> str:
    """``url`` as requests will send it (urllib3's parser, not urllib's): checks must see the host
    requests connects to. ``http://a\\@b/`` is host ``b`` to urlsplit, but requests goes to ``a``."""
    try:
        prepared = requests.Request("GET", url).prepare().url
    except (requests.exceptions.RequestException, ValueError) as error:
        raise CleanupError(f"{url!r} is not a URL requests can send ({error})") from None
    return prepared or ""


def origin(url: str) -> tuple[str, str, int]:
    """Scheme, host and port (the default one if none is given) of ``url`` as requests sends it:
    what credentials are bound to."""
    parts = urlsplit(as_sent(url))
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError as error:
        raise CleanupError(f"{url!r} has an invalid port") from error
    return scheme, (parts.hostname or "").lower(), port or {"http": 80, "https": 443}.get(scheme, 0)


def _refuse_redirect(response: requests.Response, what: str) -> None:
    if response.is_redirect:
        raise CleanupError(
            f"{what}: HTTP {response.status_code} redirect to {response.headers.get('Location')!r}; "
            "redirects are not followed, so that credentials go nowhere else"
        )


# --- registry v2 -----------------------------------------------------------------------------


def realm_refusal(registry_url: str, realm: str, allowed_hosts: Sequence[str] = ()) -> str | None:
    """Why a Bearer challenge's token realm must not get the credentials, or None if it may.

    The realm is often another host (GitLab's registry sends its GitLab's /jwt/auth), so the
    registry's own host name is not enough: ``allowed_hosts`` are the other host names that may
    issue its tokens ($CI_SERVER_HOST, --token-realm-host). Host names only: the port is not
    checked (a token service on another port of the same host is the same machine's).
    """
    try:
        wanted = urlsplit(as_sent(realm))
    except CleanupError:  # not an absolute URL: refused below, as having no https host
        wanted = urlsplit("")
    registry = urlsplit(registry_url)
    try:
        wanted_host = (wanted.hostname or "").lower()
    except ValueError:  # an unparsable bracketed host
        wanted_host = ""
    registry_host = (registry.hostname or "").lower()
    scheme = wanted.scheme.lower()
    if not wanted_host or not (
        scheme == "https" or (scheme == "http" and registry.scheme.lower() == "http" and wanted_host == registry_host)
    ):
        # Plain http is for a plain-http registry (a local one) with its token service on its host.
        return (
            f"the registry's token realm {realm!r} is not https (plain http is accepted only on the host of "
            f"a plain-http registry, here {registry_url!r}); refusing to send the credentials there"
        )
    allowed = {registry_host, *(host.strip("[]").lower() for host in allowed_hosts if host)}  # as .hostname
    if wanted_host not in allowed:
        return (
            f"the registry's token realm {realm!r} is on {wanted_host!r}, which is not an allowed token "
            f"service host (the registry's own, {registry_host!r}; $CI_SERVER_HOST; --token-realm-host: "
            f"{', '.join(repr(h) for h in sorted(allowed - {registry_host})) or 'none given'}); refusing to "
            f"send the credentials there. If {wanted_host} does issue this registry's tokens, pass "
            f"--token-realm-host {wanted_host}"
        )
    return None


class RegistryAuth(requests.auth.AuthBase):
    """Basic auth, upgraded to a Bearer token when the registry asks for one (RFC 6750 challenge).

    Only requests to the registry's own origin get credentials, and only challenges from it are
    answered; the token realm gets the Basic credentials if ``realm_refusal`` allows it, with
    ``realm_hosts`` as the other hosts allowed to issue tokens.
    """

    def __init__(
        self,
        http: requests.Session,
        registry_url: str,
        username: str | None,
        password: str | None,
        realm_hosts: Sequence[str] = (),
    ) -> None:
        self.http = http
        self.registry_url = registry_url
        self.realm_hosts = tuple(realm_hosts)
        self.origin = origin(registry_url)
        self.basic = (username, password) if username and password else None  # never 'user:None'
        self.tokens: dict[str, str] = {}

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if origin(request.url or "") != self.origin:
            return request
        scope = _scope(request.url or "")
        if scope in self.tokens:
            request.headers["Authorization"] = f"Bearer {self.tokens[scope]}"
        elif self.basic:
            request.prepare_auth(self.basic)
        request.register_hook("response", self._on_response)
        return request

    def _on_response(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        challenge = response.headers.get("WWW-Authenticate", "")
        if response.status_code != 401 or not challenge.lower().startswith("bearer "):
            return response
        if origin(response.request.url or "") != self.origin:
            return response  # never answer another origin's challenge with our credentials
        scope = _scope(response.request.url or "")
        if scope in self.tokens:
            return response  # a fresh token was refused: the credentials are wrong
        params = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
        realm = params.pop("realm", None)
        if not realm:
            return response
        refusal = realm_refusal(self.registry_url, realm, self.realm_hosts)
        if refusal:
            raise CleanupError(refusal)
        answer = self.http.get(realm, params=params, auth=self.basic, timeout=TIMEOUT, allow_redirects=False)
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
class Manifest:
    digest: str
    children: tuple[str, ...]
    """The ``manifests[].digest`` of an index (manifest list); empty for an image manifest."""


@dataclass(frozen=True)
class Registry:
    """The registry v2 API for one repository."""

    base_url: str
    repository: str
    http: requests.Session

    def _url(self, path: str) -> str:
        return f"{self.base_url.rstrip('/')}/v2/{self.repository}/{path}"

    def _check(self, response: requests.Response, what: str) -> requests.Response:
        _refuse_redirect(response, what)
        if response.status_code == 401:
            raise CleanupError(f"{what}: authentication failed (HTTP 401); check the registry username and password")
        if response.status_code == 403:
            raise CleanupError(f"{what}: not allowed (HTTP 403); the credentials cannot delete from {self.repository}")
        if response.status_code >= 400 and response.status_code != 404:
            raise CleanupError(f"{what}: HTTP {response.status_code} {response.text[:200]}")
        return response

    def tags(self) -> list[str]:
        url: str | None = self._url("tags/list?n=1000")
        seen: set[str] = set()
        tags: list[str] = []
        while url:
            seen.add(url)
            response = self._check(self.http.get(url, timeout=TIMEOUT, allow_redirects=False), "listing tags")
            if response.status_code == 404:
                return []  # the repository does not exist (yet, or any more)
            tags += response.json().get("tags") or []
            url = self._next_link(response)
            if url in seen:
                raise CleanupError(f"listing tags: the registry's next page {url!r} was already read")
        return tags

    def _next_link(self, response: requests.Response) -> str | None:
        link = response.links.get("next", {}).get("url")
        if not link:
            return None
        url = urljoin(response.url, link)  # distribution sends it relative (registry/handlers/tags.go)
        if origin(url) != origin(self.base_url):
            raise CleanupError(
                f"listing tags: the registry's next page {url!r} is not on {self.base_url}; refusing to "
                "follow it (credentials stay with the registry, and a listing continued elsewhere cannot "
                "be trusted to find every tag that shares the digest), and deleting nothing"
            )
        return url

    def manifest(self, reference: str) -> Manifest | None:
        """The digest of a tag (or digest), and its children if it is an index; None if it is gone."""
        url = self._url(f"manifests/{quote(reference, safe=':')}")
        head = self._check(
            self.http.head(url, headers={"Accept": MANIFEST_TYPES}, timeout=TIMEOUT, allow_redirects=False),
            f"resolving {reference}",
        )
        if head.status_code == 404:
            return None
        digest = head.headers.get("Docker-Content-Digest")
        if not digest:
            raise CleanupError(f"resolving {reference}: the registry sent no Docker-Content-Digest")
        media_type = head.headers.get("Content-Type", "").split(";")[0].strip()
        if media_type in IMAGE_TYPES:
            return Manifest(digest, ())
        # An index, or a type the registry did not name: read it, and take what it lists.
        response = self._check(
            self.http.get(
                self._url(f"manifests/{digest}"),
                headers={"Accept": MANIFEST_TYPES},
                timeout=TIMEOUT,
                allow_redirects=False,
            ),
            f"reading {reference}",
        )
        if response.status_code == 404:
            return None
        try:
            body = response.json()
        except ValueError as error:
            raise CleanupError(f"reading {reference} ({digest}): the manifest is not JSON") from error
        entries = body.get("manifests") if isinstance(body, dict) else None
        if not isinstance(entries, list):
            return Manifest(digest, ())
        children = tuple(str(e["digest"]) for e in entries if isinstance(e, dict) and e.get("digest"))
        return Manifest(digest, children)

    def delete(self, digest: str) -> None:
        response = self._check(
            self.http.delete(self._url(f"manifests/{digest}"), timeout=TIMEOUT, allow_redirects=False),
            f"deleting {digest}",
        )
        if response.status_code == 405:
            raise CleanupError("the registry does not allow deletes (storage.delete.enabled is off)")


def delete_tag_v2(registry: Registry, tag: str) -> Outcome:
    tags = registry.tags()
    if tag not in tags:
        return Outcome(False, f"{registry.repository}:{tag} does not exist; nothing to delete")
    target = registry.manifest(tag)
    if target is None:
        return Outcome(False, f"{registry.repository}:{tag} does not exist; nothing to delete")
    digest = target.digest
    same: list[str] = []
    parents: list[str] = []
    shared_children: list[str] = []
    for other in sorted(set(tags) - {tag}):
        theirs = registry.manifest(other)
        if theirs is None:
            continue  # deleted since the listing
        if theirs.digest == digest:
            same.append(other)
        elif digest in theirs.children:
            parents.append(other)
        else:
            shared = sorted(set(target.children) & {theirs.digest, *theirs.children})
            shared_children += [f"{child} (used by {other})" for child in shared]
    reasons = []
    if same:
        reasons.append(
            f"its digest {digest} is also tagged {', '.join(same)}, and the registry API can only delete "
            "the digest with every tag on it"
        )
    if parents:
        reasons.append(
            f"its digest {digest} is listed by the index tagged {', '.join(parents)}, which would lose that manifest"
        )
    if shared_children:
        reasons.append(
            f"it is an index whose children other tags use: {', '.join(shared_children)}; an index is "
            "deleted only when no other tag uses its children"
        )
    if reasons:
        raise Refused(f"refusing to delete {registry.repository}:{tag}: {'; '.join(reasons)}")
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

    def _send(self, method: str, url: str, what: str) -> requests.Response:
        """Send the job token, to CI_API_V4_URL's origin only, and follow no redirect."""
        if origin(url) != origin(self.api_url):
            raise CleanupError(
                f"{what}: GitLab's API pointed to {url!r}, which is not on {self.api_url}; refusing to send "
                "the job token there, and deleting nothing"
            )
        response = self.http.request(
            method, url, headers={"JOB-TOKEN": self.job_token}, timeout=TIMEOUT, allow_redirects=False
        )
        _refuse_redirect(response, what)
        return response

    def _get(self, path: str) -> Iterator[Mapping[str, object]]:
        url: str | None = f"{self.api_url.rstrip('/')}/projects/{quote(self.project_id, safe='')}/{path}"
        while url:
            response = self._send("GET", url, path)
            if response.status_code in (401, 403):
                raise CleanupError(f"GitLab refused the job token (HTTP {response.status_code}) for {path}")
            if response.status_code >= 400:
                raise CleanupError(f"GitLab API {path}: HTTP {response.status_code} {response.text[:200]}")
            yield from response.json()
            link = response.links.get("next", {}).get("url")
            url = urljoin(response.url, link) if link else None

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
            f"{quote(str(repository['id']), safe='')}/tags/{quote(tag, safe='')}"
        )
        response = self._send("DELETE", url, f"deleting {image}:{tag}")
        if response.status_code == 404:
            return Outcome(False, f"{image}:{tag} does not exist; nothing to delete")
        if response.status_code >= 400:
            raise CleanupError(
                f"deleting {image}:{tag} through GitLab: HTTP {response.status_code} {response.text[:200]}"
            )
        return Outcome(True, f"deleted {image}:{tag} through GitLab's API")


# --- command ---------------------------------------------------------------------------------


# The registry host and repository path rules are the stack's (distribution/reference's grammar,
# Docker's rule for what names a registry, a port from 1 to 65535 and an IPv6 address that parses,
# as gitlab_k8s_cd.components.image_reference holds them, importing no SDK). The host becomes the
# registry URL's authority, so anything else ('@' userinfo, '#', '?', a bad port) would send the
# credentials to another origin or none.
_REPOSITORY = re.compile(rf"^{PATH}$")


def _host_expected(what: str) -> str:
    return (
        f"{what}: expected a host name, an IPv4 address or a bracketed IPv6 address, with an optional "
        "port from 1 to 65535 (the image reference grammar's registry host), e.g. registry.example.com:5000"
    )


def check_host(host: str, what: str) -> None:
    """A host (``--token-realm-host``): the reference grammar's, an IPv6 address that parses, a port 1-65535."""
    try:
        host_and_port(what, host)
    except InvalidArgument:
        raise ValueError(_host_expected(what)) from None


def split_image(image: str) -> tuple[str, str]:
    """``registry.example.com:5000/group/app`` -> (``registry.example.com:5000``, ``group/app``)."""
    host = registry_of(image)
    if host is None:
        raise ValueError(f"--image {image!r}: expected <registry host>/<repository>, e.g. registry.gitlab.com/acme/app")
    repository = image[len(host) + 1 :]
    try:
        registry_host("--image", host)
    except InvalidArgument:
        raise ValueError(_host_expected(f"--image {image!r}: the registry host {host!r}")) from None
    if "@" in repository or ":" in repository:
        raise ValueError(f"--image {image!r}: give the repository without a tag or digest, and the tag with --tag")
    if not _REPOSITORY.match(repository):
        # Anything else (``..``, ``%2e``, uppercase) could turn the v2 URL into another path.
        raise ValueError(
            f"--image {image!r}: the repository must follow the registry's name grammar: lowercase path "
            "components of letters and digits, separated by '.', '_', '__' or '-', joined by '/'"
        )
    return host, repository


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    env = os.environ if environ is None else environ
    parser = argparse.ArgumentParser(
        prog="python -m gitlab_k8s_cd.pipeline.cleanup", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--image", required=True, help="the repository, <registry host>/<path>, without a tag")
    parser.add_argument("--tag", required=True, help="the CI tag to delete, ci-<pipeline id>-<short sha>")
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
    parser.add_argument(
        "--token-realm-host",
        action="append",
        default=[],
        metavar="HOST",
        help="another host name that may issue the registry's Bearer tokens and so get its credentials "
        "(repeatable; the registry's own host and $CI_SERVER_HOST always may), e.g. auth.docker.io",
    )
    parser.add_argument("--username", default=env.get("REGISTRY_USER"), help="registry user (default $REGISTRY_USER)")
    parser.add_argument("--password-env", default="REGISTRY_PASSWORD", help="the variable holding the password")
    parser.add_argument("--retries", type=int, default=4, help="retries of a transient failure (default 4)")
    parser.add_argument("--backoff", type=float, default=0.5, help="backoff factor in seconds (default 0.5)")
    args = parser.parse_args(argv)
    try:
        host, repository = split_image(args.image)
        check_tag(args.tag)
        for realm_host in args.token_realm_host:
            check_host(realm_host, f"--token-realm-host {realm_host!r}")
            if ":" in realm_host and not realm_host.endswith("]"):
                raise ValueError(f"--token-realm-host {realm_host!r}: give the host name alone; ports are not checked")
    except ValueError as error:
        parser.print_usage(sys.stderr)
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
            registry_url = args.registry_url or f"https://{host}"
            realm_hosts = [*args.token_realm_host, env.get("CI_SERVER_HOST", "")]
            http.auth = RegistryAuth(http, registry_url, args.username, env.get(args.password_env), realm_hosts)
            outcome = delete_tag_v2(Registry(registry_url, repository, http), args.tag)
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
