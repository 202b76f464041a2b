"""Writes are atomic: on any failure the original file stays byte-identical.

Real failures where the machine allows them (a full 64 KiB tmpfs, a
read-only remount: both need root, as CI has), plus a simulated ENOSPC that
runs everywhere.
"""
from __future__ import annotations

import errno
import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from pinflow.errors import InputError
from pinflow.yamlio import atomic_write

CONFIG = 'template_name = "codex"\n'


def _mount(path: Path, *opts: str) -> bool:
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join(("size=64k", *opts)), "tmpfs", str(path)], capture_output=True)
    return proc.returncode == 0


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """A real 64 KiB filesystem (skipped where mounting is not allowed)."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    if shutil.which("mount") is None or not _mount(mnt):
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _fill(folder: Path) -> None:
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        while True:
            os.write(fd, b"\0" * 512)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)


def _repo(folder: Path) -> Path:
    (folder / "pinflow.toml").write_text(CONFIG)
    wf = folder / ".gitea" / "workflows" / "publish-image.yml"
    wf.parent.mkdir(parents=True)
    wf.write_text("# the user's file\n")
    os.chmod(wf, 0o640)
    return wf


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*pinflow-tmp*")]


def test_full_filesystem_leaves_the_original(cli, small_fs, monkeypatch):
    wf = _repo(small_fs)
    _fill(small_fs)
    monkeypatch.chdir(small_fs)
    res = cli(["render", "-o", str(wf)])
    assert res.code == 2
    assert str(wf) in res.err and "No space left" in res.err and "Traceback" not in res.err
    assert wf.read_text() == "# the user's file\n"
    assert _leftovers(small_fs) == []


def test_read_only_folder_leaves_the_original(cli, small_fs, monkeypatch):
    wf = _repo(small_fs)
    assert subprocess.run(["mount", "-o", "remount,ro", str(small_fs)], capture_output=True).returncode == 0
    monkeypatch.chdir(small_fs)
    res = cli(["render", "-o", str(wf)])
    assert res.code == 2 and "Read-only file system" in res.err
    assert wf.read_text() == "# the user's file\n"


def test_fix_and_init_on_a_full_filesystem(cli, small_fs, monkeypatch):
    wf = _repo(small_fs)
    hand_written = (Path(__file__).parent / "fixtures" / "fix" / "inline_push.yml").read_text()
    wf.write_text(hand_written)
    (small_fs / "pinflow.toml").unlink()
    _fill(small_fs)
    monkeypatch.chdir(small_fs)
    res = cli(["init"])
    assert res.code == 2 and not (small_fs / "pinflow.toml").exists()
    (small_fs / "filler").write_bytes(b"")  # room for the config only
    (small_fs / "pinflow.toml").write_text(CONFIG)
    _fill(small_fs)
    res = cli(["fix", str(wf)])
    assert res.code != 0 and "Traceback" not in res.err
    assert wf.read_text() == hand_written
    assert _leftovers(small_fs) == []


def test_simulated_enospc_on_fsync(tmp_path, monkeypatch):
    target = tmp_path / "wf.yml"
    target.write_text("old\n")
    def boom(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(InputError, match="No space left"):
        atomic_write(target, "new\n")
    assert target.read_text() == "old\n"
    assert _leftovers(tmp_path) == []


def test_directory_where_the_file_should_be(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out.yml").mkdir()
    res = cli(["render", "--template-name", "codex", "-o", "out.yml"])
    assert res.code == 2 and "out.yml" in res.err and "is a directory" in res.err
    assert (tmp_path / "out.yml").is_dir()


def test_mode_is_kept_and_identical_content_is_not_rewritten(tmp_path):
    target = tmp_path / "wf.yml"
    target.write_text("old\n")
    os.chmod(target, 0o640)
    assert atomic_write(target, "new\n") is True
    assert stat.S_IMODE(target.stat().st_mode) == 0o640 and target.read_text() == "new\n"
    before = target.stat().st_mtime_ns
    assert atomic_write(target, "new\n") is False
    assert target.stat().st_mtime_ns == before


def test_a_symlink_stays_a_symlink_and_its_target_is_written(tmp_path):
    (tmp_path / "real.yml").write_text("old\n")
    link = tmp_path / "wf.yml"
    link.symlink_to("real.yml")
    assert atomic_write(link, "new\n") is True
    assert link.is_symlink() and os.readlink(link) == "real.yml"
    assert (tmp_path / "real.yml").read_text() == "new\n"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".pinflow-tmp")]


def test_a_pipe_is_written_in_place_not_replaced_by_a_file(tmp_path):
    import threading

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()), daemon=True)
    reader.start()
    assert atomic_write(pipe, "through the pipe\n") is True
    reader.join(timeout=10)
    assert received == [b"through the pipe\n"]
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode)  # (a rename would have left a regular file)


def test_a_path_ending_in_a_slash_is_refused(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = cli(["render", "--template-name", "codex", "-o", "sub/wf/"])
    assert res.code == 2 and res.err == "pinflow: error: sub/wf/: names a folder (ends with /), not a file\n"
    assert not (tmp_path / "sub").exists()


def test_dash_is_standard_output(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = cli(["render", "--template-name", "codex", "-o", "-"])
    assert res.code == 0 and res.out == cli(["render", "--template-name", "codex"]).out
    assert list(tmp_path.iterdir()) == []
