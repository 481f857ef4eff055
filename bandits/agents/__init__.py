"""The agents, one module each; every agent is three ``@njit`` functions and a declaration.

==========================  ============================  ========================
agent                       module                        control
==========================  ============================  ========================
greedy, epsilon_greedy      :mod:`.greedy`                arm (R1)
ucb1                        :mod:`.ucb1`                  arm (R1)
kl_ucb                      :mod:`.kl_ucb`                arm (R1)
thompson                    :mod:`.thompson`              arm (R1)
outcome_ucb                 :mod:`.outcome_ucb`           arm (R1)
outcome_thompson            :mod:`.outcome_thompson`      arm (R1)
ossb                        :mod:`.ossb`                  arm (R1)
outcome_kl_ucb              :mod:`.outcome_kl_ucb`        arm (R1, deterministic maps)
outcome_level_ucb,          :mod:`.outcome_level`         outcome (R2)
outcome_level_thompson
uniform, oracle             :mod:`.controls`              arm (negative controls)
outcome_level_uniform       :mod:`.controls`              outcome (negative control)
==========================  ============================  ========================

Any agent takes ``lam`` for the batch penalty (:func:`batch_penalty`). To add an agent, write
``init``, ``index`` and ``update`` and call :func:`define_agent` (see :mod:`.base` and the README).
"""

from .base import Agent, AgentSpec, Param, batch_penalty, define_agent, get_spec, make_agent, registered
from .controls import oracle, outcome_level_uniform, uniform
from .greedy import epsilon_greedy, greedy
from .kl_ucb import kl_ucb
from .outcome_level import outcome_level_thompson, outcome_level_ucb
from .outcome_thompson import outcome_thompson
from .outcome_kl_ucb import outcome_kl_ucb
from .outcome_ucb import outcome_ucb
from .ossb import ossb
from .thompson import thompson
from .ucb1 import ucb1

__all__ = [
    "Agent", "AgentSpec", "Param", "batch_penalty", "define_agent", "get_spec", "make_agent", "registered",
    "greedy", "epsilon_greedy", "ucb1", "kl_ucb", "thompson", "outcome_ucb", "outcome_thompson",
    "outcome_level_ucb", "outcome_level_thompson", "ossb", "outcome_kl_ucb", "uniform", "outcome_level_uniform", "oracle",
]
