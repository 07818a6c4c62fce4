"""Data flows one way between our packages: each imports only the packages below it.

The order is the architecture (README, "Layout"): generic infrastructure at the bottom, then who
may do what, the privacy core, people's accounts, enterprises, the audit log, policies, consent,
organisation data and the features on top; `config/` is the composition root (settings, URLs,
Celery) that may import anything and that nothing imports. Every import counts, including those
inside functions: an import hidden in a function is still a cycle.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Lowest first. A package may import only packages listed before it.
LAYERS = [
    "core",           # errors and their HTTP mapping, bulk rows, process cache, task bases, schemas
    "access",         # the capability catalogue: who may do what
    "privacy",        # registry (data map), keys, encrypted fields, masking policy, redaction
    "audit_anchors",  # signed audit checkpoints in the public schema
    "accounts",       # people's accounts, tokens, sign-in
    "tenants",        # enterprises: provisioning, lifecycle, routing
    "audit",          # the audit chain and access log
    "policies",       # privacy-policy versions
    "consent",        # purposes, ledger, the consent gate, sharing
    "orgdata",        # departments, employees, administrators, import/export, applications
    "certification",  # enterprise certification (E4): submissions, document checks, support's review
    "attendance",     # check-in and tracking
    "fieldwork",      # customers, visits and daily/weekly reports (A1)
    "erasure",        # the erasure engine: a person erased from every table, with a residue scan
    "rights",         # the individual's requests: verified, on time, refusals recorded
    "incidents",      # X5: security incidents: the affected told (inbox, e-mail, SMS), announced, reported
    "approvals",      # leave, expense and trip requests through their approval chain (X4)
    "announcements",  # notices to departments or everyone: inbox, push, channels one can leave (C13)
    "transfers",      # C10: an enterprise's data passing to a new holder (told through rights' inbox)
    "demo",           # the living demo enterprise (make run)
]
COMPOSITION_ROOT = "config"


def _our_packages(root: Path = ROOT) -> set[str]:
    return {path.parent.name for path in root.glob("*/__init__.py")} - {"tests", "bench", "scripts"}


def _imports_between_packages(root: Path = ROOT) -> dict[tuple[str, str], list[str]]:
    """(importer, imported) -> where, for every import of one of our packages by another."""
    ours = _our_packages(root)
    edges: dict[tuple[str, str], list[str]] = {}
    for package in ours:
        for path in (root / package).rglob("*.py"):
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                elif isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                else:
                    continue
                for module in modules:
                    target = module.split(".")[0]
                    if target in ours and target != package:
                        edges.setdefault((package, target), []).append(
                            f"{path.relative_to(root)}:{node.lineno}")
    return edges


def test_every_package_has_its_place_in_the_layers():
    placed = set(LAYERS) | {COMPOSITION_ROOT}
    assert _our_packages() - placed == set(), "add the new package to LAYERS (and the README's layout)"
    assert set(LAYERS) - _our_packages() == set()


def test_packages_import_only_the_packages_below_them():
    rank = {name: position for position, name in enumerate(LAYERS)}
    upward = []
    for (importer, imported), places in sorted(_imports_between_packages().items()):
        if importer == COMPOSITION_ROOT:
            continue
        if imported == COMPOSITION_ROOT or rank[imported] > rank[importer]:
            upward.append(f"{importer} -> {imported}: {', '.join(places)}")
    assert upward == []


def test_the_walker_sees_an_import_hidden_inside_a_function(tmp_path):
    for package in ("consent", "orgdata"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "consent" / "views.py").write_text("def later():\n    from orgdata import selectors\n")
    assert _imports_between_packages(tmp_path) == {("consent", "orgdata"): ["consent/views.py:2"]}
