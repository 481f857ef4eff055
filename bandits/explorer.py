"""An interactive explorer for Jupyter: sliders over K, m, eps, batch and lam and a choice of agents
redraw the regret curves with their 95% bands, computed by the compiled engine.

>>> from bandits.explorer import explore
>>> explore()                      # a panel of widgets (needs ipywidgets)

The panel needs the optional dependency ipywidgets (``pip install "outcome-bandits[notebook]"``);
importing :mod:`bandits` never imports it. The drawing itself is :func:`draw`, a plain function
of the controls' values, usable (and tested) without widgets::

    fig = draw({"generator": "minimax_outcomes", "K": 32, "m": 4, "eps": 0.1,
                "agents": ["ucb1", "outcome_ucb"], "horizon": 2000, "runs": 20})
"""

from __future__ import annotations

import textwrap
import time
import warnings
from typing import TYPE_CHECKING, Any

from . import _html, plots
from .agents import registered
from .instances import GENERATORS as ALL
from .simulate import simulate

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["explore", "draw", "DEFAULTS", "GENERATORS"]

#: Instance generators offered by the panel: each takes some of K, m and eps.
GENERATORS = ("minimax_outcomes", "minimax_arms", "needle", "llm_like")

#: The state :func:`draw` starts from (and the panel's initial values).
DEFAULTS = {
    "generator": "minimax_outcomes",
    "K": 32,
    "m": 4,
    "eps": 0.1,
    "batch": 1,
    "lam": 0.0,
    "agents": ("ucb1", "outcome_ucb", "outcome_level_ucb"),
    "horizon": 2000,
    "runs": 20,
    "seed": 0,
}

FIGSIZE = (6.0, 3.4)  # inches


def instance_of(state: dict):
    """The instance that ``state`` describes: its generator called with the K, m and eps it takes."""
    name = state["generator"]
    if name not in GENERATORS:
        raise ValueError(f"generator must be one of {', '.join(GENERATORS)}, got {name!r}")
    generator = ALL[name]
    return generator(**{k: state[k] for k in ("K", "m", "eps") if k in generator.params})


def draw(state: dict) -> Figure:
    """The figure the explorer shows for ``state`` (the controls' values; missing keys take
    :data:`DEFAULTS`): one regret curve with its 95% band per chosen agent.

    Parameters
    ----------
    state : dict
        ``generator``, ``K``, ``m``, ``eps``, ``batch``, ``lam``, ``agents`` (names of registered
        agents), ``horizon``, ``runs``, ``seed``.

    Returns
    -------
    matplotlib.figure.Figure
        Drawn without pyplot. A state that cannot be simulated (say K < m, or no agent chosen)
        gives a figure that says why in one line of text, and no axes; an agent that cannot run
        on the instance is left out and named under the title.
    """
    import matplotlib  # heavy third-party package: lazy, the explorer draws only when asked
    from matplotlib.figure import Figure

    state = {**DEFAULTS, **state}
    agents = list(state["agents"])
    try:
        if not agents:
            raise ValueError("choose at least one agent")
        instance = instance_of(state)
        results, notes = [], []
        for name in agents:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    results.append(simulate(instance, name, horizon=state["horizon"], runs=state["runs"],
                                            seed=state["seed"], batch=state["batch"], lam=state["lam"],
                                            progress=False))
                except ValueError as exc:
                    if "cannot run" not in str(exc) and "controls outcomes" not in str(exc):
                        raise
                    notes.append(f"{name} left out: {exc}")
            notes += [str(w.message) for w in caught if str(w.message) not in notes]
        if not results:
            raise ValueError("no chosen agent can run on this instance: " + "; ".join(notes))
    except (ValueError, TypeError, KeyError) as exc:
        return message(str(exc))
    with matplotlib.rc_context(plots.STYLE):
        fig = Figure(figsize=FIGSIZE, layout="constrained")
        ax = fig.add_subplot()
        plots.plot_result(results, ax=ax, metric="regret")
        ax.set_title(f"{instance.name}, batch={state['batch']}, lam={state['lam']:g}: mean and 95% band over "
                     f"{state['runs']} runs" + "".join("\n" + textwrap.fill(n, 105) for n in notes), fontsize=7)
    return fig


def message(text: str):
    """A figure holding one line of text (what :func:`draw` shows instead of a traceback)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(FIGSIZE[0], 1.0))
    fig.text(0.5, 0.5, textwrap.fill(text, 90), ha="center", va="center", fontsize=9, color="#D55E00")
    return fig


def explore(**initial: Any) -> Any:
    """The explorer panel: sliders, the agents to compare, horizon and runs, and the figure of :func:`draw`.

    Parameters
    ----------
    **initial
        Initial values of the controls (keys of :data:`DEFAULTS`).

    Returns
    -------
    ipywidgets.VBox
        Display it in a notebook (it is the last value of a cell). Sliders redraw when released
        (``continuous_update=False``). ``panel.controls`` maps each key of the state to its
        widget, ``panel.image`` is the figure and ``panel.status`` the line above it.
    """
    try:
        import ipywidgets as w
    except ImportError:
        raise ImportError('the explorer needs ipywidgets: pip install "outcome-bandits[notebook]"') from None
    state = {**DEFAULTS, **initial}
    unknown = sorted(set(initial) - set(DEFAULTS))
    if unknown:
        raise TypeError(f"explore() got unknown settings {unknown}; the settings are {', '.join(DEFAULTS)}")
    slow = {"continuous_update": False, "style": {"description_width": "60px"}}
    controls = {
        "generator": w.Dropdown(options=GENERATORS, value=state["generator"], description="instance"),
        "K": w.IntSlider(value=state["K"], min=1, max=512, description="K (arms)", **slow),
        "m": w.IntSlider(value=state["m"], min=1, max=64, description="m", **slow),
        "eps": w.FloatSlider(value=state["eps"], min=0.0, max=0.5, step=0.01, description="eps", **slow),
        "batch": w.IntSlider(value=state["batch"], min=1, max=64, description="batch", **slow),
        "lam": w.FloatSlider(value=state["lam"], min=0.0, max=4.0, step=0.1, description="lam", **slow),
        "agents": w.SelectMultiple(options=list(registered()), value=tuple(state["agents"]), rows=7,
                                   description="agents"),
        "horizon": w.BoundedIntText(value=state["horizon"], min=10, max=1_000_000, description="horizon", **slow),
        "runs": w.BoundedIntText(value=state["runs"], min=2, max=1000, description="runs", **slow),
        "seed": w.BoundedIntText(value=state["seed"], min=0, max=2**31 - 1, description="seed", **slow),
    }
    image = w.Image(format="png")
    status = w.HTML()

    def redraw(change=None):
        values = {name: control.value for name, control in controls.items()}
        takes = instance_of_params(values["generator"])
        for name in ("K", "m", "eps"):
            controls[name].disabled = name not in takes
        status.value = "<em>simulating...</em>"
        start = time.perf_counter()
        try:
            fig = draw(values)
        except Exception as exc:  # the panel shows one line, never a traceback
            fig = message(f"{type(exc).__name__}: {exc}")
        image.value = _html.png_bytes(fig, dpi=100)
        status.value = f"<em>{time.perf_counter() - start:.2f} s</em>"

    for control in controls.values():
        control.observe(redraw, names="value")
    left = w.VBox([controls[k] for k in ("generator", "K", "m", "eps", "batch", "lam")])
    right = w.VBox([controls[k] for k in ("agents", "horizon", "runs", "seed")])
    panel = w.VBox([w.HBox([left, right]), status, image])
    panel.controls, panel.image, panel.status = controls, image, status
    redraw()
    return panel


def instance_of_params(generator: str) -> set:
    """Which of K, m and eps ``generator`` takes."""
    return {k for k in ("K", "m", "eps") if k in getattr(ALL.get(generator), "params", {})}
