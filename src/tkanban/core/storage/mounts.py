"""Where a board file lives: a local disk or a network filesystem, and whether locking works.

SQLite's rollback journal is safe across machines only when the filesystem passes byte-range
locks between them. On Linux the mount table (``/proc/self/mountinfo``) says which filesystem
holds a path and whether cross-machine locking was switched off (``nolock``, ``nobrl``,
``local_lock=``), so tkanban can poll less often, wait longer for locks, and refuse to write
where two machines could corrupt the file. FUSE filesystems over SSH, HTTP or object stores
(sshfs, rclone, s3fs, davfs ...) keep locks on the machine that takes them, and the folders of
sync tools (Dropbox, OneDrive, Syncthing, iCloud ...) copy files rather than lock them: a board
there is read-only too, unless the user says one machine alone writes (``--storage local``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

NETWORK_FSTYPES = frozenset({
    "nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "fuse.sshfs", "sshfs", "virtiofs", "afs",
    "ceph", "fuse.ceph", "glusterfs", "fuse.glusterfs", "lustre", "gpfs", "fuse.rclone",
    "davfs", "fuse.davfs", "fuse.s3fs", "ncpfs", "coda", "ocfs2", "gfs2", "beegfs",
})
MODES = ("auto", "local", "network")
LOCAL_LOCK_FSTYPES = frozenset({
    "fuse.sshfs", "sshfs", "fuse.rclone", "rclone", "fuse.s3fs", "s3fs", "davfs",
    "fuse.davfs", "fuse.davfs2", "fuse.gcsfuse", "gcsfuse", "fuse.goofys", "fuse.blobfuse",
    "fuse.blobfuse2", "fuse.mountpoint-s3", "fuse.onedriver", "fuse.google-drive-ocamlfuse",
    "fuse.gvfsd-fuse", "fuse.curlftpfs", "curlftpfs", "fuse.httpdirfs",
})
"""Network filesystems that take locks on this machine only (FUSE over SSH, WebDAV, FTP, HTTP
or an object store): two machines writing through them could corrupt the board."""
NETWORK_FSTYPES = NETWORK_FSTYPES | LOCAL_LOCK_FSTYPES
SYNC_MARKERS = (
    (".stfolder", "Syncthing"),
    (".dropbox", "Dropbox"),
    (".dropbox.cache", "Dropbox"),
    (".sync/ID", "Resilio Sync"),
    (".nextcloudsync.log", "Nextcloud"),
    (".owncloudsync.log", "ownCloud"),
    (".megaignore", "MEGA"),
    (".tmp.drivedownload", "Google Drive"),
    (".icloud", "iCloud"),
)
"""Files or folders that sync tools keep at the top of the folder they sync."""
SYNC_FOLDER_NAMES = (
    ("Mobile Documents", "iCloud"), ("iCloud Drive", "iCloud"), ("iCloudDrive", "iCloud"),
    ("CloudStorage", "a cloud storage app"), ("OneDrive", "OneDrive"), ("Dropbox", "Dropbox"),
    ("Google Drive", "Google Drive"), ("pCloudDrive", "pCloud"),
)
"""Folder names (on the path to the board file) that sync tools use for what they sync;
``OneDrive`` also matches ``OneDrive - Company`` and ``OneDrive-Personal``."""


@dataclass(frozen=True)
class Mount:
    mount_point: str
    fstype: str
    options: frozenset[str]


@dataclass(frozen=True)
class StorageInfo:
    """What tkanban knows about the filesystem under a board file."""

    network: bool
    fstype: str
    mount_point: str
    no_lock_reason: str | None = None
    forced: bool = False
    sync_tool: str | None = None

    @property
    def label(self) -> str:
        if self.sync_tool and not self.forced:
            return f"synced folder ({self.sync_tool})"
        if not self.network:
            return "local"
        return f"network ({self.fstype})" if self.fstype else "network"


def _unescape(field: str) -> str:
    """mountinfo escapes space, tab, newline and backslash as octal (``\\040``)."""
    out, i = [], 0
    while i < len(field):
        digits = field[i + 1:i + 4]
        if field[i] == "\\" and len(digits) == 3 and digits.isdigit():
            out.append(chr(int(field[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def parse_mountinfo(text: str) -> list[Mount]:
    """Parse ``/proc/self/mountinfo`` (see proc(5)); malformed lines are skipped."""
    mounts = []
    for line in text.splitlines():
        left, sep, right = line.partition(" - ")
        if not sep:
            continue
        fields, tail = left.split(), right.split()
        if len(fields) < 6 or len(tail) < 1:
            continue
        options = set(fields[5].split(","))
        if len(tail) >= 3:
            options |= set(tail[2].split(","))
        mounts.append(Mount(_unescape(fields[4]), tail[0], frozenset(options)))
    return mounts


def _no_lock_reason(mount: Mount) -> str | None:
    if mount.fstype in LOCAL_LOCK_FSTYPES:
        return (f"the {mount.fstype} mount at {mount.mount_point} keeps file locks on this "
                "machine only (and caches what it reads)")
    if "nolock" in mount.options:
        return f"the {mount.fstype} mount at {mount.mount_point} has locking off (nolock)"
    if "nobrl" in mount.options:
        return f"the {mount.fstype} mount at {mount.mount_point} has byte-range locks off (nobrl)"
    for option in mount.options:
        if option.startswith("local_lock=") and option != "local_lock=none":
            return (f"the {mount.fstype} mount at {mount.mount_point} keeps locks on this machine "
                    f"only ({option})")
    return None


def sync_folder(folder: Path) -> tuple[str, str] | None:
    """The sync tool whose folder holds ``folder`` and the evidence (a marker file or a folder
    name), or None: the folder and each folder above it are looked at."""
    folder = Path(os.path.realpath(folder))
    for place in (folder, *folder.parents):
        for marker, tool in SYNC_MARKERS:
            if os.path.lexists(place / marker):
                return tool, str(place / marker)
        try:
            for entry in os.scandir(place):
                name = entry.name
                if name.endswith(".db") and name.startswith((".sync_", "._sync_")):
                    return "Nextcloud or ownCloud", entry.path
        except OSError:
            pass
        for name, tool in SYNC_FOLDER_NAMES:
            if place.name == name or (name == "OneDrive" and place.name.startswith(
                    ("OneDrive - ", "OneDrive-"))):
                return tool, str(place)
    return None


def _sync_reason(found: tuple[str, str] | None) -> str | None:
    if found is None:
        return None
    tool, evidence = found
    return (f"the board file is in a folder synced by {tool} ({evidence}), which copies files "
            "instead of locking them")


def detect(path: Path, mountinfo: str | None = None, override: str = "auto") -> StorageInfo:
    """The filesystem holding ``path`` (a file that may not exist yet), per the mount table,
    and whether a sync tool copies its folder.

    ``override`` is ``local`` or ``network`` to skip detection (``--storage``); a forced
    ``local`` also trusts locking.
    """
    if override not in MODES:
        raise ValueError(f"storage mode must be one of {', '.join(MODES)}")
    if override == "local":
        return StorageInfo(False, "", "", None, forced=True)
    if mountinfo is None:
        try:
            mountinfo = Path("/proc/self/mountinfo").read_text(encoding="utf-8",
                                                                errors="replace")
        except OSError:
            mountinfo = ""
    folder = path.absolute().parent if not path.is_dir() else path.absolute()
    target = os.path.realpath(folder)
    best: Mount | None = None
    for mount in parse_mountinfo(mountinfo):
        point = mount.mount_point.rstrip("/") or "/"
        inside = target == point or target.startswith(point + "/") or point == "/"
        if inside and (best is None or len(point) >= len(best.mount_point.rstrip("/") or "/")):
            best = mount
    synced = sync_folder(folder)
    sync_tool = synced[0] if synced else None
    if override == "network":
        fstype = best.fstype if best else ""
        reason = (_no_lock_reason(best) if best else None) or _sync_reason(synced)
        return StorageInfo(True, fstype, best.mount_point if best else "", reason, forced=True,
                           sync_tool=sync_tool)
    if best is None:
        return StorageInfo(False, "", "", _sync_reason(synced), sync_tool=sync_tool)
    network = best.fstype in NETWORK_FSTYPES or best.fstype.startswith("nfs")
    reason = (_no_lock_reason(best) if network else None) or _sync_reason(synced)
    return StorageInfo(network, best.fstype, best.mount_point, reason, sync_tool=sync_tool)
