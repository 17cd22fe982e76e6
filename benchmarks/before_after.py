"""A benchmark before and after a change, measured in one run on one machine.

Checks the base revision out beside this tree (a git worktree), runs the benchmark there
(this tree's script, copied in, when the base has none: it then measures the base's code) and
here, alternately (base, this, base, this: the machine's drift falls on both), and prints each
row's median from both and their ratio. Used for issue 20 (sealed fields): goal, each within
1.2x of the base. Rows are the questionnaire pages' (`questionnaire_pages.py`) or lines of a
name and a number of ms (`sign_in.py`).

    .venv/bin/python benchmarks/before_after.py --base c5b81c0 [--repeat 10] [--rounds 2]
    .venv/bin/python benchmarks/before_after.py --base c5b81c0 --script benchmarks/sign_in.py
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROW = re.compile(r"^\s*(?P<size>\d+) (?P<page>.+?)\s{2,}(?P<reader>focal point|Secretariat)"
                 r"\s+(?P<median>[\d.]+)\s")
NAMED = re.compile(r"^(?P<page>[\w-]+)\s+(?P<median>[\d.]+)$")
GOAL = 1.2


def run(tree: Path, script: Path, options: list[str]) -> dict[tuple[str, str, str], float]:
    if not (tree / script).exists():
        shutil.copy(ROOT / script, tree / script)
    done = subprocess.run([sys.executable, str(tree / script), *options],
                          cwd=tree, capture_output=True, text=True, check=True)
    rows = {}
    for line in done.stdout.splitlines():
        match = ROW.match(line)
        if match:
            rows[(match["size"], match["page"].strip(), match["reader"])] = float(
                match["median"])
        elif match := NAMED.match(line):
            rows[("0", match["page"], "")] = float(match["median"])
    if not rows:
        raise SystemExit(f"no rows from {tree}:\n{done.stdout}\n{done.stderr}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True, help="the revision to compare against")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--script", type=Path,
                        default=Path("benchmarks") / "questionnaire_pages.py")
    args = parser.parse_args()
    options = ["--repeat", str(args.repeat)] if args.script.name == "questionnaire_pages.py" \
        else []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        subprocess.run(["git", "worktree", "add", "--detach", str(base), args.base],  # noqa: S607
                       cwd=ROOT, check=True, capture_output=True)
        try:
            before: dict[tuple[str, str, str], list[float]] = {}
            after: dict[tuple[str, str, str], list[float]] = {}
            for _ in range(args.rounds):
                for tree, into in ((base, before), (ROOT, after)):
                    for key, median in run(tree, args.script, options).items():
                        into.setdefault(key, []).append(median)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)],  # noqa: S607
                           cwd=ROOT, check=False, capture_output=True)
    print(f"base {args.base} against this tree, {args.script.name}; medians of {args.rounds} "
          "alternated runs (ms)")
    print(f"{'States':>6} {'page':<22} {'reader':<12} {'base':>8} {'now':>8} {'ratio':>6}")
    worst = 0.0
    for key in sorted(after, key=lambda k: (int(k[0]), k[1], k[2])):
        b, a = statistics.median(before.get(key, [0])), statistics.median(after[key])
        ratio = a / b if b else float("inf")
        worst = max(worst, ratio)
        size = "" if key[0] == "0" else key[0]
        print(f"{size:>6} {key[1]:<22} {key[2]:<12} {b:>8.1f} {a:>8.1f} {ratio:>5.2f}x")
    print(f"goal: every row within {GOAL}x of the base: "
          f"{'met' if worst <= GOAL else 'NOT met'} (worst {worst:.2f}x)")


if __name__ == "__main__":
    main()
