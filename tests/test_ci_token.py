"""gitlab_k8s_cd.pipeline.ci_token: CI's GitLab token rotates itself, never revoking what it still needs.

The GitLab here is a stand-in (no GitLab server runs on this machine) that refuses what GitLab
refuses, per docs/contracts.md: a project access token may not create tokens nor rotate one by
id (project bots are prevented ``manage_resource_access_tokens``), ``self/rotate`` revokes the
token at once, a revoked token gets 401 on every later call, a rotated token presented to
``self/rotate`` again has its whole family revoked, and a variable exists once per key and scope."""

from __future__ import annotations

import datetime as dt
import json
import re
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from gitlab_k8s_cd.pipeline import ci_token
from tests.stand_ins import stand_in_server

TODAY = dt.date(2026, 11, 28)
OLD, ADMIN = "glpat-old-token-0000", "glpat-admin-token-9999"


class StandInGitLab:
    """Tokens by value, and the project's variables by (key, scope)."""

    def __init__(self) -> None:
        self.tokens = {OLD: {"bot": True, "revoked": False}, ADMIN: {"bot": False, "revoked": False}}
        self.variables = {
            ("GITLAB_TOKEN", "staging"): OLD,
            ("GITLAB_TOKEN_EXPIRES_AT", "staging"): "2026-12-01",
        }
        self.issued = 0
        self.fail_puts = 0
        self.refuse_writes = False
        self.lose_rotation_answer = False
        self.rotation_status = 200
        self.successor = {}  # token -> the token it was rotated into

    def answer(self, request, _server):
        presented = request.headers.get("PRIVATE-TOKEN", "")
        token = self.tokens.get(presented)
        if token is not None and token["revoked"] and request.path.endswith("/access_tokens/self/rotate"):
            self._revoke_family(presented)  # reuse of a rotated token: GitLab assumes it was stolen
        if token is None or token["revoked"]:
            return 401, {}, {"message": "401 Unauthorized"}
        url = urlsplit(request.path)
        path, query = unquote(url.path), {k: v[0] for k, v in parse_qs(url.query).items()}
        body = _form_or_json(request)
        if request.method == "POST" and path.endswith("/access_tokens/self/rotate"):
            if not token["bot"]:
                return 403, {}, {"message": "403 Forbidden"}
            token["revoked"] = True  # at once, as GitLab does
            new = self._issue(bot=True)
            self.successor[presented] = new
            if self.lose_rotation_answer:
                return 502, {}, None  # rotated, but the answer never reaches the tool
            return self.rotation_status, {}, {"token": new, "expires_at": body["expires_at"]}
        if request.method == "POST" and re.search(r"/access_tokens/\d+/rotate$", path):
            return 401, {}, {"message": "401 Unauthorized"}  # a bot may not rotate by id
        if request.method == "POST" and path.endswith("/access_tokens"):
            if token["bot"]:
                return 403, {}, {"message": "403 Forbidden"}
            return 201, {}, {"token": self._issue(bot=True), "expires_at": body["expires_at"]}
        match = re.search(r"/variables(?:/(\w+))?$", path)
        if match:
            return self._variables(request.method, match.group(1), query, body)
        return 404, {}, {"message": "404 Not Found"}

    def _variables(self, method, key, query, body):
        scope = query.get("filter[environment_scope]") or body.get("environment_scope")
        if self.refuse_writes and method in ("PUT", "POST"):
            return 403, {}, {"message": "403 Forbidden"}
        if method == "PUT":
            if self.fail_puts:
                self.fail_puts -= 1
                return 503, {}, None
            if (key, scope) not in self.variables:
                return 404, {}, {"message": "404 Variable Not Found"}
            self.variables[(key, scope)] = body["value"]
            return 200, {}, {"key": key}
        if method == "DELETE":
            return (204, {}, None) if self.variables.pop((key, scope), None) is not None else (404, {}, None)
        if method == "POST":
            if (body["key"], scope) in self.variables:
                return 400, {}, {"message": {"key": [f"({body['key']}) has already been taken"]}}
            self.variables[(body["key"], scope)] = body["value"]
            return 201, {}, {"key": body["key"]}
        return 405, {}, None

    def _revoke_family(self, token: str) -> None:
        while token in self.successor:
            token = self.successor[token]
            self.tokens[token]["revoked"] = True

    def _issue(self, *, bot: bool) -> str:
        self.issued += 1
        value = f"glpat-new-token-{self.issued:04d}"
        self.tokens[value] = {"bot": bot, "revoked": False}
        return value


def _form_or_json(request):
    if not request.body:
        return {}
    if request.headers.get("Content-Type", "").startswith("application/json"):
        return json.loads(request.body)
    return {k: v[0] for k, v in parse_qs(request.body.decode()).items()}


@pytest.fixture
def gitlab():
    model = StandInGitLab()
    with stand_in_server(model.answer) as server:
        yield model, ci_token.GitLab(api_url=f"{server.url}/api/v4", project="acme/hello", backoff=0), server


def rotate(client, **overrides):
    arguments = {
        "token": OLD,
        "environment": "staging",
        "expires_at": "2026-12-01",
        "today": TODAY,
        "expiration_days": 30,
        "rotate_before_days": 7,
        **overrides,
    }
    return ci_token.rotate(client, **arguments)


def test_a_token_far_from_expiry_is_not_rotated(gitlab):
    model, client, server = gitlab
    message = rotate(client, expires_at="2027-01-15")
    assert "not rotated" in message
    assert server.requests == [] and model.tokens[OLD]["revoked"] is False


def test_a_due_token_rotates_itself_and_stores_its_successor_with_the_successor(gitlab):
    model, client, server = gitlab
    message = rotate(client)
    new = model.variables[("GITLAB_TOKEN", "staging")]
    assert new != OLD and model.tokens[new]["revoked"] is False
    assert model.tokens[OLD]["revoked"] is True
    assert model.variables[("GITLAB_TOKEN_EXPIRES_AT", "staging")] == "2026-12-28"
    assert message == "rotated GITLAB_TOKEN of staging: the new token expires on 2026-12-28"
    # The rotation is the old token's last use; every later call carries the new one.
    rotation = [i for i, r in enumerate(server.requests) if r.path.endswith("/self/rotate")]
    assert rotation == [0]
    assert {r.headers["PRIVATE-TOKEN"] for r in server.requests[1:]} == {new}


def test_the_stand_in_kills_the_old_token_the_moment_it_is_rotated(gitlab):
    """A self-check of the stand-in's model (docs/contracts.md GL-1): after the rotate call the
    token that made it gets 401, so nothing may use it afterwards."""
    _model, client, _ = gitlab
    rotate(client)
    again = client.call("PUT", "/variables/GITLAB_TOKEN", OLD, retry=False, params={}, data={"value": "x"})
    assert again.status_code == 401


def test_the_stand_in_refuses_a_project_token_the_rotation_by_id_the_provider_would_make(gitlab):
    """A self-check of the stand-in's model (docs/contracts.md GL-2): gitlab.ProjectAccessToken's
    rotation_configuration rotates by id, which GitLab refuses a project bot."""
    _, client, _ = gitlab
    assert client.call("POST", "/access_tokens/42/rotate", OLD, retry=False).status_code == 401


def test_a_store_that_fails_once_is_retried_with_the_new_token(gitlab):
    model, client, _ = gitlab
    model.fail_puts = 1
    rotate(client)
    assert model.tokens[model.variables[("GITLAB_TOKEN", "staging")]]["revoked"] is False


def test_a_refused_rotation_changes_nothing_and_the_old_token_still_works(gitlab):
    model, client, _ = gitlab
    model.tokens[OLD]["bot"] = False  # not a project access token: self/rotate is refused here
    with pytest.raises(ci_token.TokenError, match=r"^GitLab refused to rotate the token: HTTP 403") as caught:
        rotate(client)
    assert caught.value.lost is False
    assert model.variables[("GITLAB_TOKEN", "staging")] == OLD and model.tokens[OLD]["revoked"] is False


def test_a_successor_that_cannot_be_stored_is_reported_as_lost_without_printing_it(gitlab, capsys):
    model, client, _server = gitlab
    model.refuse_writes = True  # say, the bot lost its Maintainer role
    with pytest.raises(ci_token.TokenError, match=r"could not be updated .* an admin must run") as caught:
        rotate(client)
    assert caught.value.lost is True
    assert "glpat-" not in str(caught.value)


@pytest.mark.parametrize("expires_at", [None, "", "not-a-date"])
def test_an_unknown_expiry_rotates(expires_at):
    assert ci_token.rotation_due(expires_at, TODAY, 7) is True


@pytest.mark.parametrize(("expires_at", "due"), [("2026-12-05", True), ("2026-12-06", False), ("2026-11-01", True)])
def test_rotation_starts_rotate_before_days_ahead(expires_at, due):
    assert ci_token.rotation_due(expires_at, TODAY, 7) is due


def test_an_admin_creates_the_token_and_its_hidden_protected_variables(gitlab):
    model, client, server = gitlab
    model.variables.clear()
    message = ci_token.create(
        client, admin_token=ADMIN, environment="staging", name="staging deploy", today=TODAY, expiration_days=30
    )
    token = model.variables[("GITLAB_TOKEN", "staging")]
    assert model.tokens[token]["bot"] is True
    assert model.variables[("GITLAB_TOKEN_EXPIRES_AT", "staging")] == "2026-12-28"
    posted = [json.loads(r.body) for r in server.requests if r.method == "POST" and r.path.endswith("/variables")]
    secret = next(b for b in posted if b["key"] == "GITLAB_TOKEN")
    assert (secret["masked_and_hidden"], secret["protected"], secret["raw"]) == (True, True, True)
    assert token not in message


def test_a_project_token_cannot_create_tokens(gitlab):
    _, client, _ = gitlab
    with pytest.raises(ci_token.TokenError, match=r"HTTP 403"):
        ci_token.create(client, admin_token=OLD, environment="staging", name="x", today=TODAY, expiration_days=30)


def test_the_command_prints_no_token_and_exits_by_outcome(gitlab, capsys):
    model, client, _server = gitlab
    env = {
        "GITLAB_TOKEN": OLD,
        "GITLAB_TOKEN_EXPIRES_AT": "2026-11-30",
        "CI_PROJECT_ID": "acme/hello",
        "CI_API_V4_URL": client.api_url,
    }
    assert ci_token.main(["rotate", "--environment", "staging"], env) == ci_token.EXIT_OK
    out = capsys.readouterr()
    assert "rotated GITLAB_TOKEN of staging" in out.out and "glpat-" not in out.out + out.err
    # The same command again with the now revoked token, as a stale job would have it: GitLab
    # revokes the whole family, the successor too, and the tool says an admin must step in.
    assert ci_token.main(["rotate", "--environment", "staging"], env) == ci_token.EXIT_LOST
    assert "HTTP 401" in capsys.readouterr().err
    assert all(model.tokens[t]["revoked"] for t in model.tokens if t != ADMIN)


def test_a_stack_from_an_earlier_version_without_the_expiry_variable_gets_it_on_its_first_rotation(gitlab):
    model, client, _ = gitlab
    model.variables.pop(("GITLAB_TOKEN_EXPIRES_AT", "staging"))
    rotate(client, expires_at=None)
    assert model.variables[("GITLAB_TOKEN_EXPIRES_AT", "staging")] == "2026-12-28"
    assert ci_token.rotation_due(model.variables[("GITLAB_TOKEN_EXPIRES_AT", "staging")], TODAY, 7) is False


def test_a_rotation_whose_answer_is_lost_is_never_retried_and_is_reported_as_lost(gitlab):
    """A retry would present the rotated token again, and GitLab would revoke its whole family."""
    model, client, server = gitlab
    model.lose_rotation_answer = True
    with pytest.raises(ci_token.TokenError, match=r"^the rotation's outcome is unknown") as caught:
        rotate(client)
    assert caught.value.lost is True
    assert [r.path.endswith("/self/rotate") for r in server.requests] == [True]


def test_any_success_status_with_a_token_is_a_rotation(gitlab):
    model, client, _ = gitlab
    model.rotation_status = 201
    rotate(client)
    assert model.variables[("GITLAB_TOKEN", "staging")] != OLD


def test_a_stale_expiry_date_alone_loses_nothing_and_says_the_next_run_rotates_again(gitlab):
    model, client, _ = gitlab
    original = model._variables

    def refuse_the_date(method, key, query, body):
        if key == "GITLAB_TOKEN_EXPIRES_AT" and method == "PUT":
            return 403, {}, {"message": "403 Forbidden"}
        return original(method, key, query, body)

    model._variables = refuse_the_date
    with pytest.raises(ci_token.TokenError, match=r"holds the new one, .* the next run rotates again") as caught:
        rotate(client)
    assert caught.value.lost is False
    assert model.tokens[model.variables[("GITLAB_TOKEN", "staging")]]["revoked"] is False


def test_usage_errors_exit_2_and_never_look_like_a_lost_token(capsys):
    assert ci_token.main(["rotate"], {"GITLAB_TOKEN": OLD, "CI_PROJECT_ID": "1"}) == ci_token.EXIT_USAGE
    assert ci_token.main(["rotate", "--environment", "staging"], {"CI_PROJECT_ID": "1"}) == ci_token.EXIT_USAGE
    assert "GITLAB_TOKEN is empty" in capsys.readouterr().err
    assert ci_token.EXIT_USAGE != ci_token.EXIT_LOST
