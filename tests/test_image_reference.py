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


@pytest.mark.parametrize(
    ("host", "problem", "as_a_setting"),
    [
        ("[:::]:5000", "must be an IPv6 address that parses", None),
        ("[::g]", None, "must be a registry host"),  # not even the grammar's: 'g' is no hex digit
        ("[:::::1]", "must be an IPv6 address that parses", None),
        ("[::1]:70000", "must have a port from 1 to 65535", None),
        ("registry.example.com:0", "must have a port from 1 to 65535", None),
        ("registry.example.com:65536", "must have a port from 1 to 65535", None),
        # A path component to the grammar, a registry to Docker's rule: the reference would name none.
        (
            "reg_istry.example.com",
            "must be a host name, an IPv4 address or a bracketed IPv6",
            "must be a registry host",
        ),
    ],
)
def test_a_registry_host_no_client_could_reach_is_refused_by_the_stack_in_an_image_and_as_a_registry(
    host, problem, as_a_setting
):
    """distribution/reference's grammar takes any hex digits and colons in brackets for an IPv6
    address and any digits for a port (docs/contracts.md CR-4): an image, and a registry setting,
    are refused for what the grammar lets through and no pull could reach. ``as_a_setting``: the
    registry setting's message, where it is not the image's problem."""
    from gitlab_k8s_cd.components.image_reference import registry_host

    with pytest.raises(InvalidArgument, match=r"^image: ") as refused:
        ImageReference.parse("image", f"{host}/acme/app:1.0")
    with pytest.raises(InvalidArgument, match=r"^gitlab_registry: ") as refused_setting:
        registry_host("gitlab_registry", host)
    if problem is not None:
        assert f"its registry host {host!r} {problem}" in str(refused.value)
    assert (as_a_setting or problem) in str(refused_setting.value)


@pytest.mark.parametrize(
    "host", ["[2001:db8::1]", "[2001:db8::1]:5000", "[::1]:1", "127.0.0.1:65535", "localhost", "registry.gitlab.com"]
)
def test_a_registry_host_that_parses_is_the_images_registry_and_a_registry_setting(host):
    """The hosts distribution/reference's own tests name (reference_test.go), and the ends of the port range."""
    from gitlab_k8s_cd.components.image_reference import registry_host

    assert ImageReference.parse("image", f"{host}/acme/app:1.0").registry == host
    assert registry_host("gitlab_registry", host) == host


def test_a_host_may_be_any_host_name_and_only_a_registry_needs_docker_s_rule():
    """A token service's host (the cleanup tool's --token-realm-host) is a host, not an image's
    registry: a single-label name is a host, which Docker's rule reads as a repository's first
    component."""
    from gitlab_k8s_cd.components.image_reference import host_and_port, registry_host, registry_of

    assert host_and_port("host", "keycloak") == "keycloak"
    with pytest.raises(InvalidArgument, match=r"^registry: must be a registry host as an image names it"):
        registry_host("registry", "keycloak")
    assert registry_of("keycloak/app") is None and registry_of("keycloak:5000/app") == "keycloak:5000"
    for bad in ("[:::]", "auth.example.com:0", "auth_x.example.com", "user@auth.example.com", ""):
        with pytest.raises(InvalidArgument, match=r"^host: "):
            host_and_port("host", bad)
