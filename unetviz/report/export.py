"""The one place that writes files. A regular file is replaced atomically (a temporary beside it, then rename),
keeping its mode; a link is written through; a character device or FIFO (/dev/null, /dev/stdout, a pipe) is
written straight into, never replaced by a file."""

from __future__ import annotations

import errno
import os
import secrets
import stat
import time
from pathlib import Path
from typing import TYPE_CHECKING

from unetviz.core.errors import ConfigError, OutputError, printable

if TYPE_CHECKING:
    from unetviz.core.analysis import Analysis
    from unetviz.core.inspection import Inspection
    from unetviz.draw.paper import PaperFigure

# Temporaries are named by this process's id, not by the target, so that a 255-byte file name still leaves room,
# and so that the next write can tell a temporary left by a killed export from one being written now.
TEMP_PREFIX = ".unetviz-"
TEMP_SUFFIX = ".tmp"
STALE_AFTER_S = 60  # a temporary whose process is gone is swept after this long
ABANDONED_AFTER_S = 24 * 3600  # any unetviz temporary this old is swept (its process id may have been reused)
SPECIAL_ROOTS = ("/dev/", "/proc/")  # /dev/stdout, /dev/fd/N, /proc/self/fd/N: the open file, never a rename
LINK_HOPS = 40


def reason(exc: BaseException) -> str:
    """What went wrong, in words, never empty (a patched or odd OSError may carry no strerror)."""
    if isinstance(exc, OSError):
        code = (
            exc.errno if exc.errno is not None else (exc.args[0] if exc.args and isinstance(exc.args[0], int) else None)
        )
        text = exc.strerror or (os.strerror(code) if code else "") or str(exc)
        return printable(text) or exc.__class__.__name__
    return printable(str(exc)) or exc.__class__.__name__


def _error(shown: str, code: int, words: str | None = None) -> OutputError:
    return OutputError(code, words or os.strerror(code), shown)


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write `data` to `path`: a reader of a regular file sees the old file or the whole new one, never a part.
    Every failure is an OutputError (an OSError) that names `path` as given."""
    shown = os.fspath(path)
    if shown == "":
        raise ConfigError("-o", shown, "a file name, or - for standard output")
    target = Path(shown)
    try:
        final, special = _follow_links(target, shown)
        info = _stat(final)
        if info is not None and stat.S_ISDIR(info.st_mode):
            raise _error(shown, errno.EISDIR, "it is a folder")
        if info is not None and (stat.S_ISCHR(info.st_mode) or stat.S_ISFIFO(info.st_mode) or special):
            _write_in_place(final, data)
            return target
        if info is not None and not stat.S_ISREG(info.st_mode):
            raise _error(shown, errno.EINVAL, "not a regular file, character device or FIFO")
        _replace_atomically(Path(os.path.realpath(final)), data, info, shown)
    except OutputError:
        raise
    except OSError as exc:
        raise _error(shown, exc.errno or errno.EIO, reason(exc)) from None
    except ValueError:  # a NUL in the name
        raise _error(shown, errno.EINVAL, "not a valid file name") from None
    return target


def is_replaced_file(path: str | os.PathLike[str]) -> bool:
    """Whether a write to `path` makes or replaces a regular file (not a device, a FIFO or an open file behind
    /dev/stdout): only then may "wrote PATH" be said on standard output without landing in the output itself."""
    try:
        final, special = _follow_links(Path(os.fspath(path)), os.fspath(path))
        info = _stat(final)
    except (OSError, ValueError):
        return False
    return not special and info is not None and stat.S_ISREG(info.st_mode)


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


def _stat(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None


def _follow_links(target: Path, shown: str) -> tuple[Path, bool]:
    """The path the chain of links from `target` ends at, and whether the chain passes through /dev or /proc
    (there a name like /dev/stdout stands for an open file, which only a write in place reaches)."""
    path = Path(os.path.abspath(target))
    for _ in range(LINK_HOPS):
        if str(path).startswith(SPECIAL_ROOTS):  # its links (pipe:[…], socket:[…]) only the kernel can follow
            return path, True
        if not path.is_symlink():
            return path, False
        path = Path(os.path.abspath(path.parent / os.readlink(path)))
    raise _error(shown, errno.ELOOP)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:  # a write that makes no progress would loop forever
            raise OSError(errno.EIO, "the write made no progress")
        view = view[written:]


def _write_in_place(path: Path, data: bytes) -> None:
    # O_APPEND: /dev/stdout reopened onto a file the shell opened with >> must not overwrite it from the start.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | getattr(os, "O_NOCTTY", 0))
    try:
        _write_all(fd, data)
    finally:
        os.close(fd)


def _replace_atomically(target: Path, data: bytes, old: os.stat_result | None, shown: str) -> None:
    folder = target.parent
    if not folder.is_dir():  # say so about the file asked for, not about the temporary beside it
        raise _error(shown, errno.ENOENT, "no such folder")
    sweep_stale_temporaries(folder)
    tmp = folder / f"{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}{TEMP_SUFFIX}"
    mode = stat.S_IMODE(old.st_mode) if old is not None else 0o666  # a new file: 0o666 less the umask, as any
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), mode)
    try:
        try:
            _write_all(fd, data)
            os.fsync(fd)
            if old is not None:
                os.fchmod(fd, mode)  # exactly the old mode, whatever the umask cut from it
                if (old.st_uid, old.st_gid) != (os.getuid(), os.getgid()):
                    _keep_owner(fd, old)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _keep_owner(fd: int, old: os.stat_result) -> None:
    try:
        os.fchown(fd, old.st_uid, old.st_gid)
    except PermissionError:  # only root may give a file away; anyone else's replacement is theirs, as with cp
        pass


def sweep_stale_temporaries(folder: Path, now: float | None = None) -> list[Path]:
    """Remove unetviz temporaries in `folder` left by an export that was killed: their process is gone and they
    are older than STALE_AFTER_S, or they are older than ABANDONED_AFTER_S. Returns what was removed."""
    now = time.time() if now is None else now
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:  # an unreadable folder: the write itself will say what is wrong
        return removed
    for entry in entries:
        name = entry.name
        if not (name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX)):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(info.st_mode):
                continue
            age = now - info.st_mtime
            pid = _pid_of(name)
            if age > ABANDONED_AFTER_S or (age > STALE_AFTER_S and pid is not None and not _alive(pid)):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:  # gone already, or not ours to remove: sweeping is a courtesy, never a failure
            continue
    return removed


def _pid_of(name: str) -> int | None:
    pid = name[len(TEMP_PREFIX) :].split("-", 1)[0]
    return int(pid) if pid.isdigit() and len(pid) < 10 else None


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


DIAGRAM_SUFFIXES = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot", ".json": "json"}
TABLE_SUFFIXES = {".csv": "csv", ".md": "markdown", ".markdown": "markdown", ".txt": "table"}
TEXT_SUFFIXES = (".svg", ".dot", ".gv", ".json", *TABLE_SUFFIXES)  # what standard output (-o -) may carry


def export_bytes(
    analysis: Analysis | Inspection,
    suffix: str,
    view: str = "u",
    engine: str = "auto",
    dpi: int = 150,
    table_format: str | None = None,
    shown: str | None = None,
    bar_scale: str = "power",
) -> bytes:
    """`analysis` as the file a name ending in `suffix` asks for: a diagram (.svg .png .pdf .dot .json graph
    model) or a layer table (.csv .md .txt, or any name with `table_format` csv/markdown/json/table)."""
    from unetviz.draw.graph import build_graph
    from unetviz.draw.render import render
    from unetviz.report.tables import TABLE_FORMATS, render_table

    suffix = suffix.lower()
    fmt = table_format or TABLE_SUFFIXES.get(suffix)
    if fmt is not None:
        if fmt not in TABLE_FORMATS:
            raise ConfigError("--format", fmt, "one of " + ", ".join(TABLE_FORMATS))
        return render_table(analysis, fmt).encode("utf-8")
    if suffix not in DIAGRAM_SUFFIXES:
        known = ", ".join([*DIAGRAM_SUFFIXES, *TABLE_SUFFIXES, ".tex"])
        raise ConfigError("-o", shown if shown is not None else suffix, f"a file name ending in one of {known}")
    if view == "paper":
        return paper_bytes(analysis, suffix, dpi, shown or suffix, bar_scale)
    return render(build_graph(analysis, view), DIAGRAM_SUFFIXES[suffix], engine=engine, dpi=dpi)


def paper_figure(analysis: Analysis | Inspection, bar_scale: str = "power") -> PaperFigure:
    """The paper view's figure: a config's, or an inspected model's (its config's when it is exactly one)."""
    from unetviz.core.analysis import Analysis, analyze
    from unetviz.draw.paper import build_paper

    if not isinstance(analysis, Analysis):
        from unetviz.draw.paper_inspect import build_inspected_paper, with_recorded_names

        if analysis.config is None:
            return build_inspected_paper(analysis, bar_scale)
        return with_recorded_names(build_paper(analyze(analysis.config), bar_scale), analysis)
    return build_paper(analysis, bar_scale)


def paper_bytes(analysis: Analysis | Inspection, suffix: str, dpi: int, shown: str, bar_scale: str = "power") -> bytes:
    """The paper view as .svg, .png (at `dpi`) or .pdf (vector, through Qt); .tex is TikZ (`_tex_text`)."""
    from unetviz.draw.paper_svg import svg_to_png, to_svg

    if suffix not in (".svg", ".png", ".pdf"):
        raise ConfigError("-o", shown, "a .svg, .png, .pdf or .tex file for the paper view (laid out by unetviz, "
                          "not Graphviz: no .dot or .json)")  # fmt: skip
    if not 10 <= dpi <= 1200:
        raise ConfigError("--dpi", dpi, "an integer from 10 to 1200")
    svg = to_svg(paper_figure(analysis, bar_scale))
    if suffix == ".svg":
        return svg.encode("utf-8")
    if suffix == ".png":
        return svg_to_png(svg, dpi)
    from unetviz.draw.paper_svg import for_qt
    from unetviz.draw.pdf import svg_to_pdf

    return svg_to_pdf(for_qt(svg).encode("utf-8"))


def is_plans_name(path: str | os.PathLike[str]) -> bool:
    """nnU-Net names its plans files `*Plans.json` (nnUNetPlans.json, nnUNetResEncUNetMPlans.json)."""
    return os.fspath(path).lower().endswith("plans.json")


def export_file(
    analysis: Analysis | Inspection,
    path: str | Path,
    view: str = "u",
    engine: str = "auto",
    dpi: int = 150,
    table_format: str | None = None,
    configuration: str | None = None,
    into: str | Path | None = None,
    bar_scale: str = "power",
) -> Path:
    """Write `analysis` to `path`, the format from its extension (see `export_bytes`); `.py` is standalone PyTorch
    code, `*plans.json` (or any path with `into`) an nnU-Net plans file holding the config as `configuration`,
    added to the plans file `into` when given; `.tex` LaTeX (see `_tex_text`). Atomic; nothing is left behind
    when drawing fails."""
    shown = os.fspath(path)
    if shown == "":
        raise ConfigError("-o", shown, "a file name, or - for standard output")
    code = Path(shown).suffix.lower() == ".py"
    if (code or into is not None or is_plans_name(shown)) and analysis.config is None:
        raise ConfigError("-o", shown, "a diagram or table for an inspected model: it is code already, and matches "
                          "no unetviz config to write as PyTorch code or nnU-Net plans")  # fmt: skip
    if code and analysis.config is not None:
        from unetviz.network.codegen import model_code  # torch loads only for this

        return write_text(shown, model_code(analysis.config, Path(shown).name))
    if into is not None or is_plans_name(shown):
        return write_text(shown, plans_text(analysis, configuration, into))
    if Path(shown).suffix.lower() == ".tex":
        return write_text(shown, _tex_text(analysis, shown, bar_scale))
    data = export_bytes(analysis, Path(shown).suffix, view, engine, dpi, table_format, shown=shown, bar_scale=bar_scale)
    return write_bytes(shown, data)


def _tex_text(analysis: Analysis | Inspection, path: str, bar_scale: str = "power") -> str:
    """A `.tex` file: `*layers.tex` the layer table, `*levels.tex` the per-level summary (LaTeX tabulars);
    any other name the paper figure as TikZ, a standalone document (bars scaled by `bar_scale`)."""
    from unetviz.report.latex import layers_tex, levels_tex

    stem = Path(path).stem.lower()
    if stem.endswith("layers"):
        return layers_tex(analysis)
    if stem.endswith("levels"):
        return levels_tex(analysis)
    from unetviz.draw.paper_tikz import to_tikz

    return to_tikz(paper_figure(analysis, bar_scale))  # any other name: the paper figure, whatever the view


def plans_text(analysis: Analysis | Inspection, configuration: str | None, into: str | Path | None) -> str:
    """The nnU-Net plans JSON for `analysis`'s config (see `sources.nnunet.export_plans`)."""
    import json

    from unetviz.core.json_files import read_json
    from unetviz.sources.nnunet import export_plans

    cfg = analysis.config
    assert cfg is not None, "export_file refuses an inspection without a config"
    name = configuration or ("3d_fullres" if cfg.dims == 3 else "2d")
    existing = read_json(Path(into), "--into") if into is not None else None
    return json.dumps(export_plans(cfg, name, existing), indent=4) + "\n"
