"""Negative controls: agents that exist to show that a claim's check can fail.

``uniform``: every pull a uniformly random arm (no learning at all; linear regret).
``outcome_level_uniform``: every pull a uniformly random outcome, under outcome control (R2).
``oracle``: always a best arm (ties uniform). It reads the instance's arm means, which no
learning agent may do: it exists only to show that a lower-bound check rejects an agent
that does better than any learner can.

The three write constant scores and let the engine break ties uniformly at random. They are
drawn in grey on the claim figures and recorded in ``claims.json`` with ``"ok": false``.
With ``lam > 0`` the batch penalty lowers their scores like any other agent's.
"""

import numpy as np
from numba import njit

from ._stats import init_per_arm, init_per_outcome, update_per_arm, update_per_outcome
from .base import define_agent


@njit(cache=True)
def uniform_index(state, t, params, out):
    out[:] = 0.0  # every choice ties: the engine's tie-break draws one uniformly


@njit(cache=True)
def oracle_index(state, t, params, out):
    for a in range(out.shape[0]):  # the true arm means theta (a loop: see greedy._copy)
        out[a] = params[a]


def arm_means(instance, values):
    """``prepare`` of the oracle: the parameters are the instance's arm means theta."""
    return np.asarray(instance.theta, dtype=np.float64)


uniform = define_agent("uniform", init=init_per_arm, index=uniform_index, update=update_per_arm, each_once=False,
                       doc=__doc__)
outcome_level_uniform = define_agent("outcome_level_uniform", init=init_per_outcome, index=uniform_index,
                                     update=update_per_outcome, control="outcome", each_once=False, doc=__doc__)
oracle = define_agent("oracle", init=init_per_arm, index=oracle_index, update=update_per_arm, each_once=False,
                      prepare=arm_means, doc=__doc__)

CONTROLS = ("uniform", "outcome_level_uniform", "oracle")
