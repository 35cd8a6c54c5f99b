"""File formats of the large tables (``timeseries``, ``adoptions``): gzip-compressed CSV, CSV, Parquet.

``csv.gz`` (the default) is what a modeller can open anywhere: ``pandas.read_csv``,
R's ``read.csv`` and ``readr::read_csv`` read it directly, ``zcat`` shows it, and it
takes about a tenth of the plain CSV's space.  It is written with no timestamp and
no file name in the gzip header, so equal results give byte-identical files.
``parquet`` (the optional extra ``parquet``: pyarrow) is typed, columnar and
smaller still, for pandas, polars, R's arrow or DuckDB.  ``csv`` is the plain text.

A table is written as a stream of *blocks* (a replication at a time): each block
maps column names to equal-length arrays (``int`` columns: integers; ``date``:
``datetime64[D]``; ``str``: strings).  CSV writes the rows of each block;
Parquet writes each block as a row group, so memory stays that of one block.
Readers find a table by its stem whatever its format (:func:`find`) and read
rows back as text (:func:`read_rows`), whichever format wrote them.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import os
from pathlib import Path
from typing import IO, Iterable, Iterator, Mapping, Sequence

import numpy as np

from ..errors import InputError
from .atomic import atomic_file

FORMATS = ("csv.gz", "csv", "parquet")
DEFAULT_FORMAT = "csv.gz"
GZIP_LEVEL = 6
"""zlib's default (as gzip's): 7 times smaller than CSV for the baseline's adoptions at 50 MB/s; level 9 gains 7% for
four times the time, level 1 loses 44%."""

Columns = Sequence[tuple[str, str]]
"""``(name, kind)`` of each column in order, ``kind`` one of ``int``, ``date``, ``str``."""


def suffix(path: str | os.PathLike) -> str:
    name = Path(path).name
    for fmt in FORMATS:
        if name.endswith("." + fmt):
            return fmt
    return Path(path).suffix.lstrip(".")


def table_name(stem: str, fmt: str) -> str:
    return f"{stem}.{fmt}"


def find(directory: str | os.PathLike, stem: str) -> Path | None:
    """The table ``stem`` in ``directory``, in whichever format it was written; None if absent."""
    for fmt in FORMATS:
        path = Path(directory) / table_name(stem, fmt)
        if path.is_file():
            return path
    return None


def check_format(fmt: str, option: str = "--tables") -> None:
    """A known format whose library is installed, or one line saying what to do."""
    if fmt not in FORMATS:
        raise InputError(f"expected one of {', '.join(FORMATS)}, got {fmt!r}", source=option)
    if fmt == "parquet":
        _pyarrow(option)


def _pyarrow(source: str):
    try:
        import pyarrow
        import pyarrow.parquet  # noqa: F401 - the submodule the writers and readers use
    except ImportError:
        raise InputError("expected pyarrow for Parquet tables: pip install -e '.[parquet]'", source=source) from None
    return pyarrow


# --- writing -------------------------------------------------------------------------------
def write_table(path: str | os.PathLike, columns: Columns, blocks: Iterable[Mapping[str, Sequence]]) -> None:
    """Write ``blocks`` atomically to ``path``, in the format its name ends with."""
    fmt = suffix(path)
    if fmt == "parquet":
        _write_parquet(path, columns, blocks)
    elif fmt in ("csv", "csv.gz"):
        with _text(path, compressed=fmt == "csv.gz") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow([name for name, _ in columns])
            for block in blocks:
                writer.writerows(zip(*(_as_text(block[name], kind) for name, kind in columns)))
    else:
        raise ValueError(f"unknown table format of {path}")


@contextlib.contextmanager
def _text(path: str | os.PathLike, compressed: bool) -> Iterator[IO[str]]:
    if not compressed:
        with atomic_file(path, "w", encoding="utf-8", newline="") as text:
            yield text
        return
    with atomic_file(path, "wb") as raw:
        # No name and no time in the header: equal tables, equal bytes.
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=GZIP_LEVEL, mtime=0) as packed:
            with io.TextIOWrapper(packed, encoding="utf-8", newline="") as text:
                yield text


def _as_text(values: Sequence, kind: str) -> list[str]:
    if kind == "int":
        return list(map(str, np.asarray(values, dtype=np.int64).tolist()))
    if kind == "date":
        return [str(d) for d in np.asarray(values, dtype="datetime64[D]")]
    return list(values)


def _write_parquet(path: str | os.PathLike, columns: Columns, blocks) -> None:
    pa = _pyarrow(str(path))
    import pyarrow.parquet as pq

    types = {"int": pa.int64(), "date": pa.date32(), "str": pa.string()}
    schema = pa.schema([(name, types[kind]) for name, kind in columns])
    with atomic_file(path, "wb") as raw:
        # Strings dictionary-encoded, integers and dates as deltas (counts and days change little row to row).
        writer = pq.ParquetWriter(raw, schema, compression="zstd",
                                  use_dictionary=[name for name, kind in columns if kind == "str"],
                                  column_encoding={name: "DELTA_BINARY_PACKED" for name, kind in columns if kind != "str"})
        try:
            for block in blocks:
                arrays = [pa.array(np.asarray(block[name], dtype="datetime64[D]") if kind == "date" else block[name],
                                   type=types[kind]) for name, kind in columns]
                writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
        finally:
            writer.close()


# --- reading -------------------------------------------------------------------------------
def read_rows(path: str | os.PathLike, columns: Sequence[str]) -> list[list[str]]:
    """The rows of a table as text (dates ISO, integers in decimal), checking its columns are ``columns``."""
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", source=str(path))
    if suffix(path) == "parquet":
        return _parquet_rows(path, columns)
    opener = gzip.open if suffix(path) == "csv.gz" else open
    try:
        with opener(path, "rt", newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            _check_header(path, header or [], columns)
            return list(reader)
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise InputError(f"expected a readable {suffix(path)} table ({exc.__class__.__name__})", source=str(path)) from None


def _parquet_rows(path: Path, columns: Sequence[str]) -> list[list[str]]:
    _pyarrow(str(path))
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # noqa: BLE001 - any failure to parse is a bad file
        raise InputError(f"expected a Parquet table ({exc.__class__.__name__})", source=str(path)) from None
    _check_header(path, table.column_names, columns)
    text = []
    for column in table.columns:
        values = column.to_numpy(zero_copy_only=False)
        text.append([str(v) for v in values] if values.dtype != object else list(values))
    return [list(row) for row in zip(*text)]


def _check_header(path: Path, header: Sequence[str], columns: Sequence[str]) -> None:
    if tuple(header) != tuple(columns):
        raise InputError(f"expected columns {','.join(columns)}, got {','.join(header)}", source=str(path))
