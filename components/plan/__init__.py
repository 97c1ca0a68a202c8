"""The offline plan: a Pulumi program run under the mock runtime, and what is made of its plan.

``python -m gitlab_k8s_cd.components.plan --stack NAME`` is the command (:mod:`.cli`). The modules:

- :mod:`.values`: a plan's values, secrets marked (:class:`~.values.Secret`), redacted or revealed;
- :mod:`.matching`: partial matching of inputs (``Match``), for assertions;
- :mod:`.model`: the plan (``Plan``, ``PlannedResource``) and its files;
- :mod:`.replacement`: which input changes replace a resource;
- :mod:`.runner`: runs a program in a process of its own (``run_program``, ``run_component``, ``plan_stack``);
- :mod:`.child`: that process, the mock runtime, with :mod:`.mocks`, what it answers for the providers;
- :mod:`.diff`: the changes between two plans; :mod:`.kubernetes_schema`: the schema check;
  :mod:`.policies`: the policy pack's rules; :mod:`.tree`: the plan as a tree; :mod:`.cli`: the command.

Test harness users import :mod:`gitlab_k8s_cd.components.testing`. This module imports nothing, so
that the command's process loads only what it uses.
"""
