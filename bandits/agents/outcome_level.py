"""Outcome-level agents: outcome control with generalization (docs/theory.md section 1, "Control regimes").

The agent chooses an outcome ``o``; the environment pulls an arm drawn from pi0 restricted to
the arms whose map is ``o``. This is the formal content of "updating one trace generalizes to
every trace with that answer". Only deterministic instances qualify.

``outcome_level_ucb(alpha)``: UCB1 over the m outcomes (each outcome once, then
``argmax_o mean_o + sqrt(alpha ln t / N_o)``).
``outcome_level_thompson``: Thompson sampling over the m outcomes (the samplers of
:mod:`.thompson`).
Their pseudo-regret is ``sum_t (max_o mu_o - mu_{o_t})``, which is the arm pseudo-regret of
the pulled arms on a deterministic map.
"""

from . import thompson, ucb1
from ._stats import init_per_outcome, update_per_outcome
from .base import define_agent

outcome_level_ucb = define_agent("outcome_level_ucb", init=init_per_outcome, index=ucb1.index, update=update_per_outcome,
                                 params=ucb1.ALPHA, control="outcome", doc=__doc__)
outcome_level_thompson = define_agent("outcome_level_thompson", init=thompson.init_per_outcome, index=thompson.index,
                                      update=thompson.update_per_outcome, control="outcome", each_once=False,
                                      prepare=thompson.family_params, doc=__doc__)
