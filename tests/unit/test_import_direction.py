"""Imports point one way (docs/architecture: the package's rooms by the way data flows): read with
ast from crvs/'s source, so a lazy import inside a function counts as much as one at the top."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "crvs"

# Development tools (crvs/devtools/): the runtime rooms never import them (they may import the runtime);
# crvs.cli only inside a command's handler, never at its top.
DEVTOOLS = ("crvs.devtools",)
# Who calls whom from above: the channels and the loader (crvs.feeds) never import what calls them.
ABOVE_FEEDS = ("crvs.pipeline", "crvs.airflow", "crvs.cli", "crvs.devtools")
# Known, to be broken up (issue 18): the audit's text scan shares the intruder's types, the intruder
# calls the text scan.
KNOWN_CYCLES = [{"crvs.audit.intruder", "crvs.audit.text"}]


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """Each crvs module → the crvs modules it imports (anywhere in its source)."""
    files = {module_name(p, root): p for p in root.rglob("*.py")}
    graph = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*up, base] if base else up)
                found |= {f"{base}.{a.name}" if f"{base}.{a.name}" in files else base for a in node.names}
        targets = set()
        for target in found:
            while target and target not in files:
                target = target.rpartition(".")[0]
            if target.startswith("crvs") and target != name:
                targets.add(target)
        graph[name] = targets
    return graph


def eager_devtools_imports(path: Path) -> list[str]:
    """The development tools a module imports at its top (outside any function): crvs.cli may import
    them only lazily, inside the handler of the command that runs them."""
    found = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if within(a.name, DEVTOOLS)]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            base = node.module or ""
            found += [f"{base}.{a.name}" for a in node.names if within(f"{base}.{a.name}", DEVTOOLS)]
    return found


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def wrong_way(graph: dict[str, set[str]]) -> list[str]:
    problems = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            if target == "crvs.cli":
                problems.append(f"{module} imports crvs.cli (nothing imports the command line)")
            if within(target, DEVTOOLS) and not within(module, DEVTOOLS) and module != "crvs.cli":
                problems.append(f"{module} (runtime) imports the development tool {target}")
            if within(module, ("crvs.feeds",)) and not within(module, DEVTOOLS) and within(target, ABOVE_FEEDS):
                problems.append(f"{module} imports {target}, which calls it")
            if within(module, ("crvs.report",)) and not within(module, DEVTOOLS) and within(target, ("crvs.feeds",)):
                problems.append(f"{module} imports {target}: the report reads report models only")
    return problems


def test_no_import_goes_back_up():
    assert wrong_way(import_graph()) == []


def test_the_command_line_imports_the_development_tools_only_in_their_handlers():
    assert eager_devtools_imports(PACKAGE / "cli.py") == []


def test_no_import_cycle_among_crvs_modules():
    assert [c for c in cycles(import_graph()) if c not in KNOWN_CYCLES] == []


def plant(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "crvs"
    for name, text in {"__init__.py": "", **files}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_the_checks_catch_a_planted_upward_import_and_a_circle(tmp_path):
    root = plant(
        tmp_path,
        {
            "feeds/__init__.py": "",
            "feeds/mail.py": "def collect():\n    from crvs import pipeline\n",  # lazy, still upward
            "pipeline.py": "from crvs.feeds import mail\nfrom crvs.devtools.sample import generate_quarter\n",
            "devtools/__init__.py": "",
            "devtools/sample.py": "",
            "devtools/demo.py": "from crvs import pipeline\n",  # a tool may import the runtime
            "cli.py": "from crvs.devtools import sample\n\ndef cmd_demo(args):\n    from crvs.devtools import demo\n",
            "report/__init__.py": "",
            "report/writer.py": "from ..feeds import mail\n",
        },
    )
    graph = import_graph(root)
    assert wrong_way(graph) == [
        "crvs.feeds.mail imports crvs.pipeline, which calls it",
        "crvs.pipeline (runtime) imports the development tool crvs.devtools.sample",
        "crvs.report.writer imports crvs.feeds.mail: the report reads report models only",
    ]
    assert cycles(graph) == [{"crvs.feeds.mail", "crvs.pipeline"}]
    assert eager_devtools_imports(root / "cli.py") == ["crvs.devtools.sample"]  # the handler's lazy one passes


def test_the_checks_pass_a_downward_tree(tmp_path):
    root = plant(
        tmp_path, {"feeds/__init__.py": "", "feeds/loader.py": "from crvs import settings\n", "settings.py": ""}
    )
    assert wrong_way(import_graph(root)) == [] and cycles(import_graph(root)) == []
