"""Publish this release's sdist and wheel to the project's generic package registry.

    python -m gitlab_k8s_cd.pipeline.publish --version "$CI_COMMIT_TAG" dist

The tag pipeline runs it after ``python -m build``. Each file goes to
``PUT $CI_API_V4_URL/projects/$CI_PROJECT_ID/packages/generic/gitlab-k8s-cd/<version>/<file>`` with the
``JOB-TOKEN`` header (docs/contracts.md GL-30), and is then downloadable at the same path: a
**predictable** URL, which is what the CI/CD component's default ``tools_requirement`` names
(:func:`wheel_url`). pip installs such a direct URL without consulting any index for
``gitlab-k8s-cd``, so no same-named package elsewhere can be picked instead (the dependency
confusion that an ``--extra-index-url`` would invite); GitLab's PyPI registry serves files under
their SHA-256, which no default can name in advance.

Refused before any request (exit 2): a version that is not SemVer without a ``v`` (the catalog's
rule for release tags, and what pyproject's version must be: CHANGELOG.md), and a ``dist`` that
does not hold exactly this version's wheel and sdist (a tag that disagrees with pyproject's
version builds other file names). A refused upload exits 1, naming the file and GitLab's status.
The job token goes only to ``CI_API_V4_URL``; redirects are not followed.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import quote

import requests

PACKAGE = "gitlab-k8s-cd"
DIST_NAME = "gitlab_k8s_cd"
"""The distribution's name as wheel and sdist file names spell it (PEP 427/625: ``-`` becomes ``_``)."""
CANONICAL_API = "https://gitlab.com/api/v4"
CANONICAL_PROJECT = "gitlab-k8s-cd/gitlab-k8s-cd"
"""The component's canonical home (its default ``tools_requirement`` downloads from there)."""
SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")
"""A release version, matched in full: MAJOR.MINOR.PATCH (SemVer's core, no ``v``). No pre-release
or build suffix: setuptools would normalise ``1.2.0-rc.1`` to ``1.2.0rc1`` (PEP 440), so the wheel
would not be the tag's, and ``gitlab_k8s_cd-1.2.0-rc.1-py3-none-any.whl`` is no valid wheel name."""
TIMEOUT = 60


class Refused(Exception):
    """What is wrong, before any request."""


def package_url(version: str, file_name: str, *, api: str = CANONICAL_API, project: str = CANONICAL_PROJECT) -> str:
    """Where ``file_name`` of ``version`` is uploaded to and downloaded from. ``project`` is an id
    or a full path (URL-encoded here, as GitLab's API takes it)."""
    return f"{api.rstrip('/')}/projects/{quote(project, safe='')}/packages/generic/{PACKAGE}/{version}/{file_name}"


def wheel_name(version: str) -> str:
    return f"{DIST_NAME}-{version}-py3-none-any.whl"


def sdist_name(version: str) -> str:
    return f"{DIST_NAME}-{version}.tar.gz"


def wheel_url(version: str, *, api: str = CANONICAL_API, project: str = CANONICAL_PROJECT) -> str:
    return package_url(version, wheel_name(version), api=api, project=project)


def requirement(version: str, *, api: str = CANONICAL_API, project: str = CANONICAL_PROJECT) -> str:
    """The pip requirement that installs ``version``'s wheel from the generic registry (no git, no index)."""
    return f"{PACKAGE} @ {wheel_url(version, api=api, project=project)}"


def dist_files(dist: Path, version: str) -> list[Path]:
    """This version's wheel and sdist in ``dist``, and nothing else there. Raises :class:`Refused`."""
    if not SEMVER.fullmatch(version):
        raise Refused(
            f"--version {version!r} is not a semantic version MAJOR.MINOR.PATCH such as 1.2.3 (no 'v', no "
            "pre-release): the CI/CD catalog publishes SemVer tags, and the tag must equal pyproject.toml's version"
        )
    expected = {wheel_name(version), sdist_name(version)}
    found = {path.name for path in dist.iterdir()} if dist.is_dir() else set()
    if found != expected:
        raise Refused(
            f"{dist} holds {sorted(found)}, expected exactly {sorted(expected)}: does the tag {version} "
            "equal pyproject.toml's version?"
        )
    return [dist / name for name in sorted(expected)]


def publish(dist: Path, version: str, environ: Mapping[str, str], session: requests.Session | None = None) -> list[str]:
    """Upload each file; returns their URLs. Raises :class:`Refused` or ``RuntimeError`` (a refused upload)."""
    files = dist_files(dist, version)
    missing = [name for name in ("CI_API_V4_URL", "CI_PROJECT_ID", "CI_JOB_TOKEN") if not environ.get(name)]
    if missing:
        raise Refused(f"{', '.join(missing)} not set: this runs in a GitLab CI job")
    session = session or requests.Session()
    urls = []
    for path in files:
        url = package_url(version, path.name, api=environ["CI_API_V4_URL"], project=environ["CI_PROJECT_ID"])
        with path.open("rb") as body:
            response = session.put(
                url,
                data=body,
                headers={"JOB-TOKEN": environ["CI_JOB_TOKEN"]},
                timeout=TIMEOUT,
                allow_redirects=False,
            )
        if response.status_code not in (200, 201):
            raise RuntimeError(f"{path.name}: GitLab answered {response.status_code} {response.text[:200]!r}")
        urls.append(url)
    return urls


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gitlab_k8s_cd.pipeline.publish", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--version", required=True, help="the release, $CI_COMMIT_TAG (SemVer, no 'v')")
    parser.add_argument("dist", type=Path, help="the directory python -m build wrote")
    args = parser.parse_args(argv)
    try:
        urls = publish(args.dist, args.version, os.environ)
    except Refused as error:
        print(f"gitlab_k8s_cd.pipeline.publish: {error}", file=sys.stderr)
        return 2
    except (RuntimeError, requests.RequestException) as error:
        print(f"gitlab_k8s_cd.pipeline.publish: {error}", file=sys.stderr)
        return 1
    for url in urls:
        print(f"published {url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
