"""Image references, parsed by distribution/reference's grammar: a tag or a digest, never neither."""

from __future__ import annotations

import pytest

from gitlab_k8s_cd.components.image_reference import ImageReference
from gitlab_k8s_cd.components.validation import InvalidArgument


@pytest.mark.parametrize(
    ("image", "tag", "digest", "registry"),
    [
        ("registry.gitlab.com/acme/hello:1.2.3", "1.2.3", None, "registry.gitlab.com"),
        ("registry.gitlab.com/acme/hello@sha256:" + "a" * 64, None, "sha256:" + "a" * 64, "registry.gitlab.com"),
        ("localhost:5000/app:ci-1-abcdef12", "ci-1-abcdef12", None, "localhost:5000"),
        ("nginx:1.27", "1.27", None, None),
        (
            "registry.example.com:5050/g/sub/app:v1@sha256:" + "0" * 64,
            "v1",
            "sha256:" + "0" * 64,
            "registry.example.com:5050",
        ),
    ],
)
def test_image_reference_parses_tag_digest_and_registry(image, tag, digest, registry):
    parsed = ImageReference.parse("image", image)
    assert (parsed.tag, parsed.digest, parsed.registry) == (tag, digest, registry)
    assert parsed.pinned is (digest is not None)


@pytest.mark.parametrize(
    "image",
    [
        "registry.gitlab.com/acme/hello",  # no tag, no digest: an implicit :latest
        "Registry.gitlab.com/Acme/hello:1",  # upper case in the path
        "registry.gitlab.com/acme/hello:",
        "registry.gitlab.com/acme/hello@sha256:abc",  # a digest too short
        "registry.gitlab.com/acme/hello@sha256:" + "A" * 64,  # sha256 digests are lowercase hex
        "registry.gitlab.com/acme/hello:1.0\nkind: Secret",  # a newline smuggling YAML
        "registry.gitlab.com/acme/hello:1 .0",
        "",
    ],
)
def test_image_reference_rejects_malformed_references(image):
    with pytest.raises(InvalidArgument, match=r"^image: "):
        ImageReference.parse("image", image)


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("registry.gitlab.com/acme/hello:1\n", r"must be an image reference"),  # '$' would match before it
        ("registry.gitlab.com/acme/hello:1.2.3é", r"must be an image reference"),  # Go's \w is ASCII
        ("registry.gitlab.com/acme/hello@sha512:" + "a" * 64, r"sha512: and 128"),
        ("registry.gitlab.com/acme/hello@md5:" + "a" * 32, r"its digest must be 'sha256:'"),
        ("registry.gitlab.com/" + "a" * 240 + ":1", r"at most 255 characters"),
    ],
)
def test_image_reference_refuses_what_the_distribution_grammar_refuses(image, expected):
    with pytest.raises(InvalidArgument, match=expected):
        ImageReference.parse("image", image)
    assert ImageReference.parse("image", "registry.gitlab.com/acme/hello@sha512:" + "a" * 128).pinned


@pytest.mark.parametrize(
    "image",
    [
        "registry.gitlab.com/acme/hello:1.2.3",
        "registry.gitlab.com/acme/hello@sha256:" + "a" * 64,
        "localhost:5000/app:v1@sha512:" + "b" * 128,
    ],
)
def test_a_reference_reads_back_as_the_text_it_was_parsed_from(image):
    assert str(ImageReference.parse("image", image)) == image


def test_a_reference_at_another_digest_keeps_its_repository_and_tag():
    other = "sha256:" + "c" * 64
    assert (
        str(ImageReference.parse("image", "r.example.com/a@sha256:" + "d" * 64).at(other)) == f"r.example.com/a@{other}"
    )
    assert str(ImageReference.parse("image", "r.example.com/a:1").at(other)) == f"r.example.com/a:1@{other}"


def test_an_image_is_parsed_once_however_many_args_carry_it_and_however_often_they_read_it():
    """Parsed where it enters (an Args' __post_init__); the Args built from those Args (a
    ContinuousDeployment's WorkloadArgs), and every reader, read that same parse."""
    from gitlab_k8s_cd.components import AppSpec, MigrationSpec, WorkloadArgs
    from gitlab_k8s_cd.components.canary import CanarySpec
    from gitlab_k8s_cd.components.image_reference import _parse

    image, canary = "r.example.com/a@sha256:" + "e" * 64, "r.example.com/a@sha256:" + "f" * 64
    _parse.cache_clear()
    spec = AppSpec(migration=MigrationSpec(command=["migrate"]), canary=CanarySpec(replicas=1))
    args = WorkloadArgs(app="a", instance="a-b", namespace="n", image=image, canary_image=canary, spec=spec)
    again = WorkloadArgs(app="a", instance="a-c", namespace="m", image=image, canary_image=canary, spec=spec)
    assert args.migration_job_name == "a-migrate-eeeeeeeeeeee" and args.image_reference.digest == "sha256:" + "e" * 64
    assert args.canary_image_reference.pinned and again.image_reference is args.image_reference
    assert str(again.canary_image_reference) == canary
    assert _parse.cache_info().misses == 2  # the image and the canary's, each once
