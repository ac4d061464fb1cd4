"""The package's shape holds: no import circle, no private name imported across modules,
imports after start under the lock, and the command line starts without the ORM, Textual or a
tracker."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.helpers.cli import ok, run_cli


def _unlocked_imports(tree: ast.AST) -> list[ast.stmt]:
    """Imports inside functions that are not under ``with IMPORTING``."""
    found: list[ast.stmt] = []

    def walk(node: ast.AST, in_function: bool, locked: bool) -> None:
        for child in ast.iter_child_nodes(node):
            function = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            lock = locked or (isinstance(child, ast.With) and any(
                "IMPORTING" in ast.unparse(item.context_expr) for item in child.items))
            if isinstance(child, ast.Import | ast.ImportFrom) and in_function and not locked:
                found.append(child)
            walk(child, function, lock)

    walk(tree, False, False)
    return found


BEFORE_THE_APP = {"tkanban.tui.launch"}
"""Board modules that run before the app starts (no other thread imports yet)."""


HEAVY = ("textual", "sqlalchemy", "sqlmodel", "pydantic", "psycopg", "mlflow", "http.client",
         "urllib.request", "tkanban.core.net", "tkanban.core.runs", "tkanban.tui", "mcp",
         "tkanban.agents", "argcomplete")


def imports(known: dict[str, Path], typing: bool = False) -> dict[str, set[str]]:
    """Each module's imports of other tkanban modules that run: at its top level or inside
    its functions (an import put off until a function runs is still a dependency), but not
    those only for type checkers (unless ``typing``)."""
    graph: dict[str, set[str]] = {}
    for module, path in known.items():
        tree = ast.parse(path.read_text(), str(path))
        found: set[str] = set()
        for node in _top_level(tree.body, typing):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                source = _resolve(module, node, path.name == "__init__.py")
                # ``from package import submodule`` needs the submodule; a name of the
                # package's own needs the package
                names = [f"{source}.{alias.name}" if f"{source}.{alias.name}" in known
                         else source for alias in node.names]
            else:
                continue
            for name in names:
                if name in known and name != module:
                    found.add(name)
        graph[module] = found
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def modules() -> dict[str, Path]:
    found = {}
    for path in (SRC / "tkanban").rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _top_level(body: list[ast.stmt], typing: bool) -> list[ast.stmt]:
    """Every statement, in functions and classes too, but those under ``if TYPE_CHECKING``
    (unless ``typing``)."""
    out: list[ast.stmt] = []
    for node in body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test) and not typing:
            out += _top_level(node.orelse, typing)
            continue
        out.append(node)
        for field in ("body", "orelse", "finalbody", "handlers"):
            inner = getattr(node, field, None)
            if isinstance(inner, list):
                out += _top_level([n for n in inner if isinstance(n, ast.stmt)] +
                                  [s for h in inner if isinstance(h, ast.ExceptHandler)
                                   for s in h.body], typing)
    return out


def _resolve(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[:len(base) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


SRC = Path(__file__).resolve().parents[2] / "src"


def test_cli_does_not_import_textual(db_path: Path) -> None:
    code = ("import sys; from tkanban.cli import main; main(['--db', sys.argv[1], 'list']); "
            "print('textual' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code, str(db_path)], capture_output=True,
                            text=True)
    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr


def test_core_does_not_import_textual() -> None:
    core = Path(__file__).resolve().parents[2] / "src" / "tkanban" / "core"
    for path in core.glob("*.py"):
        assert "textual" not in path.read_text(), path


def test_no_import_circle_at_run_time() -> None:
    assert cycles(imports(modules())) == []


def test_no_import_circle_even_for_the_type_checker() -> None:
    """Type hints need no circle either: a module that needs another's type to call it back
    takes a protocol (``Host``) instead of importing it."""
    assert cycles(imports(modules(), typing=True)) == []


def test_the_check_finds_a_circle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_private_name_is_imported_from_another_module() -> None:
    offenders = []
    known = modules()
    for module, path in known.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tkanban"):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        offenders.append(f"{module}: from {node.module} import {alias.name}")
    assert offenders == []


def test_list_json_loads_no_orm_no_textual_no_tracker(tmp_path: Path) -> None:
    board = tmp_path / "board.db"
    subprocess.run([sys.executable, "-m", "tkanban", "--db", str(board), "add", "x"],
                   check=True, capture_output=True)
    code = ("import sys\nfrom tkanban.cli import main\n"
            "main(['--db', sys.argv[1], '--board', 'main', '--user', 'ann', 'list', '--json'])\n"
            f"print(sorted(m for m in sys.modules if m.startswith({HEAVY!r})))")
    result = subprocess.run([sys.executable, "-c", code, str(board)], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    assert '"title": "x"' in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_the_board_imports_later_modules_under_the_import_lock() -> None:
    """Once the board runs, a module imported on first use is imported under ``IMPORTING``:
    two threads importing the ORM at once each found the other's half-made module."""
    offenders = [f"{module}:{node.lineno}: {ast.unparse(node)}"
                 for module, path in modules().items()
                 if module.startswith("tkanban.tui") and module not in BEFORE_THE_APP
                 for node in _unlocked_imports(ast.parse(path.read_text()))]
    assert offenders == []


def test_the_lock_check_finds_an_import_outside_it() -> None:
    tree = ast.parse("def f():\n    import x\n    with IMPORTING:\n        import y\n")
    assert [ast.unparse(n) for n in _unlocked_imports(tree)] == ["import x"]


def test_no_tracker_is_imported_for_a_board_without_runs(db_path: Path) -> None:
    import subprocess
    import sys

    ok(run_cli("add", "x", db=db_path))
    code = ("import sys; from tkanban.cli import main; main(['--db', sys.argv[1], 'show', '1']); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'mlflow') "
            "or m in ('urllib.request', 'http.client', 'tkanban.core.runs.trackers')))")
    result = subprocess.run([sys.executable, "-c", code, str(db_path)], capture_output=True,
                            text=True)
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stderr


def test_a_file_board_imports_no_driver_and_no_orm(tmp_path: Path) -> None:
    file = tmp_path / "b.db"
    ok(run_cli("add", "x", db=file))
    probe = ("import sys; from tkanban.cli import main; main(['--db', sys.argv[1], 'list', "
             "'--json']); print(sorted(m for m in ('psycopg', 'sqlalchemy', 'sqlmodel') "
             "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe, str(file)], capture_output=True,
                         text=True, timeout=60, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
