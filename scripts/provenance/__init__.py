"""Provenance of a run: what went in, what came out, with which code and software, and the rule graph."""

from __future__ import annotations

import hashlib
import re
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path


def sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_digests(paths) -> dict[str, str]:
    return {str(p): sha256(p) for p in sorted({str(p) for p in paths}) if Path(p).is_file()}


def requirement_versions(requirements: str | Path) -> dict[str, str]:
    """The installed version of every package requirements.txt pins (and whether it is the pinned one)."""
    out = {}
    for line in Path(requirements).read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            name = re.sub(r"\[.*\]", "", line.split("==")[0])
            try:
                out[name] = version(name)
            except PackageNotFoundError:
                out[name] = "not installed"
    return out


def git_state(project_dir: str | Path) -> dict:
    """The commit the code came from and whether the working tree differed from it."""

    def git(*args):
        return subprocess.run(["git", *args], cwd=project_dir, capture_output=True, text=True)

    commit = git("rev-parse", "HEAD")
    if commit.returncode != 0:
        return {"commit": "unknown (not a git checkout)", "dirty": None}
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit.stdout.strip(), "dirty": bool(status.stdout.strip())}


def git_commit_date(project_dir: str | Path) -> str | None:
    """The committer date of HEAD (ISO 8601), or None outside a git checkout: the date a run's crate carries, the
    same for every run of the same code."""
    result = subprocess.run(
        ["git", "show", "-s", "--format=%cI", "HEAD"], cwd=project_dir, capture_output=True, text=True
    )
    return result.stdout.strip() or None if result.returncode == 0 else None


def layers(nodes: dict[str, str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Each rule's depth: the longest path from a rule with no inputs from other rules."""
    parents: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in edges:
        parents[b].append(a)
    depth: dict[str, int] = {}

    def visit(node):
        if node not in depth:
            depth[node] = 1 + max((visit(p) for p in parents[node]), default=-1)
        return depth[node]

    for node in nodes:
        visit(node)
    return depth


def transitive_reduction(edges: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Drop every edge a -> b that another path from a to b already implies (a readable drawing)."""
    children: dict[str, set[str]] = {}
    for a, b in edges:
        children.setdefault(a, set()).add(b)

    def reachable_without(a, b):
        stack, seen = [c for c in children.get(a, ()) if c != b], set()
        while stack:
            node = stack.pop()
            if node == b:
                return True
            if node not in seen:
                seen.add(node)
                stack.extend(children.get(node, ()))
        return False

    return [(a, b) for a, b in edges if not reachable_without(a, b)]


def draw_rulegraph(nodes: dict[str, str], edges: list[tuple[str, str]]):
    """The rule graph, top to bottom by depth, drawn with matplotlib (no graphviz needed); edges implied by other
    paths are left out."""
    import matplotlib.pyplot as plt

    from common.plotting import BOX, use_style

    use_style()
    depth = layers(nodes, edges)
    rows: dict[int, list[str]] = {}
    for node in sorted(nodes, key=lambda n: (depth[n], nodes[n])):
        rows.setdefault(depth[node], []).append(node)
    position = {}
    for level, members in rows.items():
        for i, node in enumerate(members):
            position[node] = ((i + 1) / (len(members) + 1), 1 - level / max(len(rows) - 1, 1))
    fig, ax = plt.subplots(figsize=(10, 0.9 * len(rows) + 1))
    ax.set_axis_off()
    for a, b in transitive_reduction(edges):
        (x0, y0), (x1, y1) = position[a], position[b]
        ax.annotate(
            "",
            xy=(x1, y1 + 0.02),
            xytext=(x0, y0 - 0.02),
            arrowprops={"arrowstyle": "-|>", "color": "#8a9bb0", "linewidth": 0.7},
        )
    for node, (x, y) in position.items():
        ax.text(x, y, nodes[node], ha="center", va="center", fontsize=7.5, bbox=BOX)
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.08, 1.08)
    fig.tight_layout()
    return fig
