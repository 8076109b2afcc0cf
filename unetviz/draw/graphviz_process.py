"""Running a Graphviz binary (the system `dot` or graphviz-pure): a time limit, its whole process group stopped
when it runs over, and the output checked to be what was asked for before anyone writes it."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import xml.etree.ElementTree as ElementTree
from xml.parsers.expat import ExpatError

from unetviz.core.errors import RenderError, RenderTimeout, printable

TIMEOUT_ENV = "UNETVIZ_RENDER_TIMEOUT"
DEFAULT_TIMEOUT_S = 20.0  # the largest preset's every-layer view takes well under a second
MAX_TIMEOUT_S = 3600.0
MESSAGE_CHARS = 200
SIGNATURES = {"png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF-"}


def render_timeout_s() -> float:
    """Seconds a renderer may run: DEFAULT_TIMEOUT_S, or what UNETVIZ_RENDER_TIMEOUT says."""
    raw = os.environ.get(TIMEOUT_ENV)
    if raw is None or raw.strip() == "":
        return DEFAULT_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not 0 < value <= MAX_TIMEOUT_S:  # NaN fails this too
        shown = printable(raw)[:40]
        raise RenderError(f"{TIMEOUT_ENV}: {shown!r} is not allowed; expected seconds from 0 to {MAX_TIMEOUT_S:g}")
    return value


def _stop(child: subprocess.Popen[bytes]) -> None:
    """Kill the renderer and everything it started (a shell script's children would keep the pipes open)."""
    try:
        if hasattr(os, "killpg"):
            os.killpg(child.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows has no process groups of this kind
            child.kill()
    except ProcessLookupError:  # it ended on its own just now
        pass
    child.wait()
    for stream in (child.stdin, child.stdout, child.stderr):
        if stream is not None:
            stream.close()


def last_line(stderr: bytes) -> str:
    """The renderer's last word, safe to print: decoded whatever its bytes, control characters (terminal escapes)
    escaped, cut short."""
    lines = [line for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    text = printable(lines[-1].strip()) if lines else ""
    return text if len(text) <= MESSAGE_CHARS else text[: MESSAGE_CHARS - 1] + "…"


def invoke(argv: list[str], stdin: bytes = b"") -> tuple[int, bytes, bytes]:
    """(exit code, stdout, stderr) of `argv` fed `stdin`; RenderTimeout past the time limit, RenderError when it
    cannot start."""
    timeout = render_timeout_s()
    try:
        child = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
        )
    except OSError as exc:
        raise RenderError(f"{printable(argv[0])} could not run: {printable(exc.strerror or str(exc))}") from None
    try:
        out, err = child.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop(child)
        raise RenderTimeout(
            f"{printable(argv[0])} took longer than {timeout:g} s to draw the graph and was stopped "
            f"(set {TIMEOUT_ENV} to allow more)"
        ) from None
    except BaseException:
        _stop(child)
        raise
    return child.returncode, out, err


def run_graphviz(binary: str, fmt: str, source: str, extra: list[str] | None = None) -> bytes:
    """`source` drawn by `binary` as `fmt` (svg, png, pdf, plain), checked to be that format."""
    code, out, err = invoke([binary, f"-T{fmt}", *(extra or [])], source.encode("utf-8"))
    name = printable(binary)
    if code != 0 or not out:
        raise RenderError(f"{name} failed: {last_line(err) or f'exit {code}'}")
    if not is_format(out, fmt):
        said = last_line(err)
        raise RenderError(f"{name} did not produce {fmt.upper()} output" + (f" ({said})" if said else ""))
    return out


def is_format(data: bytes, fmt: str) -> bool:
    """Whether `data` is what a renderer asked for `fmt` must give: an SVG document, a PNG or PDF by its signature,
    Graphviz's plain text."""
    if fmt in SIGNATURES:
        return data.startswith(SIGNATURES[fmt])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    if fmt == "plain":
        return text.startswith("graph ")
    if fmt == "svg":
        try:
            root = ElementTree.fromstring(data)
        except (ElementTree.ParseError, ExpatError, ValueError):
            return False
        return root.tag in ("svg", "{http://www.w3.org/2000/svg}svg")
    return True


def engine_version(binary: str) -> str:
    """What `binary -V` says, or "version unknown" when it says nothing usable in time."""
    try:
        _code, out, err = invoke([binary, "-V"])
    except RenderError:
        return "version unknown"
    return last_line(err or out) or "version unknown"
