"""`make mutants`: break each enforcement point on purpose, one at a time, and check the suite notices.

The curated list is scripts/mutants.toml: for each mutant, one file, one exact piece of text in it
(found exactly once) and its replacement — a single-point breakage — plus the test files that must
then fail (the whole suite when none are named). Each mutant is applied to a scratch copy of the
working tree (tracked and untracked files, not .git/.data), the tests run with `-x -q`, and the file
is restored before the next one; the working tree itself is never touched, so Ctrl-C is safe.

A baseline run of the same tests, unmutated, comes first: a mutant "caught" by tests that fail anyway
would prove nothing. Prints a table and `mutants_caught=N/M`; exits non-zero if any mutant
survived or could not be applied. Usually run through `scripts/devstack.py mutants` (embedded
services like `make test`); `--only NAME[,NAME]` runs some, `--list` prints them.

Every later issue adds its own enforcement points to the list. When a listed original text is no
longer in its file (someone rewrote the line), the run stops before testing anything and says which
entry to fix.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LIST = ROOT / "scripts" / "mutants.toml"
TIMEOUT_SECONDS = 20 * 60


@dataclass
class Mutant:
    name: str
    point: str
    file: str
    original: str
    replacement: str
    tests: list[str] = field(default_factory=list)


class ListError(Exception):
    """The curated list does not match the code (an original text not found exactly once, a file gone)."""


def load(path: Path = DEFAULT_LIST) -> list[Mutant]:
    with open(path, "rb") as handle:
        entries = tomllib.load(handle).get("mutant", [])
    mutants, names = [], set()
    for index, entry in enumerate(entries, start=1):
        missing = {"name", "point", "file", "original", "replacement"} - set(entry)
        if missing:
            raise ListError(f"{path.name}: mutant #{index} lacks {sorted(missing)}")
        if entry["name"] in names:
            raise ListError(f"{path.name}: two mutants are called {entry['name']!r}")
        if entry["original"] == entry["replacement"]:
            raise ListError(f"{path.name}: mutant {entry['name']!r} changes nothing")
        names.add(entry["name"])
        mutants.append(Mutant(**{key: entry[key] for key in ("name", "point", "file", "original", "replacement")},
                              tests=list(entry.get("tests", []))))
    return mutants


def check_applicable(mutants: list[Mutant], tree: Path) -> None:
    """Every original text occurs exactly once in its file, and every named test file exists."""
    problems = []
    for mutant in mutants:
        target = tree / mutant.file
        if not target.is_file():
            problems.append(f"  {mutant.name}: {mutant.file} does not exist")
            continue
        found = target.read_text().count(mutant.original)
        if found != 1:
            problems.append(f"  {mutant.name}: the original text occurs {found} times in {mutant.file} "
                            f"(must be exactly once):\n      {mutant.original!r}")
        problems += [f"  {mutant.name}: test path {test} does not exist"
                     for test in mutant.tests if not (tree / test.split("::")[0]).exists()]
    if problems:
        raise ListError("scripts/mutants.toml no longer matches the code; fix these entries "
                        "(find the line's new wording, or the new enforcement point):\n" + "\n".join(problems))


def scratch_copy(source: Path, destination: Path) -> Path:
    """The working tree as it is now (committed or not), without .git, .data and ignored files."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=source, check=True, capture_output=True).stdout.decode().split("\0")
    for relative in filter(None, listed):
        origin = source / relative
        if not origin.is_file():
            continue  # deleted but not yet committed
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(origin, target)
    venv = source / ".venv"
    if venv.exists():
        (destination / ".venv").symlink_to(venv.resolve())
    (destination / ".data").mkdir(exist_ok=True)
    return destination


def _pytest(tree: Path, tests: list[str], env: dict, log) -> tuple[int, float]:
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]
    started = time.monotonic()
    try:
        code = subprocess.run(command, cwd=tree, env=env, stdout=log, stderr=subprocess.STDOUT,
                              timeout=TIMEOUT_SECONDS).returncode
    except subprocess.TimeoutExpired:
        code = -1
    return code, time.monotonic() - started


def run(mutants: list[Mutant], env: dict, *, baseline: bool = True, source: Path = ROOT) -> int:
    check_applicable(mutants, source)
    env = {**env, "DJANGO_SETTINGS_MODULE": "config.test_settings", "PYTHONDONTWRITEBYTECODE": "1"}
    results = []
    with tempfile.TemporaryDirectory(prefix="mutants-") as scratch:
        tree = scratch_copy(source, Path(scratch) / "repo")
        logs = Path(scratch) / "logs"
        logs.mkdir()
        if baseline:
            named = sorted({test for mutant in mutants for test in mutant.tests})
            print(f"• baseline: the {len(named) or 'whole'} test files the mutants name, unmutated …", flush=True)
            with open(logs / "baseline.log", "w") as log:
                code, seconds = _pytest(tree, named, env, log)
            if code != 0:
                print((logs / "baseline.log").read_text()[-4000:])
                print(f"The tests fail without any mutant (exit {code}); fix them first.")
                return 2
            print(f"  passed in {seconds:.0f} s", flush=True)
        for number, mutant in enumerate(mutants, start=1):
            target = tree / mutant.file
            pristine = target.read_text()
            print(f"[{number}/{len(mutants)}] {mutant.name} ({mutant.file}) …", end=" ", flush=True)
            try:
                target.write_text(pristine.replace(mutant.original, mutant.replacement, 1))
                with open(logs / f"{mutant.name}.log", "w") as log:
                    code, seconds = _pytest(tree, mutant.tests, env, log)
            finally:
                target.write_text(pristine)
            outcome = "caught" if code != 0 else "SURVIVED"
            if code == -1:
                outcome = "caught (timeout)"
            elif code not in (0, 1):
                outcome = f"caught (pytest exit {code})"
            print(f"{outcome} in {seconds:.0f} s", flush=True)
            if code == 0:
                print(f"    the tests passed with this breakage: {mutant.point}")
            results.append((mutant, outcome, seconds))
    _print_table(results)
    caught = sum(1 for _mutant, outcome, _s in results if outcome.startswith("caught"))
    print(f"mutants_caught={caught}/{len(results)}")
    return 0 if caught == len(results) else 1


def _print_table(results) -> None:
    width = max([len(mutant.name) for mutant, _o, _s in results] + [6])
    print("\n" + f"{'mutant':<{width}}  {'result':<18}  {'time':>6}  point")
    for mutant, outcome, seconds in results:
        print(f"{mutant.name:<{width}}  {outcome:<18}  {seconds:>5.0f}s  {mutant.point}")


def _interrupt(*_):
    raise KeyboardInterrupt


def main(argv: list[str], env: dict | None = None) -> int:
    # SIGTERM (e.g. `timeout`) unwinds like Ctrl-C: the scratch copy is removed on the way out.
    signal.signal(signal.SIGTERM, _interrupt)
    parser = argparse.ArgumentParser(prog="make mutants", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="comma-separated mutant names")
    parser.add_argument("--list", action="store_true", help="print the mutants and exit")
    parser.add_argument("--no-baseline", action="store_true", help="skip the unmutated run")
    parser.add_argument("--file", type=Path, default=DEFAULT_LIST, help="the curated list (TOML)")
    options = parser.parse_args(argv)
    try:
        mutants = load(options.file)
        if options.only:
            wanted = [name.strip() for name in options.only.split(",") if name.strip()]
            unknown = set(wanted) - {mutant.name for mutant in mutants}
            if unknown:
                raise ListError(f"no mutant called {sorted(unknown)}")
            mutants = [mutant for mutant in mutants if mutant.name in wanted]
        if options.list:
            check_applicable(mutants, ROOT)
            for mutant in mutants:
                print(f"{mutant.name}: {mutant.file} — {mutant.point} — {', '.join(mutant.tests) or 'whole suite'}")
            return 0
        return run(mutants, env if env is not None else dict(os.environ), baseline=not options.no_baseline)
    except ListError as error:
        print(f"make mutants: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
