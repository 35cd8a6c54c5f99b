"""Paths and input files as the operating system will take them, checked before use.

Every file a user names (a scenario, the file it ``extends``, a targets file,
a calibration or sweep spec, an output directory) passes through here first,
so that what the operating system would refuse with a traceback is one line
naming the file and the field instead:

* a path with a NUL byte, a name over :data:`MAX_NAME_BYTES` bytes or a path
  over :data:`MAX_PATH_BYTES` bytes (Linux's ``NAME_MAX`` and ``PATH_MAX``);
* an input that is not a regular file (a directory, ``/dev/zero``, a named
  pipe nobody writes to), read without blocking;
* an input larger than :data:`MAX_INPUT_BYTES`: a scenario is a few kilobytes,
  so a bigger file is a mistake, not a bigger scenario;
* an input that is not UTF-8 text (a binary file).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import InputError

MAX_INPUT_BYTES = 4 * 1024 * 1024
"""Largest input file read (4 MiB; the baseline scenario is about 10 kB)."""
MAX_NAME_BYTES = 255
"""Longest file or directory name (bytes, UTF-8): Linux's NAME_MAX."""
MAX_PATH_BYTES = 4095
"""Longest path (bytes, UTF-8): Linux's PATH_MAX less the terminating NUL."""


def path_problem(path: str | os.PathLike) -> str | None:
    """What the operating system would refuse in ``path``, or None."""
    text = os.fspath(path)
    if "\x00" in text:
        return "expected a path without NUL bytes"
    try:
        encoded = os.fsencode(text)
    except UnicodeEncodeError:
        return "expected a path the file system can encode"
    if len(encoded) > MAX_PATH_BYTES:
        return f"expected a path of at most {MAX_PATH_BYTES} bytes, got {len(encoded)}"
    longest = max((len(part) for part in encoded.split(b"/")), default=0)
    if longest > MAX_NAME_BYTES:
        return f"expected file names of at most {MAX_NAME_BYTES} bytes, got one of {longest}"
    return None


def os_path(text: str) -> str:
    """``text`` if the operating system can take it as a path, else ``ValueError`` (for validators)."""
    problem = path_problem(text)
    if problem:
        raise ValueError(problem)
    return text


def checked_path(path: str | os.PathLike, *, source: str | None = None, field: str | None = None) -> Path:
    """``path`` as a :class:`Path`, or an :class:`InputError` naming ``source`` and ``field``."""
    problem = path_problem(path)
    if problem:
        shown = os.fspath(path)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        raise InputError(f"{problem} ({shown!r})", source=source, field=field)
    return Path(path)


def read_input_text(path: str | os.PathLike) -> str:
    """The UTF-8 text of a regular file of at most :data:`MAX_INPUT_BYTES`, or an :class:`InputError`.

    The file is opened without blocking and checked with ``fstat`` before a
    byte is read, so a named pipe or a device neither hangs nor streams forever.
    """
    source = os.fspath(path)
    problem = path_problem(path)
    if problem:
        raise InputError(problem, source=source[:80] + ("..." if len(source) > 80 else ""))
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputError("file not found", source=source) from None
    except IsADirectoryError:
        raise InputError("expected a file, got a directory", source=source) from None
    except OSError as exc:
        raise InputError(f"cannot open file ({exc.strerror or exc.__class__.__name__})", source=source) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputError("expected a file, got a directory", source=source)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"expected a regular file, got {_kind(info.st_mode)}", source=source)
        if info.st_size > MAX_INPUT_BYTES:
            raise InputError(f"expected a file of at most {MAX_INPUT_BYTES // 1024 // 1024} MiB, got "
                             f"{info.st_size / 1024 / 1024:.1f} MiB", source=source)
        chunks, size = [], 0
        while size <= MAX_INPUT_BYTES:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > MAX_INPUT_BYTES:  # grew while being read
            raise InputError(f"expected a file of at most {MAX_INPUT_BYTES // 1024 // 1024} MiB", source=source)
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror or exc.__class__.__name__})", source=source) from None
    finally:
        os.close(fd)
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"expected UTF-8 text, got a byte 0x{exc.object[exc.start]:02x} at offset {exc.start} "
                         "(a binary file?)", source=source) from None


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "a special file"
