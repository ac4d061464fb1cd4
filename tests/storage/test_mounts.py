"""Where a board file lives: local disks, network filesystems, sync folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.cli import fails, ok, run_cli
from tkanban.core.board import cards as ops
from tkanban.core.board import reads as q
from tkanban.core.errors import ReadOnlyError
from tkanban.core.storage import open_store
from tkanban.core.storage.mounts import detect, parse_mountinfo
from tkanban.core.storage.sqlite import FileStore


def _pretend_mount(monkeypatch: pytest.MonkeyPatch, folder: Path, fstype: str) -> None:
    import tkanban.core.storage.sqlite as store_module

    table = (f"22 1 259:2 / / rw - ext4 /dev/sda1 rw\n"
             f"50 22 0:50 / {folder} rw,nosuid - {fstype} ann@gpu:/data rw,user_id=0\n")
    monkeypatch.setattr(store_module, "detect",
                        lambda path, override="auto": detect(path, table, override))


MOUNTINFO = """\
22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw
40 22 0:35 / /mnt/team rw,relatime shared:20 - nfs4 fs:/export/team rw,vers=4.2,hard,proto=tcp
41 22 0:36 / /mnt/nolock rw,relatime shared:21 - nfs nas:/vol rw,vers=3,nolock,proto=tcp
42 22 0:37 / /mnt/smb rw,relatime shared:22 - cifs //nas/ml rw,vers=3.1.1,nobrl,cache=strict
43 22 0:38 / /mnt/smb\\040ok rw,relatime shared:23 - smb3 //nas/ok rw,vers=3.1.1
44 22 0:39 / /home/ann/remote rw,nosuid shared:24 - fuse.sshfs ann@gpu:/data rw,user_id=0
45 22 0:40 / /mnt/locallock rw shared:25 - nfs4 fs:/x rw,vers=4.1,local_lock=all
46 22 0:41 / /mnt/team/sub rw shared:26 - tmpfs tmpfs rw
47 22 0:42 / /mnt/vm rw shared:27 - virtiofs share rw
48 22 0:43 / /mnt/p9 rw shared:28 - 9p host rw,trans=virtio
49 22 0:44 / /mnt/gdrive rw,nosuid shared:29 - fuse.rclone gdrive: rw,user_id=1000
50 22 0:45 / /mnt/bucket rw shared:30 - fuse.s3fs s3fs rw,user_id=0
51 22 0:46 / /mnt/dav rw shared:31 - davfs https://dav.lab/ rw
52 22 0:47 / /mnt/gluster rw shared:32 - fuse.glusterfs gl:/vol rw,user_id=0
"""


@pytest.mark.parametrize(
    ("path", "network", "fstype", "no_lock"),
    [
        ("/home/ann/board.db", False, "ext4", None),
        ("/mnt/team/board.db", True, "nfs4", None),
        ("/mnt/team/deep/er/board.db", True, "nfs4", None),
        ("/mnt/team/sub/board.db", False, "tmpfs", None),
        ("/mnt/nolock/board.db", True, "nfs", "nolock"),
        ("/mnt/smb/board.db", True, "cifs", "nobrl"),
        ("/mnt/smb ok/board.db", True, "smb3", None),
        ("/home/ann/remote/board.db", True, "fuse.sshfs", "on this machine only"),
        ("/mnt/gdrive/board.db", True, "fuse.rclone", "on this machine only"),
        ("/mnt/bucket/board.db", True, "fuse.s3fs", "on this machine only"),
        ("/mnt/dav/board.db", True, "davfs", "on this machine only"),
        ("/mnt/gluster/board.db", True, "fuse.glusterfs", None),
        ("/mnt/locallock/board.db", True, "nfs4", "local_lock=all"),
        ("/mnt/vm/board.db", True, "virtiofs", None),
        ("/mnt/p9/board.db", True, "9p", None),
        ("/mnt/teamwork/board.db", False, "ext4", None),
    ],
)
def test_detect(path: str, network: bool, fstype: str, no_lock: str | None) -> None:
    info = detect(Path(path), MOUNTINFO)
    assert (info.network, info.fstype) == (network, fstype)
    if no_lock is None:
        assert info.no_lock_reason is None
    else:
        assert no_lock in (info.no_lock_reason or "")


def test_overrides() -> None:
    assert not detect(Path("/mnt/nolock/b.db"), MOUNTINFO, override="local").network
    forced = detect(Path("/home/ann/b.db"), MOUNTINFO, override="network")
    assert forced.network and forced.label == "network (ext4)"


def test_parse_skips_garbage() -> None:
    assert parse_mountinfo("garbage\n\n1 2 3\n") == []
    assert parse_mountinfo(MOUNTINFO)[4].mount_point == "/mnt/smb ok"


def test_this_machine_is_detected(db_path: Path) -> None:
    store = open_store(db_path)
    assert store.storage.fstype  # the real mount table names a filesystem
    store.close()


def test_network_mode_and_no_lock_mount(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = open_store(db_path, storage="network")
    assert isinstance(store, FileStore)
    assert store.storage.network and store.busy_timeout == 15.0
    ops.ensure_board(store)
    ops.add_card(store, "main", "kept", author="ann")
    store.close()
    point = str(db_path.parent)
    table = f"50 22 0:50 / {point} rw shared:1 - nfs nas:/v rw,vers=3,nolock\n"
    import tkanban.core.storage.sqlite as store_module

    monkeypatch.setattr(store_module, "detect",
                        lambda path, override="auto": detect(path, table, override))
    refused = open_store(db_path)
    assert refused.readonly and refused.storage.network
    assert [c.title for c in q.list_cards(refused)] == ["kept"]
    with pytest.raises(ReadOnlyError, match="nolock.*--storage local"):
        ops.add_card(refused, "main", "new", author="ann")
    refused.close()
    trusted = open_store(db_path, storage="local")
    ops.add_card(trusted, "main", "new", author="ann")
    trusted.close()


def test_sshfs_opens_read_only_and_says_why(db_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    store = open_store(db_path)
    ops.ensure_board(store)
    ops.add_card(store, "main", "kept", author="ann")
    store.close()
    _pretend_mount(monkeypatch, db_path.parent, "fuse.sshfs")
    shared = open_store(db_path)
    assert shared.readonly and shared.storage.label == "network (fuse.sshfs)"
    assert [c.title for c in q.list_cards(shared)] == ["kept"]
    with pytest.raises(ReadOnlyError, match="fuse.sshfs.*on this machine only.*--storage local"):
        ops.add_card(shared, "main", "new", author="ann")
    shared.close()
    one_machine = open_store(db_path, storage="local")
    ops.add_card(one_machine, "main", "new", author="ann")
    one_machine.close()


def test_a_syncthing_folder_is_read_only_unless_told(tmp_path: Path) -> None:
    synced = tmp_path / "Sync"
    (synced / "ml").mkdir(parents=True)
    db = synced / "ml" / "board.db"
    ok(run_cli("add", "made before syncing", db=db))
    (synced / ".stfolder").mkdir()
    refused = fails(run_cli("add", "x", db=db), "Syncthing")
    assert "read-only" in refused and "--storage local" in refused
    assert "made before syncing" in ok(run_cli("list", db=db))
    ok(run_cli("add", "one machine writes", "--storage", "local", db=db))
    fails(run_cli("add", "x", db=synced / "new.db"), "cannot create a board there")
    assert not (synced / "new.db").exists()


@pytest.mark.parametrize("marker", [".dropbox", ".sync_4a1b2c3d.db", "OneDrive - Lab"])
def test_other_sync_tools(tmp_path: Path, marker: str) -> None:
    folder = tmp_path / "team"
    if marker.startswith("OneDrive"):
        folder = tmp_path / marker
        folder.mkdir()
    else:
        folder.mkdir()
        (folder / marker).write_text("")
    info = detect(folder / "board.db", "")
    assert info.no_lock_reason and "copies files instead of locking" in info.no_lock_reason
    assert info.label.startswith("synced folder")
    assert detect(folder / "board.db", "", override="local").no_lock_reason is None
