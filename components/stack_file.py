"""A stack's config as the Pulumi CLI reads it from ``Pulumi.<stack>.yaml`` and hands it to the
program (docs/contracts.md PC-8), without the CLI.

The offline plan (``components/plan/``) and the test harness's ``plan_stack``
(``components/plan/runner.py``) both read a stack through :func:`stack_config`, so that a consumer's
test sees the config the plan command sees, and the CLI would hand over. The Go values the CLI
decodes the file into, and the text it writes for each, are ``components/go_values.py``.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config_keys import KNOWN_KEYS, SECRET_KEYS
from .go_values import YamlTimestamp, go_json, read_yaml

OFFLINE_SECRET = "offline-plan-placeholder-secret"
"""What the program gets for a secret this machine does not have: an encrypted (``secure:``)
value of the stack file, or a backend secret neither the stack nor the environment holds."""


# --- the config handoff ----------------------------------------------------------------------
# What the Pulumi CLI hands a program for each config value (docs/contracts.md PC-8), read in
# pulumi/pulumi: the stack file is decoded with gopkg.in/yaml.v3 into Go values, re-encoded and
# decoded again (sdk/go/common/workspace/loaders.go l. 180-222); each value becomes a config.Value
# (sdk/go/common/resource/config/object.go l. 403-419, 467-527), and the program gets the text of
# each (map.go l. 31-68, plaintext.go l. 256-268) in PULUMI_CONFIG.


def cli_config_value(value: Any) -> str:
    """A config value (as decoded from the stack file) as the Pulumi CLI hands it to a program.

    - a string as it is; a YAML null as ``""`` (yaml.v3 leaves the stack's config.Value zero,
      decode.go l. 406-409, 848-850);
    - a YAML timestamp (a date or datetime) as Go's ``time.Time.String()``:
      ``2027-11-30`` -> ``"2027-11-30 00:00:00 +0000 UTC"``, also inside an object;
    - any other scalar, and objects and lists, as Go's encoding/json writes them: compact, keys
      sorted, ``2.0`` as ``2``, ``1e-7`` as ``1e-7``, ``<>&`` escaped.

    NaN and infinities raise ValueError: encoding/json refuses them, so the CLI cannot load such a
    stack (``json: unsupported value: NaN``).
    """
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, (YamlTimestamp, _dt.date)):
        return str(YamlTimestamp.of(value))
    return go_json(value)


# --- the stack's config, as the Pulumi CLI hands it over ----------------------------------------


@dataclass(frozen=True)
class StackConfig:
    project: str
    config: dict[str, str]
    """Every config value as the text the CLI hands the program (``cli_config_value``)."""
    secret_keys: list[str] = field(default_factory=list)
    placeholders: list[str] = field(default_factory=list)
    """Secret keys planned with a placeholder: neither the stack (decrypted) nor the environment has them."""
    encrypted: list[str] = field(default_factory=list)
    """Keys the stack file holds encrypted (``secure:``), planned with a placeholder: no secrets
    provider decrypts them offline."""
    notes: list[str] = field(default_factory=list)


def project_name(project_dir: Path) -> str:
    """The ``name`` in the project's Pulumi.yaml: the program's ``pulumi.get_project()``, and the
    namespace a config key without one gets (docs/contracts.md PC-13, PC-14)."""
    project_file = read_yaml(project_dir / "Pulumi.yaml")
    project = project_file.get("name") if isinstance(project_file, dict) else None
    if not isinstance(project, str) or not project:
        raise ValueError(f"{project_dir / 'Pulumi.yaml'}: no project name")
    return project


def stack_config(
    project_dir: Path,
    stack: str,
    overrides: Sequence[str] | Mapping[str, Any] = (),
    *,
    secrets: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    namespace: str | None = None,
) -> StackConfig:
    """The project's name (Pulumi.yaml's ``name``) and the stack's config with overrides, as the
    Pulumi CLI reads them (docs/contracts.md PC-8); ValueError for what the CLI would refuse to load.

    ``overrides``: ``-c`` arguments (``"KEY=VALUE"``, VALUE handed over as the text it is), or a
    mapping of keys to values, handed over as values of the stack file are (``cli_config_value``).
    ``secrets``: keys set with ``--secret``, and their values. A key without a namespace is the
    project's. A key the stack file holds encrypted stays a secret when overridden. ``environ``
    (default ``os.environ``) is where the backend's secrets may come from instead of the config.
    ``namespace`` is the one the program reads its keys from (default: the project's).
    """
    environ = os.environ if environ is None else environ
    project = project_name(project_dir)
    namespace = project if namespace is None else namespace
    stack_file = project_dir / f"Pulumi.{stack}.yaml"
    if not stack_file.exists():
        raise ValueError(f"no stack file {stack_file.name} in {project_dir}")
    document = read_yaml(stack_file)
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise ValueError(f"{stack_file.name}: expected a mapping")
    raw = document.get("config") or {}
    if not isinstance(raw, dict):
        raise ValueError(f"{stack_file.name}: config must be a mapping")
    result = StackConfig(project, {})
    for key, value in raw.items():
        # pulumi/pulumi loaders.go l. 61-89: a config key without a namespace gets the project's,
        # and key.go l. 45-70 (ParseKey) refuses any other form than <namespace>:<name>.
        if not isinstance(key, str):
            raise ValueError(f"{stack_file.name}: config key {key!r} is not a string")
        full = _config_key(key if ":" in key else f"{project}:{key}", stack_file.name)
        _refuse_plain_text_beside_secrets(stack_file.name, full, value, namespace, project)
        value, secret = _decrypt_offline(value)
        if secret:
            result.secret_keys.append(full)
            result.encrypted.append(full)
        if value is None:  # loaders.go l. 379-410 warns of it too
            result.notes.append(f"{stack_file.name}: no value for {full}; the Pulumi CLI hands the program ''")
        for path, timestamp in _timestamps(value):
            result.notes.append(
                f"{stack_file.name}: {full}{path} is the unquoted YAML timestamp {timestamp.text}, which the "
                f"Pulumi CLI hands the program as {str(timestamp)!r}; quote it to pass the text as written"
            )
        try:
            result.config[full] = cli_config_value(value)
        except (ValueError, TypeError, RecursionError) as error:  # !!binary bytes, a 5000-deep nesting
            raise ValueError(f"{stack_file.name}: {full}: the Pulumi CLI cannot load this value ({error})") from None
    if isinstance(overrides, Mapping):
        _set_values(result, overrides, "config")
    else:
        for override in overrides:
            # `pulumi up -c KEY=VALUE` hands VALUE over as text, as written, and `-c KEY` an empty one
            # (pkg/cmd/pulumi/project/newcmd/config.go l. 412-433: config.NewValue, never coerced).
            key, _, value = override.partition("=")
            result.config[_config_key(key if ":" in key else f"{project}:{key}", "-c")] = value
    for full in _set_values(result, secrets or {}, "secrets"):
        if full not in result.secret_keys:
            result.secret_keys.append(full)
    review_stack = f"{namespace}:mergeRequestIid" in result.config  # it hands CI no backend secret
    # Only a program that reads its config with load_settings needs them: its namespace holds
    # nothing but our keys (load_settings refuses any other). A program with config of its own (one
    # that builds the components' Args itself) gets no placeholder it would not read.
    own = [key.partition(":")[2] for key in result.config if key.partition(":")[0] == namespace]
    ours = bool(own) and all(key in KNOWN_KEYS for key in own)
    for key, env in SECRET_KEYS.items() if ours else ():
        full = f"{namespace}:{key}"
        if full not in result.config and env not in environ and not review_stack:
            result.config[full] = OFFLINE_SECRET
            result.secret_keys.append(full)
            result.placeholders.append(full)
    return result


def _set_values(result: StackConfig, values: Mapping[str, Any], where: str) -> list[str]:
    """Set each of ``values`` (a value as the stack file would hold it) in ``result``; the full keys."""
    keys = []
    for key, value in values.items():
        full = _config_key(key if ":" in key else f"{result.project}:{key}", where)
        try:
            result.config[full] = cli_config_value(value)
        except (ValueError, TypeError) as error:
            raise ValueError(f"{where}: {full}: the Pulumi CLI cannot hand over this value ({error})") from None
        keys.append(full)
    return keys


def _config_key(key: str, where: str) -> str:
    namespace, _, name = key.partition(":")
    if name.startswith("config:") and name.count(":") == 1:
        name = name.removeprefix("config:")  # the old <namespace>:config:<name> form
    if not namespace or ":" in name:
        raise ValueError(
            f"{where}: could not parse {key} as a configuration key "
            "(configuration keys should be of the form `<namespace>:<name>`)"
        )
    return f"{namespace}:{name}"


ENCRYPTED_MEMBERS = {"secrets": "*", "imagePull": "password"}
"""Members that must be ``secure:`` in the stack file, in the namespace the program reads: every
one of ``secrets``, and ``imagePull.password``. The CLI marks the whole key secret as soon as one member is
(docs/contracts.md PC-7), so the program cannot see a member added without ``--secret``: it
would sit in git in plain text, beside the encrypted ones."""


def _refuse_plain_text_beside_secrets(file: str, key: str, value: Any, namespace: str, project: str) -> None:
    owner, _, short = key.partition(":")
    member = ENCRYPTED_MEMBERS.get(short) if owner == namespace else None
    if member is None or not isinstance(value, dict):
        return
    set_as = short if namespace == project else key  # `pulumi config set` gives a bare key the project's namespace
    for name, item in value.items():
        if member not in ("*", name):
            continue
        if not (isinstance(item, dict) and len(item) == 1 and isinstance(item.get("secure"), str)):
            # Never the value: it is a secret, in plain text.
            raise ValueError(
                f"{file}: {key}.{name} is in plain text in the stack file, where only an encrypted value may be: "
                f"set it with `pulumi config set --secret --path {set_as}.{name} <value>`, and take the plain text "
                "out of the repository's history (it is a leaked secret now)"
            )


def _decrypt_offline(value: Any) -> tuple[Any, bool]:
    """``value`` with every ``secure:`` ciphertext (config/object.go l. 540-550: a mapping of the one
    key ``secure`` holding a string) replaced by a placeholder, since the stack's secrets provider
    is not here; and whether there was one (the whole key is then a secret)."""
    if isinstance(value, dict) and len(value) == 1 and isinstance(value.get("secure"), str):
        return OFFLINE_SECRET, True
    if isinstance(value, dict):
        members = {key: _decrypt_offline(item) for key, item in value.items()}
        return {key: item for key, (item, _) in members.items()}, any(s for _, s in members.values())
    if isinstance(value, list):
        items = [_decrypt_offline(item) for item in value]
        return [item for item, _ in items], any(s for _, s in items)
    return value, False


def _timestamps(value: Any, path: str = "") -> list[tuple[str, YamlTimestamp]]:
    if isinstance(value, YamlTimestamp):
        return [(path, value)]
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in _timestamps(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in _timestamps(item, f"{path}[{index}]")]
    return []
