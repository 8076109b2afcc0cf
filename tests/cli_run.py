"""Running the CLI in-process for tests: its exit code and what it printed, and the one-line-error check."""

from __future__ import annotations

import pytest

from unetviz.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`unetviz ARGS…` in this process: (exit code, standard output, standard error)."""
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code: int, err: str) -> str:
    """The error of a refused command: exit 2 and exactly one line, never an internal error; the line."""
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "internal error" not in err
    return lines[0]
