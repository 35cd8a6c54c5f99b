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

__version__ = "0.1.0"
"""The package's version (``sim.__version__``); :func:`model_version` adds a hash of the model's source to it."""

MODEL_SOURCES = ("model/**/*.py", "scenario/schema.py", "scenario/fields.py", "scenario/sections/*.py",
                 "scenario/apportion.py", "scenario/events.py",
                 "scenario/loading.py", "scenario/paths.py", "scenario/shifts.py", "streams.py", "calendar.py",
                 "errors.py", "files.py", "arrays.py")
"""Glob patterns, relative to the ``sim`` package, of the files the model's results depend on.

Every module that ``simulate`` or the twin imports, directly or through
another, must match one of them (:data:`MODEL_ROOTS`;
``tests/test_model_version.py`` checks it on the import graph): a sweep
resumed after an edit to, say, the province split (``scenario/apportion.py``)
must not reuse runs of the old split.
"""

MODEL_ROOTS = ("sim.model.simulation", "sim.model.meanfield", "sim.model.compiled", "sim.model.mechanisms")
"""Where the model's code starts: ``simulate``, the twin (numpy and compiled), and every mechanism (they are
discovered, not imported)."""

PACKAGE = Path(__file__).resolve().parent


def hashed_files(package: Path = PACKAGE, patterns: tuple[str, ...] = MODEL_SOURCES) -> list[Path]:
    """The files of ``package`` that the version hashes, sorted."""
    return sorted({path for pattern in patterns for path in package.glob(pattern) if path.is_file()})


def unhashed_modules(package: Path = PACKAGE, patterns: tuple[str, ...] = MODEL_SOURCES,
                     roots: tuple[str, ...] = MODEL_ROOTS) -> list[str]:
    """Modules the model runs (the import closure of ``roots``) whose files the version does not hash.

    Empty for a complete :data:`MODEL_SOURCES`; a new module imported by the
    model but matched by no pattern shows up here.
    """
    from . import importgraph

    known = importgraph.modules(package)
    hashed = set(hashed_files(package, patterns))
    run = importgraph.closure(list(roots), importgraph.graph(package))
    return sorted(name for name in run if known[name] not in hashed)


def source_digest(package: Path = PACKAGE) -> str:
    """SHA-256 over the model's source files under ``package``: each file's relative path, then its bytes."""
    files = hashed_files(package)
    digest = hashlib.sha256()
    for path in files:
        name = path.relative_to(package).as_posix().encode()
        data = path.read_bytes()
        digest.update(len(name).to_bytes(8, "big") + name + len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


@functools.lru_cache(maxsize=None)
def _version(package: Path) -> str:
    return f"{__version__}+{source_digest(package)[:12]}"


def model_version(package: Path | None = None) -> str:
    """``"<package version>+<12 hex digits of the model's source>"``, computed once per process."""
    return _version(Path(package).resolve() if package is not None else PACKAGE)
