"""The results store: one sweep per directory, one small file per run.

Layout of a sweep directory::

    manifest.json            what the sweep is (spec, resolved base scenario, fingerprint, model version)
    runs/ab/abcdef....json.gz one record per finished run, named by its key
    sessions.jsonl           one line per invocation: when, where, how many runs (the only file that
                             records history, so the only one that differs between a resumed and an
                             uninterrupted sweep)

Every file is written atomically (:mod:`sim.output.atomic`) the moment its
run finishes, so a sweep killed at any instant loses at most the runs in
flight, and a run file that exists is complete.  Opening a directory that
holds a different sweep (another spec, another model version) is refused
rather than mixed; a lock stops two invocations from sweeping one directory
at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
from pathlib import Path
from typing import Iterator

from ..errors import InputError
from ..output.atomic import write_bytes, write_text
from .worker import pack, unpack

MANIFEST = "manifest.json"
SESSIONS = "sessions.jsonl"
LOCK = ".lock"


class SweepStore:
    def __init__(self, root: Path):
        self.root = Path(root)

    # --- checking ------------------------------------------------------------------
    @staticmethod
    def check(root: Path, manifest: dict, option: str = "--out") -> bool:
        """Whether ``root`` already holds this sweep; an InputError if it holds anything else.

        Writes nothing.
        """
        root = Path(root)
        if root.exists() and not root.is_dir():
            raise InputError(f"expected a directory, but {root} is a file", source=option)
        if not root.exists() or not any(p.name != LOCK for p in root.iterdir()):
            return False
        try:
            existing = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise InputError(f"expected an empty directory or a sweep directory, but {root} has other files "
                             f"(choose another --out)", source=option) from None
        if existing.get("kind") != "sweep":
            raise InputError(f"expected a sweep directory, but {root} holds a {existing.get('kind', 'different')} result "
                             f"(choose another --out)", source=option)
        if existing.get("model_version") != manifest["model_version"]:
            raise InputError(f"{root} holds runs of model version {existing.get('model_version')}, but the model is now "
                             f"{manifest['model_version']} (its code changed): refusing to mix them; delete {root} to "
                             f"rerun the sweep, or choose another --out", source=option)
        if existing.get("fingerprint") != manifest["fingerprint"]:
            changed = differences(existing.get("document", {}), manifest["document"])
            raise InputError(f"{root} holds a different sweep ({existing.get('name')}; changed: {', '.join(changed) or 'spec'}): "
                             f"refusing to mix them (choose another --out, or delete the directory to start over)",
                             source=option)
        return True

    # --- opening -------------------------------------------------------------------
    @contextlib.contextmanager
    def opened(self, manifest: dict) -> Iterator["SweepStore"]:
        """Create or reopen the directory, locked against other invocations."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / LOCK, "a+") as lock:
            try:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise InputError(f"another bandwagon sweep is writing to {self.root}", source="--out") from None
            self._remove_leftovers()
            if not (self.root / MANIFEST).exists():
                write_text(self.root / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
            yield self

    def _remove_leftovers(self) -> None:
        """Temporary files of writes cut short by a kill: never complete, safe to delete."""
        for tmp in self.root.rglob(".*.tmp"):
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()

    # --- runs ----------------------------------------------------------------------
    def run_path(self, key: str) -> Path:
        return self.root / "runs" / key[:2] / f"{key}.json.gz"

    def has(self, key: str) -> bool:
        return self.run_path(key).exists()

    def put(self, key: str, record_json: bytes) -> None:
        write_bytes(self.run_path(key), pack(record_json))

    def get(self, key: str) -> dict:
        return unpack(self.run_path(key).read_bytes())

    def log_session(self, entry: dict) -> None:
        path = self.root / SESSIONS
        previous = path.read_text(encoding="utf-8") if path.exists() else ""
        write_text(path, previous + json.dumps(entry, sort_keys=True, default=str) + "\n")


def differences(old: dict, new: dict) -> list[str]:
    """Dotted names of the top-level parts that differ (spec fields, base scenario)."""
    changed = []
    for part in ("spec", "base"):
        a, b = old.get(part, {}), new.get(part, {})
        if part == "base":  # its seed and replications are the spec's, already compared
            if {k: v for k, v in a.items() if k not in ("seed", "replications")} != \
                    {k: v for k, v in b.items() if k not in ("seed", "replications")}:
                changed.append("base scenario")
            continue
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                changed.append(key)
    return changed
