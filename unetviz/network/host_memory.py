"""How much memory a CPU trace may use: the smaller of the machine's available memory and the headroom under this
process's cgroup limit (cgroup v2 `memory.max`, v1 `memory.limit_in_bytes`), which a container enforces and
/proc/meminfo does not show. No torch here."""

from __future__ import annotations

from pathlib import Path

PROC_MEMINFO = Path("/proc/meminfo")
PROC_CGROUP = Path("/proc/self/cgroup")
CGROUP_ROOT = Path("/sys/fs/cgroup")
UNLIMITED = 1 << 60  # cgroup v1 writes "no limit" as a number near 2^63
V2_FILES = ("memory.max", "memory.current")
V1_FILES = ("memory.limit_in_bytes", "memory.usage_in_bytes")


def available_bytes() -> int | None:
    """Bytes a new allocation can take, or None where neither the machine nor a cgroup says."""
    known = [value for value in (meminfo_available(), cgroup_headroom()) if value is not None]
    return min(known) if known else None


def meminfo_available() -> int | None:
    try:
        with open(PROC_MEMINFO, encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):  # not Linux, or an odd /proc: no figure rather than a wrong one
        return None
    return None


def cgroup_headroom() -> int | None:
    """The least headroom (limit − usage, page cache that can be dropped not counted as usage) over this process's
    memory cgroup and every cgroup above it; None when none sets a limit."""
    headrooms = []
    for folder, (limit_name, usage_name) in _cgroup_folders():
        limit, usage = _read_int(folder / limit_name), _read_int(folder / usage_name)
        if limit is None or usage is None or limit >= UNLIMITED:
            continue
        usage -= min(usage, _reclaimable(folder / "memory.stat"))
        headrooms.append(max(0, limit - usage))
    return min(headrooms) if headrooms else None


def _cgroup_folders() -> list[tuple[Path, tuple[str, str]]]:
    try:
        lines = PROC_CGROUP.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    found: list[tuple[Path, tuple[str, str]]] = []
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        hierarchy, controllers, path = parts
        if hierarchy == "0" and controllers == "":
            base, files = CGROUP_ROOT, V2_FILES
        elif "memory" in controllers.split(","):
            base, files = CGROUP_ROOT / "memory", V1_FILES
        else:
            continue
        # The cgroup's own folder and each above it: a parent's limit binds too. Inside a container whose cgroup
        # namespace hides the path, the mount's root is the container's own cgroup.
        own = base / path.strip().lstrip("/")
        chain = [own, *own.parents]
        for folder in chain:
            if folder == base or base in folder.parents:
                if (folder, files) not in found:
                    found.append((folder, files))
    return found


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() and len(text) < 30 else None  # "max": no limit


def _reclaimable(path: Path) -> int:
    """Page cache the kernel drops before it kills: inactive_file (v2) or total_inactive_file (v1)."""
    try:
        lines = path.read_text(encoding="ascii").splitlines()
    except (OSError, UnicodeDecodeError):
        return 0
    for line in lines:
        key, _, value = line.partition(" ")
        if key in ("inactive_file", "total_inactive_file") and value.strip().isdigit():
            return int(value)
    return 0
