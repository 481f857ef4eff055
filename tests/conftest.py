import sys
from pathlib import Path

import numpy as np
import pytest

# the paper's code lives beside its experiment files, not in the package: tests import it as `claims`
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "experiments"))

import bandits  # noqa: E402


@pytest.fixture(scope="session")
def instances():
    """Small instances of every kind, used across the tests."""
    return {
        "kernel": bandits.instances.random_instance(K=4, m=3, seed=3),  # stochastic kernel, Bernoulli
        "outcomes": bandits.instances.minimax_outcomes(K=6, m=3, eps=0.2),  # deterministic, Bernoulli
        "llm": bandits.instances.llm_like(K=8, m=3, zipf_s=1.0, p_correct=0.2),  # verifiable, non-uniform pi0
        "gauss": bandits.instances.from_arrays(phi=np.array([0, 1, 2, 2]), mu=[0.2, 0.5, 0.7], rewards="gaussian",
                                               sigma=0.5),
    }
