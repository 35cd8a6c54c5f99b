"""The run tables in each format hold the same rows, read back the same, and are byte-reproducible."""

from __future__ import annotations

import csv
import gzip
import sys

import numpy as np
import pytest

from sim import Scenario, simulate
from sim.errors import InputError
from sim.output.formats import FORMATS, check_format, find, read_rows
from sim.output.tables import ADOPTION_COLUMNS, TIMESERIES_COLUMNS, read_timeseries, write_adoptions, write_timeseries


@pytest.fixture(scope="module")
def runs(tiny_path):
    scenario = Scenario.from_yaml(tiny_path)
    return scenario, [simulate(scenario, r) for r in range(2)]


@pytest.fixture(scope="module")
def written(runs, tmp_path_factory):
    scenario, records = runs
    directories = {}
    for fmt in FORMATS:
        directory = tmp_path_factory.mktemp(fmt.replace(".", "-"))
        write_timeseries(directory / f"timeseries.{fmt}", records)
        write_adoptions(directory / f"adoptions.{fmt}", records, scenario.horizon.start)
        directories[fmt] = directory
    return directories


@pytest.mark.slow
def test_every_format_holds_the_same_rows(written):
    for stem, columns in (("timeseries", TIMESERIES_COLUMNS), ("adoptions", ADOPTION_COLUMNS)):
        plain = read_rows(written["csv"] / f"{stem}.csv", columns)
        assert plain
        for fmt in ("csv.gz", "parquet"):
            assert read_rows(find(written[fmt], stem), columns) == plain, (stem, fmt)


def test_the_timeseries_reads_back_as_the_records(runs, written):
    _, records = runs
    for fmt in FORMATS:
        dates, series = read_timeseries(find(written[fmt], "timeseries"))
        assert np.array_equal(dates, records[0].dates())
        assert list(series) == list(records[0].metrics)
        for metric, values in series.items():
            assert np.array_equal(values, np.stack([run.metrics[metric] for run in records]), equal_nan=True), \
                (fmt, metric)


def test_adoptions_are_one_row_per_account(runs, written):
    _, records = runs
    rows = read_rows(written["parquet"] / "adoptions.parquet", ADOPTION_COLUMNS)
    assert len(rows) == sum(len(run.adoptions) for run in records)
    sina = [r for r in rows if r[0] == "0" and r[4] == "sina"]
    assert len(sina) == records[0].metrics["gov_accounts.sina"][-1]


def test_compressed_csv_is_plain_gzip_and_byte_reproducible(runs, written, tmp_path):
    _, records = runs
    with gzip.open(written["csv.gz"] / "timeseries.csv.gz", "rt", newline="") as handle:  # any gzip reader
        assert tuple(next(csv.reader(handle))) == TIMESERIES_COLUMNS
    assert gzip.decompress((written["csv.gz"] / "timeseries.csv.gz").read_bytes()) == \
        (written["csv"] / "timeseries.csv").read_bytes()
    for fmt in ("csv.gz", "parquet"):
        again = tmp_path / f"timeseries.{fmt}"
        write_timeseries(again, records)
        assert again.read_bytes() == (written[fmt] / f"timeseries.{fmt}").read_bytes(), fmt
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_the_compressed_tables_are_much_smaller(written):
    for stem in ("timeseries", "adoptions"):
        plain = (written["csv"] / f"{stem}.csv").stat().st_size
        assert (written["csv.gz"] / f"{stem}.csv.gz").stat().st_size < plain / 4, stem


def test_find_prefers_what_is_there_and_says_none_otherwise(written, tmp_path):
    assert find(written["parquet"], "timeseries").name == "timeseries.parquet"
    assert find(tmp_path, "timeseries") is None


def test_parquet_without_pyarrow_is_one_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now raises ImportError
    with pytest.raises(InputError, match=r"--tables: expected pyarrow for Parquet tables: pip install -e '\.\[parquet\]'"):
        check_format("parquet")
    check_format("csv.gz")
    with pytest.raises(InputError, match="expected one of csv.gz, csv, parquet"):
        check_format("xlsx")


def test_a_damaged_table_is_one_line(tmp_path):
    bad = tmp_path / "timeseries.csv.gz"
    bad.write_bytes(b"not gzip at all")
    with pytest.raises(InputError, match="expected a readable csv.gz table"):
        read_rows(bad, TIMESERIES_COLUMNS)
