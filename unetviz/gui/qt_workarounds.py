"""Work around PySide6 6.12 on Python < 3.12: its bindings hand back None, True and False without taking a
reference (safe only where Python 3.12 made them immortal), so every `setText()`, `emit()`, `setValue()` …
steals one. After a few thousand calls Python aborts with "none_dealloc: deallocating None".

We measure the theft once at import and, where it happens, give the three singletons so many references
that no session can use them up — what Python 3.12 does for them anyway.
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject, Signal

PROBE_CALLS = 16
IMMORTAL_TOP_UP = 1 << 40  # a trillion stolen references before one of them could be freed


class _Probe(QObject):
    ping = Signal()


def stolen_per_call() -> dict[str, int]:
    """References one binding call takes from None (a void method) and True (emit), 0 where PySide6 is right."""
    probe = _Probe()
    none_before = sys.getrefcount(None)
    for _ in range(PROBE_CALLS):
        probe.setObjectName("probe")  # returns None
    none_after = sys.getrefcount(None)
    true_before = sys.getrefcount(True)
    for _ in range(PROBE_CALLS):
        probe.ping.emit()  # returns True
    true_after = sys.getrefcount(True)
    return {
        "None": round((none_before - none_after) / PROBE_CALLS),
        "True": round((true_before - true_after) / PROBE_CALLS),
    }


def protect_singletons() -> bool:
    """Top up None, True and False where PySide6 steals references to them; True if it does here."""
    if sys.version_info >= (3, 12) or not any(n > 0 for n in stolen_per_call().values()):
        return False
    for singleton in (None, True, False):
        # ob_refcnt is the first field of every object in a release build of CPython 3.11 and older.
        ctypes.c_ssize_t.from_address(id(singleton)).value += IMMORTAL_TOP_UP
    return True
