"""Where the whole plan command's time goes: one run under cProfile, and one with ``-X importtime``
(bench/run.py prints it after the figures; ``python bench/where.py`` prints it alone).

cProfile gives the command's process: its imports (``_find_and_load``, outermost calls only), the
time it waits for the program's process (``Popen.wait``: that process's work is not in this profile), and
the cumulative time of this project's functions. ``-X importtime`` splits the imports by package.
"""

from __future__ import annotations

import pstats
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OURS = ("gitlab_k8s_cd", str(ROOT))
_PROFILED = """
import cProfile, runpy, sys
sys.argv = {argv!r}
profile = cProfile.Profile()
try:
    profile.runcall(runpy.run_module, {module!r}, run_name="__main__", alter_sys=True)
except SystemExit as exit:
    code = exit.code
else:
    code = 0
profile.dump_stats({stats!r})
sys.exit(code)
"""


def imports_by_package(command: list[str], cwd: Path) -> dict[str, float]:
    """Seconds the command's process spends importing each root package (``-X importtime``'s self
    time of every module, summed by the package's first name: what importing that package costs)."""
    with tempfile.TemporaryDirectory(prefix="bench-where-") as out:
        run = subprocess.run(
            [command[0], "-X", "importtime", *command[1:], "--out", out], cwd=cwd, capture_output=True, text=True
        )
    if run.returncode != 0:
        raise RuntimeError(f"the plan command failed (exit {run.returncode}):\n{run.stderr[-2000:]}")
    packages: dict[str, float] = defaultdict(float)
    for line in run.stderr.splitlines():
        # "import time:  self [us] | cumulative | <two spaces per nesting level>module"
        found = re.fullmatch(r"import time:\s+(\d+) \|\s+\d+ \| \s*(\S+)", line)
        if found:
            packages[found[2].split(".")[0]] += int(found[1]) / 1e6
    return dict(sorted(packages.items(), key=lambda item: -item[1]))


def profile(command: list[str], cwd: Path) -> pstats.Stats:
    """The command (``python -m MODULE ARGS``) run once in a fresh process under cProfile."""
    module, argv = command[2], command[3:]
    with tempfile.TemporaryDirectory(prefix="bench-where-") as tmp:
        stats = Path(tmp, "profile.stats")
        argv = [module, *argv, "--out", str(Path(tmp, "plan"))]
        script = _PROFILED.format(argv=argv, module=module, stats=str(stats))
        run = subprocess.run([command[0], "-c", script], cwd=cwd, capture_output=True, text=True)
        if run.returncode != 0:
            raise RuntimeError(f"the profiled plan command failed (exit {run.returncode}):\n{run.stderr[-2000:]}")
        return pstats.Stats(str(stats))


def report(command: list[str], cwd: Path, top: int = 8) -> None:
    stats = profile(command, cwd)
    entries = stats.stats  # type: ignore[attr-defined]  # {(file, line, function): (cc, nc, tt, ct, callers)}

    def cumulative(file_part: str, function: str) -> float:
        found = (ct for (file, _, name), (_, _, _, ct, _) in entries.items() if file_part in file and name == function)
        return sum(found)

    total = stats.total_tt  # type: ignore[attr-defined]
    imports = cumulative("importlib._bootstrap", "_find_and_load")
    waiting = cumulative("subprocess.py", "wait")  # Popen.wait: the plan's run (plan/runner.py)
    print(f"Where the whole command's time goes (one run of `{' '.join(['python', *command[1:]])}`):")
    print(f"  the command's process, under cProfile        {total:6.2f} s")
    print(f"    its imports                                {imports:6.2f} s")
    print(f"    waiting for the program's process          {waiting:6.2f} s")
    ours = sorted(
        (
            (ct, f"{Path(file).parent.name}/{Path(file).name}:{name}")
            for (file, _, name), (_, _, _, ct, _) in entries.items()
            if any(part in file for part in OURS) and "site-packages" not in file and not name.startswith("<")
        ),
        reverse=True,
    )
    print(f"    this project's functions, cumulative (top {top}; nested calls overlap):")
    for seconds, where in ours[:top]:
        print(f"      {seconds:6.2f} s  {where}")
    packages = imports_by_package(command, cwd)
    shown = ", ".join(f"{name} {seconds:.2f}" for name, seconds in list(packages.items())[:8])
    print(f"  its imports' self time by root package (-X importtime, s): {shown}; all {sum(packages.values()):.2f}")


if __name__ == "__main__":
    report([sys.executable, "-m", "gitlab_k8s_cd.components.plan", "--stack", "staging"], ROOT)
