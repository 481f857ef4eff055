"""Bit-identical results whatever the threads; seeds keyed by content."""

import numpy as np

import bandits

INST = bandits.instances.llm_like(K=12, m=4)


def run(**kw):
    args = dict(horizon=300, runs=16, seed=7, batch=3, lam=0.5)
    args.update(kw)
    return bandits.simulate(INST, args.pop("agent", "thompson"), **args)


def test_two_calls_are_identical():
    a, b = run(), run()
    for name in a.metrics:
        assert np.array_equal(a.metrics[name], b.metrics[name])


def test_one_and_two_threads_are_identical():
    one, two = run(n_jobs=1), run(n_jobs=2)
    for name in one.metrics:
        assert np.array_equal(one.metrics[name], two.metrics[name])


def test_changing_the_seed_changes_the_numbers():
    assert not np.array_equal(run().regret, run(seed=8).regret)


def test_run_i_does_not_depend_on_the_number_of_runs():
    assert np.array_equal(run(runs=16).regret[:8], run(runs=8).regret)


def test_agents_get_different_streams():
    # seeds are keyed by the agent and its parameters: two parameter values are two cells
    a = run(agent="epsilon_greedy", eps=0.1, lam=0.0, batch=1)
    b = run(agent="epsilon_greedy", eps=0.1000001, lam=0.0, batch=1)
    assert not np.array_equal(a.regret, b.regret)


def test_seed_none_draws_entropy_and_records_it():
    res = run(seed=None)
    again = run(seed=res.seed)
    assert np.array_equal(res.regret, again.regret)
