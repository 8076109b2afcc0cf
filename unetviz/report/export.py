"""The one place that writes files: atomically (a temporary file beside the target, then rename)."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from unetviz.core.errors import ConfigError

if TYPE_CHECKING:
    from unetviz.core.analysis import Analysis


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write `data` to `path` so that a reader sees the old file or the whole new one, never a part."""
    target = Path(path)
    if not target.parent.is_dir():  # say so about the file asked for, not about the temporary beside it
        raise FileNotFoundError(errno.ENOENT, "no such folder", str(target))
    fd, tmp = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.parent if str(target.parent) else "."
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def write_text(path: str | Path, text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


DIAGRAM_SUFFIXES = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot", ".json": "json"}
TABLE_SUFFIXES = {".csv": "csv", ".md": "markdown", ".markdown": "markdown", ".txt": "table"}


def export_file(
    analysis: Analysis,
    path: str | Path,
    view: str = "u",
    engine: str = "auto",
    dpi: int = 150,
    table_format: str | None = None,
) -> Path:
    """Write `analysis` to `path`: a diagram (.svg .png .pdf .dot .json graph model) or a layer table
    (.csv .md .txt, or any path with `table_format` csv/markdown/json/table). Atomic; nothing is left
    behind when drawing fails."""
    from unetviz.draw.graph import build_graph
    from unetviz.draw.render import render
    from unetviz.report.tables import TABLE_FORMATS, render_table

    target = Path(path)
    suffix = target.suffix.lower()
    fmt = table_format or TABLE_SUFFIXES.get(suffix)
    if fmt is not None:
        if fmt not in TABLE_FORMATS:
            raise ConfigError("--format", fmt, "one of " + ", ".join(TABLE_FORMATS))
        return write_text(target, render_table(analysis, fmt))
    if suffix not in DIAGRAM_SUFFIXES:
        known = ", ".join([*DIAGRAM_SUFFIXES, *TABLE_SUFFIXES])
        raise ConfigError("-o", str(path), f"a file name ending in one of {known}")
    data = render(build_graph(analysis, view), DIAGRAM_SUFFIXES[suffix], engine=engine, dpi=dpi)
    return write_bytes(target, data)
