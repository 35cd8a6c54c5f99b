"""The classes of bad input a newcomer tripped on (issue 11), each drawn by hypothesis.

Every mangled scenario must give exit status 2 and one line on stderr naming
the file and the field, from ``validate`` as from ``run``, and nothing written.
Each strategy below is one class: impossible dates, YAML tags on the wrong
text, keys that are not text, nesting beyond the limit, values the JSON Schema
refuses, numbers beyond the model's bounds, events that a run would refuse,
deletion of required fields, dates where text was meant, and every number of
the schema beyond the bounds the schema states (read from ``bandwagon
schema``, so a field added to the schema is drawn without a new test).  At
those bounds the model runs, or refuses in one line (issue 19: a patience of
1e308 hours overflowed, a staff of 1e9 ran out of memory, a feedback window of
1e9 days hung).
"""

from __future__ import annotations

import json
import math
import os
import resource
import signal
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import Scenario
from sim.cli import main
from sim.commands.schema import scenario_json_schema
from sim.errors import InputError
from sim.files import MAX_INPUT_BYTES
from sim.model.simulation import simulate
from sim.scenario import paths
from sim.scenario.loading import MAX_DEPTH, MAX_EXTENDS, MAX_VALUES

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

DATE_FIELDS = {  # where a date goes, as flow YAML extending the baseline
    "horizon.end": "horizon: {{end: {d}}}",
    "platforms.tencent.launch": "platforms: {{tencent: {{launch: {d}}}}}",
    "events.policy_push.date": "events: {{policy_push: {{date: {d}}}}}",
    "accounts.shanghai_city.launch": "accounts: {{shanghai_city: {{launch: {d}}}}}",
}


@st.composite
def impossible_dates(draw):
    year = draw(st.integers(2010, 2011))
    month, day = draw(st.one_of(
        st.tuples(st.integers(13, 99), st.integers(1, 28)),            # no such month
        st.tuples(st.sampled_from([2]), st.integers(30, 31)),           # February
        st.tuples(st.sampled_from([4, 6, 9, 11]), st.just(31)),         # 30-day months
        st.tuples(st.integers(1, 12), st.integers(32, 99))))             # no such day
    text = f"{year}-{month:02d}-{day:02d}"
    quoted = draw(st.booleans())
    field = draw(st.sampled_from(sorted(DATE_FIELDS)))
    return DATE_FIELDS[field].format(d=f"'{text}'" if quoted else text), field


@st.composite
def wrong_tags(draw):
    tag, text = draw(st.sampled_from([("!!int", "abc"), ("!!float", "abc"), ("!!bool", "maybe"),
                                      ("!!timestamp", "garbage"), ("!!int", "1.5"), ("!!float", "1,2")]))
    field, yaml_text = draw(st.sampled_from([
        ("description", "description: {v}"), ("seed", "seed: {v}"),
        ("agencies.levels.county.label", "agencies: {{levels: {{county: {{label: {v}}}}}}}")]))
    return yaml_text.format(v=f"{tag} '{text}'"), field


@st.composite
def non_text_keys(draw):
    key = draw(st.sampled_from(["[a, b]", "{a: 1}", "1", "true", "null", "2011-01-01"]))
    field, yaml_text = draw(st.sampled_from([
        ("agencies.levels", "agencies: {{levels: {{? {k} : 1}}}}"),
        ("provinces", "provinces: {{? {k} : 1}}"),
        ("set", "set: {{? {k} : 1}}")]))
    return yaml_text.format(k=key), field


@st.composite
def too_deep(draw):
    depth = draw(st.integers(MAX_DEPTH, 400))
    field = draw(st.sampled_from(["description", "set.description", "agencies.levels.county.label"]))
    nested = "[" * depth + "]" * depth
    text = {"description": f"description: {nested}", "set.description": f"set: {{description: {nested}}}",
            "agencies.levels.county.label": f"agencies: {{levels: {{county: {{label: {nested}}}}}}}"}[field]
    return text, field


STRICT = [  # values pydantic's lax mode coerced and the JSON Schema refuses
    ("seed", "seed: {v}", ["true", "'5'", "7.0", "1e3"]),
    ("replications", "replications: {v}", ["true", "'4'", "4.0"]),
    ("population.internet.initial_users", "population: {{internet: {{initial_users: {v}}}}}", ["true", "'5'"]),
    ("events.policy_push.enabled", "events: {{policy_push: {{enabled: {v}}}}}", ["'yes'", "1", "'true'"]),
    ("platforms.sina.label", "platforms: {{sina: {{label: {v}}}}}", ["12", "true"]),
]


@st.composite
def coerced(draw):
    field, yaml_text, values = draw(st.sampled_from(STRICT))
    return yaml_text.format(v=draw(st.sampled_from(values))), field


OUT_OF_RANGE = [  # numbers the model cannot run with, and the field named
    ("population.total", "population: {{total: {v}}}", ["1e30", "100000000000"]),
    ("platforms.sina.users.initial_users", "platforms: {{sina: {{users: {{initial_users: {v}}}}}}}",
     ["1e308", "600000000"]),
    ("platforms.tencent.users.imitation", "platforms: {{tencent: {{users: {{imitation: {v}}}}}}}", ["1e308", "2e6"]),
    ("agencies.levels.county.count", "agencies: {{levels: {{county: {{count: {v}}}}}}}", ["1000000000", "10000001"]),
    ("agencies.levels.county.hazard.size_elasticity",
     "agencies: {{levels: {{county: {{hazard: {{size_elasticity: {v}}}}}}}}}", ["1e3", "-50.0"]),
    ("horizon.end", "horizon: {{end: {v}}}", ["2200-01-01"]),
    ("population.internet.capacity", "set: {{population.internet.capacity: {v}}}", ["0", "100"]),
]


@st.composite
def out_of_range(draw):
    field, yaml_text, values = draw(st.sampled_from(OUT_OF_RANGE))
    return yaml_text.format(v=draw(st.sampled_from(values))), field


REFUSED_CHANGES = {  # per path, changes that leave a value a run would refuse
    "agencies.levels.*.hazard.innovation": ["add: -1", "set: -5.0", "add: 1e308"],
    "platforms.*.users.imitation": ["add: -1000", "multiply: 1e6", "add: 1e308"],
    "accounts.*.platforms.*.reach": ["add: 2", "set: -0.5", "multiply: 1000"],
}


@st.composite
def refused_events(draw):
    """Dated changes a run would refuse mid-way: validate applies them in date order."""
    path = draw(st.sampled_from(sorted(REFUSED_CHANGES)))
    change = draw(st.sampled_from(REFUSED_CHANGES[path]))
    return f"events: {{policy_push: {{changes: [{{path: '{path}', {change}}}]}}}}", "events.policy_push.changes.0"


@st.composite
def bad_paths(draw):
    path = draw(st.sampled_from(["''", "'a..b'", "'agencies.levels.*.hazard.'", "'.x'"]))
    return f"events: {{policy_push: {{changes: [{{path: {path}, add: 1}}]}}}}", "events.policy_push.changes.0.path"


@st.composite
def deleted_required(draw):
    field, yaml_text = draw(st.sampled_from([
        ("horizon", "horizon: null"), ("agencies.levels.county.hazard", "agencies: {levels: {county: {hazard: null}}}"),
        ("population.internet.capacity", "population: {internet: {capacity: null}}"),
        ("platforms.sina.users", "platforms: {sina: {users: null}}")]))
    return yaml_text, field


@st.composite
def unmatched_metrics(draw):
    pattern = draw(st.sampled_from(["nothing*", "gov_accounts.weibo", "followers.beijing.*"]))
    return f"outputs: {{metrics: ['{pattern}']}}", "outputs.metrics.0"


@st.composite
def dates_for_text(draw):
    field, yaml_text = draw(st.sampled_from([
        ("description", "description: {d}"), ("platforms.sina.label", "platforms: {{sina: {{label: {d}}}}}"),
        ("events.policy_push.description", "events: {{policy_push: {{description: {d}}}}}"),
        ("accounts.shanghai_city.source", "accounts: {{shanghai_city: {{source: {d}}}}}")]))
    return yaml_text.format(d=draw(st.sampled_from(["2011-01-01", "2012-02-29"]))), field


# --- every number of the schema, at and beyond its bounds ----------------------------------------
EVERY_FIELD = Path(__file__).parent / "data" / "every-field.yaml"
"""The tiny scenario with every optional numeric field present (lognormal durations, a hot issue, add and set)."""


def numeric_fields(schema: dict) -> list[tuple[str, dict]]:
    """Every number of the JSON Schema: (dotted path with ``*`` for any key or index, its node)."""
    defs, found = schema.get("$defs", {}), []

    def walk(node: dict, path: str) -> None:
        if "$ref" in node:
            return walk(defs[node["$ref"].split("/")[-1]], path)
        for option in node.get("anyOf", []):
            walk(option, path)
        kind = node.get("type")
        if kind in ("integer", "number"):
            found.append((path, node))
        elif kind == "object":
            for key, child in node.get("properties", {}).items():
                walk(child, f"{path}.{key}" if path else key)
            for child in [node.get("additionalProperties"), *node.get("patternProperties", {}).values()]:
                if isinstance(child, dict):
                    walk(child, f"{path}.*")
        elif kind == "array":
            walk(node.get("items", {}), f"{path}.*")

    walk(schema, "")
    return found


FIELDS = numeric_fields(scenario_json_schema())


def upper(node: dict):
    """The largest value the schema accepts (just below an exclusive maximum)."""
    if "maximum" in node:
        return node["maximum"]
    return node["exclusiveMaximum"] - 1 if node["type"] == "integer" else math.nextafter(node["exclusiveMaximum"], 0)


def lower(node: dict):
    """The smallest value the schema accepts (just above an exclusive minimum)."""
    if "minimum" in node:
        return node["minimum"]
    bound = node["exclusiveMinimum"]
    return bound + 1 if node["type"] == "integer" else math.nextafter(bound, math.inf)


def beyond(node: dict) -> list:
    """Values past the schema's bounds, on both sides."""
    integer = node["type"] == "integer"
    values = []
    if "maximum" in node:
        top = node["maximum"]
        values += [top + 1, top * 10 + 1, 10**30] if integer else [top * 2 + 1, 1e308]
    else:
        values.append(node["exclusiveMaximum"])
    if "minimum" in node:
        bottom = node["minimum"]
        values += [bottom - 1] if integer else [bottom - 1, bottom / 2 if bottom > 0 else -1e308]
    else:
        values.append(node["exclusiveMinimum"])
    return [v for v in values if not ("minimum" in node and "maximum" in node
                                      and node["minimum"] <= v <= node["maximum"])]


def yaml_number(value) -> str:
    return repr(value) if isinstance(value, (int, float)) and math.isfinite(value) else ".inf"


@st.composite
def beyond_schema_bounds(draw):
    """Any number of the schema set beyond the bounds ``bandwagon schema`` states for it."""
    pattern, node = draw(st.sampled_from(FIELDS))
    field = draw(st.sampled_from(_instances(pattern)))
    value = draw(st.sampled_from(beyond(node)))
    return f"set: {{{field}: {yaml_number(value)}}}", field


def _instances(pattern: str) -> list[str]:
    return paths.expand(_every_field_document(), pattern)


_DOCUMENT: list[dict] = []


def _every_field_document() -> dict:
    if not _DOCUMENT:
        _DOCUMENT.append(Scenario.from_yaml(EVERY_FIELD).to_dict())
    return _DOCUMENT[0]


CLASSES = {
    "impossible date": impossible_dates(), "YAML tag on the wrong text": wrong_tags(),
    "key that is not text": non_text_keys(), "nesting too deep": too_deep(), "coerced type": coerced(),
    "number out of range": out_of_range(), "event a run would refuse": refused_events(),
    "malformed event path": bad_paths(), "required field deleted": deleted_required(),
    "metric pattern matching nothing": unmatched_metrics(), "date where text was meant": dates_for_text(),
    "number beyond the schema's bounds": beyond_schema_bounds(),
}
BASES = {"number beyond the schema's bounds": EVERY_FIELD}
"""The file a class's cases extend, when not the baseline."""


def assert_one_line(capsys, status: int, file, field: str | None) -> str:
    err = capsys.readouterr().err
    assert status == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert str(file) in lines[0], lines[0]
    if field is not None:  # the field, or a path inside it (nesting names the innermost)
        assert f": {field}: " in lines[0] or f": {field}." in lines[0], (field, lines[0])
    return lines[0]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CLASSES))
def test_each_class_is_one_line_naming_file_and_field(name, tmp_path, baseline_path, capsys):
    @FAST
    @given(case=CLASSES[name])
    def check(case):
        text, field = case
        path = tmp_path / "mangled.yaml"
        path.write_text(f"extends: {BASES.get(name, baseline_path)}\n{text}\n", encoding="utf-8")
        assert_one_line(capsys, main(["validate", str(path)]), path, field)

    check()


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_run_refuses_each_class_and_writes_nothing(name, tmp_path, baseline_path, capsys):
    text, field = _first(CLASSES[name])
    path = tmp_path / "mangled.yaml"
    path.write_text(f"extends: {BASES.get(name, baseline_path)}\n{text}\n", encoding="utf-8")
    out = tmp_path / "out"
    assert_one_line(capsys, main(["run", str(path), "--out", str(out), "--no-progress"]), path, field)
    assert not out.exists() and not list(tmp_path.glob(".out*"))


def _first(strategy):
    """One example of a strategy, drawn deterministically (hypothesis's own example() is for consoles)."""
    found = []

    @settings(max_examples=1, database=None, derandomize=True, deadline=None)
    @given(strategy)
    def take(case):
        found.append(case)

    take()
    return found[0]


def test_every_number_of_the_schema_is_bounded_on_both_sides():
    unbounded = [pattern for pattern, node in FIELDS
                 if not ({"maximum", "exclusiveMaximum"} & set(node) and {"minimum", "exclusiveMinimum"} & set(node))]
    assert len(FIELDS) > 50 and not unbounded, unbounded


def test_every_number_of_the_schema_is_in_the_test_scenario():
    """So the bounds tests reach it; a new optional field needs a value in tests/data/every-field.yaml."""
    missing = [pattern for pattern, _ in FIELDS if not _instances(pattern)]
    assert not missing, missing


class _Slow(Exception):
    pass


MEMORY = 2 << 30
"""What a run at a bound may add to the test process's address space (a number that escaped its bound once
took 23 GB, and the machine with it)."""


def _address_space() -> int:
    """This process's address space now, in bytes."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) << 10 for line in status if line.startswith("VmSize:"))


def _alarm(signum, frame):
    raise _Slow()


@pytest.mark.slow  # a run to 2011-12-10 per field and side: minutes in all
@pytest.mark.parametrize("side", ["lower", "upper"])
@pytest.mark.parametrize("pattern", [pattern for pattern, _ in FIELDS])
def test_at_its_bounds_every_number_runs_or_is_refused_in_one_line(pattern, side, tmp_path):
    """Every instance of the field at the bound the schema states: the model runs (to 2011-12-10, within a
    minute, without a warning) or the scenario is refused in one line naming a file and a field (a check across
    fields, or an event that takes its target past the target's bound, blamed on the file defining the event)."""
    node = dict(FIELDS)[pattern]
    value = upper(node) if side == "upper" else lower(node)
    path = tmp_path / "bound.yaml"
    path.write_text(f"extends: {EVERY_FIELD}\nset: {{'{pattern}': {yaml_number(value)}}}\n")
    try:
        scenario = Scenario.from_yaml(path)
    except InputError as error:
        assert error.field and error.source and "\n" not in error.line(), error.line()
        return
    previous = signal.signal(signal.SIGALRM, _alarm)
    memory = resource.getrlimit(resource.RLIMIT_AS)
    signal.alarm(60)
    resource.setrlimit(resource.RLIMIT_AS, (_address_space() + MEMORY, memory[1]))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            records = simulate(scenario, 0)
    except _Slow:
        pytest.fail(f"{pattern} = {value!r}: the run took more than 60 s")
    except MemoryError:
        pytest.fail(f"{pattern} = {value!r}: the run needed more than {MEMORY >> 30} GiB")
    finally:
        resource.setrlimit(resource.RLIMIT_AS, memory)
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    for name, values in records.metrics.items():
        assert (values >= 0).all() if values.dtype.kind == "i" else not (values < 0).any(), (pattern, name)


# --- files the operating system or the reader must refuse ----------------------------------------
def test_files_that_are_not_scenarios(tmp_path, baseline_path, capsys):
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(bytes(range(256)) * 4)
    big = tmp_path / "big.yaml"
    big.write_text("description: " + "x" * (MAX_INPUT_BYTES + 10))
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    directory = tmp_path / "folder"
    directory.mkdir()
    for target, words in [("/dev/zero", "regular file"), ("/dev/urandom", "regular file"),
                          ("/dev/null", "regular file"), ("/etc/passwd", "at the top level"), (".", "directory"),
                          (str(directory), "directory"), (str(binary), "UTF-8"), (str(big), "at most 4 MiB"),
                          (str(fifo), "named pipe"), ("a" * 300 + ".yaml", "at most 255 bytes"),
                          ("a\x00b.yaml", "without NUL bytes")]:
        child = tmp_path / "child.yaml"
        child.write_text(f"extends: {json.dumps(target)}\n")
        line = assert_one_line(capsys, main(["validate", str(child)]), child, "extends")
        assert words in line, (target, line)
    for direct, words in [(fifo, "named pipe"), (big, "at most 4 MiB"), (directory, "directory"),
                          (tmp_path / ("b" * 300), "at most 255 bytes"), (tmp_path / "a\x00b", "NUL")]:
        line = assert_one_line(capsys, main(["validate", str(direct)]), "", None)
        assert words in line, line


def test_a_scenario_given_as_the_targets_file(tmp_path, baseline_path, capsys):
    child = tmp_path / "child.yaml"
    child.write_text(f"extends: {baseline_path}\noutputs: {{targets: {baseline_path}}}\n")
    line = assert_one_line(capsys, main(["validate", str(child)]), child, "outputs.targets")
    assert f"expected a targets file, but {baseline_path}" in line


def test_alias_bomb_and_recursive_alias_are_refused_quickly(tmp_path, capsys):
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\n")
    line = assert_one_line(capsys, main(["validate", str(bomb)]), bomb, None)
    assert f"at most {MAX_VALUES:,} values" in line
    loop = tmp_path / "loop.yaml"
    loop.write_text("a: &a [*a]\n")
    assert "levels of nesting" in assert_one_line(capsys, main(["validate", str(loop)]), loop, "a")


def test_a_chain_of_extends_is_limited(tmp_path, baseline_path, capsys):
    for i in range(40):
        (tmp_path / f"c{i}.yaml").write_text(f"extends: c{i + 1}.yaml\n")
    (tmp_path / "c40.yaml").write_text(f"extends: {baseline_path}\n")
    line = assert_one_line(capsys, main(["validate", str(tmp_path / "c0.yaml")]), tmp_path, "extends")
    assert f"at most {MAX_EXTENDS} files" in line


# --- the loader agrees with its JSON Schema ------------------------------------------------------
def _schema_accepts(schema: dict, node: dict, value) -> bool:
    """The JSON Schema's type check for one leaf (enough for the types scenarios use)."""
    node = node.get("anyOf", [node])
    kinds = {n.get("type") for n in node}
    return (("integer" in kinds and isinstance(value, int) and not isinstance(value, bool))
            or ("number" in kinds and isinstance(value, (int, float)) and not isinstance(value, bool))
            or ("boolean" in kinds and isinstance(value, bool)) or ("string" in kinds and isinstance(value, str)))


def _leaf(schema: dict, path: list[str]) -> dict:
    node, defs = schema, schema.get("$defs", {})
    for part in path:
        node = defs[node["$ref"].split("/")[-1]] if "$ref" in node else node
        if "properties" in node and part in node["properties"]:
            node = node["properties"][part]
        else:  # a mapping of names: one pattern for every key
            node = node.get("additionalProperties") or next(iter(node["patternProperties"].values()))
    return defs[node["$ref"].split("/")[-1]] if "$ref" in node else node


@pytest.mark.parametrize("field, value", [
    ("seed", True), ("seed", "5"), ("seed", 7.0), ("replications", "4"),
    ("population.internet.initial_users", True), ("population.internet.initial_users", "5"),
    ("events.policy_push.enabled", "yes"), ("platforms.sina.label", 12),
])
def test_what_the_schema_refuses_the_loader_refuses(field, value, tmp_path, baseline_path):
    assert not _schema_accepts(scenario_json_schema(), _leaf(scenario_json_schema(), field.split(".")), value)
    path = tmp_path / "s.yaml"
    path.write_text(f"extends: {baseline_path}\nset: {{{field}: {json.dumps(value)}}}\n")
    with pytest.raises(InputError) as info:
        Scenario.from_yaml(path)
    assert info.value.field == field


def test_dates_bare_or_quoted_as_the_schema_says(tmp_path, baseline_path):
    end = _leaf(scenario_json_schema(), ["horizon", "end"])
    assert end == {**end, "type": "string", "format": "date"}
    for text in ("2012-01-31", "'2012-01-31'", '"2012-01-31"'):
        path = tmp_path / "d.yaml"
        path.write_text(f"extends: {baseline_path}\nhorizon: {{end: {text}}}\n")
        assert str(Scenario.from_yaml(path).horizon.end) == "2012-01-31"
    path.write_text(f"extends: {baseline_path}\nhorizon: {{end: '2012-01-31T00:00:00'}}\n")
    with pytest.raises(InputError, match="horizon.end"):
        Scenario.from_yaml(path)


def test_bounds_are_stated_in_the_schema(baseline_path):
    schema = scenario_json_schema()
    count = _leaf(schema, ["agencies", "levels", "county", "count"])
    assert count["maximum"] == 10_000_000 and "10,000,000" in count["description"]
    rate = _leaf(schema, ["agencies", "levels", "county", "hazard", "imitation"])
    assert rate["maximum"] == 1e6 and "1,000,000" in rate["description"]


# --- who is blamed ---------------------------------------------------------------------------------
def refusal(path, text: str) -> InputError:
    """The error loading ``text`` written at ``path`` raises."""
    path.write_text(text)
    with pytest.raises(InputError) as info:
        Scenario.from_yaml(path)
    return info.value


def test_two_field_checks_blame_the_file_that_changed_one(tmp_path, baseline_path):
    child = tmp_path / "child.yaml"
    error = refusal(child, f"extends: {baseline_path}\nset: {{population.internet.capacity: 0}}\n")
    assert (error.source, error.field) == (str(child), "population.internet.capacity")
    error = refusal(child, f"extends: {baseline_path}\nhorizon: {{start: 2010-01-01}}\n")  # after Sina's launch
    assert (error.source, error.field) == (str(child), "horizon.start")


def test_a_name_from_the_file_name_is_blamed_on_that_file(tmp_path, baseline_path):
    child = tmp_path / "Not A Name.yaml"
    error = refusal(child, f"extends: {baseline_path}\nname: null\n")
    assert (error.source, error.field) == (str(child), "name") and "file name" in error.expected


def test_an_event_a_run_would_refuse_names_the_file_that_defined_it(tmp_path, baseline_path):
    middle = tmp_path / "middle.yaml"
    middle.write_text(f"extends: {baseline_path}\nevents: {{push2: {{date: 2011-11-01, changes: "
                      "[{path: agencies.levels.county.hazard.innovation, add: -0.5}]}}\n")
    child = tmp_path / "child.yaml"
    child.write_text("extends: middle.yaml\nreplications: 2\n")
    with pytest.raises(InputError) as info:
        Scenario.from_yaml(child)
    assert (info.value.source, info.value.field) == (str(middle), "events.push2.changes.0")
    assert "agencies.levels.county.hazard.innovation" in info.value.expected and "2011-11-01" in info.value.expected


# --- null deletes what a file inherits -------------------------------------------------------------
def test_null_deletes_an_inherited_key(tmp_path, baseline_path):
    base = Scenario.from_yaml(baseline_path)
    child = tmp_path / "child.yaml"
    child.write_text(f"extends: {baseline_path}\nagencies: {{levels: {{official: null}}}}\n"
                     "events: {policy_push: null}\noutputs: {targets: null}\n")
    scenario = Scenario.from_yaml(child)
    assert set(scenario.agencies.levels) == set(base.agencies.levels) - {"official"}
    assert scenario.events == {} and scenario.outputs.targets is None
    # a null the file does not inherit is a value like any other
    own = tmp_path / "own.yaml"
    own.write_text(f"extends: {baseline_path}\nagencies: {{levels: {{village: null}}}}\n")
    with pytest.raises(InputError) as info:
        Scenario.from_yaml(own)
    assert (info.value.source, info.value.field) == (str(own), "agencies.levels.village")


# --- output places, pipes, help -----------------------------------------------------------------
PLACES = ["/proc/bandwagon-x", "/sys/bandwagon-x", "/dev/null/sub", "{tmp}/afile/sub"]


@pytest.fixture(scope="module")
def one_run(tmp_path_factory, tiny_path):
    out = tmp_path_factory.mktemp("run") / "tiny"
    assert main(["run", str(tiny_path), "--replications", "1", "--out", str(out), "--no-progress"]) == 0
    return out


@pytest.mark.slow
@pytest.mark.parametrize("place", PLACES)
def test_unwritable_output_places_are_refused_before_any_work(place, tmp_path, tiny_path, one_run, capsys):
    (tmp_path / "afile").write_text("x")
    out = place.format(tmp=tmp_path)
    spec = tmp_path / "cal.yaml"
    spec.write_text(f"base: {tiny_path}\nreplications: 2\nbudget: {{evaluations: 2}}\nparameters:\n"
                    "  x: {path: population.internet.growth_rate, range: [0.3, 0.9]}\n")
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(f"base: {tiny_path}\ndesign: grid\nreplications: 1\nseed: 1\nparameters:\n"
                     "  x: {path: population.internet.growth_rate, values: [0.5]}\n"
                     "outcomes: {a: {metric: gov_accounts.sina, at: 2011-10-31}}\n")
    for argv in (["run", str(tiny_path)], ["calibrate", str(spec)], ["sweep", str(sweep)],
                 ["compare", str(one_run)], ["plot", str(one_run)]):
        status = main([*argv, "--out", out] + (["--no-progress"] if argv[0] in ("run", "calibrate", "sweep") else []))
        line = assert_one_line(capsys, status, "--out", None)
        assert "expected a" in line, line


@pytest.mark.slow
@pytest.mark.parametrize("command", [["schema"], ["validate", "scenarios/baseline.yaml", "scenarios/no-imitation.yaml"]])
def test_output_cut_short_by_its_reader_ends_quietly(command, scenarios_dir):
    process = subprocess.Popen([sys.executable, "-m", "sim", *command], stdout=subprocess.PIPE, cwd=scenarios_dir.parent,
                               stderr=subprocess.PIPE)
    process.stdout.close()  # the reader is gone before the first byte
    status = process.wait(timeout=60)
    err = process.stderr.read().decode()
    assert status in (0, 141) and "Traceback" not in err and "BrokenPipe" not in err, err


def test_help_is_plain_text():
    import argparse

    from sim.cli import build_parser

    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert {"run", "validate", "sweep", "calibrate", "compare", "plot", "schema"} <= set(subparsers.choices)
    for command, sub in subparsers.choices.items():
        text = sub.format_help()
        assert "``" not in text and ":mod:" not in text and ":class:" not in text, (command, text)
    assert "scenario YAML files" in subparsers.choices["validate"].format_help()
