"""GitLab's own rules: CI variable keys and masking, environment names and scopes, project paths
and reserved names, and the RE2 regexes of a registry cleanup policy."""

from __future__ import annotations

import re
from typing import Any

import re2

from .redaction import Redacted
from .validation import InvalidArgument

_VARIABLE_KEY = re.compile(r"^[A-Za-z0-9_]{1,255}$")
# GitLab's masking rules: at least 8 characters, no whitespace, and only the RFC 4648 Base64
# alphabet (both variants, with '=' padding) plus '@', ':', '.' and '~'.
_MASKABLE = re.compile(r"^[A-Za-z0-9+/=@:.~_-]{8,}$")
_ENVIRONMENT_NAME = re.compile(r"^(?=.{1,255}$)[a-zA-Z0-9]([a-zA-Z0-9 _./-]*[a-zA-Z0-9 _.-])?$")
_ENVIRONMENT_SCOPE = re.compile(r"^(\*|[a-zA-Z0-9 _./${}*-]{1,255})$")
# Gitlab::PathRegex (lib/gitlab/path_regex.rb): any segment, and a new project's path.
_PATH_SEGMENT = re.compile(r"^[a-zA-Z0-9_.][a-zA-Z0-9_.-]{0,254}$")
_NEW_PROJECT_PATH = re.compile(r"^[a-zA-Z0-9]+([._-][a-zA-Z0-9]+)*$")
PROJECT_WILDCARD_ROUTES = frozenset(
    [
        "-",
        "badges",
        "blame",
        "blob",
        "builds",
        "commits",
        "create",
        "create_dir",
        "edit",
        "environments",
        "files",
        "find_file",
        "gitlab-lfs",
        "info",
        "new",
        "preview",
        "raw",
        "refs",
        "tree",
        "update",
        "wikis",
    ]
)
"""Project names GitLab refuses (``PROJECT_WILDCARD_ROUTES``; multi-segment routes by their first)."""
TOP_LEVEL_ROUTES = frozenset(
    [
        "-",
        ".well-known",
        "404.html",
        "422.html",
        "500.html",
        "502.html",
        "503.html",
        "admin",
        "api",
        "apple-touch-icon.png",
        "assets",
        "dashboard",
        "deploy.html",
        "explore",
        "favicon.ico",
        "favicon.png",
        "files",
        "groups",
        "health_check",
        "help",
        "import",
        "jwt",
        "login",
        "oauth",
        "profile",
        "projects",
        "public",
        "robots.txt",
        "s",
        "search",
        "sitemap",
        "sitemap.xml",
        "sitemap.xml.gz",
        "slash-command-logo.png",
        "snippets",
        "unsubscribes",
        "uploads",
        "users",
        "v2",
    ]
)
"""Top-level group names GitLab reserves (doc/user/reserved_names.md)."""


def variable_key(field: str, value: Any) -> str:
    if not isinstance(value, str) or not _VARIABLE_KEY.match(value):
        raise InvalidArgument(field, value, "must be 1 to 255 letters, digits or '_' (GitLab's variable key rule)")
    return value


def maskable(field: str, value: str, secret: bool = True) -> str:
    """A value GitLab can mask: ≥8 characters from ``[A-Za-z0-9+/=@:.~_-]``, no whitespace."""
    if not _MASKABLE.match(value):
        shown: Any = Redacted(len(value)) if secret else value
        raise InvalidArgument(
            field,
            shown,
            "GitLab cannot mask this value: it needs at least 8 characters, no whitespace, "
            "and only letters, digits and '+ / = - _ @ : . ~'",
        )
    return value


def environment_name(field: str, value: Any) -> str:
    """A GitLab environment name (``Gitlab::Regex.environment_name_regex``, at most 255 characters),
    as a literal: no ``$``, ``{`` or ``}``, which GitLab allows for CI to expand, and which would make
    the deploy job's ``environment:name`` differ from the name the stack scopes its variables to."""
    if not isinstance(value, str) or not _ENVIRONMENT_NAME.match(value) or value.strip() != value:
        raise InvalidArgument(
            field,
            value,
            "must be a GitLab environment name: at most 255 letters, digits, spaces and '- _ / .', starting with "
            "a letter or digit and not ending with '/' (no '$', '{' or '}': CI would expand them)",
        )
    return value


def environment_scope(field: str, value: Any) -> str:
    if not isinstance(value, str) or not _ENVIRONMENT_SCOPE.match(value):
        raise InvalidArgument(field, value, "must be '*' or an environment name, optionally with '*' wildcards")
    return value


def top_level_group(project_path: str) -> str:
    """A project path's top-level group (or user namespace), lowercased: GitLab compares paths
    case-insensitively, and an agent serves only projects under its own project's (GL-40)."""
    return project_path.split("/", 1)[0].lower()


def project_path(field: str, value: Any, new: bool = False) -> str:
    """A GitLab project path with its namespace, e.g. ``acme/platform/hello``
    (``Gitlab::PathRegex``). ``new``: the project is created here, so its own segment must also be
    a path GitLab gives new projects (letters and digits, single '.', '_' or '-' between) and not a
    name GitLab reserves for its routes."""
    expected = "must be a GitLab project path with its group, such as 'acme/hello'"
    parts = value.split("/") if isinstance(value, str) else []
    if len(parts) < 2 or not all(
        _PATH_SEGMENT.match(p) and not p.endswith((".git", ".atom")) and p.strip(".") for p in parts
    ):
        raise InvalidArgument(field, value, expected)
    if parts[0].lower() in TOP_LEVEL_ROUTES:
        raise InvalidArgument(field, value, f"must not start with {parts[0]!r}, a name GitLab reserves for its routes")
    if new:
        project = parts[-1]
        if not _NEW_PROJECT_PATH.match(project):
            raise InvalidArgument(
                field,
                value,
                "must end in a path GitLab accepts for a new project: letters and digits, with single '.', '_' or "
                "'-' between them (not first or last)",
            )
        if project.lower() in PROJECT_WILDCARD_ROUTES:
            raise InvalidArgument(field, value, f"must not end in {project!r}, a name GitLab reserves for its routes")
    return value


# GitLab checks a cleanup policy's regexes with RE2 (Gitlab::UntrustedRegexp, the re2 gem), and
# stores each in a varchar(255); so do we, with RE2 itself (google-re2), not a look-alike.
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # the library would print its refusals to stderr
REGEX_MAX_LENGTH = 255


def re2_pattern(field: str, value: Any) -> str:
    """A regex GitLab's RE2 accepts, on one line, of at most 255 characters, whose top-level
    alternatives (if any) are grouped: GitLab matches a tag against ``\\A<regex>\\z`` without a
    group, so ``a|b`` would mean "starts with a, or ends with b" (:func:`gitlab_tag_match`)."""
    if not isinstance(value, str) or not value:
        raise InvalidArgument(field, value, "must be a non-empty regular expression")
    if any(c in value for c in "\n\r"):
        raise InvalidArgument(field, value, "must be a single line")
    if len(value) > REGEX_MAX_LENGTH:
        raise InvalidArgument(field, value, f"must be at most {REGEX_MAX_LENGTH} characters (GitLab's limit)")
    try:
        re2.compile(value, _RE2_OPTIONS)
    except re2.error as error:
        reason = error.args[0].decode() if error.args and isinstance(error.args[0], bytes) else str(error)
        raise InvalidArgument(field, value, f"must be RE2 syntax, GitLab's regex engine ({reason})") from None
    if _has_top_level_alternation(value):
        raise InvalidArgument(
            field,
            value,
            "must group its alternatives, e.g. '(ci-.*|review-.*)': GitLab anchors it as \\A<regex>\\z, so an "
            "ungrouped 'a|b' matches every tag that starts with a or ends with b",
        )
    return value


def gitlab_tag_match(regex: str, tag: str) -> bool:
    """Whether GitLab's cleanup policy matches ``tag`` with ``regex``: RE2, ``\\A<regex>\\z``
    (``Projects::ContainerRepository::CleanupTagsService``)."""
    return re2.search(f"\\A{regex}\\z", tag, _RE2_OPTIONS) is not None


def _has_top_level_alternation(regex: str) -> bool:
    depth, in_class, escaped, class_start = 0, False, False, -1
    for index, char in enumerate(regex):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            # A ']' first in a class ("[]|]", "[^]|]") is a literal, not its end.
            literal = index == class_start or (index == class_start + 1 and regex[class_start] == "^")
            in_class = char != "]" or literal
        elif char == "[":
            in_class, class_start = True, index + 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            return True
    return False
