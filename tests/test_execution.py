"""The one executor (:mod:`sim.execution`): order, shared context, bounded work in flight, interruption.

Each property is checked on every backend that has it: in-process, a local
process pool and a Dask LocalCluster.  Tasks here are small functions whose
answers are known (squares, the installing process's id), so every assertion
is exact.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.errors import InputError
from sim.execution import DaskCluster, InProcess, LocalPool, NoContext, make_executor, task_context

BUILT: dict = {}
"""How many contexts the initializer built in this process (a worker's, or this one for in-process)."""


def install(value) -> dict:
    BUILT["count"] = BUILT.get("count", 0) + 1
    return {"value": value, "built": BUILT["count"]}


def slow_square(x: int) -> int:
    time.sleep(0.02 * ((7 * x) % 5))  # finish out of order
    return x * x


def with_context(x: int) -> tuple[int, int, str, int]:
    """``(pid, which context of this process the task got, its value, x)``."""
    held = task_context()
    return os.getpid(), held["built"], held["value"], x


class Holder:
    """An argument that rebuilds itself around the worker's context when unpickled (as a calibration's
    density does), so the context must be in place while the task's arguments are read."""

    def __init__(self, x: int, value=None):
        self.x, self.value = x, value

    def __reduce__(self):
        return (_rebuilt, (self.x,))


def _rebuilt(x: int) -> Holder:
    return Holder(x, task_context()["value"])


def held_value(holder) -> tuple[str, int]:
    return (holder.value if holder.value is not None else task_context()["value"]), holder.x


def sleep_long(x: int) -> int:
    time.sleep(60)
    return x


def executors():
    yield "in-process", lambda **kw: InProcess(**kw)
    yield "local pool", lambda **kw: LocalPool(2, **kw)
    yield "dask", lambda **kw: DaskCluster.connect("local", 2, **kw)


@pytest.fixture(params=[pytest.param(name, marks=pytest.mark.slow) if name == "dask" else name
                        for name, _ in executors()])
def make(request):
    if request.param == "dask":
        pytest.importorskip("distributed")
    return dict(executors())[request.param]


def test_map_returns_results_in_task_order_whatever_order_they_finish(make):
    with make() as executor:
        assert list(executor.map(slow_square, range(12))) == [x * x for x in range(12)]
        assert list(executor.map(slow_square, range(11), chunksize=3)) == [x * x for x in range(11)]
        assert sorted(executor.imap_unordered(slow_square, range(12))) == [x * x for x in range(12)]


def test_the_initializer_builds_the_context_once_in_each_worker(make):
    BUILT.clear()
    with make(initializer=install, initargs=("the problem",)) as executor:
        results = list(executor.map(with_context, range(20)))
        results += list(executor.map(with_context, range(20, 30), chunksize=3))  # a second map: the same context
    assert [x for *_, x in results] == list(range(30))
    assert {value for _, _, value, _ in results} == {"the problem"}
    built = {}
    for pid, count, _, _ in results:
        built.setdefault(pid, set()).add(count)
    # Built once per worker process (in-process: once for the executor, counted from this test's clear()).
    assert all(counts == {1} for counts in built.values()), built


def test_two_executors_in_one_process_never_see_each_others_context(make):
    """Two calibrations with different problems side by side: each executor's tasks get its own context, even
    with their maps interleaved (in-process, both run here) and while their arguments are unpickled."""
    with make(initializer=install, initargs=("first",)) as one, make(initializer=install, initargs=("second",)) as two:
        a, b = one.map(held_value, [Holder(x) for x in range(6)]), two.map(held_value, [Holder(x) for x in range(6)])
        interleaved = [(next(a), next(b)) for _ in range(6)]
    assert [ra for ra, _ in interleaved] == [("first", x) for x in range(6)]
    assert [rb for _, rb in interleaved] == [("second", x) for x in range(6)]


def test_a_task_outside_an_executor_with_context_is_told_so():
    with pytest.raises(NoContext, match="no executor context here"):
        with_context(0)
    with InProcess() as executor, pytest.raises(NoContext):
        list(executor.map(with_context, range(1)))


def test_only_a_bounded_number_of_tasks_is_in_flight(make):
    drawn = []

    def items():
        for x in range(200):
            drawn.append(x)
            yield x

    with make() as executor:
        stream = executor.imap_unordered(slow_square, items())
        next(stream)
        window = 1 if isinstance(executor, InProcess) else executor.window()
        assert len(drawn) <= window + 1 < 200
        stream.close()  # the consumer stops: what is pending is cancelled
        ordered = executor.map(slow_square, items())
        drawn.clear()
        next(ordered)
        assert len(drawn) <= window + 1
        ordered.close()


def test_an_interrupted_pool_stops_its_running_tasks_at_once():
    executor = LocalPool(2)
    started = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        with executor:
            running = [executor._submit(sleep_long, x) for x in range(2)]  # what map() submits first
            time.sleep(1.0)  # both workers are now inside a 60-second task
            assert not any(future.done() for future in running)
            raise KeyboardInterrupt
    assert time.perf_counter() - started < 15



def test_a_worker_stopped_while_sending_its_result_does_not_hang_the_exit():
    """A worker terminated half-way through sending a result leaves half a message in the pool's results
    pipe; the pool's manager thread (which the interpreter joins at exit) must not wait for the rest.

    Half a message is written here by hand, as a terminated worker leaves it: the header of a message of
    1,000 bytes, then 10 of them (the private attributes are the standard library's, before Python 3.14)."""
    import struct
    import threading

    executor = LocalPool(1)
    with executor:
        assert executor._submit(slow_square, 3).result() == 9  # the pool and its manager thread are up
        pool = executor._pool
        manager: threading.Thread = pool._executor_manager_thread
        writer = pool._result_queue._writer
        os.write(writer.fileno(), struct.pack("!i", 1000) + b"x" * 10)
        time.sleep(0.2)  # the manager is now blocked reading the other 990 bytes
        try:
            executor.close(interrupted=True)
            manager.join(10)
            assert not manager.is_alive(), "the pool's manager thread still waits for the rest of the message"
        finally:
            if manager.is_alive() and not writer.closed:  # the test failed: unblock it, or pytest hangs at exit
                os.write(writer.fileno(), b"x" * 990)

def test_dask_workers_running_another_model_version_are_refused():
    pytest.importorskip("distributed")
    with DaskCluster.connect("local", 1) as executor:
        executor.version = "0.0.0+not-this-one"  # what the worker is asked to match
        with pytest.raises(InputError, match="expected Dask workers running bandwagon 0.0.0"):
            list(executor.map(slow_square, range(3)))


def test_make_executor_picks_the_backend_the_options_ask_for():
    assert isinstance(make_executor(None, 1), InProcess)
    with make_executor(None, 4, tasks=1) as executor:  # one task: no idle processes
        assert isinstance(executor, InProcess)
    with make_executor(None, 2) as executor:
        assert isinstance(executor, LocalPool) and executor.workers == 2
    with pytest.raises(InputError, match="--scheduler: expected 'local' or a scheduler address"):
        make_executor("host:8786", 2)


@pytest.mark.slow
def test_an_unreachable_scheduler_is_one_line_before_anything_is_written(tiny_path, tmp_path):
    pytest.importorskip("distributed")
    out = tmp_path / "out"
    for command in (["run", str(tiny_path)], ["calibrate", str(Path(__file__).parents[1] / "experiments" /
                                                              "calibrate-baseline.yaml"), "--base", str(tiny_path)]):
        started = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "sim", *command, "--scheduler", "tcp://127.0.0.1:9",
                                 "--out", str(out), "--no-progress"], capture_output=True, text=True)
        assert result.returncode == 2, result.stderr
        assert result.stderr.count("\n") == 1 and "cannot reach a Dask scheduler at tcp://127.0.0.1:9" in result.stderr
        assert time.perf_counter() - started < 30 and not out.exists()


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads child processes from /proc (Linux)")
def test_ctrl_c_during_a_run_exits_130_and_writes_nothing(tiny_path, tmp_path, foreground):
    """Ctrl-C in a terminal signals the whole process group: the command and its workers."""
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "sim", "run", str(tiny_path), "--replications", "200",
                                "--workers", "2", "--out", str(out), "--no-progress"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **foreground)
    deadline = time.monotonic() + 60
    while len(children(process.pid)) < 2 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # the workers are running replications
    assert process.poll() is None, process.stderr.read()
    os.killpg(process.pid, signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert stderr.strip() == "bandwagon run: interrupted", stderr  # no traceback from the workers
    assert not out.exists() and not list(tmp_path.iterdir())  # nothing written, no staging left
