"""File → Inspect a model runs in a child process, one per request: it imports the file or module the user named
(running its code, as they asked), builds the model, records its forward pass with `unetviz.sources.inspect`,
and sends the `Inspection` back as a pickle on its stdout, after one ("progress", text) line per stage.

A child of its own, not the trace process: the user's code may hang, crash, call exit() or start threads, and
Cancel ends it (and the processes it started) without touching the app; an edited file is read afresh next time;
torch and the user's modules never load in the app's process. No Qt here: the app calls `run` in a pool thread.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any

from unetviz.gui.inspect_request import InspectRequest, app_words
from unetviz.gui.tracer import child_env, close_stream, python_command, wait_for_answer

if TYPE_CHECKING:
    from unetviz.core.inspection import Inspection

CHILD_COMMAND = "from unetviz.gui.inspect_process import serve; serve()"
HEADER_BYTES = 8
ERROR_TAIL_BYTES = 4096  # of the child's stderr, read for its last line when it dies without an answer


class InspectFailed(RuntimeError):
    """The inspection did not come back; str() is one line in the dialog's words."""


class InspectCancelled(Exception):
    """The user pressed Cancel (or the app closed) while the child ran."""


def serve() -> None:
    """The child: one request from stdin, progress lines and then ("ok", Inspection) or ("error", kind, text)."""
    # Answers go to the real stdout; whatever the user's code prints goes to stderr instead.
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    request: InspectRequest = pickle.load(sys.stdin.buffer)
    try:
        _send(answers, ("progress", "loading torch"))
        from unetviz.sources.inspect import inspect, load_model

        where = request.target.rpartition(":")[0]
        _send(answers, ("progress", f"importing {where} and calling {request.factory}() (running its code)"))
        model = load_model(request.target, request.kwargs, request.device)
        shape = "×".join(str(v) for v in request.input_shape)
        _send(
            answers, ("progress", f"tracing {request.factory} at {shape} on {request.device}, then nearby input sizes")
        )
        found = inspect(model, request.input_shape, device=request.device, name=request.factory,
                        target=request.target, kwargs=request.kwargs)  # fmt: skip
        answer: tuple[Any, ...] = ("ok", found)
    except BaseException as exc:  # the user's code may raise anything, SystemExit included: sent back as text
        answer = ("error", type(exc).__name__, " ".join(str(exc).split())[:500] or type(exc).__name__)
    _send(answers, answer)
    sys.stderr.flush()
    os._exit(0)  # threads the user's code started would otherwise keep the child alive


def _send(answers: IO[bytes], message: tuple[Any, ...]) -> None:
    # Each message framed by its length: the app reads the pipe unbuffered, so select() sees every byte still due.
    data = pickle.dumps(message)
    answers.write(len(data).to_bytes(HEADER_BYTES, "big") + data)
    answers.flush()


def _receive(child: subprocess.Popen[bytes]) -> Any:
    size = int.from_bytes(_read_exact(child, HEADER_BYTES), "big")
    return pickle.loads(_read_exact(child, size))


def _read_exact(child: subprocess.Popen[bytes], size: int) -> bytes:
    """`size` bytes of the child's stdout; EOFError if it ends (or the child is gone) first."""
    assert child.stdout is not None
    chunks: list[bytes] = []
    while size > 0:
        wait_for_answer(child)
        chunk = os.read(child.stdout.fileno(), min(size, 1 << 20))
        if not chunk:
            raise EOFError("the inspection process closed its output")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


class InspectProcess:
    """One child for one request. `run` blocks the calling (pool) thread; `cancel` ends the child from any thread."""

    def __init__(self) -> None:
        self._child: subprocess.Popen[bytes] | None = None
        self._cancelled = False
        self._lock = threading.Lock()

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def run(self, request: InspectRequest, progress: Callable[[str], None]) -> Inspection:
        """The inspection; InspectFailed (one line) if it failed or the child died, InspectCancelled on cancel."""
        with tempfile.TemporaryFile() as errors:
            with self._lock:
                if self._cancelled:
                    raise InspectCancelled
                child = self._child = subprocess.Popen(
                    python_command(CHILD_COMMAND),
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=errors,  # a file, not a pipe: a chatty model never fills it and stalls
                    env=child_env(),
                    start_new_session=os.name == "posix",  # Cancel ends the processes it started too
                )
            try:
                return self._talk(child, request, progress, errors)
            finally:
                self._end(child)

    def _talk(self, child: subprocess.Popen[bytes], request: InspectRequest, progress: Callable[[str], None],
              errors: IO[bytes]) -> Inspection:  # fmt: skip
        assert child.stdin is not None
        stage = "starting"
        try:
            pickle.dump(request, child.stdin)
            child.stdin.close()
            while True:
                answer: Any = _receive(child)
                if answer[0] != "progress":
                    break
                stage = str(answer[1])
                progress(stage)
        except (EOFError, OSError, pickle.UnpicklingError):  # the child died, or cancel killed it
            code = child.wait()
            if self._cancelled:
                raise InspectCancelled from None
            raise InspectFailed(
                f"the inspection process ended (exit code {code}) while {stage}{_last_line(errors)}"
            ) from None
        if answer[0] == "ok":
            return answer[1]
        kind, text = answer[1], app_words(answer[2])
        raise InspectFailed(text if kind in ("ConfigError", "TraceError") else f"{kind}: {text}")

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            child = self._child
        if child is not None:
            _kill(child)

    def _end(self, child: subprocess.Popen[bytes]) -> None:
        if child.poll() is None:  # it answered and is exiting; or it hangs: give it a moment, then end it
            try:
                child.wait(5)
            except subprocess.TimeoutExpired:
                _kill(child)
                child.wait()
        for stream in (child.stdin, child.stdout):
            close_stream(stream)


def _kill(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is not None:  # reaped: its id may belong to another process by now
        return
    try:
        if os.name == "posix":
            os.killpg(child.pid, signal.SIGKILL)  # its own session: the child and what it started
        else:
            child.kill()
    except (ProcessLookupError, PermissionError):
        child.kill()


def _last_line(errors: IO[bytes]) -> str:
    """`; it last wrote: <the child's last line on stderr>`, or "" when it wrote none."""
    errors.seek(0, os.SEEK_END)
    errors.seek(max(0, errors.tell() - ERROR_TAIL_BYTES))
    lines = [line.strip() for line in errors.read().decode("utf-8", "replace").splitlines() if line.strip()]
    return f"; it last wrote: {' '.join(lines[-1].split())[:300]}" if lines else ""
