"""Programs the benchmarks run under the mock runtime (see bench/README.md)."""

from __future__ import annotations

import dataclasses
import os

import pulumi
import pulumi_gitlab as gitlab
import pulumi_kubernetes as kubernetes

from gitlab_k8s_cd.components import ContinuousDeployment, ReviewAppsSpec, load_settings


def fleet() -> None:
    """BENCH_APPS ContinuousDeployments built from the staging config, one per app name; with
    the staging config's review apps unless BENCH_REVIEW_APPS is "0"."""
    template = load_settings().deployment
    assert template is not None
    if os.environ.get("BENCH_REVIEW_APPS") == "0":
        template = dataclasses.replace(template, review_apps=ReviewAppsSpec())
    providers = [
        kubernetes.Provider("kubernetes", cluster_identifier=template.cluster.name),
        gitlab.Provider("gitlab", base_url="https://gitlab.com/api/v4/"),
    ]
    for index in range(int(os.environ["BENCH_APPS"])):
        app = dataclasses.replace(template, app=f"app{index:03d}")
        ContinuousDeployment(app.app, app, opts=pulumi.ResourceOptions(providers=providers))
