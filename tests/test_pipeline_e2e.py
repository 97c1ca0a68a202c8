"""End to end: this repository's real .gitlab-ci.yml, run locally by gitlab-ci-local, building
with buildah and pushing to a real docker-registry. Never skipped: a missing tool is an error.

``pulumi`` in the deploy job is the test stand-in tests/bin/pulumi (the CLI cannot be installed
here); see tests/pipeline_run.py for everything that differs from a GitLab runner.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
import yaml

from gitlab_k8s_cd.components import RegistryCleanupArgs
from gitlab_k8s_cd.pipeline.publish import wheel_name
from tests.conftest import ROOT
from tests.pipeline_run import (
    COMPONENT_JOBS,
    MERGE_REQUEST,
    REVIEW_JOBS,
    TEST_JOBS,
    PipelineRun,
    buildah,
    checkout,
    commit,
    deployed_as_committed,
    git,
    run_pipeline,
    tools_registry,
)
from tests.registry import running_registry
from tests.wheel import VERSION

pytestmark = pytest.mark.e2e
REPO = "acme/hello"


@pytest.fixture(scope="module")
def e2e(tmp_path_factory):
    """Green run, then a run with a failing test job, then two more green runs: a push to the
    default branch and a merge request's (which deploys its review app), then the stop of that
    review app."""
    workdir = tmp_path_factory.mktemp("e2e")
    with running_registry(tmp_path_factory.mktemp("registry")) as registry:
        repo = checkout(workdir / "repo", gitlab_registry=registry.host)
        # Production's deploy before staging ever deployed: no digest to promote.
        with production_without_canary(repo):
            undigested = run_production(repo, registry, workdir, "production-deploy")
        green = run_pipeline(repo, registry, workdir)
        tools_downloads = list(tools_registry().requested)
        tools_module = subprocess.run(
            [
                str(workdir / "job-venv" / "bin" / "python"),
                "-c",
                "import gitlab_k8s_cd.pipeline.cleanup as m; print(m.__file__)",
            ],
            env={key: value for key, value in os.environ.items() if key != "PYTHONPATH"},
            capture_output=True,
            text=True,
            check=False,
        )
        tags_after_green = registry.tags(REPO)
        plan = (
            list(yaml.safe_load_all((workdir / "plan" / "kubernetes.yaml").read_text())) if green.pulumi_calls else []
        )
        # Production, by hand, from what staging's deploy reported: first as a project whose
        # production include has no canary, then as this repository's (canary: true), promoted,
        # then once more, aborted. Each runs the production jobs alone (no needs): staging's
        # dotenv report comes from the green run.
        production = {}
        with production_without_canary(repo):
            production["promoted"] = run_production(repo, registry, workdir, "production-deploy")
        for name, jobs in (
            ("canary", ("production-deploy-canary",)),
            ("promote", ("production-promote",)),
            # Two runs: the abort job needs nothing, so in one run it could start first.
            ("canary_to_abort", ("production-deploy-canary",)),
            ("aborted", ("production-abort-canary",)),
            ("promoted_after_abort", ("production-promote",)),
        ):
            if name in ("canary", "canary_to_abort"):
                # Production runs its committed release again (the runs above changed the stand-in's
                # state of it): the canary's stable image is that release's.
                deployed_as_committed(repo, workdir, "production")
            production[name] = run_production(repo, registry, workdir, *jobs)
        tags_after_production = registry.tags(REPO)
        ci_tag = next(
            (line.split("ci-")[1] for line in green.log.splitlines() if "COMMIT " in line and ":ci-" in line), ""
        )
        ci_image = f"{registry.host}/{REPO}:ci-{ci_tag.strip()}"
        in_image = buildah_run_tests(ci_image)
        images = {
            kind: image_config(f"{registry.host}/{REPO}:{kind}-{tag}")
            for kind, tag in (("ci", ci_tag.strip()), ("release", ci_tag.strip().split("-", 1)[1]))
        }

        # A commit whose code style is wrong: the code-style job fails, the tests pass.
        server = repo / "app" / "hello" / "server.py"
        server.write_text(
            server.read_text().replace('LOG = logging.getLogger("hello")', "LOG = logging.getLogger( 'hello' )")
        )
        commit(repo, "badly formatted")
        failing = run_pipeline(repo, registry, workdir)
        tags_after_failing = registry.tags(REPO)

        server.write_text(
            server.read_text().replace("LOG = logging.getLogger( 'hello' )", 'LOG = logging.getLogger("hello")')
        )
        commit(repo, "formatted again")
        more = [run_pipeline(repo, registry, workdir)]
        more.append(run_pipeline(repo, registry, workdir, REVIEW_JOBS, predefined=MERGE_REQUEST))
        review_plan = list(yaml.safe_load_all((workdir / "plan" / "kubernetes.yaml").read_text()))
        review_stack = yaml.safe_load((repo / "Pulumi.review-7.yaml").read_text())
        review_env = (repo / "review.env").read_text()
        stop_job = "gitlab-k8s-cd-stop-review"
        stop = run_pipeline(repo, registry, workdir, (stop_job,), predefined=MERGE_REQUEST, manual=(stop_job,))
        yield {
            "registry": registry,
            "undigested": undigested,
            "production": production,
            "tags_after_production": tags_after_production,
            "production_image": yaml.safe_load((repo / "Pulumi.production.yaml").read_text())["config"][
                "gitlab-k8s-cd:image"
            ],
            "green": green,
            "failing": failing,
            "more": more,
            "review_plan": review_plan,
            "review_stack": review_stack,
            "review_env": review_env,
            "stop": stop,
            "plan": plan,
            "tags_after_green": tags_after_green,
            "tags_after_failing": tags_after_failing,
            "final_tags": registry.tags(REPO),
            "cache_tags": registry.tags(REPO + "/cache"),
            "in_image": in_image,
            "ci_image": ci_image,
            "images": images,
            "release_digest": registry_digest(registry, "release-" + git_short_sha(repo, "HEAD~2")),
            "green_commit": git(repo, "rev-parse", "HEAD~2").strip(),
            "tools_downloads": tools_downloads,
            "tools_module": tools_module,
            "workdir": workdir,
        }


@contextmanager
def production_without_canary(repo):
    """.gitlab-ci.yml with its production include's ``canary: false``, for as long as it lasts."""
    pipeline = repo / ".gitlab-ci.yml"
    text = pipeline.read_text()
    assert text.count("      canary: true\n") == 1
    pipeline.write_text(text.replace("      canary: true\n", "      canary: false\n"))
    try:
        yield
    finally:
        pipeline.write_text(text)


@dataclass(frozen=True)
class ProductionRun:
    run: PipelineRun
    deployments: dict
    """The Deployments the last ``pulumi up`` planned, by name."""

    def ups(self) -> list[list[str]]:
        return [argv for argv in (json.loads(line)["argv"] for line in self.run.pulumi_calls) if argv[0] == "up"]


def run_production(repo, registry, workdir, *jobs) -> ProductionRun:
    """Production's manual ``jobs``, by hand (``--manual``), alone."""
    manifests = workdir / "plan" / "kubernetes.yaml"
    manifests.unlink(missing_ok=True)
    run = run_pipeline(repo, registry, workdir, jobs, manual=jobs, needs=False)
    planned = list(yaml.safe_load_all(manifests.read_text())) if manifests.exists() else []
    return ProductionRun(run, {m["metadata"]["name"]: m for m in planned if m["kind"] == "Deployment"})


def image_of(deployment) -> str:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container["image"]


def git_short_sha(repo, rev):
    return git(repo, "rev-parse", "--short=8", rev).strip()


def registry_digest(registry, tag):
    response = requests.head(
        f"{registry.url}/v2/{REPO}/manifests/{tag}",
        auth=registry.auth,
        timeout=10,
        headers={"Accept": "application/vnd.oci.image.manifest.v1+json"},
    )
    return response.headers.get("Docker-Content-Digest") if response.status_code == 200 else None


def image_config(image):
    """The image's ID and OCI config, from the local buildah storage the jobs built into."""
    inspected = json.loads(buildah("inspect", "--type", "image", image).stdout)
    return {"id": inspected["FromImageID"], "config": inspected["OCIv1"]["config"]}


def buildah_run_tests(image):
    container = buildah("from", "--pull-never", image).stdout.strip()
    try:
        return buildah(
            "run",
            "--isolation",
            "chroot",
            "--workingdir",
            "/app",
            container,
            "--",
            "python",
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            check=False,
        )
    finally:
        buildah("rm", container, check=False)


def test_the_green_pipeline_passes_every_job(e2e):
    green = e2e["green"]
    assert green.returncode == 0, green.log[-3000:]
    assert {job: green.result(job) for job in COMPONENT_JOBS} == dict.fromkeys(COMPONENT_JOBS, "PASS")


def test_the_jobs_install_the_tools_from_the_release_wheel_at_the_default_requirements_url(e2e):
    """As a consumer's jobs do: the wheel at the path the component's default tools_requirement
    names (on a local stand-in of the package registry), not this checkout."""
    wheel_path = urlsplit(tools_registry().requirement.split(" @ ", 1)[1]).path
    assert wheel_path.endswith(wheel_name(VERSION))
    assert {path for path in e2e["tools_downloads"] if path.endswith(".whl")} == {wheel_path}
    module = Path(e2e["tools_module"].stdout.strip())
    assert module.is_relative_to(e2e["workdir"] / "job-venv") and "site-packages" in module.parts


def test_the_ci_image_really_contains_the_code_and_its_tests(e2e):
    result = e2e["in_image"]
    assert result.returncode == 0, result.stdout + result.stderr
    # Every test of the app, run inside the image (the count from the source tree, not guessed).
    count = sum(text.count("\ndef test_") for text in map(Path.read_text, (ROOT / "app" / "tests").glob("test_*.py")))
    assert count >= 7 and f"{count} passed" in result.stdout


def test_the_release_image_differs_from_the_ci_image_and_runs_as_non_root(e2e):
    ci, release = e2e["images"]["ci"], e2e["images"]["release"]
    assert ci["id"] != release["id"]
    assert release["config"]["User"] == "10001:10001"
    assert release["config"]["Entrypoint"] == ["python3", "-m", "hello.server"]
    assert "/opt/ci/bin" not in " ".join(release["config"].get("Env", []))


def test_the_test_jobs_start_after_build_and_run_concurrently(e2e):
    green = e2e["green"]
    build_done = green.line_of("gitlab-k8s-cd-build", "finished in")
    starts = [green.line_of(job, "starting shell") for job in TEST_JOBS]
    ends = [green.line_of(job, "finished in") for job in TEST_JOBS]
    assert all(start > build_done for start in starts)
    assert max(starts) < min(ends), "every test job started before the first one finished"


def test_cleanup_removed_the_ci_tag_and_kept_the_release(e2e):
    assert not [t for t in e2e["tags_after_green"] if t.startswith("ci-")]
    assert [t for t in e2e["tags_after_green"] if t.startswith("release-")]
    assert "cleanup: deleted acme/hello:ci-" in e2e["green"].log


def test_deploy_ran_pulumi_up_on_the_stack_with_the_release_digest(e2e):
    # The deploy tool first reads the running digest (the stand-in has none: a first deploy).
    everything = [json.loads(line) for line in e2e["green"].pulumi_calls]
    assert everything[0]["argv"] == ["stack", "output", "deployed_digest", "--stack", "staging"]
    calls = [c for c in everything if c["argv"][0] == "up"]
    digest = e2e["release_digest"]
    assert digest and digest.startswith("sha256:")
    image = f"{e2e['registry'].host}/{REPO}@{digest}"
    assert len(calls) == 1
    argv = calls[0]["argv"]
    # Keys without a namespace: the CLI gives them the project's (docs/contracts.md PC-13).
    assert argv[:6] == ["up", "--yes", "--stack", "staging", "--config", f"image={image}"]
    assert argv[6:8] == ["--config", f"commitSha={e2e['green_commit']}"]
    assert argv[8].startswith("--config") and argv[9].startswith("pipelineUrl=https://")
    assert argv[10].startswith("--config") and argv[11].startswith("jobUrl=https://")
    assert calls[0]["kubeconfig"] == "/tmp/gitlab-k8s-cd.kubeconfig"
    deployment = next(d for d in e2e["plan"] if d["kind"] == "Deployment")
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == image
    assert deployment["metadata"]["annotations"]["gitlab-k8s-cd/commit-sha"] == e2e["green_commit"]


def test_a_failing_test_job_still_cleans_up_and_never_releases_or_deploys(e2e):
    failing = e2e["failing"]
    assert failing.returncode != 0
    assert failing.result("gitlab-k8s-cd-code-style") == "FAIL"
    assert failing.result("gitlab-k8s-cd-tests") == "PASS"
    assert failing.result("gitlab-k8s-cd-cleanup") == "PASS"
    assert not failing.ran("gitlab-k8s-cd-release") and not failing.ran("gitlab-k8s-cd-deploy")
    assert failing.pulumi_calls == []
    assert not [t for t in e2e["tags_after_failing"] if t.startswith("ci-")]


def test_after_three_green_runs_the_registry_holds_no_ci_tags(e2e):
    """The third green run is a merge request's: it cleans up its CI image too."""
    assert [run.returncode for run in e2e["more"]] == [0, 0]
    assert not [t for t in e2e["final_tags"] if t.startswith("ci-")]
    assert [t for t in e2e["final_tags"] if t.startswith("release-")]


def test_a_merge_request_pipeline_releases_a_review_image_and_deploys_its_review_stack(e2e):
    review = e2e["more"][1]
    assert review.returncode == 0, review.log[-3000:]
    assert review.result("gitlab-k8s-cd-review") == "PASS" and not review.ran("gitlab-k8s-cd-deploy")
    review_tags = [t for t in e2e["final_tags"] if t.startswith("review-7-")]
    assert len(review_tags) == 1
    calls = [json.loads(line)["argv"] for line in review.pulumi_calls]
    assert calls[0] == ["stack", "select", "--create", "--secrets-provider", "passphrase", "review-7"]
    assert calls[1] == ["stack", "output", "deployed_digest", "--stack", "review-7"]
    (up,) = [c for c in calls if c[0] == "up"]
    digest = registry_digest(e2e["registry"], review_tags[0])
    assert up[:6] == [
        "up",
        "--yes",
        "--stack",
        "review-7",
        "--config",
        f"image={e2e['registry'].host}/{REPO}@{digest}",
    ]


def test_the_review_stack_is_derived_from_staging_and_planned_with_the_review_image(e2e):
    config = e2e["review_stack"]["config"]
    assert config["gitlab-k8s-cd:mergeRequestIid"] == 7 and config["gitlab-k8s-cd:replicas"] == 1
    assert config["gitlab-k8s-cd:environment"] == "review/feature-x"
    deployment = next(d for d in e2e["review_plan"] if d["kind"] == "Deployment")
    assert deployment["metadata"]["namespace"] == "hello-review"
    assert deployment["spec"]["replicas"] == 1
    assert "@sha256:" in deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    ingress = next(d for d in e2e["review_plan"] if d["kind"] == "Ingress")
    assert f"https://{ingress['spec']['rules'][0]['host']}" == config["gitlab-k8s-cd:environmentUrl"]
    # The dotenv report GitLab sets the environment's URL from.
    assert e2e["review_env"] == f"REVIEW_STACK=review-7\nREVIEW_URL={config['gitlab-k8s-cd:environmentUrl']}\n"


def test_stopping_the_review_app_destroys_and_removes_its_stack(e2e):
    stop = e2e["stop"]
    assert stop.returncode == 0, stop.log[-3000:]
    calls = [json.loads(line) for line in stop.pulumi_calls]
    assert [c["argv"] for c in calls] == [["destroy", "--yes", "--remove", "--stack", "review-7"]]
    assert calls[0]["kubeconfig"] == "/tmp/gitlab-k8s-cd-review.kubeconfig"


def test_the_default_cleanup_policy_expires_the_layer_cache_buildah_really_pushed(e2e):
    """The build job's ``--cache-to <image>/cache`` pushes one tag per cached step, its cache key,
    and nothing in the pipeline deletes them: only the project's cleanup policy, which GitLab runs
    on every container repository of the project, can. GitLab matches its regexes in full."""
    cache_tags = e2e["cache_tags"]
    assert cache_tags, f"buildah pushed no layer cache to {REPO}/cache"
    policy = RegistryCleanupArgs()
    assert [t for t in cache_tags if not re.fullmatch(policy.name_regex_delete, t)] == []
    assert [t for t in cache_tags if re.fullmatch(policy.name_regex_keep, t)] == []


def test_production_deploys_by_hand_the_digest_staging_deployed_and_builds_nothing(e2e):
    """No canary: the manual production-deploy runs ``pulumi up`` on the production stack with the
    very image staging's deploy got, from staging's dotenv report, and pushes nothing."""
    promoted = e2e["production"]["promoted"]
    assert promoted.run.returncode == 0, promoted.run.log[-3000:]
    assert promoted.run.result("production-deploy") == "PASS"
    digest = e2e["release_digest"]
    image = f"{e2e['registry'].host}/{REPO}@{digest}"
    (staging_up,) = [json.loads(line)["argv"] for line in e2e["green"].pulumi_calls if '"up"' in line]
    (up,) = promoted.ups()
    assert up[:6] == ["up", "--yes", "--stack", "production", "--config", f"image={image}"]
    assert staging_up[5] == up[5]
    assert {name: image_of(d) for name, d in promoted.deployments.items()} == {"hello": image, "hello-worker": image}
    assert e2e["tags_after_production"] == e2e["tags_after_green"]  # nothing built, nothing pushed


def test_production_without_a_digest_from_staging_fails_before_pulumi_up(e2e):
    """Staging had not deployed yet: no dotenv report, so no digest; the deploy tool refuses the image."""
    run = e2e["undigested"].run
    assert run.returncode != 0 and run.result("production-deploy") == "FAIL"
    assert "deploy by digest, <repository>@sha256:<digest>" in run.log
    assert e2e["undigested"].ups() == []


def test_a_production_canary_runs_stagings_digest_beside_the_stable_release_then_is_promoted(e2e):
    """Needs the deploy tool's --canary-image (the canary branch): the canary's ``pulumi up`` gets
    the new image for the canary, the stable Deployment keeps its image; the promotion rolls the
    stable Deployment to the digest and leaves no canary."""
    canary, promote = e2e["production"]["canary"], e2e["production"]["promote"]
    image = f"{e2e['registry'].host}/{REPO}@{e2e['release_digest']}"
    stable = e2e["production_image"]
    assert canary.run.returncode == 0, canary.run.log[-3000:]
    (canary_up,) = canary.ups()
    assert canary_up[:4] == ["up", "--yes", "--stack", "production"]
    assert any(image in argument for argument in canary_up)
    assert f"image={image}" not in canary_up
    assert image_of(canary.deployments["hello"]) == stable
    assert [name for name, d in canary.deployments.items() if image_of(d) == image and name != "hello"]
    assert promote.run.returncode == 0, promote.run.log[-3000:]
    (promote_up,) = promote.ups()
    assert promote_up[:6] == ["up", "--yes", "--stack", "production", "--config", f"image={image}"]
    assert {name: image_of(d) for name, d in promote.deployments.items()} == {"hello": image, "hello-worker": image}


def test_an_aborted_production_canary_is_removed_and_the_stable_release_never_changes(e2e):
    """Needs the deploy tool's --abort-canary (the canary branch)."""
    canary, aborted = e2e["production"]["canary_to_abort"], e2e["production"]["aborted"]
    image = f"{e2e['registry'].host}/{REPO}@{e2e['release_digest']}"
    stable = e2e["production_image"]
    assert canary.run.returncode == aborted.run.returncode == 0, canary.run.log[-3000:] + aborted.run.log[-3000:]
    assert canary.run.result("production-deploy-canary") == aborted.run.result("production-abort-canary") == "PASS"
    (canary_up,) = canary.ups()
    abort_ups = aborted.ups()
    assert any(image in argument for argument in canary_up)
    assert abort_ups and not [argument for up in abort_ups for argument in up if image in argument]
    assert {name: image_of(d) for name, d in aborted.deployments.items()} == {"hello": stable, "hello-worker": stable}


def test_the_promote_job_after_an_abort_changes_nothing_and_fails(e2e):
    """The pipeline's promote job stays playable after its canary was aborted: played, it must not
    roll production to the aborted digest (pipeline.deploy --promote refuses; no pulumi up)."""
    late = e2e["production"]["promoted_after_abort"]
    assert late.run.returncode != 0 and late.run.result("production-promote") == "FAIL"
    assert "not promoted: no canary runs (aborted, or removed); nothing changed" in late.run.log
    assert late.ups() == []


# --- agent mode (issue 15): the jobs' wiring, with a stand-in for the GitLab agent's tunnel ------

AGENT_CONTEXT = "acme/cluster-agents:staging-agent"
STAND_IN_JOB_TOKEN = "stand-in-job-token-0000"


def tunnel_stand_in_kubeconfig() -> str:
    """STAND-IN for the GitLab agent's CI/CD tunnel: the kubeconfig GitLab hands an authorized job
    as its file variable KUBECONFIG (docs/contracts.md GL-37, GL-38): cluster ``gitlab``, user
    ``agent:<id>`` with the token ``ci:<id>:<job token>``, a context per agent named ``<agent
    project full path>:<agent name>``, no current-context. It points nowhere real (``.invalid``):
    no tunnel runs here, only the jobs' selection of it is exercised."""
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "gitlab", "cluster": {"server": "https://kas.gitlab.invalid/k8s-proxy"}}],
            "users": [{"name": f"agent:{n}", "user": {"token": f"ci:{n}:{STAND_IN_JOB_TOKEN}"}} for n in (3, 7)],
            "contexts": [
                {"name": name, "context": {"cluster": "gitlab", "user": f"agent:{n}", "namespace": "hello-staging"}}
                for n, name in ((3, "acme/other-agents:prod"), (7, AGENT_CONTEXT))
            ],
        }
    )


@pytest.fixture(scope="module")
def agent_mode(tmp_path_factory):
    """Staging's stack switched to agent mode (clusterAccess: agent), and its deploy job run alone
    (the release digest given as the release job's dotenv report would give it), with no
    KUBECONFIG_B64 and a STAND-IN for the agent's tunnel: a gitlab-ci-local file variable
    KUBECONFIG scoped, as GitLab's environment filter scopes it, to staging's environment; then to
    production's only (the job is not authorized)."""
    workdir = tmp_path_factory.mktemp("agent")
    with running_registry(tmp_path_factory.mktemp("agent-registry")) as registry:
        repo = checkout(workdir / "repo", gitlab_registry=registry.host)
        stack = repo / "Pulumi.staging.yaml"
        stack.write_text(
            stack.read_text() + "  gitlab-k8s-cd:clusterAccess: agent\n"
            "  gitlab-k8s-cd:agent:\n    project: acme/cluster-agents\n    name: staging-agent\n"
            # Agent mode requires the environment protected (components/continuous_deployment.py).
            "  gitlab-k8s-cd:protection:\n    deployAccessLevel: maintainer\n    requiredApprovals: 0\n"
        )
        commit(repo, "staging in agent mode")
        image = yaml.safe_load(stack.read_text())["config"]["gitlab-k8s-cd:image"]
        runs = {}
        for scope in ("staging", "production"):
            tunnel = workdir / f"tunnel-stand-in-{scope}.yml"
            tunnel.write_text(
                yaml.safe_dump({"KUBECONFIG": {"type": "file", "values": {scope: tunnel_stand_in_kubeconfig()}}})
            )
            resources = workdir / "plan" / "resources.json"
            resources.unlink(missing_ok=True)
            run = run_pipeline(
                repo,
                registry,
                workdir,
                ("gitlab-k8s-cd-deploy",),
                needs=False,
                variables={"RELEASE_BY_DIGEST": image, "RELEASE_DIGEST": image.partition("@")[2]},
                unset=("KUBECONFIG_B64",),
                variables_file=tunnel,
            )
            runs[scope] = (run, json.loads(resources.read_text()) if resources.exists() else [])
        yield {"runs": runs, "image": image}


def test_agent_mode_the_deploy_job_selects_the_agents_context_through_a_stand_in_of_the_tunnel(agent_mode):
    run, resources = agent_mode["runs"]["staging"]
    assert run.result("gitlab-k8s-cd-deploy") == "PASS", run.log[-3000:]
    assert f"the GitLab agent's tunnel ({AGENT_CONTEXT}) is at /tmp/gitlab-k8s-cd.kubeconfig" in run.log
    (up,) = [json.loads(line) for line in run.pulumi_calls if json.loads(line)["argv"][0] == "up"]
    assert up["argv"][4:6] == ["--config", f"image={agent_mode['image']}"]
    # pulumi ran with the fixed path, whose kubeconfig selects the agent's context ...
    assert up["kubeconfig"] == "/tmp/gitlab-k8s-cd.kubeconfig"
    assert up["kubeconfig_context"] == AGENT_CONTEXT
    # ... and the program's provider keeps that path and selects that context itself (PK-8, PK-18).
    (provider,) = [r for r in resources if r["type"] == "pulumi:providers:kubernetes"]
    assert provider["inputs"]["context"] == AGENT_CONTEXT
    assert provider["inputs"]["kubeconfig"] == "/tmp/gitlab-k8s-cd.kubeconfig"
    assert STAND_IN_JOB_TOKEN not in run.log


def test_agent_mode_without_the_tunnel_the_deploy_job_fails_before_pulumi_saying_why(agent_mode):
    """The stand-in tunnel scoped to production's environment only: GitLab gives the staging job no KUBECONFIG."""
    run, _ = agent_mode["runs"]["production"]
    assert run.result("gitlab-k8s-cd-deploy") == "FAIL"
    assert run.pulumi_calls == []
    assert "GitLab gave this job no KUBECONFIG" in run.log
    assert "environments match this job's environment, 'staging'" in run.log
