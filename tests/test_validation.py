"""The shared validation rules: each accepts what the upstream grammar accepts, and refuses
the rest with a message naming the field, the value and the expectation."""

from __future__ import annotations

import base64
import datetime as dt
from decimal import Decimal

import pytest

from components import validation as v
from components.validation import InvalidArgument


def test_invalid_argument_names_the_field_the_value_and_the_expectation():
    error = InvalidArgument("replicas", 0, "must be an integer ≥ 1")
    assert str(error) == "replicas: must be an integer ≥ 1 (got 0)"


def test_invalid_argument_about_two_fields_names_both_values():
    error = InvalidArgument(("max_surge", "max_unavailable"), (0, "0%"), "cannot both be 0")
    assert str(error) == "max_surge and max_unavailable: cannot both be 0 (got 0 and '0%')"


@pytest.mark.parametrize("name", ["a", "hello", "hello-staging", "a1", "1a", "x" * 63])
def test_dns1123_label_accepts_kubernetes_names(name):
    assert v.dns1123_label("name", name) == name


@pytest.mark.parametrize("name", ["", "Hello", "-a", "a-", "a_b", "a.b", "x" * 64, "a\nb", 5, None])
def test_dns1123_label_rejects_what_the_api_server_rejects(name):
    with pytest.raises(InvalidArgument, match=r"^name: must be a DNS-1123 label"):
        v.dns1123_label("name", name)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("250m", Decimal("0.25")),
        ("1", Decimal(1)),
        ("512Mi", Decimal(512 * 2**20)),
        ("2Gi", Decimal(2 * 2**30)),
        ("1e3", Decimal(1000)),
        ("1.5", Decimal("1.5")),
        ("100k", Decimal(100000)),
        (".5", Decimal("0.5")),
    ],
)
def test_quantity_accepts_and_parses_kubernetes_quantities(text, amount):
    assert v.quantity("cpu", text) == text
    assert v.parse_quantity(text) == amount


@pytest.mark.parametrize("text", ["", "1x", "m", "1 Gi", "1GiB", "one", "-1", "1.2.3", 2])
def test_quantity_rejects_malformed_or_negative_amounts(text):
    with pytest.raises(InvalidArgument, match=r"^cpu: must"):
        v.quantity("cpu", text)


@pytest.mark.parametrize("value", [0, 1, 10, "0%", "25%", "100%"])
def test_int_or_percent_accepts_counts_and_percentages_up_to_100(value):
    assert v.int_or_percent("max_surge", value) == value


@pytest.mark.parametrize("value", [-1, "101%", "-5%", "25", "25 %", "1000%", True, 2.5, None])
def test_int_or_percent_rejects_negatives_and_percentages_outside_0_to_100(value):
    with pytest.raises(InvalidArgument, match=r"^max_surge: must be an integer ≥ 0 or a percentage from 0% to 100%"):
        v.int_or_percent("max_surge", value)


def test_integer_names_its_range():
    with pytest.raises(InvalidArgument, match=r"must be an integer from 1 to 65535 \(got 70000\)"):
        v.integer("port", 70000, minimum=1, maximum=65535)
    with pytest.raises(InvalidArgument, match=r"must be an integer ≥ 1 \(got True\)"):
        v.integer("replicas", True, minimum=1)
    # The API's int32 fields: one past the limit is refused, by default.
    assert v.integer("replicas", 2**31 - 1, minimum=1) == 2**31 - 1
    with pytest.raises(InvalidArgument, match=r"at most 2147483647 \(the API's int32 limit\) \(got 2147483648\)"):
        v.integer("replicas", 2**31, minimum=1)


@pytest.mark.parametrize("path", ["/", "/healthz", "/ready?full=1"])
def test_http_path_accepts_absolute_paths(path):
    assert v.http_path("path", path) == path


@pytest.mark.parametrize("path", ["healthz", "", "/with space", "/a\nb", None])
def test_http_path_rejects_paths_without_a_leading_slash_or_with_whitespace(path):
    with pytest.raises(InvalidArgument, match=r"^path: must be an HTTP path starting with '/'"):
        v.http_path("path", path)


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
    parsed = v.image_reference("image", image)
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
        v.image_reference("image", image)


def test_https_url_rejects_other_schemes_and_whitespace():
    assert v.absolute_url("url", "https://example.com/x") == "https://example.com/x"
    for bad in ["http://example.com", "https://", "example.com", "https://exa mple.com", "https://x\n.com"]:
        with pytest.raises(InvalidArgument, match=r"^url: must be an absolute https:// URL"):
            v.absolute_url("url", bad)


def test_future_date_rejects_past_dates_and_other_formats():
    today = dt.date(2026, 11, 27)
    assert v.future_date("expires", "2026-11-28", today=today) == "2026-11-28"
    with pytest.raises(InvalidArgument, match=r"must be a date after today \(2026-11-27\)"):
        v.future_date("expires", "2026-11-27", today=today)
    for bad in ["2026-13-01", "27/11/2027", "2027-1-1", 20271127]:
        with pytest.raises(InvalidArgument, match=r"must be a date in YYYY-MM-DD form"):
            v.future_date("expires", bad, today=today)


def test_pem_certificate_base64_wants_base64_of_a_certificate():
    good = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n").decode()
    assert v.pem_certificate_base64("ca", good) == good
    for bad in ["not base64!", base64.b64encode(b"hello").decode()]:
        with pytest.raises(InvalidArgument, match=r"^ca: must be the base64 of a PEM certificate"):
            v.pem_certificate_base64("ca", bad)


@pytest.mark.parametrize("value", ["abcdefgh", "glpat-AbC_123.xyz~", "a+b/c=d@e:f", "eyJhbGciOi.eyJzdWIi.sig-_"])
def test_maskable_accepts_what_gitlab_can_mask(value):
    assert v.maskable("TOKEN", value) == value


@pytest.mark.parametrize("value", ["short", "has space in it", "tab\tinside", "new\nline12", "quote'inside", "é" * 10])
def test_maskable_rejects_what_gitlab_would_refuse_without_showing_the_value(value):
    with pytest.raises(InvalidArgument, match=r"^TOKEN: GitLab cannot mask this value") as caught:
        v.maskable("TOKEN", value)
    assert value not in str(caught.value)
    assert f"[secret, {len(value)} characters]" in str(caught.value)


@pytest.mark.parametrize("key", ["A", "KUBE_NAMESPACE", "a1_b2"])
def test_variable_key_accepts_gitlab_keys(key):
    assert v.variable_key("key", key) == key


@pytest.mark.parametrize("key", ["", "WITH-DASH", "WITH SPACE", "K" * 256, "ÄÖ"])
def test_variable_key_rejects_what_gitlab_rejects(key):
    with pytest.raises(InvalidArgument, match=r"^key: must be 1 to 255 letters, digits or '_'"):
        v.variable_key("key", key)


@pytest.mark.parametrize("name", ["staging", "production", "review/feature-1", "review/$CI_COMMIT_REF_SLUG"])
def test_environment_name_accepts_gitlab_environment_names(name):
    assert v.environment_name("environment", name) == name


@pytest.mark.parametrize("name", ["", " staging", "staging ", "-x", "stag\ning", "a" * 256, "sta:ging"])
def test_environment_name_rejects_what_gitlab_rejects(name):
    with pytest.raises(InvalidArgument, match=r"^environment: must be a GitLab environment name"):
        v.environment_name("environment", name)


@pytest.mark.parametrize("scope", ["*", "staging", "review/*"])
def test_environment_scope_accepts_names_and_wildcards(scope):
    assert v.environment_scope("scope", scope) == scope


def test_environment_scope_rejects_newlines():
    with pytest.raises(InvalidArgument, match=r"^scope: must be '\*' or an environment name"):
        v.environment_scope("scope", "staging\n*")


@pytest.mark.parametrize("path", ["acme/hello", "acme/platform/hello", "a_b/c.d-e"])
def test_project_path_accepts_group_and_project(path):
    assert v.project_path("project", path) == path


@pytest.mark.parametrize("path", ["hello", "acme/", "/hello", "acme/hello.git", "acme/he llo", "acme//x"])
def test_project_path_rejects_paths_without_a_group_or_with_bad_parts(path):
    with pytest.raises(InvalidArgument, match=r"^project: must be a GitLab project path"):
        v.project_path("project", path)


def test_re2_pattern_rejects_what_does_not_compile_or_re2_lacks():
    assert v.re2_pattern("regex", "ci-[0-9]+") == "ci-[0-9]+"
    with pytest.raises(InvalidArgument, match=r"must be a valid regular expression"):
        v.re2_pattern("regex", "ci-[0-9")
    for re2_lacks in ["(?=x)", "(?!x)", "(?<=x)y", r"(a)\1"]:
        with pytest.raises(InvalidArgument, match=r"must be RE2 syntax"):
            v.re2_pattern("regex", re2_lacks)


def test_configmap_data_wants_string_keys_and_values():
    assert v.configmap_data("settings", {"LOG_LEVEL": "info", "a.b-c_d": "x"}) == {"LOG_LEVEL": "info", "a.b-c_d": "x"}
    with pytest.raises(InvalidArgument, match=r"values must be strings"):
        v.configmap_data("settings", {"REPLICAS": 2})
    with pytest.raises(InvalidArgument, match=r"keys must be letters, digits"):
        v.configmap_data("settings", {"BAD KEY": "x"})


def test_one_of_lists_what_is_allowed():
    with pytest.raises(InvalidArgument, match=r"^cadence: must be one of '1d', '7d' \(got '2d'\)"):
        v.one_of("cadence", "2d", ("1d", "7d"))


def test_renamed_reports_the_callers_field_names():
    def build():
        raise InvalidArgument("name", "Bad", "must be lowercase")

    with pytest.raises(InvalidArgument, match=r"^namespace: must be lowercase \(got 'Bad'\)"):
        v.renamed(build, {"name": "namespace"})
