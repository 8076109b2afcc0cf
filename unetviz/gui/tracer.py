"""Traces run in a child process: torch's import and first trace never hold the GUI process's GIL (they
did, for up to 200 ms at a time), a crash or out-of-memory inside torch cannot take the window with it,
and closing the app ends a long CPU trace at once instead of waiting for it.

The child is `python -c "…serve()"` (`network/trace_server.py`), talking pickles over its stdin and stdout:
unlike multiprocessing's spawn it never re-imports the parent's main script.
"""

from __future__ import annotations

import os
import pickle
import select
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from unetviz.core.errors import TraceError

if TYPE_CHECKING:
    from unetviz.core.config import UNetConfig
    from unetviz.core.shapes import ShapeAnalysis
    from unetviz.network.trace_records import TraceResult

CHILD_COMMAND = "from unetviz.network.trace_server import serve; serve()"  # no Qt in the child: ≈ 0.15 s sooner


class TraceProcess:
    """One long-lived child that has torch loaded; `run` blocks its (pool) thread until the answer comes."""

    def __init__(self) -> None:
        self._child: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._talk = threading.Lock()  # one question at a time on the pipes (a trace, the memory tab's check)

    @property
    def started(self) -> bool:
        return self._child is not None and self._child.poll() is None

    def warm_up(self) -> None:
        """Start the child (it loads torch at once) so that the first trace does not wait for it."""
        self._ensure_started()

    def run(self, cfg: UNetConfig, shapes: ShapeAnalysis, device: str) -> tuple[bool, TraceResult]:
        """(whether torch sees CUDA, the trace); TraceError if it fails or the child dies."""
        stopped = (f"the trace process stopped (exit code {{code}}) while tracing on {device}; "
                   "try a smaller input_size/batch_size or the meta device")  # fmt: skip
        cuda, result = self._ask(("trace", cfg, shapes, device), stopped)
        return cuda, result

    def kept_for_backward(self, cfg: UNetConfig) -> int:
        """Bytes autograd keeps for backward in one float32 training forward of `cfg` on meta (the GPU memory tab's
        check of its estimate); TraceError if it fails or the child dies."""
        _cuda, kept = self._ask(("kept", cfg), "the trace process stopped (exit code {code}) while checking memory")
        return int(kept)

    def _ask(self, request: tuple[Any, ...], stopped: str) -> tuple[bool, Any]:
        with self._talk:
            child = self._ensure_started()
            assert child.stdin is not None and child.stdout is not None
            try:
                pickle.dump(request, child.stdin)
                child.stdin.flush()
                wait_for_answer(child)
                # The answer's classes live in unetviz.network.trace_records, which imports no torch: unpickling it
                # here keeps torch out of the app's process.
                answer: Any = pickle.load(child.stdout)
            # The child died, or stop() killed it (ValueError: stop() closed the pipe while this thread read it).
            except (EOFError, OSError, ValueError, pickle.UnpicklingError):
                raise TraceError(stopped.format(code=child.wait())) from None
        if answer[0] == "ok":
            return bool(answer[1]), answer[2]
        raise TraceError(answer[2] if answer[1] == "TraceError" else f"{answer[1]}: {answer[2]}")

    def stop(self) -> None:
        """End the child now, even mid-trace (closing the app); a later run starts a new one."""
        with self._lock:
            child, self._child = self._child, None
        if child is not None:
            child.kill()
            child.wait(5)
            for stream in (child.stdin, child.stdout):
                close_stream(stream)

    def _ensure_started(self) -> subprocess.Popen[bytes]:
        with self._lock:
            if self._child is None or self._child.poll() is not None:
                self._child = subprocess.Popen(
                    python_command(CHILD_COMMAND), stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=child_env()
                )
            return self._child


def python_command(code: str) -> list[str]:
    """`python -c code` for a child of the app; -P (3.11+; -I before): the launch folder is not on sys.path, so a
    pickle.py there cannot run."""
    return [sys.executable, "-P" if sys.version_info >= (3, 11) else "-I", "-c", code]


def child_env() -> dict[str, str]:
    """This process's environment, where a source checkout that is not installed is found by the child too."""
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    return env


def wait_for_answer(child: subprocess.Popen[bytes], poll_s: float = 0.5) -> None:
    """Block until the child's answer starts to arrive; EOFError if the child is gone first. A read alone could
    wait forever when the pipe's other end outlives the child (another process holding it open)."""
    assert child.stdout is not None
    if os.name != "posix":  # select() takes pipes on POSIX only; elsewhere the read itself waits
        return
    while True:
        ready, _, _ = select.select([child.stdout], [], [], poll_s)
        if ready:
            return
        if child.poll() is not None:
            raise EOFError("the child process is gone")


def close_stream(stream: IO[bytes] | None) -> None:
    if stream is not None:
        try:
            stream.close()
        except OSError:  # the pipe broke with the child: nothing left to flush
            pass
