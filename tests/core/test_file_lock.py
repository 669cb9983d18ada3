"""The instance and download lock: held once, and never written through a planted link."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.core.errors import QwQError
from app.core.file_lock import FileLock


def _busy(holder: str, path: Path) -> QwQError:
    return QwQError(f"held by {holder}")


def test_a_second_holder_is_told_who_holds_it(tmp_path: Path) -> None:
    with (
        FileLock(tmp_path / "x.lock", _busy),
        pytest.raises(QwQError, match=f"held by {os.getpid()}"),
    ):
        FileLock(tmp_path / "x.lock", _busy).acquire()
    with FileLock(tmp_path / "x.lock", _busy):  # released: free again
        pass


@pytest.mark.skipif(not hasattr(os, "O_NOFOLLOW"), reason="POSIX links")
def test_a_link_planted_at_the_lock_is_refused_and_its_target_kept(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (tmp_path / "x.lock").symlink_to(victim)
    with pytest.raises(QwQError, match="link"):
        FileLock(tmp_path / "x.lock", _busy).acquire()
    assert victim.read_text() == "precious"
