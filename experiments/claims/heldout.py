"""C6, real rollouts: a real model's answer space, and what part of its samples predicts of the rest.

Measured on the shipped samples (bandits/data/pot_svamp: 999 SVAMP questions, 30 programs each by
code-davinci-002), or any file ``figure.source`` names, with :mod:`bandits.rollouts`. Every check is
a statistic over questions with a 95% percentile-bootstrap interval (questions resampled, the
values of a question kept together), a band fixed in the experiment file, and a control:

(a) ``m << K``: mean distinct answers / mean distinct traces (``answers/traces``), and Chao1's
    estimate of the distinct answers / the samples (``chao1/samples``), both in ``[0, band]``.
    Control: each distinct trace its own outcome (ratio 1).
(b) pass@k beyond the samples in hand: each question's samples are split at random, ``fit`` in hand
    and the rest held out; a Beta-binomial law of the per-question success rate, fitted by maximum
    likelihood on the parts in hand, predicts each question's held-out pass@k (its posterior mean),
    measured by the unbiased estimator on the held-out part. Checks: mean predicted - mean held-out
    pass@k at the largest k (``pass@k``), and the same with the prior fitted on the other half of the
    questions (``pass@k, prior from other questions``: the estimator's rule must hold on questions
    it was not fitted on); and beyond the samples in hand, the same difference on the questions with
    no correct sample in hand, where the plug-in predicts 0 (``pass@k, unsolved in hand``, band
    ``passk_unsolved``). Control: the per-question plug-in ``1 - (1 - c/n)^k``, which must fail the
    last (on the mean over questions its checks are recorded: it is exact on the questions solved by
    every sample or by none).
(c) discovery of answers: the expected distinct answers in k fresh samples, predicted from the part
    in hand (rarefaction for k <= fit, Chao et al. 2014's extrapolation beyond) / held-out
    (rarefaction of the held-out part), at k = fit (``D_fit``, claimed) and at the largest k
    (``D_max``, measured). Control: the plug-in empirical law, which cannot reveal unseen answers.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from bandits import rollouts
from bandits.checks import METHOD, Check, measure
from bandits.plots import COLUMN_WIDTH, OKABE_ITO, save_figure
from .common import GREY, agent_record


BANDS = ("answers_per_trace", "chao1_per_sample", "passk_error", "passk_unsolved", "discovery_ratio")


def _load(cfg):
    """The rollouts ``[figure]`` names: ``source`` (``"pot_svamp"`` or a file), ``layout`` and
    ``questions`` (the first N questions, 0 or absent: all; or a list of positions or ids)."""
    source = cfg.get("source", "pot_svamp")
    data = rollouts.load_pot_svamp() if source == "pot_svamp" else rollouts.read(source, layout=cfg.get("layout") or None)
    chosen = cfg.get("questions", 0)
    if isinstance(chosen, int) and not isinstance(chosen, bool) and chosen >= 0:
        return data.select(slice(0, chosen)) if chosen else data
    if isinstance(chosen, list) and chosen and all(isinstance(q, (int, str)) and not isinstance(q, bool) for q in chosen):
        if any(isinstance(q, int) and not 0 <= q < len(data.ids) for q in chosen):
            raise ValueError(f"figure.questions: positions must lie in [0, {len(data.ids)}) for {source}")
        return data.select([data.ids[q] if isinstance(q, int) else q for q in chosen])
    raise ValueError(f"figure.questions must be an integer >= 0 (the first N) or a list of positions or ids, got {chosen!r}")


def _paired(statistic, a, b, band, ratio=False) -> Check:
    fn = (lambda mm: mm[..., 0] / mm[..., 1]) if ratio else (lambda mm: mm[..., 0] - mm[..., 1])
    return measure(statistic, [np.asarray(a, float), np.asarray(b, float)], fn, band, paired=True)


def _subset(statistic, predicted, observed, keep, band) -> Check:
    """:func:`_paired` difference on the questions ``keep`` selects; undefined (NaN) below 2 of them."""
    if keep.sum() < 2:
        return Check(statistic, np.nan, np.nan, np.nan, (float(band[0]), float(band[1])))
    return _paired(statistic, predicted[keep], observed[keep], band)


def heldout_measurements(data, cfg) -> dict:
    """Every C6 number and check of ``data`` (a :class:`bandits.rollouts.Rollouts`), as ``cfg`` fixes them."""
    bands = {k: tuple(float(x) for x in v) for k, v in cfg["expected"].items()}
    for key in BANDS:
        if key not in bands:
            raise ValueError(f"figure.expected.{key}: missing band (the rollouts figure needs {', '.join(BANDS)})")
    fit_n, seed = int(cfg["fit"]), int(cfg.get("seed", 0))
    space = data.answer_space()
    n_min = int(space.samples.min())
    kmax = min(2 * fit_n, n_min - fit_n)
    ks = np.arange(1, kmax + 1)
    out: dict = {"method": METHOD, "questions": len(data.ids), "samples": int(space.samples.sum()),
                 "no_answer": int(space.no_answer.sum()), "fit": fit_n, "k_max": kmax, "checks": {}}
    # (a) the answer space, and the control that makes every trace its own outcome
    traces = space.distinct_traces.to_numpy(float)
    out["answer_space"] = {col: round(float(space[col].mean()), 4) for col in
                           ("samples", "distinct_answers", "distinct_traces", "chao1", "p_correct")}
    s = data.samples   # a sample without a completion text is a trace of its own
    trace = s["completion"].astype(str).where(s["completion"].notna(), "#" + s.index.astype(str))
    sizes = trace.groupby([s["question"], trace], sort=False).size()
    by_question = {q: g.to_numpy() for q, g in sizes.groupby(level=0, sort=False)}
    trace_chao = np.array([rollouts.chao1(by_question[q])[0] for q in data.ids])
    a_checks = {"answers/traces": _paired("mean distinct answers / mean distinct traces", space.distinct_answers,
                                          traces, bands["answers_per_trace"], ratio=True),
                "chao1/samples": _paired("mean Chao1 answers / mean samples", space.chao1, space.samples,
                                         bands["chao1_per_sample"], ratio=True)}
    c_checks = {"answers/traces": _paired("mean distinct answers / mean distinct traces", traces, traces,
                                          bands["answers_per_trace"], ratio=True),
                "chao1/samples": _paired("mean Chao1 answers / mean samples", trace_chao, space.samples,
                                         bands["chao1_per_sample"], ratio=True)}
    out["checks"]["(a) answer classes"] = agent_record(a_checks, None)
    out["checks"]["(a) each trace its own outcome (control)"] = agent_record(c_checks, list(c_checks))

    # (b), (c): fit on `fit` samples of every question, predict the rest
    if not 0 < fit_n < n_min:
        raise ValueError(f"figure.fit = {fit_n}: must lie between 1 and {n_min - 1} (every question has {n_min}+ samples)")
    fit, held = data.split(fit_n / n_min, seed=seed, size=fit_n)   # exactly `fit` in hand per question
    nf, cf, classes_f = fit.counts()
    nh, ch, classes_h = held.counts()
    a, b = rollouts.fit_betabinomial(cf, nf)
    half = np.arange(len(nf)) % 2 == 0   # questions split in two: the prior of one half predicts the other
    a2, b2 = rollouts.fit_betabinomial(cf[half], nf[half])
    observed = rollouts.pass_at_k_unbiased(ch, nh, ks)
    beta = rollouts.pass_at_k_betabinomial(cf, nf, ks, a, b)
    plug = rollouts.pass_at_k_plugin(cf, nf, ks)
    beta_other = rollouts.pass_at_k_betabinomial(cf[~half], nf[~half], kmax, a2, b2)
    out["betabinomial"] = {"a": round(a, 4), "b": round(b, 4), "a_half": round(a2, 4), "b_half": round(b2, 4)}
    unsolved = cf == 0   # no correct sample in hand: the plug-in predicts pass@k = 0 there
    out["unsolved_in_hand"] = int(unsolved.sum())
    stat = f"mean predicted - mean held-out pass@{kmax}"
    stat_u = stat + f" on the {int(unsolved.sum())} questions unsolved in hand"
    tail = f"pass@{kmax}, unsolved in hand"
    out["checks"]["(b) Beta-binomial across questions"] = agent_record(
        {tail: _subset(stat_u, beta[-1], observed[-1], unsolved, bands["passk_unsolved"]),
         f"pass@{kmax}": _paired(stat, beta[-1], observed[-1], bands["passk_error"]),
         f"pass@{kmax}, prior from other questions": _paired(stat + " (other half's prior)", beta_other,
                                                              observed[-1][~half], bands["passk_error"])},
        None, [])  # measured: the model misses the questions unsolved in hand (docs/guide_rollouts.md)
    out["checks"]["(b) plug-in 1 - (1 - c/n)^k (control)"] = agent_record(
        {tail: _subset(stat_u, plug[-1], observed[-1], unsolved, bands["passk_unsolved"]),
         f"pass@{kmax}": _paired(stat, plug[-1], observed[-1], bands["passk_error"]),
         f"pass@{kmax}, prior from other questions": _paired(stat + " (other half)", plug[-1][~half],
                                                              observed[-1][~half], bands["passk_error"])},
        [tail])  # it must fail the check beyond the samples in hand; on the mean over questions it is recorded
    chao = np.array([rollouts.discovery(c, ks) for c in classes_f]).T
    plugin = np.array([rollouts.discovery(c, ks, model="plugin") for c in classes_f]).T
    seen = np.array([rollouts.expected_distinct(c, ks) for c in classes_h]).T
    stat = "mean predicted / mean held-out distinct answers in {} samples"
    d_fit, d_max = f"D_{fit_n}", f"D_{kmax}"
    out["checks"]["(c) rarefaction and Chao extrapolation"] = agent_record(
        {d_fit: _paired(stat.format(fit_n), chao[fit_n - 1], seen[fit_n - 1], bands["discovery_ratio"], ratio=True),
         d_max: _paired(stat.format(kmax), chao[-1], seen[-1], bands["discovery_ratio"], ratio=True)},
        None, [d_fit])
    out["checks"]["(c) plug-in empirical law (control)"] = agent_record(
        {d_fit: _paired(stat.format(fit_n), plugin[fit_n - 1], seen[fit_n - 1], bands["discovery_ratio"], ratio=True),
         d_max: _paired(stat.format(kmax), plugin[-1], seen[-1], bands["discovery_ratio"], ratio=True)},
        [d_fit, d_max])
    out["_curves"] = {"ks": ks, "space": space, "observed": observed, "beta": beta, "plug": plug, "chao": chao,
                      "plugin": plugin, "seen": seen, "unsolved": unsolved}
    return out


def _band(ax, ks, values, **style):
    mean = values.mean(axis=1)
    half = 1.96 * values.std(axis=1, ddof=1) / np.sqrt(values.shape[1])
    ax.plot(ks, mean, **style)
    ax.fill_between(ks, mean - half, mean + half, color=style.get("color"), alpha=0.15, linewidth=0)


def draw_rollouts(folder, table, exp, stem):
    """Four panels: the answer space per question, pass@k (all questions, and those unsolved in hand) and
    discovery, predicted against held out."""
    cfg = exp.figure
    data = _load(cfg)
    out = heldout_measurements(data, cfg)
    cur = out.pop("_curves")
    ks, space, fit_n = cur["ks"], cur["space"], out["fit"]
    fig, axes = plt.subplots(1, 4, figsize=(2 * COLUMN_WIDTH, 2.5), constrained_layout=True)
    ax = axes[0]
    top = int(max(space.distinct_traces.max(), space.distinct_answers.max()))
    bins = np.arange(0.5, top + 1.5)
    ax.hist(space.distinct_traces, bins=bins, histtype="step", color=GREY, linestyle="--", label="distinct traces (K)")
    ax.hist(space.distinct_answers, bins=bins, histtype="step", color=OKABE_ITO[0], label="distinct answers (m)")
    ax.set_xlabel(f"per question (of {int(space.samples.max())} samples)")
    ax.set_ylabel("questions")
    a = out["checks"]["(a) answer classes"]["checks"]["answers/traces"]
    ax.set_title(f"(a) answers / traces\nm / K = {a['estimate']:.2f} [{a['ci95'][0]:.2f}, {a['ci95'][1]:.2f}]", fontsize=7)
    ax.legend(frameon=False, fontsize=5.5, loc="upper right")
    ax = axes[1]
    _band(ax, ks, cur["observed"], color="black", label="held out")
    _band(ax, ks, cur["beta"], color=OKABE_ITO[1], label="Beta-binomial")
    _band(ax, ks, cur["plug"], color=GREY, linestyle="--", label="plug-in (control)")
    ax.set_xlabel("k")
    ax.set_ylabel("pass@k (mean)")
    ax.set_title(f"(b) pass@k, all questions,\nfrom {fit_n} samples in hand", fontsize=7)
    ax.legend(frameon=False, fontsize=5.5, loc="lower right")
    ax = axes[2]
    keep = cur["unsolved"]
    if keep.sum() >= 2:
        _band(ax, ks, cur["observed"][:, keep], color="black", label="held out")
        _band(ax, ks, cur["beta"][:, keep], color=OKABE_ITO[1], label="Beta-binomial")
        ax.plot(ks, cur["plug"][:, keep].mean(axis=1), color=GREY, linestyle="--", label="plug-in (control): 0")
    ax.set_ylim(bottom=-0.02)
    ax.set_xlabel("k")
    ax.set_ylabel("pass@k (mean)")
    u = out["checks"]["(b) Beta-binomial across questions"]["checks"][f"pass@{ks[-1]}, unsolved in hand"]
    error = "undefined" if u["estimate"] is None else f"{u['estimate']:+.2f} [{u['ci95'][0]:+.2f}, {u['ci95'][1]:+.2f}]"
    ax.set_title(f"(b) the {int(keep.sum())} questions unsolved in hand\n"
                 f"error at k = {ks[-1]}: {error}", fontsize=7)
    ax.legend(frameon=False, fontsize=5.5, loc="upper left")
    ax = axes[3]
    _band(ax, ks, cur["seen"], color="black", label="held out")
    _band(ax, ks, cur["chao"], color=OKABE_ITO[2], label="Chao (2014)")
    _band(ax, ks, cur["plugin"], color=GREY, linestyle="--", label="plug-in (control)")
    ax.axvline(fit_n, color="0.8", linewidth=0.6, zorder=0)
    ax.set_xlabel("k (fresh samples)")
    ax.set_ylabel("distinct answers (mean)")
    ax.set_title(f"(c) discovery from\n{fit_n} samples in hand", fontsize=7)
    ax.legend(frameon=False, fontsize=5.5, loc="lower right")
    fig.suptitle(cfg.get("title", exp.name) + "\ncurves: mean over questions and 95% CI (normal); "
                 "checks: bootstrap over questions (figures/claims.md)", fontsize=7)
    save_figure(fig, stem)
    return out
