"""The batch penalty, in pieces the run loop calls while it places a round's pulls.

Inside a round the agent cannot see outcomes, so it predicts them: ``predicted[o]`` is the number
of outcomes o expected from the pulls already placed, ``sum_b Qhat[b, o]`` (under outcome control,
the times o was already chosen). The score of a choice c drops by ``lam / n`` times its expected
collisions: ``sum_o Qhat[c, o] predicted[o]`` (outcome control: ``predicted[c]``). ``Qhat`` is kept
as outcome counts per arm over pulls per arm; an arm never pulled has no predicted outcome and no
penalty. ``touched`` lists the outcomes with a prediction this round, so that clearing and scoring
cost the outcomes touched, not m.

The state is one array ``pen`` of shape ``(K + 3, max(K, m))`` (each piece then moves one reference
count, not four: with four arrays the pieces cost the batch loop about 15% of its speed):

================ ===================== ==========================================
rows             name                  meaning
================ ===================== ==========================================
``pen[:K, :m]``  seen                  outcome counts per arm (arm control)
``pen[K, :K]``   pulls                 pulls per arm
``pen[K+1, :m]`` predicted             predicted outcome counts this round
``pen[K+2, :m]`` touched               outcomes with a prediction (first n_touched)
================ ===================== ==========================================
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, inline="always")
def new_penalty_state(K, m):
    """The penalty state ``pen`` of K arms and m outcomes (see the module docstring)."""
    return np.zeros((K + 3, max(K, m)))


@njit(cache=True, inline="always")
def penalise(scores, lam_over_n, control, pen, n_touched):
    """Lower each choice's score by ``lam / n`` times its expected collisions with the round so far.

    The control is tested once, not per choice, and a round with nothing predicted yet (its first
    pull) costs nothing.
    """
    K = pen.shape[0] - 3
    if control == 1:
        for c in range(scores.shape[0]):
            scores[c] -= lam_over_n * pen[K + 1, c]
        return
    if n_touched == 0:
        return
    for c in range(scores.shape[0]):
        pulls = pen[K, c]
        if pulls > 0:
            cost = 0.0
            for i in range(n_touched):
                o = int(pen[K + 2, i])
                cost += pen[c, o] * pen[K + 1, o]
            cost /= pulls
            scores[c] -= lam_over_n * cost


@njit(cache=True, inline="always")
def predict(choice, control, m, pen, n_touched):
    """Add the outcomes predicted for ``choice`` to the round's predictions; return the new n_touched."""
    K = pen.shape[0] - 3
    if control == 1:
        pen[K + 1, choice] += 1.0
    elif pen[K, choice] > 0:
        for o in range(m):
            if pen[choice, o] > 0:
                if pen[K + 1, o] == 0.0:
                    pen[K + 2, n_touched] = o
                    n_touched += 1
                pen[K + 1, o] += pen[choice, o] / pen[K, choice]
    return n_touched


@njit(cache=True, inline="always")
def observe(arm, outcome, pen):
    """After the round: one more pull of ``arm`` with ``outcome`` in Qhat."""
    K = pen.shape[0] - 3
    pen[arm, outcome] += 1.0
    pen[K, arm] += 1.0


@njit(cache=True, inline="always")
def clear(control, m, pen, n_touched):
    """Forget the round's predictions."""
    K = pen.shape[0] - 3
    for i in range(n_touched):
        pen[K + 1, int(pen[K + 2, i])] = 0.0
    if control == 1:
        pen[K + 1, :m] = 0.0
