"""Acting as the owner of the state folder, so that what a command writes there belongs to the service.

The service's state folder (``/var/lib/emojify``) belongs to the service user and is readable by
it alone. A person logged in as someone else (``pi``) who runs ``emojify capture`` or
``emojify personalize`` must neither fail half-way (after the consent screen) nor leave files the
service cannot read. So those commands first ask :func:`owner_switch`: when the folder belongs to
another user, they run again as that user, as root through ``setpriv`` (util-linux) and
otherwise through ``sudo -u`` (which asks for the person's password, as any admin step does).
"""

from __future__ import annotations

import os
import pwd
import shutil
from dataclasses import dataclass
from pathlib import Path


class OwnerError(Exception):
    """The state folder cannot be used by this user and no switch to its owner is possible."""


@dataclass(frozen=True)
class Owner:
    """Who owns a folder.

    Attributes:
        uid: User id.
        gid: Group id.
        name: User name, or ``None`` when the id has no account entry.
    """

    uid: int
    gid: int
    name: str | None

    @property
    def label(self) -> str:
        """The name, or ``uid N``."""
        return self.name or f"uid {self.uid}"


def owner_of(path: Path) -> Owner:
    """The owner of ``path``.

    Raises:
        OSError: ``path`` cannot be examined.
    """
    st = path.stat()
    try:
        name: str | None = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        name = None
    return Owner(st.st_uid, st.st_gid, name)


def owner_switch(state_dir: Path) -> Owner | None:
    """The user to become before writing to ``state_dir``, or ``None`` to go on as we are.

    ``None`` when the folder is ours, or does not exist yet but can be created by us.

    Raises:
        OwnerError: The folder does not exist and cannot be created here.
    """
    if state_dir.is_dir():
        owner = owner_of(state_dir)
        return None if owner.uid == os.geteuid() else owner
    parent = state_dir.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if os.access(parent, os.W_OK | os.X_OK):
        return None
    raise OwnerError(
        f"{state_dir} does not exist and cannot be created by {_me()}; install the service "
        "(sudo ./setup.sh --service kiosk) or give --state-dir DIR"
    )


def switch_command(owner: Owner, argv: list[str]) -> list[str]:
    """``argv`` run as ``owner``: through ``setpriv`` as root, else through ``sudo -u``.

    Raises:
        OwnerError: Neither is possible.
    """
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            raise OwnerError(f"cannot act as {owner.label}: setpriv (util-linux) is missing")
        groups = "--init-groups" if owner.name else "--clear-groups"
        return [setpriv, f"--reuid={owner.uid}", f"--regid={owner.gid}", groups, "--", *argv]
    sudo = shutil.which("sudo")
    if sudo is None:
        raise OwnerError(
            f"the state folder belongs to {owner.label}; run this command as {owner.label} (there is no sudo here)"
        )
    return [sudo, "-u", owner.name or f"#{owner.uid}", "--", *argv]


def ensure_writable(folder: Path, mode: int = 0o700) -> None:
    """Create ``folder`` (and its missing parents, each with ``mode``) and check we may write there.

    Raises:
        OwnerError: It cannot be created or written.
    """
    missing = [folder, *(p for p in folder.parents if not p.exists())]
    try:
        for part in reversed([p for p in missing if not p.exists()]):
            part.mkdir(mode=mode)
    except FileExistsError:
        pass
    except OSError as exc:
        raise OwnerError(f"cannot create {folder} ({exc.strerror}); give a writable --state-dir") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OwnerError(f"cannot write to {folder} as {_me()}; give a writable --state-dir")


def _me() -> str:
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return f"uid {os.geteuid()}"
