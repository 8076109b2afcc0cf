"""Faults injected between the steps of a command: each ends in one message and no partial file. (No `dot`, a
hanging or garbage `dot`, a read-only folder and a full disk are in test_limits.py and test_writes.py.)"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.cli_run import one_line_error
from tests.cli_run import run as run_cli


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code, _out, err = run_cli(capsys, *args)
    return code, err


def test_temporary_deleted_before_the_rename(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real_replace = os.replace

    def deleted_first(source: str | Path, target: str | Path) -> None:
        os.unlink(source)  # another program cleaned the folder between the write and the rename
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", deleted_first)
    target = tmp_path / "out.md"
    code, err = run(capsys, "summary", "--preset", "small", "--device", "none", "-o", str(target))
    assert f"cannot write {target}: No such file or directory" in one_line_error(code, err)
    assert list(tmp_path.iterdir()) == []


def test_folder_deleted_before_the_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "gone"
    folder.mkdir()
    from unetviz.report import export

    real_sweep = export.sweep_stale_temporaries

    def folder_removed(where: Path, now: float | None = None) -> list[Path]:
        folder.rmdir()  # removed after the checks, before the temporary is made
        return real_sweep(where, now)

    monkeypatch.setattr(export, "sweep_stale_temporaries", folder_removed)
    target = folder / "out.md"
    code, err = run(capsys, "summary", "--preset", "small", "--device", "none", "-o", str(target))
    assert f"cannot write {target}: No such file or directory" in one_line_error(code, err)
    assert list(tmp_path.iterdir()) == []


def test_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "no" / "such" / "out.csv"
    code, err = run(capsys, "export", "--preset", "small", "-o", str(target))
    assert f"cannot write {target}: no such folder" in one_line_error(code, err)


def test_config_deleted_between_the_check_and_the_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "c.json"
    config.write_text('{"depth": 2}')
    real_open = os.open

    def deleted_first(path: str | Path, flags: int, mode: int = 0o777, *, dir_fd: int | None = None) -> int:
        if str(path) == str(config) and config.exists():
            config.unlink()
        return real_open(path, flags, mode, dir_fd=dir_fd)

    monkeypatch.setattr(os, "open", deleted_first)
    code, err = run(capsys, "summary", "--device", "none", "--config", str(config))
    line = one_line_error(code, err)
    assert str(config) in line and "cannot read it: No such file or directory" in line


def test_cuda_out_of_memory_falls_back_to_meta(monkeypatch: pytest.MonkeyPatch) -> None:
    """A CUDA OOM (simulated: this machine has no GPU) ends in a meta trace that says why, not an error."""
    import torch

    from unetviz.core.config import load_config
    from unetviz.core.shapes import analyze_shapes
    from unetviz.network import trace as trace_module

    real_run = trace_module._run
    devices: list[str] = []

    def run_on(cfg: object, shapes: object, device: str, cross_check: bool = False) -> object:
        devices.append(device)
        if device == "cuda":
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
        return real_run(cfg, shapes, device, cross_check)  # type: ignore[arg-type]

    monkeypatch.setattr(trace_module, "resolve_device", lambda device: "cuda")
    monkeypatch.setattr(trace_module, "_free_memory_bytes", lambda device: None)
    monkeypatch.setattr(trace_module, "_run", run_on)
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: None)
    cfg = load_config("milesial")
    result = trace_module.trace(cfg, analyze_shapes(cfg), "cuda", cross_check=False)
    assert devices == ["cuda", "meta"]
    assert result.device == "meta" and result.agreed
    assert result.note is not None and result.note.startswith("CUDA ran out of memory")
