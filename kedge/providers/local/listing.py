"""What exists under a local root, for ``kedge orphans``: every regular file, with its mark.

One walk of the tree, never following a symbolic link; Kedge's own temporary files are left
out. A directory is listed only through the files under it (an empty directory costs nothing
and declares nothing). An unreadable directory is an error, never "nothing there".
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence

from kedge.model import ProviderError
from kedge.providers.base import Existing
from kedge.providers.local.files import OWNER_XATTR, TEMP_NAME

MAX_LISTED = 100_000


def list_files(root: str) -> Sequence[Existing]:
    if not os.path.isdir(root):
        raise ProviderError(f"local root {root}: not a directory")
    found: list[Existing] = []

    def fail(exc: OSError) -> None:
        raise ProviderError(f"local root {root}: cannot list {exc.filename}: {exc.strerror}")

    for directory, dirs, names in os.walk(root, onerror=fail, followlinks=False):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(directory, name)
            st = os.lstat(path)
            if not stat.S_ISREG(st.st_mode) or TEMP_NAME.fullmatch(name):
                continue
            relative = os.path.relpath(path, root)
            found.append(Existing("File", relative, _owner(path), {"size": st.st_size}))
            if len(found) > MAX_LISTED:
                raise ProviderError(f"local root {root}: more than {MAX_LISTED} files; list a smaller root")
    return found


def _owner(path: str) -> str | None:
    try:
        raw = os.getxattr(path, OWNER_XATTR, follow_symlinks=False)
    except OSError:
        return None
    return raw.decode("utf-8", "replace") or None
