"""The GitLab token CI's ``pulumi up`` runs with: made once by an admin, then rotated by itself.

    python -m gitlab_k8s_cd.pipeline.ci_token create --project acme/hello --environment staging   # admin, once
    python -m gitlab_k8s_cd.pipeline.ci_token rotate --environment staging                        # CI, nightly

Why not a ``gitlab.ProjectAccessToken`` in the stack, rotated by the provider's
``rotation_configuration``? Because CI's ``pulumi up`` authenticates with that very token, and
GitLab forbids a project access token (a project bot) to rotate any token but itself
(``app/policies/project_policy.rb``: project bots ``prevent :manage_resource_access_tokens``;
the rotate-by-id endpoint answers 401), while rotating revokes the old token at once
(``doc/api/project_access_tokens.md``). In the rotation window every deploy would fail, and the
nightly drift check would show the pending rotation as drift. So the stack does not manage it:

- ``create`` (an admin, with a token of their own that may create project access tokens):
  makes the project access token (``api`` scope, Maintainer) and stores it in the environment's
  ``GITLAB_TOKEN`` variable (masked, hidden, protected), with its expiry date in
  ``GITLAB_TOKEN_EXPIRES_AT`` (plain: a date is no secret);
- ``rotate`` (CI, in the drift-check schedule's pipeline, serialised with deploys by the
  environment's resource group): does nothing until ``--rotate-before-days`` before
  ``$GITLAB_TOKEN_EXPIRES_AT``; then calls ``POST /projects/:id/access_tokens/self/rotate``
  (GitLab 17.9+) with the token, which revokes it, and **with the new token** stores the new
  token and its expiry date in the variables. The token it runs with is never revoked while
  anything still needs it: the rotate call is its last use.

The rotate call is never retried: once it has reached GitLab the old token may be revoked, and
GitLab treats a rotated token presented again as stolen and revokes its whole family, the
successor included (``spec/requests/api/resource_access_tokens/self_rotation_spec.rb``,
"revokes token family"). The variable updates are retried (PUT is idempotent). No token is ever
printed. Exit status:

- 0: rotated and stored, or not due;
- 1: failed with nothing lost: the token still works (refused, unreachable), or it was rotated
  and stored and only its expiry date could not be (the next run rotates again);
- 2: usage;
- 3: the token may be revoked and its successor is not stored (the rotation's answer was lost,
  or storing it failed): an admin must run ``create`` again.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote

import requests

from .cleanup import TIMEOUT, session

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_LOST = 0, 1, 2, 3
ADMIN_STEP = "an admin must run `python -m gitlab_k8s_cd.pipeline.ci_token create` again"
"""What a lost token takes; every error that exits :data:`EXIT_LOST` ends with it."""
TOKEN_VARIABLE = "GITLAB_TOKEN"
EXPIRY_VARIABLE = "GITLAB_TOKEN_EXPIRES_AT"
MAINTAINER = 40


class TokenError(Exception):
    """A GitLab call failed. ``lost`` when the token had been rotated already."""

    def __init__(self, message: str, *, lost: bool = False) -> None:
        super().__init__(message)
        self.lost = lost


@dataclass(frozen=True, kw_only=True)
class GitLab:
    """GitLab's REST API for one project."""

    api_url: str
    """``$CI_API_V4_URL``, e.g. https://gitlab.com/api/v4."""
    project: str
    """The project's id or path."""
    retries: int = 4
    """Retries of an idempotent call's connection error or 5xx. Default 4."""
    backoff: float = 0.5
    """Backoff factor of those retries, in seconds. Default 0.5."""

    def __post_init__(self) -> None:
        if not self.api_url.startswith(("https://", "http://")):
            raise ValueError(f"api_url: must be an http(s) URL (got {self.api_url!r})")
        if not self.project:
            raise ValueError("project: must be a project id or path (got '')")
        if self.retries < 0 or self.backoff < 0:
            raise ValueError(f"retries and backoff: must be ≥ 0 (got {self.retries} and {self.backoff})")

    def url(self, path: str) -> str:
        return f"{self.api_url.rstrip('/')}/projects/{quote(self.project, safe='')}{path}"

    def call(
        self, method: str, path: str, token: str, *, retry: bool, lost_if_sent: bool = False, **kwargs: object
    ) -> requests.Response:
        """One call. A failure before the request could reach GitLab is never ``lost``; one after
        it may have is, when ``lost_if_sent`` (the rotation: GitLab may have rotated already)."""
        http = session(self.retries if retry else 0, self.backoff)
        try:
            return http.request(method, self.url(path), headers={"PRIVATE-TOKEN": token}, timeout=TIMEOUT, **kwargs)
        except (requests.ConnectTimeout, requests.exceptions.InvalidURL) as exc:
            raise TokenError(f"{method} {path}: {type(exc).__name__}, GitLab was not reached") from None
        except requests.RequestException as exc:  # reset, read timeout...: it may have got through
            raise TokenError(f"{method} {path}: {type(exc).__name__}", lost=lost_if_sent) from None


def rotation_due(expires_at: str | None, today: dt.date, rotate_before_days: int) -> bool:
    """Whether a token expiring on ``expires_at`` (YYYY-MM-DD; None: unknown) is due for rotation."""
    try:
        expiry = dt.date.fromisoformat(expires_at or "")
    except ValueError:
        return True  # unknown or unreadable: rotating early costs nothing
    return today >= expiry - dt.timedelta(days=rotate_before_days)


def rotate(
    gitlab: GitLab,
    *,
    token: str,
    environment: str,
    expires_at: str | None,
    today: dt.date,
    expiration_days: int,
    rotate_before_days: int,
) -> str:
    """Rotate ``token`` if due and store its successor; return what was done, for the job log."""
    if not rotation_due(expires_at, today, rotate_before_days):
        return (
            f"{TOKEN_VARIABLE} expires on {expires_at}: not rotated (rotation starts {rotate_before_days} days before)"
        )
    new_expiry = (today + dt.timedelta(days=expiration_days)).isoformat()
    # The last call made with the old token: GitLab revokes it as it answers. Never retried.
    response = gitlab.call(
        "POST", "/access_tokens/self/rotate", token, retry=False, lost_if_sent=True, data={"expires_at": new_expiry}
    )
    if response.status_code == 401:
        # Expired or revoked; and a token rotated already, presented again, has its whole family
        # revoked with it. Either way no job can use it any more.
        raise TokenError(
            f"GitLab does not accept the token (HTTP 401): it is expired or revoked; {ADMIN_STEP}",
            lost=True,
        )
    if 400 <= response.status_code < 500:
        raise TokenError(f"GitLab refused to rotate the token: HTTP {response.status_code} {_message(response)}")
    new_token, stored_expiry = _rotated(response, new_expiry)
    answer = _store(gitlab, new_token, environment, TOKEN_VARIABLE, new_token)
    if not answer.ok:
        raise TokenError(
            f"the token was rotated, but {TOKEN_VARIABLE} of {environment} could not be updated "
            f"(HTTP {answer.status_code} {_message(answer)}): the old token is revoked; {ADMIN_STEP}",
            lost=True,
        )
    answer = _store(gitlab, new_token, environment, EXPIRY_VARIABLE, stored_expiry)
    if not answer.ok:
        raise TokenError(
            f"the token was rotated and {TOKEN_VARIABLE} of {environment} holds the new one, but "
            f"{EXPIRY_VARIABLE} could not be updated (HTTP {answer.status_code} {_message(answer)}): "
            "the next run rotates again"
        )
    return f"rotated {TOKEN_VARIABLE} of {environment}: the new token expires on {stored_expiry}"


def _rotated(response: requests.Response, fallback_expiry: str) -> tuple[str, str]:
    """The new token and its expiry from a rotation's answer. Any other answer may stand for a
    rotation whose successor nobody has: lost."""
    unknown = "the rotation's outcome is unknown and the token may be revoked"
    if not response.ok:
        raise TokenError(f"{unknown} (HTTP {response.status_code}); {ADMIN_STEP}", lost=True)
    try:
        body = response.json()
        token = body["token"]
    except (ValueError, KeyError, TypeError):
        raise TokenError(f"{unknown} (an answer without a token); {ADMIN_STEP}", lost=True) from None
    return str(token), str(body.get("expires_at") or fallback_expiry)


def _store(gitlab: GitLab, token: str, environment: str, key: str, value: str) -> requests.Response:
    """Set variable ``key`` of ``environment`` to ``value``; create it if it is missing (a stack
    made by an earlier version has no ``GITLAB_TOKEN_EXPIRES_AT``)."""
    scope = {"filter[environment_scope]": environment}
    answer = gitlab.call("PUT", f"/variables/{key}", token, retry=True, params=scope, data={"value": value})
    if answer.status_code != 404:
        return answer
    return gitlab.call("POST", "/variables", token, retry=False, json=_variable_body(key, value, environment))


def _variable_body(key: str, value: str, environment: str) -> dict[str, object]:
    secret = key == TOKEN_VARIABLE
    return {
        "key": key,
        "value": value,
        "environment_scope": environment,
        "masked": secret,
        "masked_and_hidden": secret,
        "protected": True,
        "raw": True,
        "description": "managed by gitlab_k8s_cd.pipeline.ci_token",
    }


def create(
    gitlab: GitLab, *, admin_token: str, environment: str, name: str, today: dt.date, expiration_days: int
) -> str:
    """Make CI's project access token and store it in the environment's variables."""
    expires_at = (today + dt.timedelta(days=expiration_days)).isoformat()
    response = gitlab.call(
        "POST",
        "/access_tokens",
        admin_token,
        retry=False,
        json={"name": name, "scopes": ["api"], "access_level": MAINTAINER, "expires_at": expires_at},
    )
    if response.status_code != 201:
        raise TokenError(f"GitLab refused to create the token: HTTP {response.status_code} {_message(response)}")
    token = response.json()["token"]
    for key, value in ((TOKEN_VARIABLE, token), (EXPIRY_VARIABLE, expires_at)):
        # A variable left by an earlier run goes first: GitLab keeps one per key and scope, and
        # `hidden` cannot be set on an existing one.
        scope = {"filter[environment_scope]": environment}
        gitlab.call("DELETE", f"/variables/{key}", admin_token, retry=True, params=scope)
        answer = gitlab.call(
            "POST", "/variables", admin_token, retry=False, json=_variable_body(key, value, environment)
        )
        if answer.status_code != 201:
            raise TokenError(
                f"the token was created but {key} of {environment} could not be stored "
                f"(HTTP {answer.status_code} {_message(answer)}); revoke it and run again",
                lost=True,
            )
    return f"created {name!r}; stored in {TOKEN_VARIABLE} of {environment}, expires on {expires_at}"


def _message(response: requests.Response) -> str:
    """GitLab's error message, never a token: error bodies carry none, and only these keys are read."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        return str(body.get("message") or body.get("error") or "")
    return ""


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    env = os.environ if environ is None else environ
    parser = argparse.ArgumentParser(
        prog="python -m gitlab_k8s_cd.pipeline.ci_token", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("action", choices=("create", "rotate"))
    parser.add_argument("--environment", required=True, help="the environment scope of the variables")
    parser.add_argument("--project", default=env.get("CI_PROJECT_ID"), help="project id or path ($CI_PROJECT_ID)")
    parser.add_argument("--api-url", default=env.get("CI_API_V4_URL", "https://gitlab.com/api/v4"))
    parser.add_argument("--expiration-days", type=int, default=30, help="each token's lifetime (default 30)")
    parser.add_argument("--rotate-before-days", type=int, default=7, help="rotate this long before expiry (default 7)")
    parser.add_argument("--name", default=None, help="the token's name (create; default '<environment> deploy')")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return EXIT_OK if exit_.code == 0 else EXIT_USAGE  # --help, or argparse's own message
    token = env.get(TOKEN_VARIABLE, "")
    problem = (
        "--project is required outside GitLab CI"
        if not args.project
        else "need 1 <= --rotate-before-days < --expiration-days <= 365"
        if not 1 <= args.rotate_before_days < args.expiration_days <= 365
        else f"${TOKEN_VARIABLE} is empty: the token to rotate (rotate) or the admin's own (create)"
        if not token
        else None
    )
    if problem:
        print(f"python -m gitlab_k8s_cd.pipeline.ci_token: {problem}", file=sys.stderr)
        return EXIT_USAGE
    gitlab = GitLab(api_url=args.api_url, project=args.project)
    today = dt.datetime.now(dt.UTC).date()
    try:
        if args.action == "rotate":
            message = rotate(
                gitlab,
                token=token,
                environment=args.environment,
                expires_at=env.get(EXPIRY_VARIABLE) or None,
                today=today,
                expiration_days=args.expiration_days,
                rotate_before_days=args.rotate_before_days,
            )
        else:
            message = create(
                gitlab,
                admin_token=token,
                environment=args.environment,
                name=args.name or f"{args.environment} deploy",
                today=today,
                expiration_days=args.expiration_days,
            )
    except TokenError as exc:
        print(f"ci_token {args.action}: {exc}", file=sys.stderr)
        return EXIT_LOST if exc.lost else EXIT_FAILED
    print(message)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
