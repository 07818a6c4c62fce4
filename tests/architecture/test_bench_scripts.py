"""The benchmark scripts still name what they import: a move or rename in the code cannot leave a
bench/ script that only fails when somebody next measures."""
from __future__ import annotations

import ast
import importlib

from tests.architecture.test_import_graph import ROOT, _our_packages


def test_every_name_a_bench_script_imports_from_our_packages_exists():
    ours = _our_packages()
    missing = []
    for path in sorted((ROOT / "bench").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
                    and node.module.split(".")[0] in ours):
                continue
            module = importlib.import_module(node.module)
            for alias in node.names:
                if hasattr(module, alias.name):
                    continue
                try:
                    importlib.import_module(f"{node.module}.{alias.name}")
                except ImportError:
                    missing.append(f"{path.name}:{node.lineno} {node.module}.{alias.name}")
    assert missing == []
