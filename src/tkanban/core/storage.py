"""Where a board file lives: a local disk or a network filesystem, and whether locking works.

SQLite's rollback journal is safe across machines only when the filesystem passes byte-range
locks between them. On Linux the mount table (``/proc/self/mountinfo``) says which filesystem
holds a path and whether cross-machine locking was switched off (``nolock``, ``nobrl``,
``local_lock=``), so tkanban can poll less often, wait longer for locks, and refuse to write
where two machines could corrupt the file.
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

    @property
    def label(self) -> str:
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
    if "nolock" in mount.options:
        return f"the {mount.fstype} mount at {mount.mount_point} has locking off (nolock)"
    if "nobrl" in mount.options:
        return f"the {mount.fstype} mount at {mount.mount_point} has byte-range locks off (nobrl)"
    for option in mount.options:
        if option.startswith("local_lock=") and option != "local_lock=none":
            return (f"the {mount.fstype} mount at {mount.mount_point} keeps locks on this machine "
                    f"only ({option})")
    return None


def detect(path: Path, mountinfo: str | None = None, override: str = "auto") -> StorageInfo:
    """The filesystem holding ``path`` (a file that may not exist yet), per the mount table.

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
    target = os.path.realpath(path.absolute().parent if not path.is_dir() else path)
    best: Mount | None = None
    for mount in parse_mountinfo(mountinfo):
        point = mount.mount_point.rstrip("/") or "/"
        inside = target == point or target.startswith(point + "/") or point == "/"
        if inside and (best is None or len(point) >= len(best.mount_point.rstrip("/") or "/")):
            best = mount
    if override == "network":
        fstype = best.fstype if best else ""
        return StorageInfo(True, fstype, best.mount_point if best else "",
                           _no_lock_reason(best) if best else None, forced=True)
    if best is None:
        return StorageInfo(False, "", "")
    network = best.fstype in NETWORK_FSTYPES or best.fstype.startswith("nfs")
    return StorageInfo(network, best.fstype, best.mount_point,
                       _no_lock_reason(best) if network else None)
