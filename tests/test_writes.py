"""Issue 9, items 1 and 9: what `-o` does to the file system. A regular file is replaced atomically (mode kept,
links written through); a device, a FIFO or /dev/stdout is written into, never replaced; messages name the file
the user gave, never a temporary, and always say why."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_run import one_line_error, run
from unetviz.report.export import write_bytes, write_text

# (names added with these tests are imported inside the tests that use them, so that every other test here also
# runs against the code before them)

SUMMARY = ["summary", "--preset", "small", "--device", "none"]


def test_fifo_is_written_into_not_replaced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader is there, so opening to write does not wait
    try:
        code, _out, err = run(capsys, *SUMMARY, "-o", str(fifo))
        data = os.read(reader, 1 << 20)
    finally:
        os.close(reader)
    assert code == 0, err
    assert data.startswith(b"layer") and b"enc0.conv1" in data
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


def test_character_device_is_written_into_not_replaced(tmp_path: Path) -> None:
    device = tmp_path / "null"
    try:
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # the same device as /dev/null, in tmp_path
    except (PermissionError, OSError):
        pytest.skip(reason="cannot make a device node here (no CAP_MKNOD)")
    write_text(device, "into the device\n")
    assert stat.S_ISCHR(os.lstat(device).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null"]


def test_link_to_standard_output_is_written_through(tmp_path: Path) -> None:
    """/dev/stdout is a link to /proc/self/fd/1: the open file behind it gets the bytes, the link stays."""
    read_end, write_end = os.pipe()
    link = tmp_path / "stdout"
    link.symlink_to(f"/proc/self/fd/{write_end}")
    try:
        write_text(link, "through the link\n")
        os.close(write_end)
        data = os.read(read_end, 1 << 16)
    finally:
        os.close(read_end)
    assert data == b"through the link\n"
    assert link.is_symlink()


def test_proc_fd_path_is_written_into(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    try:
        write_text(f"/proc/self/fd/{write_end}", "straight in\n")
        os.close(write_end)
        assert os.read(read_end, 1 << 16) == b"straight in\n"
    finally:
        os.close(read_end)


def test_symlink_keeps_being_a_link_and_its_file_gets_the_data(tmp_path: Path) -> None:
    real = tmp_path / "real.md"
    real.write_text("old")
    link = tmp_path / "link.md"
    link.symlink_to(real.name)
    write_text(link, "new")
    assert link.is_symlink() and os.readlink(link) == "real.md"
    assert real.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.md", "real.md"]


def test_mode_of_a_replaced_file_is_kept(tmp_path: Path) -> None:
    target = tmp_path / "secret.md"
    target.write_text("old")
    target.chmod(0o600)
    write_text(target, "new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_text() == "new"


def test_new_file_follows_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        write_text(tmp_path / "private.md", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "private.md").stat().st_mode) == 0o600


def test_dash_is_standard_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, *SUMMARY, "-o", "-")
    assert code == 0, err
    assert out.startswith("layer") and "wrote" not in out
    assert list(tmp_path.iterdir()) == []


def test_compare_dash_is_standard_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "compare", "small", "milesial", "--format", "json", "-o", "-")
    assert code == 0, err
    assert out.lstrip().startswith("{") and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("kind", "start"), [("dot", "// unetviz u view\ndigraph unet"), ("json", "{"), ("csv", "layer,type")]
)
def test_export_dash_is_standard_output(
    kind: str, start: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "export", "--preset", "small", "-o", "-", "--as", kind)
    assert code == 0, err
    assert out.startswith(start) and list(tmp_path.iterdir()) == []


def test_export_dash_needs_a_format(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(capsys, "export", "--preset", "small", "-o", "-")
    assert one_line_error(code, err) == (
        "unetviz export: -o: '-' (standard output) needs --as svg|dot|json|csv|md|txt or --format to say what to write"
    )


@pytest.mark.parametrize("command", [SUMMARY, ["compare", "small", "milesial"]])
def test_empty_output_name_is_refused(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, *command, "-o", "")
    assert "-o" in one_line_error(code, err)
    assert out == ""


def test_longest_legal_file_name_works(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / ("n" * 243 + ".md")  # 246 bytes: legal; the temporary beside it must fit too
    code, _out, err = run(capsys, *SUMMARY, "-o", str(target))
    assert code == 0, err
    assert target.read_text().startswith("layer")
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_full_disk_names_the_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC)  # one argument: errno, strerror and filename stay None

    monkeypatch.setattr(os, "fsync", full)
    target = tmp_path / "out.md"
    code, _out, err = run(capsys, *SUMMARY, "-o", str(target))
    line = one_line_error(code, err)
    assert f"cannot write {target}: No space left on device" in line
    assert list(tmp_path.iterdir()) == []


def test_patched_write_on_full_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.md"
    target.write_text("old")

    def full(_fd: int, _data: object) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(OSError) as caught:
        write_text(target, "new")
    assert str(caught.value) == f"cannot write {target}: No space left on device"
    assert caught.value.filename == str(target)
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["out.md"]


def test_message_names_the_target_not_the_temporary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real_open = os.open

    def no_new_files(path: str | Path, flags: int, mode: int = 0o777, *, dir_fd: int | None = None) -> int:
        if flags & os.O_CREAT:  # as a read-only folder answers (root passes every permission check)
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, mode, dir_fd=dir_fd)

    monkeypatch.setattr(os, "open", no_new_files)
    target = tmp_path / "out.md"
    code, _out, err = run(capsys, *SUMMARY, "-o", str(target))
    line = one_line_error(code, err)
    assert line == f"unetviz summary: cannot write {target}: Permission denied"


def test_folder_as_target_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(capsys, *SUMMARY, "-o", str(tmp_path))
    assert f"cannot write {tmp_path}: it is a folder" in one_line_error(code, err)


def test_stale_temporaries_are_swept_on_the_next_write(tmp_path: Path) -> None:
    from unetviz.report.export import TEMP_PREFIX

    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(done.stdout)  # a process that has ended
    stale = tmp_path / f"{TEMP_PREFIX}{dead}-0badf00d.tmp"
    stale.write_bytes(b"half a file")
    os.utime(stale, (1_000, 1_000))
    fresh = tmp_path / f"{TEMP_PREFIX}{os.getpid()}-00000000.tmp"  # this process is writing it now
    fresh.write_bytes(b"in progress")
    write_text(tmp_path / "out.md", "x")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([fresh.name, "out.md"])


def test_abandoned_temporaries_are_swept_whatever_their_process(tmp_path: Path) -> None:
    from unetviz.report.export import ABANDONED_AFTER_S, TEMP_PREFIX, sweep_stale_temporaries

    old = tmp_path / f"{TEMP_PREFIX}{os.getpid()}-12345678.tmp"
    old.write_bytes(b"x")
    now = old.stat().st_mtime + ABANDONED_AFTER_S + 1
    assert sweep_stale_temporaries(tmp_path, now=now) == [old]
    unrelated = tmp_path / ".other.tmp"
    unrelated.write_bytes(b"not ours")
    assert sweep_stale_temporaries(tmp_path, now=now) == []


def test_killed_export_leaves_a_temporary_that_the_next_write_removes(tmp_path: Path) -> None:
    """SIGKILL between the temporary and the rename (no handler runs); the next write sweeps what it left."""
    target = tmp_path / "out.md"
    script = (
        "import os, signal, sys; from unetviz.report import export; "
        "os.replace = lambda a, b: os.kill(os.getpid(), signal.SIGKILL); "
        f"export.write_text({str(target)!r}, 'x')"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    killed = subprocess.run([sys.executable, "-c", script], env=env, check=False)
    assert killed.returncode == -9
    left = [p for p in tmp_path.iterdir() if p.name != "out.md"]
    assert len(left) == 1
    os.utime(left[0], (1_000, 1_000))
    write_bytes(target, b"done")
    assert [p.name for p in tmp_path.iterdir()] == ["out.md"]


def test_dev_stdout_redirected_to_a_file_gets_only_the_output(tmp_path: Path) -> None:
    """`-o /dev/stdout > file`: the table alone, not overwritten by a "wrote" line."""
    target = tmp_path / "redirected.csv"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    with open(target, "w") as handle:
        done = subprocess.run([sys.executable, "-m", "unetviz.cli", *SUMMARY, "--format", "csv", "-o", "/dev/stdout"],
                              stdout=handle, env=env, check=False)  # fmt: skip
    assert done.returncode == 0
    text = target.read_text()
    assert text.startswith("layer,type") and "wrote" not in text
