"""Reading JSON the user gives (config files, plans, bundles, --set values) safely: bounded size, regular
files only, numbers of any length and any nesting end in a ConfigError, never in a Python limit's error.
The standard library's json only: nothing read here can run code.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from unetviz.core.errors import ConfigError

MAX_CONFIG_BYTES = 4 * 2**20  # a config is a few hundred bytes, a plans file a few dozen kB
MAX_NUMBER_DIGITS = 4000  # below Python's 4,300-digit limit on int <-> str


class HugeInt(int):
    """A JSON integer longer than MAX_NUMBER_DIGITS: kept as a huge stand-in (±10^4000) so that every range check
    refuses it, and shown by its length, since Python refuses to print more than 4,300 digits."""

    digits: int


def _parse_int(text: str) -> int:
    if len(text) <= MAX_NUMBER_DIGITS:
        return int(text)
    huge = HugeInt(-(10**MAX_NUMBER_DIGITS) if text.startswith("-") else 10**MAX_NUMBER_DIGITS)
    huge.digits = len(text.lstrip("-"))
    return huge


def parse_json(text: str, field: str) -> Any:
    """JSON from the user (a file, --set, --vary) with the standard library only: numbers of any length and
    any nesting give a value or a ConfigError naming `field`, never a Python limit's own error.
    Invalid JSON raises json.JSONDecodeError for the caller to word."""
    try:
        return json.loads(text, parse_int=_parse_int)
    except RecursionError:
        raise ConfigError(field, text, "JSON nested less deeply (lists and objects at most a few levels)") from None


def read_config_bytes(path: Path, field: str) -> bytes:
    """The bytes of a config file, refused before reading when it is not a regular file or is larger than
    MAX_CONFIG_BYTES: a FIFO, a device or /proc/kmsg would block or never end."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)  # opening a FIFO must not wait
    try:
        fd = os.open(path, flags)
    except (OSError, ValueError) as exc:
        raise ConfigError(field, str(path), f"a readable file (cannot read it: {_reason(exc)})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(field, str(path), f"a regular JSON file (this is {_file_kind(info.st_mode)})")
        too_big = f"a JSON file of at most {MAX_CONFIG_BYTES // 2**20} MiB"
        if info.st_size == 0:  # empty, or a /proc file (/proc/kmsg would block, or hand over the kernel's log)
            raise ConfigError(field, str(path), "a JSON file (this one is empty, or a /proc file of no fixed size)")
        if info.st_size > MAX_CONFIG_BYTES:
            raise ConfigError(field, str(path), f"{too_big} (this one has {info.st_size:,} bytes)")
        chunks, size = [], 0
        while size <= MAX_CONFIG_BYTES:
            chunk = os.read(fd, MAX_CONFIG_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > MAX_CONFIG_BYTES:  # a file that grows, or a /proc file that reports size 0
            raise ConfigError(field, str(path), too_big)
        return b"".join(chunks)
    except OSError as exc:
        raise ConfigError(field, str(path), f"a readable file (cannot read it: {_reason(exc)})") from None
    finally:
        os.close(fd)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or (os.strerror(exc.errno) if exc.errno else "") or exc.__class__.__name__
    return str(exc) or exc.__class__.__name__


def _file_kind(mode: int) -> str:
    kinds = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))  # fmt: skip
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def read_json(path: Path, field: str) -> Any:
    """The JSON value in the file at `path`; ConfigError naming `field` when it cannot be read or parsed."""
    data = read_config_bytes(path, field)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(field, str(path), f"a UTF-8 text file (byte {exc.start} is not UTF-8)") from None
    try:
        return parse_json(text, field)
    except json.JSONDecodeError as exc:
        raise ConfigError(field, str(path), f"valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
