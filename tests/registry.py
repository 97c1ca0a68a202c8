"""A real docker-registry (distribution v2) on 127.0.0.1 for tests, with htpasswd auth and deletes on.

``docker-registry`` comes from Debian's package of the same name; `.ci/run` installs it. Tests that
need it fail, never skip, when it is missing.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import bcrypt
import requests

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class RunningRegistry:
    url: str
    host: str
    username: str
    password: str

    @property
    def auth(self) -> tuple[str, str]:
        return self.username, self.password

    def push(self, repository: str, tag: str | None, content: bytes) -> str:
        """Push a one-layer OCI image whose layer is ``content`` (untagged if ``tag`` is None); return its digest."""
        layer = self._blob(repository, content)
        config = self._blob(repository, json.dumps({"architecture": "amd64", "os": "linux"}).encode())
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config},
                "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", **layer}],
            }
        ).encode()
        return self._put_manifest(repository, tag, manifest, OCI_MANIFEST)

    def push_index(self, repository: str, tag: str | None, children: list[str]) -> str:
        """Push an OCI index (a multi-platform image) listing ``children``, manifests already in
        ``repository`` (untagged if ``tag`` is None); return its digest."""
        entries = []
        for number, child in enumerate(children):
            head = requests.head(
                f"{self.url}/v2/{repository}/manifests/{child}",
                auth=self.auth,
                headers={"Accept": f"{OCI_MANIFEST}, {OCI_INDEX}"},
                timeout=10,
            )
            head.raise_for_status()
            entries.append(
                {
                    "mediaType": head.headers["Content-Type"],
                    "digest": child,
                    "size": int(head.headers["Content-Length"]),
                    "platform": {"architecture": f"arch{number}", "os": "linux"},
                }
            )
        index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}).encode()
        return self._put_manifest(repository, tag, index, OCI_INDEX)

    def _put_manifest(self, repository: str, tag: str | None, body: bytes, media_type: str) -> str:
        reference = tag or "sha256:" + hashlib.sha256(body).hexdigest()  # untagged: PUT by its own digest
        response = requests.put(
            f"{self.url}/v2/{repository}/manifests/{reference}",
            data=body,
            auth=self.auth,
            headers={"Content-Type": media_type},
            timeout=10,
        )
        response.raise_for_status()
        return response.headers["Docker-Content-Digest"]

    def manifest_exists(self, repository: str, reference: str) -> bool:
        response = requests.head(
            f"{self.url}/v2/{repository}/manifests/{reference}",
            auth=self.auth,
            headers={"Accept": f"{OCI_MANIFEST}, {OCI_INDEX}"},
            timeout=10,
        )
        if response.status_code == 404:
            return False
        response.raise_for_status()
        return True

    def delete_manifest(self, repository: str, digest: str) -> None:
        """Delete a manifest by digest with the v2 API directly (no cleanup tool, no checks)."""
        requests.delete(f"{self.url}/v2/{repository}/manifests/{digest}", auth=self.auth, timeout=10).raise_for_status()

    def _blob(self, repository: str, data: bytes) -> dict[str, object]:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        start = requests.post(f"{self.url}/v2/{repository}/blobs/uploads/", auth=self.auth, timeout=10)
        start.raise_for_status()
        location = start.headers["Location"]
        location = location if location.startswith("http") else self.url + location
        separator = "&" if "?" in location else "?"
        requests.put(
            f"{location}{separator}digest={digest}",
            data=data,
            auth=self.auth,
            timeout=10,
            headers={"Content-Type": "application/octet-stream"},
        ).raise_for_status()
        return {"digest": digest, "size": len(data)}

    def tags(self, repository: str) -> list[str]:
        response = requests.get(f"{self.url}/v2/{repository}/tags/list", auth=self.auth, timeout=10)
        if response.status_code == 404:
            return []
        response.raise_for_status()
        return sorted(response.json().get("tags") or [])


@contextmanager
def running_registry(workdir: Path) -> Iterator[RunningRegistry]:
    binary = shutil.which("docker-registry")
    if binary is None:
        raise RuntimeError("docker-registry is not installed (Debian package docker-registry; .ci/run installs it)")
    port = free_port()
    username, password = "ci", "registry-test-password"
    (workdir / "htpasswd").write_bytes(
        username.encode() + b":" + bcrypt.hashpw(password.encode(), bcrypt.gensalt(5)) + b"\n"
    )
    (workdir / "config.yml").write_text(
        json.dumps(
            {
                "version": 0.1,
                "log": {"level": "warn"},
                "storage": {"filesystem": {"rootdirectory": str(workdir / "data")}, "delete": {"enabled": True}},
                "http": {"addr": f"127.0.0.1:{port}"},
                "auth": {"htpasswd": {"realm": "test-registry", "path": str(workdir / "htpasswd")}},
            }
        )
    )
    log = (workdir / "registry.log").open("w")
    process = subprocess.Popen([binary, "serve", str(workdir / "config.yml")], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if requests.get(f"{url}/v2/", timeout=1).status_code == 401:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"docker-registry did not start: {(workdir / 'registry.log').read_text()[-2000:]}")
            time.sleep(0.05)
        yield RunningRegistry(url=url, host=f"127.0.0.1:{port}", username=username, password=password)
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
