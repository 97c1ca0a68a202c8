"""Secrets in plain destinations: a value set with ``pulumi config set --secret`` whose key goes to
a ConfigMap, a stack output, an unmasked CI variable or a label; and credentials-looking values
or secret-looking keys, which an error message must never echo."""

from __future__ import annotations

import base64
import json

from tests.conftest import DIGEST, SECRETS, key
from tests.corpus import SECRET, Case

GITLAB_TOKEN = "glpat-" + "Zx9" * 7
HUNTER = "hunter2hunter2"
PRIVATE_KEY = base64.b64encode(b"-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB\n-----END EC PRIVATE KEY-----\n").decode()
AS_SECRET = "is set as a secret (pulumi config set --secret), but it goes to"


def secret(short: str, value: str) -> dict[str, str]:
    """The staging secrets, plus ``short`` set with --secret (``--path`` marks the whole key)."""
    return {**SECRETS, key(short): value}


CASES: list[Case] = [
    # A value the runtime marks secret, for a key whose destination is plain.
    Case(
        "secret-settings-with-path",
        {},
        "settings",
        "a ConfigMap the app reads, in plain text: set the app's secrets with "
        "`pulumi config set --secret --path secrets.<NAME>",
        SECRET,
        secrets=secret("settings", json.dumps({"DB_PASSWORD": HUNTER})),
    ),
    Case(
        "secret-backend-url",
        {},
        "pulumiBackendUrl",
        "PULUMI_BACKEND_URL, which is not masked",
        SECRET,
        secrets=secret("pulumiBackendUrl", "s3://acme-state?region=eu-west-1"),
    ),
    Case("secret-image", {}, "image", AS_SECRET, SECRET, secrets=secret("image", f"registry.gitlab.com/a/b@{DIGEST}")),
    Case(
        "secret-environment-url",
        {},
        "environmentUrl",
        "the GitLab environment and a stack output",
        SECRET,
        secrets=secret("environmentUrl", "https://hello.staging.example.com"),
    ),
    Case("secret-namespace", {}, "namespace", "KUBE_NAMESPACE", SECRET, secrets=secret("namespace", "hello-x")),
    Case("secret-app", {}, "app", "object names and labels", SECRET, secrets=secret("app", "hello")),
    Case(
        "secret-cluster-ca",
        {},
        "clusterCaData",
        "it is not a secret: set it without --secret",
        SECRET,
        secrets=secret("clusterCaData", "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t"),
    ),
    Case(
        "secret-project-description",
        {},
        "projectDescription",
        "the GitLab project's settings",
        SECRET,
        secrets=secret("projectDescription", "internal codename"),
    ),
    Case(
        "secret-review-apps",
        {},
        "reviewApps",
        AS_SECRET,
        SECRET,
        secrets=secret(
            "reviewApps", json.dumps({"enabled": True, "domain": "r.example.com", "deployTokenExpiresAt": "2027-11-30"})
        ),
    ),
    # Values that look like credentials, in keys that are not secret.
    Case(
        "token-in-description",
        {"projectDescription": GITLAB_TOKEN},
        "projectDescription",
        "looks like a GitLab token",
        SECRET,
        hidden=(GITLAB_TOKEN,),
    ),
    Case(
        "token-in-setting",
        {"settings": {"UPSTREAM": GITLAB_TOKEN}},
        "settings['UPSTREAM']",
        "looks like a GitLab token",
        SECRET,
        hidden=(GITLAB_TOKEN,),
    ),
    Case(
        "aws-key-in-setting",
        {"settings": {"S3_ID": "AKIAIOSFODNN7EXAMPLE"}},
        "settings['S3_ID']",
        "looks like an AWS access key id",
        SECRET,
        hidden=("AKIAIOSFODNN7EXAMPLE",),
    ),
    Case(
        "password-named-setting",
        {"settings": {"DB_PASSWORD": HUNTER}},
        "settings['DB_PASSWORD']",
        "is named like a secret",
        SECRET,
        hidden=(HUNTER,),
    ),
    Case(
        "private-key-as-cluster-ca",
        {"clusterCaData": PRIVATE_KEY},
        "clusterCaData",
        "looks like the base64 of a private key",
        SECRET,
        hidden=(PRIVATE_KEY[:30],),
    ),
    Case(
        "token-in-gitlab-url",
        {"gitlabUrl": f"https://gitlab.example.com/?private_token={GITLAB_TOKEN}"},
        "gitlabUrl",
        "looks like a GitLab token",
        SECRET,
        hidden=(GITLAB_TOKEN,),
    ),
    Case(
        "password-in-environment-url",
        {"environmentUrl": f"https://admin:{HUNTER}@hello.example.com"},
        "environmentUrl",
        "looks like a URL with a password",
        SECRET,
        hidden=(HUNTER,),
    ),
    Case(
        "password-in-backend-url",
        {"pulumiBackendUrl": f"https://user:{HUNTER}@api.pulumi.com"},
        "pulumiBackendUrl",
        "looks like a URL with a password",
        SECRET,
        hidden=(HUNTER,),
    ),
    # Keys named like secrets, unknown or typo'd: their values are never echoed.
    Case(
        "typo-of-the-passphrase-key",
        {"pulumiConfigPasphrase": HUNTER},
        "pulumiConfigPasphrase",
        "did you mean gitlab-k8s-cd:pulumiConfigPassphrase?",
        SECRET,
        hidden=(HUNTER,),
    ),
    Case(
        "typo-of-the-token-key",
        {"pulumiAcessToken": "pul-" + "0a" * 20},
        "pulumiAcessToken",
        "did you mean gitlab-k8s-cd:pulumiAccessToken?",
        SECRET,
        hidden=("pul-" + "0a" * 20,),
    ),
    Case("unknown-password-key", {"dbPassword": HUNTER}, "dbPassword", "is not a known key", SECRET, hidden=(HUNTER,)),
    Case(
        "unknown-member-named-like-a-secret",
        {
            "reviewApps": {
                "enabled": "true",
                "domain": "r.example.com",
                "deployTokenExpiresAt": "2027-11-30",
                "passphrase": HUNTER,
            }
        },
        "reviewApps.passphrase",
        "is not a known key",
        SECRET,
        hidden=(HUNTER,),
    ),
    # Credentials in any part of a URL are refused before anything else is said about the URL.
    Case(
        "token-as-gitlab-url-user",
        {"gitlabUrl": "https://T0kenValue9x@gitlab.example.com"},
        "gitlabUrl",
        "must not carry credentials",
        "'https://[secret]@gitlab.example.com'",
        hidden=("T0kenValue9x",),
    ),
    Case(
        "token-as-user-of-an-http-url",
        {"environmentUrl": "http://T0kenValue9x@hello.example.com"},
        "environmentUrl",
        "must not carry credentials",
        "[secret]@hello.example.com",
        hidden=("T0kenValue9x",),
    ),
    Case(
        "storage-key-in-a-backend-query",
        {"pulumiBackendUrl": "azblob://state?storage_account=acme&storage_key=abcd1234abcd1234"},
        "pulumiBackendUrl",
        "must not carry credentials",
        "storage_key=[secret]",
        hidden=("abcd1234abcd1234",),
    ),
    Case(
        "token-in-an-environment-url-query",
        {"environmentUrl": "https://hello.example.com/?token=abc123xyz789"},
        "environmentUrl",
        "must not carry credentials",
        "token=[secret]",
        hidden=("abc123xyz789",),
    ),
    Case(
        "token-as-user-of-a-file-backend",
        {"pulumiBackendUrl": "file://T0kenValue9x@/tmp/state"},
        "pulumiBackendUrl",
        "a file:// backend lives on one machine",
        "file://[secret]@",
        hidden=("T0kenValue9x",),
    ),
    Case(
        "review-tls-secret-any-branch-could-mount",
        {
            "reviewApps": {
                "enabled": "true",
                "domain": "r.example.com",
                "deployTokenExpiresAt": "2027-11-30",
                "tlsSecret": "review-wildcard-tls",
            }
        },
        "reviewApps.tlsSecret",
        "is no longer taken",
        SECRET,  # a Secret's name, shown as a secret's value would be: the key is named like one
    ),
    Case(
        "token-in-a-url-fragment",
        {"gitlabUrl": "https://gitlab.com/#token=hunter2SECRETVALUE"},
        "gitlabUrl",
        "must not carry credentials",
        "#token=[secret]",
        hidden=("hunter2SECRETVALUE",),
    ),
    Case(
        "secret-in-a-matrix-parameter",
        {"pulumiBackendUrl": "s3://acme?region=x;secret=hunter2SECRETVALUE"},
        "pulumiBackendUrl",
        "must not carry credentials",
        "secret=[secret]",
        hidden=("hunter2SECRETVALUE",),
    ),
    Case(
        "sas-signature-in-an-environment-url",
        {"environmentUrl": "https://hello.example.com/?sv=1&sig=hunter2SECRETVALUE"},
        "environmentUrl",
        "must not carry credentials",
        "sig=[secret]",
        hidden=("hunter2SECRETVALUE",),
    ),
    Case(
        "password-in-an-image-reference",
        {"image": "user:hunter2SECRETVALUE@registry.gitlab.com/acme/hello:1"},
        "image",
        "looks like a URL with a password",
        SECRET,
        hidden=("hunter2SECRETVALUE",),
    ),
    Case(
        "secret-member-under-an-unknown-key",
        {"dbConfig": {"password": HUNTER}},
        "dbConfig",
        "is not a known key",
        SECRET,
        hidden=(HUNTER,),
    ),
    Case(
        "secret-setting-under-a-typo-of-settings",
        {"setings": {"DB_PASSWORD": HUNTER}},
        "setings",
        "did you mean gitlab-k8s-cd:settings?",
        SECRET,
        hidden=(HUNTER,),
    ),
]
