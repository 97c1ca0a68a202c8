"""The GitLab project: registry on, a cleanup policy, and never deleted by a destroy."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_gitlab as gitlab

from . import gitlab_rules
from . import validation as v

CI_TAG_REGEX = r"ci-[0-9]+-[0-9a-f]{8,40}"
"""The tags the pipeline gives its throwaway CI images: ``ci-<pipeline id>-<short sha>``."""
REVIEW_TAG_REGEX = r"review-[0-9]+-[0-9a-f]{8,40}"
"""The tags of review apps' images: ``review-<merge request iid>-<short sha>``."""
CACHE_TAG_REGEX = r"[0-9a-f]{64}"
"""The tags of the build's layer cache in ``<image>/cache``: the build job runs ``buildah build
--layers --cache-to <image>/cache``, and buildah pushes one image per cached step there, tagged with
that step's cache key: a SHA-256 as 64 lowercase hex digits (buildah v1.38.1,
``imagebuildah/stage_executor.go``: ``generateCacheKey`` returns ``fmt.Sprintf("%x", hash.Sum(nil))``
of a ``sha256.New()``, and ``cacheImageReferences`` tags it with ``reference.WithTag(repo, cachekey)``).
Nothing else ever deletes them, so without this the cache grows with every build. GitLab runs the
cleanup policy on every container repository of the project, ``<image>/cache`` included, and keeps
``keep_n`` tags per repository, so the newest cache layers stay."""
EXPIRING_TAG_REGEX = f"({CI_TAG_REGEX}|{REVIEW_TAG_REGEX}|{CACHE_TAG_REGEX})"
"""The tags the cleanup policy deletes by default: CI images, review images once stale, and the
build's layer cache once stale."""
RELEASE_TAG_REGEX = r"(release-[0-9a-f]{8,40}|v?[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?|main|latest)"
"""Tags the cleanup policy never deletes: release images, semantic versions, main and latest."""

RELEASE_TAG_SAMPLES = ("release-0a1b2c3d", "release-456789ef", "release-" + "0123456789abcdef" * 2 + "01234567")
"""Tags the pipeline gives release images: ``release-$CI_COMMIT_SHORT_SHA`` (8 hex digits; longer
when a project's short SHAs are), whose digests the environments run."""

CADENCES = ("1d", "7d", "14d", "1month", "3month")
KEEP_N = (1, 5, 10, 25, 50, 100)
OLDER_THAN = ("7d", "14d", "30d", "90d")
VISIBILITIES = ("private", "internal", "public")
DESCRIPTION_MAX_LENGTH = 2000
"""GitLab's limit on a project's description (``Project`` validates ``length: { maximum: 2000 }``)."""


@dataclass(frozen=True, kw_only=True)
class RegistryCleanupArgs:
    """GitLab's container registry cleanup policy (``container_expiration_policy``).

    GitLab deletes a tag when it matches ``name_regex_delete`` in full, does not match
    ``name_regex_keep``, is older than ``older_than`` and is not among the ``keep_n`` newest. It
    applies the policy to each of the project's container repositories separately (the image and
    ``<image>/cache`` alike): ``keep_n`` counts the newest tags of each repository.
    """

    enabled: bool = True
    """Whether the policy runs. Default true."""
    cadence: str = "1d"
    """How often it runs: one of 1d, 7d, 14d, 1month, 3month. Default 1d."""
    keep_n: int = 10
    """Newest tags kept per repository whatever they match: one of 1, 5, 10, 25, 50, 100. Default 10."""
    older_than: str = "7d"
    """Only tags older than this are deleted: one of 7d, 14d, 30d, 90d. Default 7d."""
    name_regex_delete: str = EXPIRING_TAG_REGEX
    """Tags to delete (RE2, matched in full). Default: the pipeline's CI tags, review tags and
    layer-cache tags (:data:`EXPIRING_TAG_REGEX`)."""
    name_regex_keep: str = RELEASE_TAG_REGEX
    """Tags never deleted (RE2, matched in full). Default: release tags, versions, main, latest."""

    def __post_init__(self) -> None:
        v.boolean("enabled", self.enabled)
        v.one_of("cadence", self.cadence, CADENCES)
        v.one_of("keep_n", self.keep_n, KEEP_N)
        v.one_of("older_than", self.older_than, OLDER_THAN)
        gitlab_rules.re2_pattern("name_regex_delete", self.name_regex_delete)
        gitlab_rules.re2_pattern("name_regex_keep", self.name_regex_keep)
        # Matched the way GitLab matches them, so that no custom regex can let it eat a release.
        for tag in RELEASE_TAG_SAMPLES:
            if gitlab_rules.gitlab_tag_match(self.name_regex_delete, tag) and not gitlab_rules.gitlab_tag_match(
                self.name_regex_keep, tag
            ):
                raise v.InvalidArgument(
                    "name_regex_delete",
                    self.name_regex_delete,
                    f"must not delete release images: it matches the release tag {tag!r}, which the keep regex does "
                    "not keep; a deleted release tag breaks every restart of the pods running it",
                )
            if not gitlab_rules.gitlab_tag_match(self.name_regex_keep, tag):
                raise v.InvalidArgument(
                    "name_regex_keep",
                    self.name_regex_keep,
                    f"must keep release images: it does not match the release tag {tag!r} (e.g. extend the default, "
                    f"{RELEASE_TAG_REGEX})",
                )

    def manifest(self) -> dict[str, object]:
        return {
            "enabled": self.enabled,
            "cadence": self.cadence,
            "keep_n": self.keep_n,
            "older_than": self.older_than,
            "name_regex_delete": self.name_regex_delete,
            "name_regex_keep": self.name_regex_keep,
        }


@dataclass(frozen=True, kw_only=True)
class GitLabProjectArgs:
    path: str
    """The project's full path, e.g. ``acme/hello``. Its group must exist."""
    manage: bool = True
    """Whether this stack manages the project's settings. Default true. Exactly one stack per
    project should (say staging); the others set false and only look the project up."""
    description: str = ""
    """The project description. Default empty."""
    visibility: str = "private"
    """private, internal or public. Default private."""
    cleanup: RegistryCleanupArgs = field(default_factory=RegistryCleanupArgs)
    """The registry cleanup policy. Default :class:`RegistryCleanupArgs`."""

    def __post_init__(self) -> None:
        gitlab_rules.project_path("path", self.path, new=self.manage)
        v.boolean("manage", self.manage)
        v.one_of("visibility", self.visibility, VISIBILITIES)
        if not isinstance(self.description, str) or any(c in self.description for c in "\r\n\0"):
            raise v.InvalidArgument("description", self.description, "must be a single line")
        if len(self.description) > DESCRIPTION_MAX_LENGTH:
            raise v.InvalidArgument(
                "description",
                self.description[:40] + "...",
                f"must be at most {DESCRIPTION_MAX_LENGTH} characters (GitLab's limit; got {len(self.description)})",
            )

    @property
    def group(self) -> str:
        return self.path.rsplit("/", 1)[0]

    @property
    def slug(self) -> str:
        return self.path.rsplit("/", 1)[1]


class GitLabProject(pulumi.ComponentResource):
    """The app's GitLab project.

    When ``manage`` is true, creates (or, after ``pulumi import``, adopts) the Project with:
    - its container registry enabled for members only;
    - the registry cleanup policy;
    - ``archive_on_destroy``: destroying the stack archives the project; it never deletes it or
      its registry images.

    When ``manage`` is false, looks the project up and declares nothing.
    """

    project_id: pulumi.Output[str]
    path_with_namespace: pulumi.Output[str]

    def __init__(self, name: str, args: GitLabProjectArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("gitlab-k8s-cd:gitlab_project:GitLabProject", name, None, opts)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        if args.manage:
            group = gitlab.get_group_output(full_path=args.group, opts=invoke)
            project = gitlab.Project(
                f"{name}-project",
                name=args.slug,
                path=args.slug,
                namespace_id=group.group_id,
                description=args.description,
                visibility_level=args.visibility,
                container_registry_access_level="private",
                container_expiration_policy=args.cleanup.manifest(),
                archive_on_destroy=True,
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.project_id = project.id
        else:
            self.project_id = gitlab.get_project_output(path_with_namespace=args.path, opts=invoke).id
        self.path_with_namespace = pulumi.Output.from_input(args.path)
        self.register_outputs({"project_id": self.project_id, "path_with_namespace": self.path_with_namespace})
