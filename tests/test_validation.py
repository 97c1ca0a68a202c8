"""The shared validation rules: each accepts what the upstream grammar accepts, and refuses
the rest with a message naming the field, the value and the expectation."""

from __future__ import annotations

import base64
import datetime as dt
from decimal import Decimal

import pytest

from gitlab_k8s_cd.components import validation as v
from gitlab_k8s_cd.components.validation import InvalidArgument


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


@pytest.mark.parametrize("name", ["staging", "production", "review/feature-1", "prod eu.1", "a" * 255])
def test_environment_name_accepts_gitlab_environment_names(name):
    assert v.environment_name("environment", name) == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        " staging",
        "staging ",
        "-x",
        "stag\ning",
        "a" * 256,
        "sta:ging",
        "review/",
        "review/$CI_COMMIT_REF_SLUG",
        "{x}",
    ],
)
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
    with pytest.raises(InvalidArgument, match=r"must be RE2 syntax, GitLab's regex engine \(missing \]"):
        v.re2_pattern("regex", "ci-[0-9")
    # What Python's re takes and RE2 refuses: lookaround, backreferences, possessive and atomic
    # forms, \Z, and repetitions above 1000.
    for re2_lacks in ["(?=x)", "(?!x)", "(?<=x)y", r"(a)\1", "a*+", "(?>a)", r"a\Z", "a{1001}"]:
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


@pytest.mark.parametrize("regex", ["ci-.*|review-.*", "a|b", "(ci)-x|y"])
def test_re2_pattern_refuses_ungrouped_alternatives_which_gitlab_anchors_one_end_each(regex):
    with pytest.raises(InvalidArgument, match=r"must group its alternatives"):
        v.re2_pattern("regex", regex)
    assert v.re2_pattern("regex", f"({regex})") == f"({regex})"
    assert v.re2_pattern("regex", r"[|]a\|b") == r"[|]a\|b"  # a literal '|' is no alternative
    assert v.re2_pattern("regex", "[]|]ci") == "[]|]ci"  # nor one in a class that starts with ']'
    assert v.re2_pattern("regex", "[^]|]ci") == "[^]|]ci"


def test_gitlab_tag_match_anchors_the_regex_the_way_gitlab_does():
    # "\A#{regex}\z", ungrouped (Projects::ContainerRepository::CleanupTagsService).
    assert v.gitlab_tag_match("(ci-[0-9]+)", "ci-12")
    assert not v.gitlab_tag_match("(ci-[0-9]+)", "xci-12")
    assert v.gitlab_tag_match("ci-1|main", "release-main")  # ends with main: why ungrouped is refused


def test_re2_pattern_is_at_most_255_characters():
    assert v.re2_pattern("regex", "a" * 255)
    with pytest.raises(InvalidArgument, match=r"at most 255 characters"):
        v.re2_pattern("regex", "a" * 256)


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("DB_PASSWORD", True),
        ("apiToken", True),
        ("SESSION_SECRET", True),
        ("SECRET_KEY_BASE", True),
        ("settings['API_KEY']", True),
        ("pulumiConfigPasphrase", True),  # a typo of a secret's name
        ("pulumiAcessToken", True),
        ("deployTokenExpiresAt", False),  # about a secret, not one
        ("TOKEN_TTL", False),
        ("PASSWORD_MIN_LENGTH", False),
        ("LOG_LEVEL", False),
        ("keyboard", False),
        ("STRIPE_KEY", True),  # a key, unless it says it is another kind of key
        ("sshKey", True),
        ("storage_key", True),
        ("DB_PWD", True),
        ("kubeconfig", True),
        ("SORT_KEY", False),
        ("PUBLIC_KEY", False),
        ("SECRETARY_EMAIL", False),  # words a typo-tolerant match would take for secrets
        ("SEATS_TAKEN", False),
        ("TESTS_PASSED", False),
        ("PASSWORD_POLICY", False),
    ],
)
def test_secret_looking_name(name, secret):
    assert v.secret_looking_name(name) is secret


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("glpat-" + "x1" * 10, "a GitLab token"),
        ("gldt-" + "Ab3" * 8, "a GitLab token"),
        ("pul-" + "0a" * 20, "a Pulumi access token"),
        ("AKIA" + "A1B2C3D4E5F6G7H8", "an AWS access key id"),
        ("https://user:pass@example.com/x", "a URL with a password"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----\nabc", "a private key"),
        (base64.b64encode(b"-----BEGIN RSA PRIVATE KEY-----\nabc").decode(), "the base64 of a private key"),
        ("users:\n- user:\n    token: abc", "a kubeconfig with credentials"),
        ("hello world", None),
        (base64.b64encode(b"-----BEGIN CERTIFICATE-----\n" + b"x" * 40).decode(), None),  # public
        (42, None),
    ],
)
def test_looks_like_credential(value, kind):
    assert v.looks_like_credential(value) == kind


def test_an_error_never_echoes_a_credential_or_a_value_given_for_a_secret_looking_field():
    token = "glpat-" + "x1" * 10
    for error in (
        InvalidArgument("description", token, "must be short"),  # looks like a credential
        InvalidArgument("dbPasword", "hunter2hunter2", "is unknown"),  # a secret's name, typo'd
        InvalidArgument(("a", "apiToken"), ("x", "hunter2hunter2"), "differ"),
    ):
        assert token not in str(error) and "hunter2" not in str(error)
        assert "[secret, " in str(error)
    assert "'staging'" in str(InvalidArgument("environment", "staging", "is fine"))
    # A secret one level down, as an object or as the CLI's JSON text of one, under any key.
    for nested in ({"password": "hunter2hunter2"}, '{"DB_PASSWORD": "hunter2hunter2"}', ["x", {"apiToken": "hunter2"}]):
        assert "hunter2" not in str(InvalidArgument("dbConfig", nested, "is unknown"))
    assert "GREETING" in str(InvalidArgument("setings", '{"GREETING": "hi"}', "is unknown"))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://user:pa55@example.com/x",
            r"must not carry credentials .* \(got 'https://\[secret\]@example.com/x'\)",
        ),
        ("https://example.com:0", r"port from 1 to 65535"),
        ("https://example.com:70000", r"port from 1 to 65535"),
        ("https://example.com:http", r"port from 1 to 65535"),
        ("https://exa_mple.com", r"valid host name"),
        ("https://example.com/" + "x" * 300, r"at most 255 characters"),
    ],
)
def test_absolute_url_refuses_credentials_bad_ports_bad_hosts_and_long_urls(url, expected):
    with pytest.raises(InvalidArgument, match=expected) as caught:
        v.absolute_url("url", url, max_length=255)
    assert "pa55" not in str(caught.value)


def test_absolute_url_takes_ips_ports_and_paths():
    for url in ("https://10.0.0.1:6443", "https://[2001:db8::1]:6443/k8s", "https://gitlab.example.com/gitlab"):
        assert v.absolute_url("url", url) == url


@pytest.mark.parametrize("name", ["default", "kube-system", "kube-public", "kube-node-lease", "kube-anything"])
def test_claimable_namespace_refuses_the_clusters_own(name):
    with pytest.raises(InvalidArgument, match=r"must not be the cluster's own namespace"):
        v.claimable_namespace("namespace", name)
    assert v.claimable_namespace("namespace", "hello-kube-system") == "hello-kube-system"


@pytest.mark.parametrize("name", ["1hello", "-hello", "Hello", "a" * 64, "hello-"])
def test_dns1035_label_wants_a_letter_first(name):
    with pytest.raises(InvalidArgument, match=r"must be a DNS-1035 label"):
        v.dns1035_label("app", name)


@pytest.mark.parametrize(
    ("value", "replicas", "surge", "unavailable"),
    [(1, 3, 1, 1), ("25%", 3, 1, 0), ("25%", 4, 1, 1), ("00%", 5, 0, 0), ("100%", 3, 3, 3), ("050%", 3, 2, 1)],
)
def test_resolve_bound_rounds_surge_up_and_unavailable_down(value, replicas, surge, unavailable):
    assert v.resolve_bound(value, replicas, round_up=True) == surge
    assert v.resolve_bound(value, replicas, round_up=False) == unavailable


@pytest.mark.parametrize("zero", [0, "0%", "00%", "000%"])
def test_is_zero_in_any_spelling(zero):
    assert v.int_or_percent("max_surge", zero) == zero
    assert v.is_zero(zero)


@pytest.mark.parametrize("amount", ["128", "128m", "1.5", "500u"])
def test_memory_quantity_wants_a_byte_unit(amount):
    with pytest.raises(InvalidArgument, match=r"must be a memory quantity with a unit"):
        v.memory_quantity("memory", amount)
    for tiny in ("1e-3", "4Ki"):
        with pytest.raises(InvalidArgument, match=r"must be at least 1Mi"):
            v.memory_quantity("memory", tiny)
    for good in ("128Mi", "1G", "128e6", "0.5Gi"):
        assert v.memory_quantity("memory", good) == good


def test_cpu_quantity_refuses_byte_units():
    with pytest.raises(InvalidArgument, match=r"must be a CPU quantity"):
        v.cpu_quantity("cpu", "1Gi")
    assert v.cpu_quantity("cpu", "250m") == "250m"


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"1FOO": "x"}, r"must be an environment variable name"),
        ({"PATH": "/tmp"}, r"must not replace a variable the runtime sets"),
        ({"KUBERNETES_SERVICE_HOST": "x"}, r"must not replace"),
        ({"LD_PRELOAD": "/tmp/x.so"}, r"must not replace"),
        ({"HELLO_SERVICE_HOST": "10.0.0.1"}, r"must not replace"),  # the kubelet's service links
        ({"HELLO_SERVICE_PORT_HTTP": "80"}, r"must not replace"),
        ({"GREETING": "a\0b"}, r"must not contain a NUL byte"),
        ({"DB_PASSWORD": "hunter2hunter2"}, r"is named like a secret"),
        ({"UPSTREAM": "https://u:hunter2@example.com"}, r"looks like a URL with a password"),
    ],
)
def test_environment_settings_refuse_what_would_be_skipped_override_the_runtime_or_leak(settings, expected):
    with pytest.raises(InvalidArgument, match=expected) as caught:
        v.environment_settings("settings", settings)
    assert "hunter2" not in str(caught.value)


def test_environment_settings_take_ordinary_names():
    settings = {"LOG_LEVEL": "info", "app.mode": "x", "_X": "", "TOKEN_TTL": "60"}
    assert v.environment_settings("settings", settings) == settings


@pytest.mark.parametrize("cron", ["0 3 * * *", "*/15 * * * *", "0 0 29 2 *", "0 9 * * mon-fri", "0 0 1 jan,jul *"])
def test_cron_expression_accepts_what_gitlab_runs(cron):
    assert v.cron_expression("cron", cron) == cron


@pytest.mark.parametrize(
    ("cron", "expected"),
    [
        ("60 3 * * *", r"minute is from 0 to 59 \(not '60'\)"),
        ("0 24 * * *", r"hour is from 0 to 23"),  # Fugit reads 24 as 0; say what is meant
        ("0 0 0 * *", r"day of month is from 1 to 31"),
        ("0 0 32 * *", r"day of month is from 1 to 31"),
        ("0 0 * 13 *", r"month is from 1 to 12"),
        ("0 0 * * 8", r"day of week is from 0 to 7"),
        ("0 0 31 2 *", r"a day that exists"),
        ("0 0 30 2 *", r"a day that exists"),
        ("0 0 * * * *", r"five-field"),
        ("@daily", r"five-field"),
        ("5-1 * * * *", r"is empty"),
        ("0 3 * * monday", r"day of week is from 0 to 7 \(not 'monday'\)"),  # three-letter names only
    ],
)
def test_cron_expression_refuses_what_gitlab_refuses_or_never_runs(cron, expected):
    with pytest.raises(InvalidArgument, match=expected):
        v.cron_expression("cron", cron)


@pytest.mark.parametrize("zone", ["Mars/Olympus", "Paris", "utc", "Europe/Paris; rm", "", "localtime", "Factory"])
def test_time_zone_wants_an_iana_name(zone):
    with pytest.raises(InvalidArgument, match=r"must be an IANA time zone name"):
        v.time_zone("timezone", zone)
    assert v.time_zone("timezone", "Europe/Paris") == "Europe/Paris"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("acme/-hello", r"must be a GitLab project path"),  # no path may start with '-'
        ("acme/hello-", r"path GitLab accepts for a new project"),
        ("acme/he..llo", r"path GitLab accepts for a new project"),
        ("acme/badges", r"a name GitLab reserves"),
        ("acme/Tree", r"a name GitLab reserves"),
        ("admin/hello", r"must not start with 'admin'"),
    ],
)
def test_a_new_project_path_follows_gitlabs_rules_for_new_projects(path, expected):
    with pytest.raises(InvalidArgument, match=expected):
        v.project_path("project", path, new=True)


def test_an_existing_project_may_keep_a_legacy_path():
    assert v.project_path("project", "acme/_legacy.", new=False) == "acme/_legacy."


def test_an_unquoted_yaml_date_gets_a_hint_to_quote_it():
    """The Pulumi CLI hands an unquoted date over as Go prints a timestamp (docs/contracts.md PC-8)."""
    with pytest.raises(InvalidArgument, match=r"quote it, '2027-11-30'\) \(got '2027-11-30 00:00:00 \+0000 UTC'\)"):
        v.future_date("expires", "2027-11-30 00:00:00 +0000 UTC", today=dt.date(2026, 11, 28))


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
        v.image_reference("image", image)
    assert v.image_reference("image", "registry.gitlab.com/acme/hello@sha512:" + "a" * 128).pinned


@pytest.mark.parametrize(
    ("url", "leak"),
    [
        ("http://T0kenValue9@host.example.com", "T0kenValue9"),  # refused for its scheme too: never echoed
        ("https://T0kenValue9@gitlab.example.com", "T0kenValue9"),
        ("https://hello.example.com/?token=abc123xyz", "abc123xyz"),
        ("azblob://state?storage_account=acme&storage_key=abcd1234abcd1234", "abcd1234abcd1234"),
        ("https://gitlab.example.com/?x=glpat-" + "Zx9" * 7, "Zx9Zx9"),
    ],
)
def test_a_url_with_credentials_is_refused_first_and_shown_without_them(url, leak):
    with pytest.raises(InvalidArgument, match=r"must not carry credentials") as caught:
        v.absolute_url("url", url, schemes=("https", "azblob"))
    assert leak not in str(caught.value)
    assert "[secret]" in str(caught.value)


def test_a_url_keeps_its_ordinary_query():
    url = "s3://acme?region=eu-west-1&endpoint=minio.example.com"
    assert v.absolute_url("url", url, schemes=("s3",)) == url
    assert v.without_credentials(url) == url


def test_a_base_url_has_no_query_nor_fragment():
    for url in ("https://gitlab.example.com/?a=1", "https://gitlab.example.com/#x"):
        with pytest.raises(InvalidArgument, match=r"must be a base URL"):
            v.absolute_url("url", url, base_only=True)
    assert v.absolute_url("url", "https://example.com/gitlab", base_only=True)


def test_a_long_value_is_cut_in_a_message():
    error = InvalidArgument("url", "x" * 100_000, "must be short")
    assert len(str(error)) < 300
    assert "(100000 characters)" in str(error)


def test_a_number_where_a_quantity_is_due_is_told_to_be_quoted():
    with pytest.raises(InvalidArgument, match=r"must be a Kubernetes quantity as text: quote it, '20' \(got 20\)"):
        v.quantity("pods", 20)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://gitlab.com/#token=s3cr3tVALUE", "https://gitlab.com/#token=[secret]"),
        ("https://h.example.com/;token=s3cr3tVALUE", "https://h.example.com/;token=[secret]"),
        ("s3://b?region=x;secret=s3cr3tVALUE", "s3://b?region=x;secret=[secret]"),
        ("https://b.example.com/c?sv=1&sig=s3cr3tVALUE", "https://b.example.com/c?sv=1&sig=[secret]"),
    ],
)
def test_credentials_in_a_fragment_or_a_matrix_parameter_are_found_too(url, shown):
    assert v.without_credentials(url) == shown
