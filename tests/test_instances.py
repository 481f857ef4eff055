"""The instance generators build what SPEC section 2 says."""

import numpy as np
import pytest

from bandits import instances


def test_minimax_arms():
    inst = instances.minimax_arms(K=5, eps=0.1)
    assert inst.m == 2 and inst.rewards == "verifiable" and not inst.deterministic
    assert np.allclose(inst.theta, [0.6, 0.5, 0.5, 0.5, 0.5])
    assert np.allclose(inst.gaps, [0, 0.1, 0.1, 0.1, 0.1])


def test_minimax_outcomes_spreads_arms_evenly():
    inst = instances.minimax_outcomes(K=12, m=4, eps=0.05)
    assert inst.deterministic and np.array_equal(np.bincount(inst.phi), [3, 3, 3, 3])
    assert np.allclose(inst.mu, [0.55, 0.5, 0.5, 0.5])


@pytest.mark.parametrize("K,m", [(2, 2), (10, 2), (10, 4), (7, 7)])
def test_needle_has_exactly_one_correct_arm(K, m):
    inst = instances.needle(K=K, m=m)
    assert (inst.theta == 1).sum() == 1 and inst.theta_star == 1
    assert inst.reachable.all() and inst.has_pass_metric


def test_llm_like_puts_p_correct_of_pi0_on_the_correct_answer():
    inst = instances.llm_like(K=200, m=10, zipf_s=1.2, p_correct=0.03)
    assert inst.pi0[inst.phi == 0].sum() == pytest.approx(0.03)
    arms_per_wrong = np.bincount(inst.phi, minlength=10)[1:]
    assert (np.diff(arms_per_wrong) <= 0).all() and arms_per_wrong.min() >= 1  # Zipf: a few popular answers
    assert arms_per_wrong[0] > 3 * arms_per_wrong[-1]
    assert inst.reachable.all() and inst.pi0.sum() == pytest.approx(1.0)


def test_random_is_seeded():
    a, b = instances.random_instance(K=5, m=3, seed=1), instances.random_instance(K=5, m=3, seed=1)
    assert np.array_equal(a.Q, b.Q) and np.array_equal(a.mu, b.mu)
    assert not np.array_equal(a.Q, instances.random_instance(K=5, m=3, seed=2).Q)
    det = instances.random_instance(K=6, m=3, seed=0, deterministic=True)
    assert det.deterministic and det.reachable.all()


def test_from_arrays_phi_equals_one_hot_kernel():
    a = instances.from_arrays(phi=np.array([1, 0, 1]), mu=[0.2, 0.8])
    b = instances.from_arrays(Q=[[0, 1], [1, 0], [0, 1]], mu=[0.2, 0.8])
    assert np.array_equal(a.Q, b.Q) and a.deterministic and list(a.phi) == [1, 0, 1]
    assert np.allclose(a.theta, [0.8, 0.2, 0.8])
    assert a.fingerprint() == b.fingerprint()


def test_a_generator_of_ones_own_runs_from_an_experiment(tmp_path):
    """define_generator makes a generator reachable from experiment files (in this process)."""
    import bandits
    from bandits import experiment, sweep

    def shifted_needle(*, K, shift):
        return bandits.instances.from_arrays(phi=np.r_[0, np.ones(K - 1, int)], mu=[1.0, shift],
                                             name=f"shifted_needle(K={K}, shift={shift})")

    try:
        instances.define_generator("shifted_needle", shifted_needle)
        exp = experiment.from_dict({"sweep": {"name": "mine", "horizon": 200, "runs": 4},
                                    "instance": {"generator": "shifted_needle", "K": [4, 8], "shift": "= 1 / K"},
                                    "agent": [{"name": "ucb1"}]})
        assert [c.instance_params for c in exp.cells] == [{"K": 4, "shift": 0.25}, {"K": 8, "shift": 0.125}]
        folder = sweep.run(exp, tmp_path / "r", workers=1, progress=False)
        loaded = bandits.load(folder)
        assert len(loaded.cells) == 2 and all(c.regret.shape[0] == 4 for c in loaded.cells)
        assert loaded.cells[0].instance_name.startswith("shifted_needle(")
        with pytest.raises(experiment.ExperimentError, match="no parameter 'eps'"):
            experiment.from_dict({"sweep": {"horizon": 10, "runs": 2},  # no name: "experiment"
                                  "instance": {"generator": "shifted_needle", "K": 4, "shift": 0.5, "eps": 1},
                                  "agent": [{"name": "ucb1"}]})
    finally:
        instances.GENERATORS.pop("shifted_needle", None)
    with pytest.raises(ValueError, match="built-in generator"):
        instances.define_generator("needle", shifted_needle)
    with pytest.raises(ValueError, match="identifier"):
        instances.define_generator("no spaces", shifted_needle)
    assert "from_arrays" not in experiment.TOML_GENERATORS and "needle" in experiment.TOML_GENERATORS
