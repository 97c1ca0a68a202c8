"""Backends: a ``file://`` backend cannot serve CI's jobs, and a self-hosted Pulumi Cloud
(``https://``) needs an access token, not a passphrase."""

from __future__ import annotations

from tests.corpus import SECRET, Case

LOCAL = "a file:// backend lives on one machine"
TOKEN = "is required for the Pulumi Cloud backend"


CASES: list[Case] = [
    Case("backend-file", {"pulumiBackendUrl": "file:///var/lib/pulumi"}, "pulumiBackendUrl", LOCAL),
    Case("backend-file-home", {"pulumiBackendUrl": "file://~"}, "pulumiBackendUrl", LOCAL),
    Case("backend-file-no-slashes", {"pulumiBackendUrl": "file:state"}, "pulumiBackendUrl", LOCAL),
    Case(
        "review-backend-file",
        {
            "reviewApps": {
                "enabled": "true",
                "domain": "r.example.com",
                "deployTokenExpiresAt": "2027-11-30",
                "backendUrl": "file:///tmp/review",
            }
        },
        "reviewApps.backendUrl",
        LOCAL,
    ),
    Case(
        "self-hosted-cloud-with-a-passphrase",
        {"pulumiBackendUrl": "https://pulumi.example.com"},
        "pulumiAccessToken",
        TOKEN + " https://pulumi.example.com",
        "None",
    ),
    Case(
        "self-hosted-cloud-on-a-port",
        {"pulumiBackendUrl": "https://pulumi.internal.example.com:8443"},
        "pulumiAccessToken",
        TOKEN,
        "None",
    ),
    Case("backend-http", {"pulumiBackendUrl": "http://pulumi.example.com"}, "pulumiBackendUrl", "absolute https://"),
    Case(
        "backend-s3-with-keys-in-the-url",
        {"pulumiBackendUrl": "s3://AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMIK7MDENG@acme-state"},
        "pulumiBackendUrl",
        "looks like",
        SECRET,
        hidden=("wJalrXUtnFEMIK7MDENG",),
    ),
    Case(
        "review-backend-self-hosted-cloud",
        {
            "reviewApps": {
                "enabled": "true",
                "domain": "r.example.com",
                "deployTokenExpiresAt": "2027-11-30",
                "backendUrl": "https://pulumi.example.com",
            }
        },
        "reviewApps.backendUrl",
        "absolute s3:// or gs:// or azblob:// URL",
    ),
]
