"""Ctrl-C stops compiled work within about a second, whatever the horizon: ``simulate``, ``compare``
and ``rl.train`` in a real child process sent SIGINT (as a terminal's Ctrl-C does), and ``simulate``
in a Jupyter kernel interrupted as the notebook's "interrupt kernel" does. Each call would take
minutes; the KeyboardInterrupt must reach the caller within a few seconds (a generous bound for a
loaded 2-core machine: it takes milliseconds), with no worker thread left behind."""

import queue
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import bandits
from bandits import engine

BOUND = 3.0     # seconds from SIGINT to the KeyboardInterrupt in the caller
RUNNING = 1.5   # seconds the long call runs before the signal

SETUP = """
import threading, time
import bandits
from bandits import rl
inst = bandits.instances.minimax_arms(K=10, eps=0.1)
qs = rl.transfer(X=8, K=20, m=6, seed=0)
CALLS = {
    "simulate": lambda h: bandits.simulate(inst, "ucb1", horizon=h, runs=8),
    "compare": lambda h: bandits.compare(inst, ["ucb1", "thompson"], horizon=h, runs=8),
    "train": lambda h: rl.train(qs, steps=h, runs=8),
}
def others():  # threads started since BEFORE, but tqdm's monitor (tqdm's own idle daemon thread)
    return [t.name for t in threading.enumerate() if t.ident not in BEFORE and t.name != "tqdm_monitor"]
"""

CHILD = SETUP + """
import sys
for name in sys.argv[1:]:
    CALLS[name](10)  # compiled (or loaded from the disk cache) before the clock starts
    BEFORE = {t.ident for t in threading.enumerate()}
    print("start", name, flush=True)
    try:
        CALLS[name](10 ** 8)
        print("finished", name, flush=True)
    except KeyboardInterrupt:
        print("interrupted", name, others(), flush=True)
"""


def lines_of(proc):
    """A queue of the child's output lines, read by a thread (so that a wait can time out)."""
    lines = queue.Queue()

    def read():
        for line in proc.stdout:
            lines.put(line.strip())
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    return lines


def test_ctrl_c_stops_simulate_compare_and_train_within_seconds():
    calls = ["simulate", "compare", "train"]
    proc = subprocess.Popen([sys.executable, "-c", CHILD, *calls], stdout=subprocess.PIPE, text=True)
    lines = lines_of(proc)
    try:
        for name in calls:
            assert lines.get(timeout=120) == f"start {name}"
            time.sleep(RUNNING)
            assert proc.poll() is None
            sent = time.monotonic()
            proc.send_signal(signal.SIGINT)
            try:
                line = lines.get(timeout=BOUND)
            except queue.Empty:
                pytest.fail(f"{name}: no KeyboardInterrupt within {BOUND} s of SIGINT")
            assert time.monotonic() - sent < BOUND
            assert line == f"interrupted {name} []", line  # interrupted, and no worker thread left
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
        proc.wait()


def test_interrupting_a_jupyter_kernel_stops_simulate_within_seconds():
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3")
    try:
        warm = kc.execute_interactive(SETUP + "CALLS['simulate'](10)\nBEFORE = {t.ident for t in threading.enumerate()}", timeout=120)
        assert warm["content"]["status"] == "ok"
        msg_id = kc.execute("CALLS['simulate'](10 ** 8)")
        time.sleep(RUNNING)
        sent = time.monotonic()
        km.interrupt_kernel()
        while True:
            reply = kc.get_shell_msg(timeout=BOUND)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        assert time.monotonic() - sent < BOUND
        assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "KeyboardInterrupt"
        left = []
        kc.execute_interactive("print(others())", timeout=30,
                               output_hook=lambda msg: left.append(msg["content"].get("text", "")))
        assert "".join(left).strip() == "[]"  # no thread but those the kernel had before
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def loop_call(horizon, runs=3):
    """The compiled loop of ucb1 on a small instance, and a function that runs it with a stop flag."""
    inst = bandits.instances.minimax_arms(K=4, eps=0.1)
    spec = bandits.agents.registered()["ucb1"]
    env = engine.environment(inst, spec.control, spec.each_once)
    params = spec.prepare(inst, spec().params)
    points = np.array([1, engine.loop.CHUNK, horizon], np.int64)
    loop = engine.runner(spec)

    def run(stop):
        out = np.zeros((runs, len(engine.NAMES), len(points)))
        loop(np.arange(runs, dtype=np.int64), np.arange(runs, dtype=np.uint64), params, 0.0, 1, horizon, points, env,
             out, stop)
        return out

    return run


def test_the_loop_looks_at_its_stop_flag_before_each_run():
    run = loop_call(3 * engine.loop.CHUNK)
    assert not run(np.ones(1, np.int64)).any()  # stopped before the first run
    assert (run(np.zeros(1, np.int64))[:, 0, :] > 0).all()  # a control: unstopped, every checkpoint is filled


def test_the_loop_leaves_a_run_between_blocks_of_pulls():
    run = loop_call(10 ** 10, runs=1)  # minutes of pulls
    stop = np.zeros(1, np.int64)
    done = []
    worker = threading.Thread(target=lambda: done.append(run(stop)), daemon=True)
    worker.start()
    time.sleep(0.3)
    stop[0] = 1
    worker.join(timeout=BOUND)
    assert done, "the loop did not return after its stop flag was set"
    out = done[0]
    assert out[0, 0, 1] > 0 and out[0, 0, 2] == 0  # left mid-run: the last checkpoint never reached
