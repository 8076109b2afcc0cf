"""Issue 9, items 2 and 3: user text in HTML reports is escaped; nothing the tool reads runs code."""

from __future__ import annotations

import ast
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from unetviz.cli import main

PACKAGE = Path(__file__).resolve().parents[1] / "unetviz"
ATTACK = '<script>alert(1)</script><img src=x onerror="alert(2)">&amp;"\'</title>'


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.handlers += [name for name, _ in attrs if name.startswith("on")]


def test_compare_html_escapes_every_user_text(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["compare", "small", "milesial", "--set-a", f"name={ATTACK}", "--set-b", f"name=B {ATTACK}",
                 "--format", "html", "--engine", "embedded"])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    tags = _Tags()
    tags.feed(out)
    assert "script" not in tags.tags and "img" not in tags.tags and tags.handlers == []
    assert "&lt;script&gt;" in out


def test_trace_child_does_not_import_from_the_launch_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`python -c` puts the current folder first on sys.path: a pickle.py there would run in the trace child."""
    from unetviz import analyze
    from unetviz.core.config import UNetConfig
    from unetviz.gui.tracer import TraceProcess

    marker = tmp_path / "ran"
    (tmp_path / "pickle.py").write_text(f"open({str(marker)!r}, 'w').close()\nraise SystemExit(3)\n")
    monkeypatch.chdir(tmp_path)
    cfg = UNetConfig(depth=2, base_width=4, input_size=(32, 32))
    process = TraceProcess()
    try:
        _cuda, result = process.run(cfg, analyze(cfg).shapes, "meta")
    finally:
        process.stop()
    assert not marker.exists()
    assert result.agreed


def _calls(tree: ast.AST) -> list[str]:
    """Names of the functions called: bare names (eval), and attributes of modules (importlib.import_module);
    a method such as Qt's app.exec() is not Python's exec."""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                names.append(func.id)
            elif isinstance(func, ast.Attribute) and func.attr in ("import_module", "__import__"):
                names.append(func.attr)
    return names


def _imported(tree: ast.AST) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_nothing_read_can_run_code() -> None:
    """No eval/exec, no pickle/marshal/shelve/yaml loads, no torch.load anywhere but the trace child's pipe."""
    forbidden = {"eval", "exec", "compile", "__import__", "import_module"}
    loaders = {"pickle", "marshal", "shelve", "yaml", "dill", "cloudpickle"}
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        # the inspector imports the one module the user names (`unetviz inspect TARGET`): it runs their code
        calls = set(_calls(tree)) - ({"import_module"} if path == PACKAGE / "sources" / "inspect.py" else set())
        assert forbidden.isdisjoint(calls), path
        # The trace child and the inspect child pickle only to and from their own child process, over pipes (the
        # inspect child runs the code the user asked to inspect, as that user: its answer grants it nothing more).
        if path.name not in ("tracer.py", "trace_server.py", "inspect_process.py"):
            assert loaders.isdisjoint(_imported(tree)), path
        assert not any(
            isinstance(n, ast.Attribute) and n.attr == "load" and getattr(n.value, "id", "") == "torch"
            for n in ast.walk(tree)
        ), path


def test_trace_child_command_line_is_isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    """The exact command the app starts: -P (or -I before Python 3.11) before -c."""
    from unetviz.gui import tracer

    seen: list[list[str]] = []

    class Started(Exception):
        pass

    def popen(args: list[str], **_kwargs: object) -> None:
        seen.append(args)
        raise Started

    monkeypatch.setattr(tracer.subprocess, "Popen", popen)
    with pytest.raises(Started):
        tracer.TraceProcess().warm_up()
    assert seen[0][:3] == [sys.executable, "-P" if sys.version_info >= (3, 11) else "-I", "-c"]


def test_only_inspect_imports_a_users_module() -> None:
    """`load_model`/`load_factory` (which import the user's file) are reached only from `inspect` and the app's
    File → Inspect a model…: nothing that opens a config, plans or a bundle can run the user's code."""
    allowed = {"inspect.py", "cli_inspect.py"}
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        names = {n.id for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Name)} | {
            a.name for n in ast.walk(ast.parse(text)) if isinstance(n, ast.ImportFrom) for a in n.names
        }
        if names & {"load_model", "load_factory"}:
            assert path.name in allowed or path.name.startswith("inspect"), path
