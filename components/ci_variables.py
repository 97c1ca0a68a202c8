"""GitLab CI/CD variables, validated before GitLab ever sees them."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_gitlab as gitlab

from . import gitlab_rules
from . import validation as v

VARIABLE_TYPES = ("env_var", "file")


@dataclass(frozen=True, kw_only=True)
class CiVariable:
    """One CI/CD variable. The defaults suit a credential: protected, and raw (no ``$`` expansion)."""

    key: str
    """The variable's name: letters, digits and '_'."""
    value: pulumi.Input[str]
    """The value. A masked value is wrapped in ``Output.secret`` and checked against GitLab's
    masking rules: here for a plain string, when it resolves for an Output."""
    masked: bool = False
    """Hide the value in job logs. Default false; set it for every secret."""
    hidden: bool = False
    """Also hide it in the UI, for good (GitLab 17.4+; implies masked; can only be set on creation). Default false."""
    protected: bool = True
    """Only protected branches and tags see it. Default true."""
    raw: bool = True
    """Do not expand ``$`` references in the value. Default true."""
    variable_type: str = "env_var"
    """env_var, or file (the job sees a path to a file holding the value). Default env_var."""
    description: str = ""
    """Shown in GitLab's settings. Default empty."""

    def __post_init__(self) -> None:
        gitlab_rules.variable_key("key", self.key)
        for flag in ("masked", "hidden", "protected", "raw"):
            v.boolean(flag, getattr(self, flag))
        v.one_of("variable_type", self.variable_type, VARIABLE_TYPES)
        if self.hidden and not self.masked:
            raise v.InvalidArgument(("hidden", "masked"), (True, False), "a hidden variable must also be masked")
        if self.masked and isinstance(self.value, str):
            gitlab_rules.maskable(self.key, self.value)


@dataclass(frozen=True, kw_only=True)
class CiVariablesArgs:
    project: pulumi.Input[str]
    """The project's id."""
    environment_scope: str
    """The environment whose jobs see these variables (``*`` for all)."""
    variables: Sequence[CiVariable]
    """The variables, each key at most once."""

    def __post_init__(self) -> None:
        gitlab_rules.environment_scope("environment_scope", self.environment_scope)
        seen: set[str] = set()
        for variable in self.variables:
            if variable.key in seen:
                raise v.InvalidArgument("variables", variable.key, "each key may appear only once")
            seen.add(variable.key)


class CiVariables(pulumi.ComponentResource):
    """CI/CD variables of one project, scoped to one environment.

    Creates one ProjectVariable per variable, named ``{name}-{key}`` so that reordering the
    list never replaces anything. Masked values are secret from the moment they are handed in.
    Each is replaced delete-before-create: GitLab allows one variable per key and scope.
    """

    keys: list[str]

    def __init__(self, name: str, args: CiVariablesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("gitlab-k8s-cd:ci_variables:CiVariables", name, None, opts)
        for variable in args.variables:
            value = pulumi.Output.from_input(variable.value)
            if variable.masked:
                # An Output's value is checked when it resolves, which is still before the
                # provider is asked to create the variable.
                value = pulumi.Output.secret(
                    value.apply(lambda text, key=variable.key: gitlab_rules.maskable(key, text))
                )
            gitlab.ProjectVariable(
                f"{name}-{variable.key}",
                project=args.project,
                key=variable.key,
                value=value,
                environment_scope=args.environment_scope,
                masked=variable.masked,
                hidden=variable.hidden,
                protected=variable.protected,
                raw=variable.raw,
                variable_type=variable.variable_type,
                description=variable.description or None,
                # GitLab refuses a second variable with the same key and scope (400 "has already
                # been taken"), and `hidden` can only be set on creation, so the provider replaces
                # the variable when it changes: the old one must go before the new one is created.
                opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
            )
        self.keys = [variable.key for variable in args.variables]
        self.register_outputs({"keys": self.keys})


def kubeconfig_variable(
    kubeconfig: pulumi.Output[str], *, hidden: bool, description: str, protected: bool = True
) -> CiVariable:
    """``KUBECONFIG_B64``: GitLab can only mask a value with no whitespace, so a kubeconfig goes in
    as base64 (the jobs decode it with ``base64 -d``)."""
    return CiVariable(
        key="KUBECONFIG_B64",
        value=kubeconfig.apply(lambda text: base64.b64encode(text.encode()).decode()),
        masked=True,
        hidden=hidden,
        protected=protected,
        description=description,
    )
