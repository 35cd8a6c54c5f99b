"""The model version: the package version plus a hash of the code the model runs.

A sweep stores each run under a key that includes the model version, and
refuses to resume a directory written by another one; Dask workers must report
the version of the process that sends them work.  A fixed version string would
let a sweep resumed after the model's code changed reuse stale runs, so the
version is derived from the source itself: the SHA-256 of the files that
decide what ``simulate(scenario, replication)`` returns (:data:`MODEL_SOURCES`,
read from the installed package, sorted, path and bytes), shortened to 12 hex
digits, after the package version as a local version label (PEP 440):
``0.1.0+3f2a9c0d1b7e``.

Files outside :data:`MODEL_SOURCES` (figures, reports, the command line, the
sweep machinery) can change without changing any number a run produces, and
so without invalidating stored runs.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

MODEL_SOURCES = ("model/**/*.py", "scenario/schema.py", "streams.py", "calendar.py")
"""Glob patterns, relative to the ``sim`` package, of the files the model's results depend on."""

PACKAGE = Path(__file__).resolve().parent


def source_digest(package: Path = PACKAGE) -> str:
    """SHA-256 over the model's source files under ``package``: each file's relative path, then its bytes."""
    files = sorted({path for pattern in MODEL_SOURCES for path in package.glob(pattern) if path.is_file()})
    digest = hashlib.sha256()
    for path in files:
        name = path.relative_to(package).as_posix().encode()
        data = path.read_bytes()
        digest.update(len(name).to_bytes(8, "big") + name + len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


@functools.lru_cache(maxsize=None)
def _version(package: Path) -> str:
    from . import __version__

    return f"{__version__}+{source_digest(package)[:12]}"


def model_version(package: Path | None = None) -> str:
    """``"<package version>+<12 hex digits of the model's source>"``, computed once per process."""
    return _version(Path(package).resolve() if package is not None else PACKAGE)
