"""The pod every workload of an app runs (each process's Deployment, web's canary, the migration
Job): the image, its settings and secrets as environment variables, the ServiceAccount and pull
secrets, a restricted security context and a writable /tmp, around each container's own fields.

:class:`gitlab_k8s_cd.components.workload.Workload` makes the objects the pods refer to (the
ServiceAccount, the settings' ConfigMap, the secret settings' Secret) and builds one
:class:`PodTemplate` of them; this module holds what the pods look like, nothing that is
registered."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi

from .app_spec import AppSpec, RunningProcess
from .pod_specs import ResourcesArgs

SECRETS_AS_FILES_CHECK = "CKV_K8S_35"
"""checkov's "prefer Secrets as files over Secrets as environment variables"."""
SECRETS_AS_ENVIRONMENT_REASON = (
    "secret settings are environment variables by design, as settings are (and as Auto DevOps passes "
    "K8S_SECRET_*); the Secret holds them alone"
)


@dataclass(frozen=True, kw_only=True)
class PodTemplate:
    """What the pods of one app share. Built by the Workload from its (checked) Args and the names
    of what it registered, so it checks nothing itself."""

    image: str
    """The app's image: every container's, unless :meth:`pod_spec` is given another (the canary's)."""
    run_as_user: int
    """The user and group every container runs as, and the pod's fsGroup."""
    service_account: pulumi.Input[str]
    settings: pulumi.Input[str]
    """The settings' ConfigMap."""
    secret: pulumi.Input[str] | None = None
    """The secret settings' Secret, when there is one."""
    pull_secrets: Sequence[pulumi.Input[str]] = ()

    @property
    def environment(self) -> list[dict[str, object]]:
        """The containers' ``envFrom``: the settings, then the secret settings."""
        environment: list[dict[str, object]] = [{"configMapRef": {"name": self.settings}}]
        if self.secret is not None:
            environment.append({"secretRef": {"name": self.secret}})
        return environment

    @property
    def checkov_skips(self) -> dict[str, str]:
        """The checks a workload of these pods is exempt from, with the reason: with secret settings,
        checkov's secrets-as-files check (they are environment variables by design)."""
        return {SECRETS_AS_FILES_CHECK: SECRETS_AS_ENVIRONMENT_REASON} if self.secret is not None else {}

    def pod_spec(
        self, own: Mapping[str, object], resources: ResourcesArgs, image: str | None = None
    ) -> dict[str, object]:
        """The pod spec around a container's ``own`` fields (its name, command, ports, probes) and
        ``resources``; ``image`` instead of the app's (the canary's)."""
        container: dict[str, object] = {
            **own,
            "image": image or self.image,
            # Every pod start checks the pull secret with the registry, so a pod cannot run an image
            # some other tenant's pod left in the node's cache (the AlwaysPullImages concern). With a
            # digest, "Always" costs a manifest check, not a download.
            "imagePullPolicy": "Always",
            "envFrom": self.environment,
            "resources": resources.manifest(),
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "runAsNonRoot": True,
                "runAsUser": self.run_as_user,
                "runAsGroup": self.run_as_user,
                "capabilities": {"drop": ["ALL"]},
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            # A read-only root filesystem still needs somewhere to write temporary files.
            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
        }
        return {
            "serviceAccountName": self.service_account,
            "automountServiceAccountToken": False,
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": self.run_as_user,
                "runAsGroup": self.run_as_user,
                "fsGroup": self.run_as_user,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "imagePullSecrets": [{"name": secret} for secret in self.pull_secrets],
            "containers": [container],
            "volumes": [{"name": "tmp", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}}],
        }


def process_container(app: str, spec: AppSpec, process: RunningProcess) -> dict[str, object]:
    """A process's own container fields: web's (named after the app) its port and HTTP probes,
    another's (named after the process) its command and exec probes."""
    container: dict[str, object] = {"name": app if process.name == "web" else process.name}
    if process.spec is None:
        container["ports"] = [{"name": "http", "containerPort": spec.container_port, "protocol": "TCP"}]
        container["readinessProbe"] = spec.readiness.manifest()
        container["livenessProbe"] = spec.liveness.manifest()
        if spec.startup is not None:
            container["startupProbe"] = spec.startup.manifest()
    else:
        if process.spec.command:
            container["command"] = list(process.spec.command)
        if process.spec.args:
            container["args"] = list(process.spec.args)
        if process.spec.liveness_probe is not None:
            container["livenessProbe"] = process.spec.liveness_probe.manifest()
            container["readinessProbe"] = (process.spec.readiness_probe or process.spec.liveness_probe).manifest()
    return container
