"""Running this repository's real .gitlab-ci.yml locally: gitlab-ci-local, buildah, a real
docker-registry, and an offline-made Debian base image. Used by the end-to-end test and bench/.

What differs from GitLab, and why:
- jobs run in the host shell (``--force-shell-executor``), not in their ``image:``. The CI image's
  content is checked separately, by running the app's tests inside it with ``buildah run``;
- the test jobs therefore use the checkout's ``app/`` (``APP_DIR``) and the tools of this
  project's virtualenv;
- the base image is Debian bookworm with python3, made by debootstrap, because Docker Hub is
  unreachable here; it trusts the host's CA bundle so that pip inside the build reaches PyPI;
- buildah uses overlay storage in ``build/e2e`` (vfs, the component's default for unprivileged
  shared runners, is several times slower);
- ``pulumi`` is the test stand-in ``tests/bin/pulumi``: it records its arguments and runs the offline plan;
- the registry is a local docker-registry, not GitLab's, in plain http: the checkout's stacks name
  it as their GitLab registry (``gitlabRegistry``, :func:`checkout`), so the deploy plans the
  deploy token, and its .gitlab-ci.yml sets ``registry_tls_verify: false``;
- the jobs install the tools as a consumer's do, from the wheel (built from this checkout, as the
  tag pipeline builds it) at the URL the component's default ``tools_requirement`` names, with
  gitlab.com's origin replaced by a local stand-in of the generic package registry
  (:func:`tools_registry`); the job virtualenv sees this project's dependencies, so pip installs
  only the wheel;
- a merge request pipeline is GitLab's predefined variables set by hand (:data:`MERGE_REQUEST`):
  no GitLab server opens a merge request here. Its review jobs' kubeconfig is written to the
  host's ``/tmp``, as their fixed path says.
"""

from __future__ import annotations

import base64
import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from tests.wheel import built_wheel

ROOT = Path(__file__).resolve().parent.parent
E2E = ROOT / "build" / "e2e"
BASE_IMAGE = "localhost/gitlab-k8s-cd-e2e/debian-python:bookworm"
DEBIAN_MIRROR = os.environ.get("E2E_DEBIAN_MIRROR", "http://deb.debian.org/debian")
COMPONENT_JOBS = (
    "gitlab-k8s-cd-build",
    "gitlab-k8s-cd-tests",
    "gitlab-k8s-cd-static-analysis",
    "gitlab-k8s-cd-code-style",
    "gitlab-k8s-cd-release",
    "gitlab-k8s-cd-deploy",
    "gitlab-k8s-cd-cleanup",
)
TEST_JOBS = ("gitlab-k8s-cd-tests", "gitlab-k8s-cd-static-analysis", "gitlab-k8s-cd-code-style")
REVIEW_JOBS = (*(job for job in COMPONENT_JOBS if job != "gitlab-k8s-cd-deploy"), "gitlab-k8s-cd-review")
STACK_FILES = ("Pulumi.staging.yaml", "Pulumi.production.yaml")
TLS_VERIFY = "registry_tls_verify: true"
"""What .gitlab-ci.yml gives the building include (a boolean input: no variable can set it)."""
MERGE_REQUEST = {
    # What GitLab sets in a merge request pipeline (it sets no CI_COMMIT_BRANCH there), and the
    # project variable a base stack with reviewApps creates.
    "CI_PIPELINE_SOURCE": "merge_request_event",
    "CI_COMMIT_BRANCH": "",
    "CI_COMMIT_REF_SLUG": "feature-x",
    "CI_MERGE_REQUEST_IID": "7",
    "GITLAB_K8S_CD_REVIEW_APPS": "staging",
}


def require(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        raise RuntimeError(f"{tool} is not installed; .ci/run installs it (see README: running the pipeline locally)")
    return found


def gitlab_ci_local() -> str:
    local = ROOT / "tools" / "node_modules" / ".bin" / "gitlab-ci-local"
    return str(local) if local.exists() else require("gitlab-ci-local")


def storage_conf() -> Path:
    conf = E2E / "storage.conf"
    if not conf.exists():
        E2E.mkdir(parents=True, exist_ok=True)
        conf.write_text(f'[storage]\ndriver = "overlay"\ngraphroot = "{E2E}/storage"\nrunroot = "{E2E}/run"\n')
    return conf


def buildah(*args: str, check: bool = True, capture: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CONTAINERS_STORAGE_CONF": str(storage_conf())}
    return subprocess.run(
        [require("buildah"), *args], env=env, check=check, text=True, capture_output=capture, timeout=600
    )


def ensure_base_image() -> str:
    """Debian bookworm with python3 and venv, made offline-style with debootstrap (kept in build/e2e)."""
    if buildah("inspect", "--type", "image", BASE_IMAGE, check=False).returncode == 0:
        return BASE_IMAGE
    rootfs = E2E / "rootfs"
    if not (rootfs / "usr" / "bin" / "python3").exists():
        shutil.rmtree(rootfs, ignore_errors=True)
        subprocess.run(
            [
                require("debootstrap"),
                "--variant=minbase",
                "--include=python3,python3-venv",
                "bookworm",
                str(rootfs),
                DEBIAN_MIRROR,
            ],
            check=True,
            capture_output=True,
            timeout=900,
        )
    # Trust what the host trusts (this network's TLS proxy included), for pip inside the build.
    shutil.copy("/etc/ssl/certs/ca-certificates.crt", rootfs / "etc" / "ssl" / "certs" / "ca-certificates.crt")
    (rootfs / "etc" / "pip.conf").write_text("[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n")
    context = E2E / "base"
    context.mkdir(exist_ok=True)
    subprocess.run(["tar", "-C", str(rootfs), "-cf", str(context / "rootfs.tar"), "."], check=True)
    (context / "Containerfile").write_text('FROM scratch\nADD rootfs.tar /\nCMD ["/bin/sh"]\n')
    buildah("build", "--isolation", "chroot", "--tag", BASE_IMAGE, str(context))
    (context / "rootfs.tar").unlink()
    return BASE_IMAGE


def checkout(destination: Path, gitlab_registry: str | None = None) -> Path:
    """A git repository holding this project's working tree (tracked and new files), on main,
    with an origin remote, as gitlab-ci-local needs. ``gitlab_registry``: the local registry that
    stands in for GitLab's, which the staging stack then names as GitLab's (``gitlabRegistry``, as
    a self-managed instance's stack names its own) and holds its last deployed image, so that its
    deploy pulls with a deploy token."""
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split("\0")
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    if gitlab_registry is not None:
        # Its last deployed image too, so that the stack file is valid without CI's -c image=.
        for stack in STACK_FILES:
            path = destination / stack
            text = path.read_text().replace("registry.gitlab.com/acme/hello@", f"{gitlab_registry}/acme/hello@")
            path.write_text(text + f"  gitlab-k8s-cd:gitlabRegistry: {gitlab_registry}\n")
        # A plain-http registry: the build and release jobs must not ask it for TLS.
        pipeline = destination / ".gitlab-ci.yml"
        text = pipeline.read_text()
        assert text.count(TLS_VERIFY) == 1, f".gitlab-ci.yml no longer says {TLS_VERIFY!r} once"
        pipeline.write_text(text.replace(TLS_VERIFY, "registry_tls_verify: false"))
    git(destination, "init", "-q", "-b", "main")
    git(destination, "remote", "add", "origin", "https://gitlab.com/acme/hello.git")
    commit(destination, "the project under test")
    return destination


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "-c", "user.email=e2e@example.com", "-c", "user.name=e2e", "commit", "-q", "-m", message)


def job_virtualenv(where: Path) -> Path:
    """A virtualenv for the jobs that sees this project's installed dependencies (a ``.pth``; the
    editable install's own ``.pth`` finder is not run there), so that the jobs' ``pip install`` of
    the tools installs only the wheel into it, and fast."""
    if not (where / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(where)], check=True)
        purelib = sysconfig.get_paths()["purelib"]
        site = Path(
            subprocess.run(
                [str(where / "bin" / "python"), "-c", "import sysconfig;print(sysconfig.get_paths()['purelib'])"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
        )
        # A site directory, not a plain path: its .pth files (the editable install's finder) run too.
        (site / "project.pth").write_text(f"import site; site.addsitedir({purelib!r})\n")
    return where


@dataclass(frozen=True)
class ToolsRegistry:
    requirement: str
    """The component's default ``tools_requirement``, on the stand-in's origin."""
    requested: list[str]
    """The paths the jobs downloaded."""


@functools.cache
def tools_registry() -> ToolsRegistry:
    """A throwaway HTTP server holding the built wheel at the path of the component's default
    ``tools_requirement`` (gitlab.com's origin replaced by its own), for the whole test process."""
    template = ROOT / "templates" / "continuous-deployment.yml"
    header = next(yaml.safe_load_all(template.read_text()))
    name, _, url = header["spec"]["inputs"]["tools_requirement"]["default"].partition(" @ ")
    parsed = urllib.parse.urlsplit(url)
    root = Path(tempfile.mkdtemp(prefix="gitlab-k8s-cd-registry-"))
    wheel = root / urllib.parse.unquote(parsed.path).lstrip("/")
    wheel.parent.mkdir(parents=True)
    shutil.copy(built_wheel(), wheel)
    requested: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def do_GET(self):
            requested.append(self.path)
            super().do_GET()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    return ToolsRegistry(f"{name} @ {origin}{parsed.path}", requested)


@dataclass(frozen=True)
class PipelineRun:
    returncode: int
    log: str
    pulumi_calls: list[str]
    timeline: tuple[tuple[float, str], ...] = ()
    """Each log line with the seconds since the run started."""

    def seconds_until(self, job: str, event: str = "starting shell") -> float:
        for seconds, line in self.timeline:
            if re.match(rf"^{re.escape(job)} +{event}", line):
                return seconds
        raise AssertionError(f"{job}: no '{event}' line in the pipeline log")

    def result(self, job: str) -> str | None:
        match = re.search(rf"^ (PASS|FAIL) +{re.escape(job)}\s*$", self.log, re.MULTILINE)
        return match.group(1) if match else None

    def line_of(self, job: str, event: str) -> int:
        """The log line number of ``event`` ("starting shell" or "finished in") for ``job``."""
        for number, line in enumerate(self.log.splitlines()):
            if re.match(rf"^{re.escape(job)} +{event}", line):
                return number
        raise AssertionError(f"{job}: no '{event}' line in the pipeline log")

    def ran(self, job: str) -> bool:
        return re.search(rf"^{re.escape(job)} +starting shell", self.log, re.MULTILINE) is not None


def run_pipeline(
    repo: Path,
    registry: object,
    workdir: Path,
    jobs: tuple[str, ...] = COMPONENT_JOBS,
    predefined: Mapping[str, str] | None = None,
    manual: tuple[str, ...] = (),
    needs: bool = True,
    variables: Mapping[str, str] | None = None,
    unset: tuple[str, ...] = (),
    variables_file: Path | None = None,
) -> PipelineRun:
    """Run ``jobs`` of the repository's .gitlab-ci.yml (with their needs) against ``registry``.

    ``predefined`` overrides GitLab's predefined variables (e.g. :data:`MERGE_REQUEST`);
    ``manual`` names the manual jobs to run. ``needs=False`` runs ``jobs`` alone (each waiting
    for those of them it needs): a needed job that does not run lends its artifacts and dotenv
    report from the last run that ran it (gitlab-ci-local keeps them in .gitlab-ci-local/).
    ``variables`` adds CI/CD variables, ``unset`` leaves out some of the usual ones
    (``KUBECONFIG_B64``...), and ``variables_file`` is gitlab-ci-local's project variables file
    (``--variables-file``: file-type and environment-scoped variables, as GitLab's)."""
    pulumi_log = workdir / "pulumi.log"
    pulumi_log.unlink(missing_ok=True)
    venv = job_virtualenv(workdir / "job-venv")
    env = {
        # No PYTHONPATH: the jobs import the tools they installed, as on a runner; nor this host's
        # KUBECONFIG: a job's comes from the pipeline (GitLab's file variable, in agent mode).
        **{key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "KUBECONFIG")},
        "PATH": os.pathsep.join(
            [
                str(repo / "tests" / "bin"),
                str(venv / "bin"),
                str(Path(sys.executable).parent),
                os.environ.get("PATH", ""),
            ]
        ),
        "CONTAINERS_STORAGE_CONF": str(storage_conf()),
        "PULUMI_STAND_IN_LOG": str(pulumi_log),
        "PULUMI_STAND_IN_PYTHON": str(venv / "bin" / "python"),
        "PULUMI_STAND_IN_PLAN_DIR": str(workdir / "plan"),
        "PULUMI_STAND_IN_STATE_DIR": str(stand_in_state(workdir)),
    }
    # The base image only for a run that may build (debootstrap the first time).
    builds = needs or any(job.endswith(("-build", "-release")) for job in jobs)
    given = {
        "CI_PROJECT_DIR": str(repo),
        "CI_REGISTRY": registry.host,  # type: ignore[attr-defined]
        "CI_REGISTRY_IMAGE": f"{registry.host}/acme/hello",  # type: ignore[attr-defined]
        "CI_REGISTRY_USER": registry.username,  # type: ignore[attr-defined]
        "CI_REGISTRY_PASSWORD": registry.password,  # type: ignore[attr-defined]
        "STORAGE_DRIVER": "overlay",
        **({"BASE_IMAGE": ensure_base_image()} if builds else {}),
        "APP_DIR": str(repo / "app"),
        "CLEANUP_VIA": "registry",
        "REGISTRY_URL": registry.url,  # type: ignore[attr-defined]
        "KUBECONFIG_B64": base64.b64encode(b"# the deployer kubeconfig stands here\n").decode(),
        # As GitLab hands the environment's protected variables to the deploy and review jobs.
        "PULUMI_CONFIG_PASSPHRASE": "e2e-stand-in-passphrase",
        "TOOLS_REQUIREMENT": tools_registry().requirement,
        **(variables or {}),
    }
    command = [gitlab_ci_local(), "--force-shell-executor"]
    if variables_file is not None:
        # gitlab-ci-local joins it to its working directory.
        command += ["--variables-file", os.path.relpath(variables_file, repo)]
    if predefined:
        given.update(predefined)
        command += ["--ignore-predefined-vars", ",".join(predefined)]
    for key, value in given.items():
        if key not in unset:
            command += ["--variable", f"{key}={value}"]
    command += ["--needs", *jobs] if needs else list(jobs)
    if manual:
        command += ["--manual", *manual]
    start = time.monotonic()
    timeline = []
    with subprocess.Popen(
        command, cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            timeline.append((time.monotonic() - start, _plain(line.rstrip("\n"))))
        returncode = process.wait(timeout=900)
    calls = pulumi_log.read_text().splitlines() if pulumi_log.exists() else []
    return PipelineRun(returncode, "\n".join(line for _, line in timeline), calls, tuple(timeline))


def _plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def stand_in_state(workdir: Path) -> Path:
    """Where the pulumi stand-in keeps each stack's outputs between the runs of one test."""
    return workdir / "stacks"


def deployed_as_committed(repo: Path, workdir: Path, stack: str) -> None:
    """The stand-in's state of ``stack`` as if its committed stack file had been deployed: the
    outputs of its offline plan (what ``pulumi stack output`` then reads, e.g. the running image)."""
    out = workdir / f"committed-{stack}"
    subprocess.run(
        [sys.executable, "-m", "gitlab_k8s_cd.components.plan", "--stack", stack, "--out", str(out)],
        cwd=repo,
        check=True,
        capture_output=True,
        timeout=300,
    )
    state = stand_in_state(workdir)
    state.mkdir(exist_ok=True)
    shutil.copy(out / "outputs.json", state / f"{stack}.outputs.json")
