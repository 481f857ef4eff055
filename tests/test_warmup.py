"""Compiling ahead (bandits/warmup.py): the one-line note names exactly the agents whose run loop
is neither compiled in this process nor in Numba's disk cache."""

import uuid

import numpy as np

import bandits
from bandits.agents._stats import init_per_arm, update_per_arm
from bandits.agents.base import define_agent
from bandits.agents.ucb1 import index as ucb1_index
from bandits.warmup import DEFAULT_COLD_SECONDS, compile_agent, compile_note, needs_compile


def test_the_note_names_the_cold_agents_only():
    compile_agent("ucb1")                         # compiled (or loaded) in this process: ready
    assert not needs_compile("ucb1")
    # a new agent (a name never used: a new cache key) has no loop anywhere yet
    fresh = define_agent(f"probe_{uuid.uuid4().hex[:8]}", init=init_per_arm, index=ucb1_index,
                         update=update_per_arm, register=False)
    assert needs_compile(fresh)
    note = compile_note([fresh, "ucb1", fresh], workers=2)
    assert note == f"compiling {fresh.name}, once per machine (about {DEFAULT_COLD_SECONDS:.0f} s)"
    assert compile_note(["ucb1"]) is None


def test_compile_agent_changes_no_number():
    inst = bandits.instances.minimax_arms(K=4, eps=0.2)
    before = bandits.simulate(inst, "ucb1", horizon=200, runs=3, seed=1).regret
    compile_agent("ucb1")
    assert np.array_equal(before, bandits.simulate(inst, "ucb1", horizon=200, runs=3, seed=1).regret)
