"""The explorer: its drawing callback headless, its panel when ipywidgets is installed."""

import subprocess
import sys

import numpy as np
import pytest
from matplotlib.figure import Figure

import bandits
from bandits.explorer import DEFAULTS, draw

STATE = {"generator": "minimax_outcomes", "K": 12, "m": 3, "eps": 0.2, "batch": 2, "lam": 0.5,
         "agents": ["ucb1", "outcome_ucb"], "horizon": 300, "runs": 6, "seed": 1}


def curves(fig):
    (ax,) = fig.axes
    return {line.get_label(): line for line in ax.get_lines()}


def test_draw_gives_one_curve_with_its_band_per_agent():
    fig = draw(STATE)
    assert isinstance(fig, Figure)
    lines = curves(fig)
    assert sorted(lines) == ["outcome_ucb(alpha=2)+penalty(lam=0.5)", "ucb1(alpha=2)+penalty(lam=0.5)"]
    assert len(fig.axes[0].collections) == 2  # the bands
    # the curve is the engine's mean regret
    res = bandits.simulate(bandits.instances.minimax_outcomes(K=12, m=3, eps=0.2), "ucb1", horizon=300, runs=6,
                           seed=1, batch=2, lam=0.5, progress=False)
    assert np.allclose(lines["ucb1(alpha=2)+penalty(lam=0.5)"].get_ydata(), res.regret.mean(axis=0))
    assert "minimax_outcomes(K=12, m=3" in fig.axes[0].get_title()


def test_the_generator_takes_only_its_parameters():
    fig = draw({**STATE, "generator": "needle", "eps": 0.3, "agents": ["thompson"]})
    assert list(curves(fig)) == ["thompson+penalty(lam=0.5)"] and "needle(K=12, m=3)" in fig.axes[0].get_title()


@pytest.mark.parametrize("state, words", [
    ({"K": 2, "m": 5}, "K must be >= m"),
    ({"agents": []}, "choose at least one agent"),
    ({"eps": 0.9}, "eps"),
    ({"agents": ["no_such_agent"]}, "no_such_agent"),
])
def test_a_bad_state_gives_a_readable_message_not_a_traceback(state, words):
    fig = draw({**STATE, **state})
    assert fig.axes == []
    (text,) = fig.texts
    assert words in text.get_text() and "Traceback" not in text.get_text()


def test_an_agent_that_cannot_run_is_left_out_and_named():
    fig = draw({**STATE, "generator": "minimax_arms", "agents": ["ucb1", "outcome_level_ucb"]})
    assert list(curves(fig)) == ["ucb1(alpha=2)+penalty(lam=0.5)"]
    assert "outcome_level_ucb left out" in fig.axes[0].get_title()


def test_importing_the_explorer_does_not_import_ipywidgets():
    code = "import bandits.explorer, sys; print('ipywidgets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_the_panel_builds_and_redraws_when_a_control_changes():
    pytest.importorskip("ipywidgets", reason="the explorer panel needs ipywidgets (pip install .[notebook])")
    from bandits.explorer import explore

    panel = explore(**{**STATE, "agents": ("ucb1",)})
    assert set(panel.controls) == set(DEFAULTS)
    assert panel.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert all(panel.controls[k].continuous_update is False for k in ("K", "m", "eps", "batch", "lam"))
    assert set(bandits.agents.registered()) == set(panel.controls["agents"].options)
    before = panel.image.value
    panel.controls["m"].value = 20  # K = 12 < m: the message, not a traceback
    assert panel.image.value != before and panel.status.value.endswith("s</em>")
    panel.controls["generator"].value = "minimax_arms"  # takes no m: the slider is disabled
    assert panel.controls["m"].disabled and not panel.controls["eps"].disabled
    with pytest.raises(TypeError, match="unknown settings"):
        explore(arms=3)
