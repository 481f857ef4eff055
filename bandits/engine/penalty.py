"""The batch penalty, in pieces the run loop calls while it places a round's pulls.

Inside a round the agent cannot see outcomes, so it predicts them: ``predicted[o]`` is the number
of outcomes o expected from the pulls already placed, ``sum_b Qhat[b, o]`` (under outcome control,
the times o was already chosen). The score of a choice c drops by ``lam / n`` times its expected
collisions: ``sum_o Qhat[c, o] predicted[o]`` (outcome control: ``predicted[c]``). ``Qhat`` is kept
as outcome counts per arm (``seen``) over pulls per arm (``pulls``); an arm never pulled has no
predicted outcome and no penalty. ``touched`` lists the outcomes with a prediction this round, so
that clearing and scoring cost the outcomes touched, not m.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, inline="always")
def new_penalty_state(K, m, arm_control):
    """``(seen, pulls, predicted, touched)``: counts per arm and outcome, pulls per arm, predictions."""
    shape = (K, m) if arm_control else (1, 1)
    return np.zeros(shape), np.zeros(K if arm_control else 1), np.zeros(m), np.empty(m, np.int64)


@njit(cache=True, inline="always")
def penalise(scores, lam_over_n, control, seen, pulls, predicted, touched, n_touched):
    """Lower each choice's score by ``lam / n`` times its expected collisions with the round so far."""
    for c in range(scores.shape[0]):
        cost = 0.0
        if control == 1:
            cost = predicted[c]
        elif pulls[c] > 0:
            for i in range(n_touched):
                o = touched[i]
                cost += seen[c, o] * predicted[o]
            cost /= pulls[c]
        scores[c] -= lam_over_n * cost


@njit(cache=True, inline="always")
def predict(choice, control, seen, pulls, predicted, touched, n_touched):
    """Add the outcomes predicted for ``choice`` to the round's predictions; return the new n_touched."""
    if control == 1:
        predicted[choice] += 1.0
    elif pulls[choice] > 0:
        m = predicted.shape[0]
        for o in range(m):
            if seen[choice, o] > 0:
                if predicted[o] == 0.0:
                    touched[n_touched] = o
                    n_touched += 1
                predicted[o] += seen[choice, o] / pulls[choice]
    return n_touched


@njit(cache=True, inline="always")
def observe(arm, outcome, seen, pulls):
    """After the round: one more pull of ``arm`` with ``outcome`` in Qhat."""
    seen[arm, outcome] += 1.0
    pulls[arm] += 1.0


@njit(cache=True, inline="always")
def clear(control, predicted, touched, n_touched):
    """Forget the round's predictions."""
    for i in range(n_touched):
        predicted[touched[i]] = 0.0
    if control == 1:
        predicted[:] = 0.0
