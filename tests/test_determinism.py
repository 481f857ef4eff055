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


# the environment's own numbers (common random numbers): llm_like above is verifiable with a
# deterministic map, so it draws none; these instances draw outcomes and rewards.
KERNEL = bandits.instances.random_instance(K=7, m=3, seed=2)
GAUSS = bandits.instances.minimax_outcomes(K=6, m=3, eps=0.2)


def test_environment_draws_do_not_depend_on_threads_or_blocks():
    for inst, agent in ((KERNEL, "thompson"), (GAUSS, "outcome_level_ucb"), (KERNEL, "outcome_ucb")):
        args = dict(horizon=400, runs=16, seed=3, batch=2)
        one = bandits.simulate(inst, agent, n_jobs=1, **args)
        for n_jobs in (2, 3, 5):  # blocks of 8, and uneven blocks
            other = bandits.simulate(inst, agent, n_jobs=n_jobs, **args)
            for name in one.metrics:
                assert np.array_equal(one.metrics[name], other.metrics[name]), (agent, n_jobs, name)
        assert np.array_equal(bandits.simulate(inst, agent, n_jobs=2, **dict(args, runs=5)).regret, one.regret[:5])


def test_compare_does_not_depend_on_threads():
    a = bandits.compare(KERNEL, ["ucb1", "kl_ucb", "thompson"], horizon=300, runs=12, seed=1, n_jobs=1)
    b = bandits.compare(KERNEL, ["ucb1", "kl_ucb", "thompson"], horizon=300, runs=12, seed=1, n_jobs=2)
    for label in a.differences:
        assert np.array_equal(a.differences[label], b.differences[label])
    assert a.summary().equals(b.summary())


def test_the_agents_stream_is_keyed_by_the_whole_cell():
    # uniform play draws its choices from the agent's stream, keyed by the horizon too: the first
    # pulls of a horizon-200 and a horizon-300 cell differ (only the environment's numbers are shared;
    # a deterministic agent sees the same tape at any horizon: tests/test_crn.py)
    a = bandits.simulate(KERNEL, "uniform", horizon=200, runs=8, seed=4, checkpoints=[50, 100, 200])
    b = bandits.simulate(KERNEL, "uniform", horizon=300, runs=8, seed=4, checkpoints=[50, 100, 200, 300])
    assert not np.array_equal(a.regret, b.regret[:, :3])
