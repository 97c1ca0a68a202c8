"""Two callers, told apart by how Python started this file.

- ``python -m gitlab_k8s_cd.policy write DIR`` (``__package__`` is the package): writes a runnable
  policy pack into DIR (``gitlab_k8s_cd.policy.write``), for ``pulumi preview --policy-pack DIR``.
- Pulumi running this repository's ``policy/`` folder as a pack (``pulumi preview --policy-pack
  policy``: ``runpy.run_path`` of the folder, so no package; docs/contracts.md PC-15): the rules
  beside this file, imported as top-level modules.
"""

import sys

if __package__:
    from gitlab_k8s_cd.policy.write import main

    sys.exit(main())
else:
    from pack import PACK_NAME, policy
    from pulumi_policy import PolicyPack
    from rules import RULES

    PolicyPack(name=PACK_NAME, policies=[policy(rule) for rule in RULES])
