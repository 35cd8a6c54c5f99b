"""Nothing half-written: files and directories appear complete or not at all.

Files are written to a temporary name in the same directory, flushed to disk
and renamed over the target (``os.replace`` is atomic on POSIX).  A run's
output directory is staged the same way: built under a hidden name beside
the target and renamed into place when every file is in it, so an
interrupted run leaves no directory that looks finished.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import IO, Iterator

from ..errors import InputError
from ..files import path_problem


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _publish_mode(path: str | os.PathLike, directory: bool = False) -> None:
    """Give a temporary file or directory the permissions a normal one would get."""
    os.chmod(path, (0o777 if directory else 0o666) & ~_umask())


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike, mode: str = "w", **kwargs) -> Iterator[IO]:
    """Open a temporary file that replaces ``path`` when the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        _publish_mode(tmp)
        with os.fdopen(fd, mode, **kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_file(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_file(path, "wb") as handle:
        handle.write(data)


def is_nonempty_dir(path: Path) -> bool:
    return path.is_dir() and any(path.iterdir())


def check_output_place(path: str | os.PathLike, *, option: str = "--out", into: bool = False) -> None:
    """Refuse, before any work, a place where the output could not be written.

    Every existing component of ``path`` must be a directory (not ``afile/sub``
    nor ``/dev/null/sub``), and the directory the output will be created in
    must accept a new entry (not ``/proc``, ``/sys`` or a read-only or
    unwritable directory): that is tried by creating and removing an empty
    directory, the one reliable test (permission bits say nothing to root nor
    about read-only file systems).  ``into`` checks ``path`` itself, a
    directory written into in place (a run redrawn by ``plot``, a resumed
    sweep), rather than the directory that will hold it.
    """
    problem = path_problem(path)
    if problem:
        raise InputError(problem, source=option)
    path = Path(os.path.abspath(path))
    nearest = Path(path.anchor)
    for part in path.parts[1:]:
        candidate = nearest / part
        try:
            info = os.stat(candidate)
        except FileNotFoundError:
            break
        except OSError as exc:
            raise InputError(f"expected a directory path, but {candidate} cannot be used "
                             f"({exc.strerror or exc.__class__.__name__})", source=option) from None
        if not stat.S_ISDIR(info.st_mode):
            what = "a file" if stat.S_ISREG(info.st_mode) else "not a directory"
            raise InputError(f"expected a directory path, but {candidate} is {what}", source=option)
        nearest = candidate
    if nearest == path and not into:
        nearest = path.parent  # an existing output directory is replaced from beside it
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".bandwagon-write-test-", dir=nearest))
    except OSError as exc:
        raise InputError(f"expected a place where files can be written, but {nearest} refuses new files "
                         f"({exc.strerror or exc.__class__.__name__})", source=option) from None


def check_writable_dir(path: Path, *, force: bool, option: str = "--out") -> None:
    """Refuse an output place that cannot be written, or a non-empty directory unless forced."""
    check_output_place(path, option=option)
    if path.exists() and not path.is_dir():
        raise InputError(f"expected a directory, but {path} is a file", source=option)
    if is_nonempty_dir(path) and not force:
        raise InputError(f"expected an empty or new directory, but {path} has files (use --force to replace it)",
                         source=option)


@contextlib.contextmanager
def staged_directory(final: str | os.PathLike, *, force: bool) -> Iterator[Path]:
    """A fresh directory that becomes ``final`` only if the block succeeds."""
    final = Path(final)
    check_writable_dir(final, force=force)
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.partial-", dir=final.parent))
    _publish_mode(staging, directory=True)
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if final.exists():
        retired = Path(tempfile.mkdtemp(prefix=f".{final.name}.old-", dir=final.parent))
        os.replace(final, retired / "old")
        os.replace(staging, final)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.replace(staging, final)
