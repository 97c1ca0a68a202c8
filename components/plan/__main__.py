"""``python -m gitlab_k8s_cd.components.plan``: the offline plan command (:mod:`.cli`)."""

import sys

from .cli import main

sys.exit(main())
