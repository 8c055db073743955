"""Child processes that die with their parent, so a `kill -9` leaves no workers behind."""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent(parent_pid: int) -> None:
    """Ask the kernel to SIGKILL this process when `parent_pid` (our parent) goes away.

    Linux only (prctl); elsewhere a no-op. A parent that died before the request took effect
    is caught by the `getppid` check that follows it.
    """
    if sys.platform != "linux":
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # no libc prctl: nothing more we can ask for
        return
    if os.getppid() != parent_pid:
        os._exit(1)
