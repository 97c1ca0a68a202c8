"""Images: references a registry would refuse, which would only fail at the first pull, after the
deploy started. (``:latest`` and tag-only images outside a development stack are valid config: the
policy pack refuses them, and the plan exits 1 for them, tests/test_plan.py.)

The grammar is the distribution reference's (docker/distribution ``reference/regexp.go``): a
repository path of lowercase components, a tag of at most 128 word characters, ``.`` or ``-``
(not first), and a digest after one ``@``; a sha256 digest has 64 lowercase hex digits (go-digest:
sha384 96, sha512 128; no other algorithm), all ASCII, and a name of at most 255 characters."""

from __future__ import annotations

from tests.corpus import Case

REPOSITORY = "registry.gitlab.com/acme/hello"
REFERENCE = "must be an image reference with a tag or a digest"
SHA256 = "its digest must be 'sha256:' and 64 lowercase hex digits"
HEX = "4c5c9903be6a34ce37f463353a9166f4306b2adaa091d2688f666bb24caf2e24"
DIGEST = f"sha256:{HEX}"


def image(reference: str) -> dict[str, str]:
    return {"image": reference}


CASES: list[Case] = [
    # the repository path
    Case("image-uppercase-repository", image("registry.gitlab.com/Acme/hello:1.2.3"), "image", REFERENCE),
    Case("image-empty-path-component", image("registry.gitlab.com/acme//hello:1.2.3"), "image", REFERENCE),
    Case("image-path-starts-with-a-separator", image("registry.gitlab.com/acme/_hello:1.2.3"), "image", REFERENCE),
    Case("image-with-a-url-scheme", image(f"https://{REPOSITORY}:1.2.3"), "image", REFERENCE),
    # the tag
    Case("image-empty-tag", image(f"{REPOSITORY}:"), "image", REFERENCE),
    Case("image-tag-of-129-characters", image(f"{REPOSITORY}:" + "1" * 129), "image", REFERENCE),
    Case("image-tag-with-a-slash", image(f"{REPOSITORY}:release/1.2"), "image", REFERENCE),
    Case("image-tag-starting-with-a-dot", image(f"{REPOSITORY}:.1"), "image", REFERENCE),
    Case("image-tag-starting-with-a-dash", image(f"{REPOSITORY}:-rc1"), "image", REFERENCE),
    Case("image-tag-with-a-space", image(f"{REPOSITORY}:1.2 .3"), "image", REFERENCE),
    # the digest
    Case("image-digest-of-63-bytes", image(f"{REPOSITORY}@sha256:" + "ab" * 31 + "a"), "image", SHA256),
    Case("image-digest-of-65-hex-digits", image(f"{REPOSITORY}@{DIGEST}0"), "image", SHA256),
    Case(
        "image-digest-in-uppercase-hex",
        image(f"{REPOSITORY}@{DIGEST.upper().replace('SHA256', 'sha256')}"),
        "image",
        SHA256,
    ),
    Case("image-two-digests", image(f"{REPOSITORY}@{DIGEST}@{DIGEST}"), "image", REFERENCE),
    Case("image-empty-digest", image(f"{REPOSITORY}@"), "image", REFERENCE),
    Case("image-digest-without-algorithm", image(f"{REPOSITORY}@{HEX}"), "image", REFERENCE),
    # what Python's regexes would let through and a registry refuses
    Case("image-trailing-newline", image(f"{REPOSITORY}:1.2.3\n"), "image", REFERENCE),
    Case("image-non-ascii-tag", image(f"{REPOSITORY}:1.2.3é"), "image", REFERENCE),
    Case("image-sha512-of-sha256-length", image(f"{REPOSITORY}@sha512:{HEX}"), "image", "or sha384: and 96, sha512"),
    Case("image-md5-digest", image(f"{REPOSITORY}@md5:" + "ab" * 16), "image", SHA256),
    Case("image-name-over-255", image("registry.gitlab.com/" + "a" * 240 + ":1.2.3"), "image", "at most 255"),
    # what the grammar lets through as a registry host and no client can reach (docs/contracts.md CR-4)
    Case(
        "image-registry-an-ipv6-address-that-does-not-parse",
        image("[:::]:5000/acme/hello:1.2.3"),
        "image",
        "its registry host '[:::]:5000' must be an IPv6 address that parses",
    ),
    Case(
        "image-registry-port-out-of-range",
        image("registry.gitlab.com:70000/acme/hello:1.2.3"),
        "image",
        "its registry host 'registry.gitlab.com:70000' must have a port from 1 to 65535",
    ),
]
