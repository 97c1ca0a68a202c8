"""Which input changes replace a resource (gitlab_k8s_cd.components.plan.replacement)."""

from __future__ import annotations

from gitlab_k8s_cd.components.plan.replacement import REPLACE_ON, replace_paths


def test_a_kubernetes_kind_is_replaced_on_its_own_paths_and_on_its_name_and_namespace():
    assert replace_paths("kubernetes:apps/v1:Deployment") == ("metadata.name", "metadata.namespace", "spec.selector")
    assert replace_paths("kubernetes:core/v1:Namespace") == ("metadata.name", "metadata.namespace")


def test_a_resource_of_another_provider_only_on_its_own_paths():
    assert (
        replace_paths("gitlab:index/projectVariable:ProjectVariable")
        == REPLACE_ON["gitlab:index/projectVariable:ProjectVariable"]
    )
    assert "metadata.name" not in replace_paths("pulumi:providers:kubernetes")
    assert replace_paths("gitlab:index/project:Project") == ()
