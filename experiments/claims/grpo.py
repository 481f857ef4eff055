"""Related theory of exploration in GRPO (C5), measured on the learner's own step pieces.

These figures need no training sweep: each draws its own Monte Carlo with the experiment's seed,
calling the compiled pieces of :mod:`bandits.rl.learner` that the training loop calls. The
experiment file names the learners and questions; ``[sweep] runs`` is the number of independent
runs the bootstrap resamples, and ``steps`` the groups (or states) each run averages.

``collision`` (C5a)  the batch term's mean per sample over groups of n answers drawn from p, divided
                     by its closed form -c (n - 1)/n sum_o p(o)^2, for several laws p and each n;
                     band ``band``. Control: a term that counts the sample itself,
                     -(c/n) sum_j 1{o_i = o_j} (the learner's term minus c/n).
``entropy``  (C5b)   the entropy mechanism of Cui et al. (arXiv 2505.22617) on one real learner step
                     (advantage, exploration term, logit gradient, ascend) from random states: the
                     measured entropy change over the first-order prediction -Cov_{a~pi}(log q(a),
                     dtheta_a) (q = pi for the policy entropy, q = p(phi(a)) for the answer entropy)
                     at the smallest eta (band ``ratio``), and the log-log slope of the relative
                     error against eta (band ``slope``: the error is O(eta)). Controls: the same law
                     with the covariance's sign flipped; the answer entropy predicted by the policy
                     entropy's law (log pi(a) in place of log p(phi(a))).
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from numba import njit

from bandits.checks import INF, METHOD, measure
from bandits.plots import COLUMN_WIDTH, OKABE_ITO, save_figure
from bandits.rl import learner as L
from bandits.rl.questions import GENERATORS as QUESTION_GENERATORS
from bandits.seeding import run_seeds
from bandits.stats import loglog_slope
from .common import GREY, agent_record


def questions_of(exp):
    cell = exp.cells[0]
    return QUESTION_GENERATORS[cell.generator](**cell.instance_params)


# -- C5a: the batch term is the collision probability --------------------------------------------

@njit(cache=True)
def batch_terms(groups, c, out):
    """Mean over each group (a row of answers) of the learner's batch term e_i (``exploration``, kind 4)."""
    n = groups.shape[1]
    counts = np.zeros(1)
    e = np.empty(n)
    for g in range(groups.shape[0]):
        L.exploration(4, groups[g], counts, c, 0.0, e)
        out[g] = e.mean()


@njit(cache=True)
def self_counting_terms(groups, c, out):
    """The control: group means of -(c/n) sum_j 1{o_i = o_j} over all j, the sample itself included."""
    n = groups.shape[1]
    for g in range(groups.shape[0]):
        total = 0.0
        for i in range(n):
            for j in range(n):
                if groups[g, j] == groups[g, i]:
                    total += 1.0
        out[g] = -c * total / (n * n)


def draw_groups(rng, p, size):
    """Answers drawn i.i.d. from ``p`` (inverse cdf), an int64 array of shape ``size``."""
    cdf = np.cumsum(p)
    return np.minimum(np.searchsorted(cdf, rng.random(size) * cdf[-1], side="right"), len(p) - 1).astype(np.int64)


def collision_laws(questions) -> dict:
    """The answer laws p the batch term is measured on (name: probabilities)."""
    m = questions.m
    zipf = 1.0 / np.arange(1, m + 1)
    x = int(np.flatnonzero(questions.hard)[0]) if questions.hard.any() else 0
    base = np.zeros(m)
    np.add.at(base, questions.phi[x], questions.pi0)
    return {f"uniform (m={m})": np.full(m, 1.0 / m), f"Zipf (m={m})": zipf / zipf.sum(),
            "two-point (0.7, 0.3)": np.array([0.7, 0.3]), "point mass": np.array([1.0]),
            f"pi0's answers, question {x}": base}


def collision_expected(p, n, c):
    """-c (n - 1)/n sum_o p(o)^2."""
    return -c * (n - 1) / n * float(np.sum(np.asarray(p) ** 2))


def draw_collision(folder, table, exp, stem):
    cfg = exp.figure
    band = tuple(float(b) for b in cfg["band"])
    cells = [cell for cell in exp.cells if cell.settings["bonus"] == "batch"]
    c = cells[0].settings["c"]
    ns = sorted({cell.settings["group_size"] for cell in cells if cell.settings["group_size"] >= 2})
    runs, per_run, seed = cells[0].runs, cells[0].steps, cells[0].seed
    laws = collision_laws(questions_of(exp))
    rng = np.random.default_rng(seed)
    out = {"method": METHOD, "c": c, "groups_per_cell": runs * per_run, "band": list(band), "checks": {}}
    learner, control, rows = {}, {}, []
    for law, p in laws.items():
        for n in ns:
            groups = draw_groups(rng, p, (runs * per_run, n))
            ours, theirs = np.empty(len(groups)), np.empty(len(groups))
            batch_terms(groups, c, ours)
            self_counting_terms(groups, c, theirs)
            expected = collision_expected(p, n, c)
            name = f"{law}, n={n}"
            for store, values in ((learner, ours), (control, theirs)):
                per = values.reshape(runs, per_run).mean(axis=1)
                store[name] = measure("mean batch term per sample / (-c (n-1)/n sum p^2)", [per],
                                      lambda mm, e=expected: mm[..., 0] / e, band)
            rows.append((law, n, expected, ours.mean(), theirs.mean()))
    out["checks"]["batch term of the learner"] = agent_record(learner, None)
    out["checks"]["counts the sample itself (control)"] = agent_record(control, list(control))
    out["table"] = [{"law": law, "n": n, "closed_form": round(e, 6), "learner": round(a, 6), "control": round(b, 6)}
                    for law, n, e, a, b in rows]

    fig, axes = plt.subplots(1, 2, figsize=(2 * COLUMN_WIDTH, 2.6), constrained_layout=True)
    ax = axes[0]
    ax.axhspan(*band, color="0.88", zorder=0, label=f"band [{band[0]:g}, {band[1]:g}]")
    for i, law in enumerate(laws):
        ch = [learner[f"{law}, n={n}"] for n in ns]
        est = np.array([k.estimate for k in ch])
        err = np.clip([est - [k.low for k in ch], [k.high for k in ch] - est], 0, None)
        ax.errorbar(np.array(ns) * (1 + 0.03 * (i - 2)), est, yerr=err, color=OKABE_ITO[i], marker="o",
                    markersize=2.5, capsize=1.5, linewidth=0.8, label=law)
    low = min(k.estimate for k in control.values())
    ax.text(0.02, 0.97, f"control (counts the sample itself): {low:.2f} to "
            f"{max(k.estimate for k in control.values()):.1f}, off scale", transform=ax.transAxes, fontsize=5.5,
            color=GREY, va="top")
    pad = band[1] - band[0]
    ax.set_ylim(band[0] - pad / 2, band[1] + pad / 2)
    ax.set_xscale("log", base=2)
    ax.set_xticks(ns, [str(n) for n in ns])
    ax.set_xlabel("group size n")
    ax.set_ylabel("MC mean / closed form (learner)")
    ax.legend(frameon=False, fontsize=5, ncol=2, loc="lower center")
    ax = axes[1]
    lim = max(abs(r[4]) for r in rows) * 1.05
    ax.plot([0, -lim], [0, -lim], color="black", linewidth=0.6, label="identity")
    ax.scatter([r[2] for r in rows], [r[3] for r in rows], s=9, color=OKABE_ITO[0], label="learner's batch term",
               zorder=3)
    ax.scatter([r[2] for r in rows], [r[4] for r in rows], s=9, facecolor="white", edgecolor=GREY,
               label="control (self counted)", zorder=2)
    ax.set_xlabel("closed form  -c (n-1)/n sum p(o)^2")
    ax.set_ylabel("Monte Carlo mean term per sample")
    ax.legend(frameon=False, fontsize=5.5)
    fig.suptitle(cfg.get("title", exp.name) + f"\nc = {c:g}; {runs * per_run} groups per point, 95% CI over "
                 f"{runs} runs of {per_run} groups", fontsize=7)
    save_figure(fig, stem)
    return out


# -- C5b: the entropy mechanism on the learner's real step ---------------------------------------

def _entropies(pi, phi_x, m):
    p = np.zeros(m)
    np.add.at(p, phi_x, pi)
    pos_pi, pos_p = pi[pi > 0], p[p > 0]
    return -np.sum(pos_pi * np.log(pos_pi)), -np.sum(pos_p * np.log(pos_p)), p


def covariance_law(pi, log_q, dtheta):
    """-Cov_{a~pi}(log q(a), dtheta_a): the first-order entropy change (Cui et al., arXiv 2505.22617)."""
    mean_log = np.sum(pi * log_q)
    mean_d = np.sum(pi * dtheta)
    return -np.sum(pi * (log_q - mean_log) * (dtheta - mean_d))


def entropy_step_samples(questions, settings, etas, states, seed, logit_scale=1.0, count_scale=20):
    """Measured and predicted entropy changes of one learner step from ``states`` random states.

    Returns ``{"policy": (dH, P1), "answer": (dH, P1)}`` with ``dH`` of shape (states, len(etas)) the
    measured change of the policy's (arm) entropy or answer entropy after ``ascend`` with each eta,
    and ``P1`` (states,) the first-order prediction per unit eta.
    """
    rng = np.random.default_rng(seed)
    X, K, m = questions.X, questions.K, questions.m
    param = L.PARAMS.index(settings["param"])
    kind = L.BONUSES.index(settings["bonus"])
    n, beta, c, b0 = settings["group_size"], settings["beta"], settings["c"], settings["b0"]
    phi, pi0 = questions.phi, questions.pi0
    out = {e: (np.zeros((states, len(etas))), np.zeros(states)) for e in ("policy", "answer")}
    theta, theta2, pi, pi2, grad = (np.empty(K) for _ in range(5))
    adv, terms = np.empty(n), np.empty(n)
    for s in range(states):
        u = rng.normal(0, logit_scale, K)
        v = rng.normal(0, logit_scale, (X, K)) if param == 0 else np.zeros((1, 1))
        w = rng.normal(0, logit_scale, (X, m)) if param == 1 else np.zeros((1, 1))
        counts = rng.integers(0, count_scale, size=(X, m)).astype(float)
        x = int(rng.integers(X))
        L.logits(u, v, w, phi, x, param, theta)
        L.softmax_with_base(pi0, theta, pi)
        arms = rng.choice(K, size=n, p=pi / pi.sum())
        outcomes = phi[x, arms].astype(np.int64)
        rewards = (outcomes == 0).astype(float)
        L.grpo_advantage(rewards, adv)
        L.exploration(kind, outcomes, counts[x], c, b0, terms)
        adv += terms
        L.logit_gradient(pi, theta, arms.astype(np.int64), adv, beta, grad)
        h_pi, h_p, p = _entropies(pi, phi[x], m)
        with np.errstate(divide="ignore"):
            log_pi = np.where(pi > 0, np.log(np.where(pi > 0, pi, 1.0)), 0.0)
            log_p = np.log(np.where(p[phi[x]] > 0, p[phi[x]], 1.0))
        for j, eta in enumerate(etas):
            u2, v2, w2 = u.copy(), v.copy(), w.copy()
            L.ascend(u2, v2, w2, phi, x, param, eta, grad)
            L.logits(u2, v2, w2, phi, x, param, theta2)
            L.softmax_with_base(pi0, theta2, pi2)
            h_pi2, h_p2, _ = _entropies(pi2, phi[x], m)
            out["policy"][0][s, j] = h_pi2 - h_pi
            out["answer"][0][s, j] = h_p2 - h_p
            if j == 0:  # dtheta is exactly linear in eta: the prediction per unit eta
                dtheta = (theta2 - theta) / eta
                out["policy"][1][s] = covariance_law(pi, log_pi, dtheta)
                out["answer"][1][s] = covariance_law(pi, log_p, dtheta)
    return out


def entropy_checks(dH, P1, etas, ratio_band, slope_band, sign=1.0):
    """``ratio`` at the smallest eta and ``slope`` of the relative error, for the law ``sign * P1``."""
    etas = np.asarray(etas, float)
    P1 = sign * P1
    j = int(np.argmin(etas))
    sgn = np.sign(P1)
    ratio = measure(f"E[dH sign P] / E|P| at eta={etas[j]:g}", [dH[:, j] * sgn, np.abs(P1) * etas[j]],
                    lambda mm: mm[..., 0] / mm[..., 1], ratio_band, paired=True)
    err = [np.abs(dH[:, k] - etas[k] * P1) for k in range(len(etas))]

    def slope(mm):
        rel = mm[..., :-1] / (etas * mm[..., -1:])
        return loglog_slope(etas, rel)

    slope_check = measure("log-log slope of E|dH - P| / E|P| against eta", [*err, np.abs(P1)], slope, slope_band,
                          paired=True)
    rel = np.array([e.mean() for e in err]) / (etas * np.abs(P1).mean())
    return {"ratio": ratio, "slope": slope_check}, rel


def draw_entropy(folder, table, exp, stem):
    cfg = exp.figure
    etas = np.array(sorted(float(e) for e in cfg["etas"]))
    ratio_band, slope_band = tuple(cfg["ratio"]), tuple(cfg["slope"])
    questions = questions_of(exp)
    out = {"method": METHOD, "etas": etas.tolist(), "checks": {}}
    curves = {}
    for i, cell in enumerate(exp.cells):
        label = L.learner_label(cell.settings)
        samples = entropy_step_samples(questions, cell.settings, etas, cell.runs * cell.steps, cell.seed + i,
                                       logit_scale=float(cfg.get("logit_scale", 1.0)))
        # the answer entropy against the policy entropy's law (log pi(a) in place of log p(phi(a))): a control
        # that shows which entropy each covariance governs
        wrong = (samples["answer"][0], samples["policy"][1])
        for which, (dH, P1), sign, suffix in (
                ("policy", samples["policy"], 1.0, ""), ("policy", samples["policy"], -1.0, ", sign flipped (control)"),
                ("answer", samples["answer"], 1.0, ""), ("answer", samples["answer"], -1.0, ", sign flipped (control)"),
                ("answer", wrong, 0.0, ", by the policy entropy's law (control)")):
            checks, rel = entropy_checks(dH, P1, etas, ratio_band, slope_band, sign or 1.0)
            name = f"{label}, {which} entropy{suffix}"
            out["checks"][name] = agent_record(checks, None if sign > 0 else ["ratio", "slope"])
            curves[name] = (rel, sign, which, i)
    fig, axes = plt.subplots(1, 2, figsize=(2 * COLUMN_WIDTH, 2.8), constrained_layout=True)
    for ax, which in zip(axes, ("policy", "answer")):
        for name, (rel, sign, w, i) in curves.items():
            if w != which:
                continue
            colour = OKABE_ITO[i % len(OKABE_ITO)] if sign > 0 else GREY
            control = "control: sign flipped" if sign < 0 else "control: the policy entropy's law"
            ax.plot(etas, rel, color=colour, linestyle="-" if sign > 0 else "--" if sign < 0 else ":",
                    marker="o" if sign >= 0 else "s", markersize=2.5, linewidth=0.8,
                    markerfacecolor=None if sign > 0 else "white",
                    label=name.split(", " + which)[0] if sign > 0 else (control if i == 0 else None))
        ax.plot(etas, etas / etas[-1] * 0.3, color="black", linewidth=0.5, linestyle=":", label="slope 1")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("learning rate eta")
        ax.set_ylabel("E|dH - P| / E|P|")
        ax.set_title(f"{'policy (arm)' if which == 'policy' else 'answer'} entropy", fontsize=7)
    handles, names = axes[1].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=3, frameon=False, fontsize=5.5)
    fig.suptitle(cfg.get("title", exp.name) + f"\nP = -Cov(log q, dtheta); {exp.cells[0].runs * exp.cells[0].steps}"
                 " random states per learner", fontsize=7)
    save_figure(fig, stem)
    if "training_questions" in cfg:  # the second figure: the covariance term over training
        training = draw_covariance_training(exp, stem.with_name(stem.name + "_training"))
        out["checks"].update(training.pop("checks"))
        out["training"] = training
    return out


# -- C5c: success amplification of whitened GRPO with a KL penalty (Mroueh, arXiv 2503.06639) ------

STD_EPS = 1e-6  # the learner's grpo_advantage divides by std + 1e-6


def _expected_advantages(ps, n, advantage="whitened"):
    """:func:`expected_advantages` for an array of success probabilities ``ps`` (two arrays)."""
    ps = np.asarray(ps, dtype=float)
    if np.isinf(n):
        if advantage == "centered":
            return 1.0 - ps, -ps
        s = np.sqrt(ps * (1 - ps))
        return (1 - ps) / s, -ps / s
    n = int(n)
    counts = np.arange(n)
    # Binomial(n - 1, p) weights of C, the correct ones among the other n - 1 samples
    comb = np.array([math.comb(n - 1, c) for c in counts], dtype=float)
    weights = comb * ps[..., None] ** counts * (1 - ps[..., None]) ** (n - 1 - counts)
    out = []
    for r in (1.0, 0.0):
        mean = (r + counts) / n
        if advantage == "centered":
            a = r - mean
        else:
            ddof = n / (n - 1) if advantage == "sample_std" else 1.0
            a = (r - mean) / (np.sqrt(np.clip(mean * (1 - mean) * ddof, 0, None)) + STD_EPS)
        out.append(weights @ a)
    return out[0], out[1]


def expected_advantages(p, n, advantage="whitened"):
    """``(omega_plus, omega_minus)``: E[A_1 | r_1 = 1] and E[A_1 | r_1 = 0] for a group of n at success p.

    Exact for the learner's advantages (``grpo_advantage``, population std + 1e-6, or
    ``centered_advantage``; ``"sample_std"``: whitening with the sample std, ddof = 1, the
    control of C5c): given r_1, the other n - 1 samples hold C ~ Binomial(n - 1, p) correct
    ones, and A_1 is a function of r_1 and C. ``n = inf``: the large-group limits sqrt((1-p)/p) and
    -sqrt(p/(1-p)) (whitened), 1 - p and -p (centered).
    """
    plus, minus = _expected_advantages(float(p), n, advantage)
    return float(plus), float(minus)


def _h(ps, p_ref, beta, n, advantage):
    plus, minus = _expected_advantages(ps, n, advantage)
    z = np.log(p_ref / (1 - p_ref)) + (plus - minus) / beta
    return 1.0 / (1.0 + np.exp(-z))


def amplification_h(p, p_ref, beta, n=np.inf, advantage="whitened"):
    """h(p) = 1 / (1 + (1 - p_ref)/p_ref exp(-(omega_+(p) - omega_-(p)) / beta)).

    The success probability of pi proportional to pi_ref exp(omega_{r}(p) / beta): the stationary
    policy of the learner's expected update when its advantages are those of success p (docs/theory.md
    9.3). Whitened with n = inf, omega_+ - omega_- = 1 / sqrt(p (1 - p)): Mroueh's h with eps = 0.
    """
    return float(_h(float(p), p_ref, beta, n, advantage))


def amplification_fixed_point(p_ref, beta, n=np.inf, advantage="whitened", grid=4000):
    """p*: the smallest p > p_ref with h(p) = p (bisection after a scan), where a learner started at
    pi_ref stops: the expected logit gap d = logit p - logit p_ref grows while h(p) > p."""
    ps = p_ref + (1 - p_ref) * (np.arange(1, grid + 1) / (grid + 1))
    below = np.flatnonzero(_h(ps, p_ref, beta, n, advantage) <= ps)  # the whole scan at once
    if not len(below):
        return 1.0
    first = below[0]
    lo, hi = (ps[first - 1] if first else p_ref), ps[first]
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if amplification_h(mid, p_ref, beta, n, advantage) > mid:
            lo = mid
        else:
            hi = mid
    return float(0.5 * (lo + hi))


def amplification_questions(questions, p_ref):
    """The experiment's one question with pi0 giving the correct answer probability ``p_ref`` in all."""
    from bandits.rl.questions import Questions
    correct = questions.phi[0] == 0
    pi0 = np.where(correct, p_ref / correct.sum(), (1 - p_ref) / (~correct).sum())
    return Questions(questions.phi[:1], pi0=pi0, m=questions.m, name=f"one question, p_ref = {p_ref:g}")


def draw_amplification(folder, table, exp, stem):
    """C5c: the learner's success probability against p*, for each (p_ref, beta); centered advantages as controls."""
    cfg = exp.figure
    band = tuple(float(b) for b in cfg["band"])
    p_refs = [float(p) for p in cfg["p_ref"]]
    base = questions_of(exp)
    if base.X != 1 or not (base.phi[0] == 0).any() or (base.phi[0] == 0).all():
        raise ValueError("amplification: [questions] must give one question with correct and wrong arms")
    cells = sorted(exp.cells, key=lambda c: (c.settings["advantage"] != "whitened", c.settings["beta"]))
    steps, runs = cells[0].steps, cells[0].runs
    ckpts = np.unique(np.linspace(0, steps, 61).astype(int))
    late = ckpts >= steps // 2  # a run's value: its success probability averaged over the second half
    out = {"method": METHOD + "; a run's value is its success probability averaged over the second half of "
           "training", "band": list(band), "steps": steps, "runs": runs, "checks": {}, "table": []}
    curves, ddof_points = [], []
    for j, cell in enumerate(cells):
        s = cell.settings
        for i, p_ref in enumerate(p_refs):
            res = L.train(amplification_questions(base, p_ref), **s, steps=steps, runs=runs,
                          seed=cell.seed + 1000 * i, checkpoints=ckpts)
            p = res.metrics["pass@1"]
            per = p[:, late].mean(axis=1)
            n, beta, adv = s["group_size"], s["beta"], s["advantage"]
            star = amplification_fixed_point(p_ref, beta, n, "whitened")
            own = amplification_fixed_point(p_ref, beta, n, adv)
            limit = amplification_fixed_point(p_ref, beta, np.inf, "whitened")
            checks = {"limit": measure("mean p / p* (whitened GRPO's fixed point)", [per],
                                       lambda mm, e=star: mm[..., 0] / e, band),
                      "amplified": measure("mean p - p_ref", [per], lambda mm, e=p_ref: mm[..., 0] - e, (0.0, INF))}
            if adv != "whitened":
                checks["own"] = measure("mean p / its own fixed point (centered advantage)", [per],
                                        lambda mm, e=own: mm[..., 0] / e, band)
            checks["large-group h"] = measure("mean p / p* of the paper's h (n = inf)", [per],
                                              lambda mm, e=limit: mm[..., 0] / e, band)
            control = adv != "whitened"
            name = f"{'centered (control)' if control else 'whitened'}, p_ref={p_ref:g}, beta={beta:g}"
            out["checks"][name] = agent_record(checks, ["limit"] if control else None,
                                               None if control else ["limit", "amplified"])
            out["table"].append({"advantage": adv, "p_ref": p_ref, "beta": beta, "n": n, "eta": s["eta"],
                                 "p_star": round(star, 5), "p_star_own": round(own, 5), "p_star_large_n": round(limit, 5),
                                 "measured": round(float(per.mean()), 5)})
            curves.append((adv, p_ref, beta, j, i, res.checkpoints, p.mean(axis=0), star, own, checks))
            if adv == "whitened" and cfg.get("ddof1_control", False):
                # whitening with the sample std (ddof = 1) multiplies every advantage by s = sqrt((n-1)/n);
                # the step eta (A grad log pi - beta grad KL) is then the whitened learner's at eta s and beta / s
                scale = math.sqrt((n - 1) / n)
                res = L.train(amplification_questions(base, p_ref), **{**s, "eta": s["eta"] * scale, "beta": beta / scale},
                              steps=steps, runs=runs * int(cfg.get("control_runs", 1)), seed=cell.seed + 1000 * i + 500,
                              checkpoints=ckpts)
                per = res.metrics["pass@1"][:, late].mean(axis=1)
                own = amplification_fixed_point(p_ref, beta, n, "sample_std")
                checks = {"limit": measure("mean p / p* (whitened GRPO's fixed point)", [per],
                                           lambda mm, e=star: mm[..., 0] / e, band),
                          "amplified": measure("mean p - p_ref", [per], lambda mm, e=p_ref: mm[..., 0] - e, (0.0, INF)),
                          "own": measure("mean p / its own fixed point (sample std, ddof = 1)", [per],
                                         lambda mm, e=own: mm[..., 0] / e, band)}
                name = f"sample std, ddof=1 (control), p_ref={p_ref:g}, beta={beta:g}"
                out["checks"][name] = agent_record(checks, ["limit"])
                out["table"].append({"advantage": "sample_std (ddof=1)", "p_ref": p_ref, "beta": beta, "n": n,
                                     "eta": s["eta"], "p_star": round(star, 5), "p_star_own": round(own, 5),
                                     "p_star_large_n": round(limit, 5), "measured": round(float(per.mean()), 5)})
                ddof_points.append((p_ref, beta, i, checks["limit"]))

    fig, axes = plt.subplots(1, 2, figsize=(2 * COLUMN_WIDTH, 2.9), constrained_layout=True)
    betas = sorted({c[2] for c in curves})
    ax = axes[0]
    for adv, p_ref, beta, j, i, x, mean, star, own, _ in curves:
        colour = OKABE_ITO[betas.index(beta) % len(OKABE_ITO)] if adv == "whitened" else GREY
        ax.plot(x, mean, color=colour, linestyle="-" if adv == "whitened" else "--", linewidth=0.8,
                label=(f"whitened, beta={beta:g}" if i == 0 else None) if adv == "whitened"
                else ("centered (control)" if i == 0 and beta == betas[0] else None))
        if adv == "whitened":
            ax.axhline(star, color=colour, linewidth=0.5, linestyle=":")
    for p_ref in p_refs:
        ax.axhline(p_ref, color="black", linewidth=0.4, linestyle="-", alpha=0.4)
    ax.set_xlabel("training step")
    ax.set_ylabel("success probability p (mean over runs)")
    ax.set_ylim(0, 1)
    ax.set_title("p over training; dotted: p*; thin black: p_ref", fontsize=7)
    ax = axes[1]
    ax.axhspan(*band, color="0.88", zorder=0, label=f"band [{band[0]:g}, {band[1]:g}]")
    for k, (adv, p_ref, beta, j, i, *_rest, checks) in enumerate(curves):
        c = checks["limit"]
        xpos = i + 0.12 * (betas.index(beta) - 1) + (0.04 if adv != "whitened" else 0)
        colour = OKABE_ITO[betas.index(beta) % len(OKABE_ITO)] if adv == "whitened" else GREY
        ax.errorbar([xpos], [c.estimate], yerr=[[max(c.estimate - c.low, 0)], [max(c.high - c.estimate, 0)]],
                    color=colour, marker="o" if adv == "whitened" else "s", markersize=3, capsize=1.5,
                    markerfacecolor=None if adv == "whitened" else "white", linewidth=0.8,
                    label=(f"whitened, beta={beta:g}" if i == 0 else None) if adv == "whitened"
                    else ("centered (control)" if i == 0 and beta == betas[0] else None))
    for p_ref, beta, i, c in ddof_points:
        xpos = i + 0.12 * (betas.index(beta) - 1) - 0.04
        ax.errorbar([xpos], [c.estimate], yerr=[[max(c.estimate - c.low, 0)], [max(c.high - c.estimate, 0)]],
                    color=GREY, marker="^", markersize=3, capsize=1.5, markerfacecolor="white", linewidth=0.8,
                    label="sample std, ddof = 1 (control)" if (i, beta) == (0, betas[0]) else None)
    ax.set_xticks(range(len(p_refs)), [f"p_ref = {p:g}" for p in p_refs])
    if ddof_points:  # zoom on the band: the sample-std control sits just below it, the centered one far below
        lows = [c.low for *_r, c in ddof_points]
        ax.set_ylim(min(min(lows), band[0]) - 0.005, band[1] + 0.005)
        centered = [k[-1]["limit"].estimate for k in curves if k[0] != "whitened"]
        if centered:
            ax.text(0.02, 0.03, f"centered (control): {min(centered):.2f} to {max(centered):.2f}, below the axis",
                    transform=ax.transAxes, fontsize=5.5, color=GREY)
    ax.set_ylabel("mean p / p*  (95% CI)")
    ax.set_title("learner's limit over the fixed point of h", fontsize=7)
    handles, names = ax.get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=5, frameon=False, fontsize=6)
    cell = cells[0].settings
    fig.suptitle(cfg.get("title", exp.name) + f"\nn = {cell['group_size']}, eta = {cell['eta']:g}, {cell['param']} logits; "
                 f"{runs} runs of {steps} steps per point", fontsize=7)
    save_figure(fig, stem)
    return out


# -- C5d (a): the unbiased pass@k estimator of sampled groups (Walder and Karkhanis, arXiv 2505.15201) ----

def pass_at_k_table(n, k, plug_in=False):
    """The estimate of each correct count c = 0..n of a group of n: the learner's unbiased
    ``pass_at_k_unbiased`` (1 - C(n-c, k)/C(n, k)) or the plug-in 1 - (1 - c/n)^k."""
    c = np.arange(n + 1)
    if plug_in:
        return 1.0 - (1.0 - c / n) ** k
    return np.array([L.pass_at_k_unbiased(n, int(ci), k) for ci in c])


def draw_passk(folder, table, exp, stem):
    """C5d (a): mean of the pass@k estimate over sampled groups / the policy's exact 1 - (1 - p)^k."""
    cfg = exp.figure
    band = tuple(float(b) for b in cfg["band"])
    ks = [int(k) for k in cfg["ks"]]
    ps = [float(p) for p in cfg.get("p", [0.02, 0.1, 0.3])]
    cell = exp.cells[0]
    n, runs, per_run = cell.settings["group_size"], cell.runs, cell.steps
    rng = np.random.default_rng(cell.seed)
    out = {"method": METHOD, "n": n, "groups_per_law": runs * per_run, "band": list(band), "checks": {}, "table": []}
    ours, plug = {}, {}
    for p in ps:
        # the correct count of each group of n answers drawn from a policy with success probability p
        counts = (draw_groups(rng, np.array([p, 1 - p]), (runs * per_run, n)) == 0).sum(axis=1)
        for k in ks:
            exact = 1.0 - (1.0 - p) ** k
            name = f"p={p:g}, k={k}"
            for store, plug_in in ((ours, False), (plug, True)):
                per = pass_at_k_table(n, k, plug_in)[counts].reshape(runs, per_run).mean(axis=1)
                store[name] = measure("mean estimate over groups / (1 - (1 - p)^k)", [per],
                                      lambda mm, e=exact: mm[..., 0] / e, band)
            out["table"].append({"p": p, "k": k, "exact": round(exact, 6), "unbiased": round(ours[name].estimate * exact, 6),
                                 "plug_in": round(plug[name].estimate * exact, 6)})
    out["checks"]["unbiased estimator 1 - C(n-c,k)/C(n,k)"] = agent_record(ours, None)
    out["checks"]["plug-in 1 - (1 - c/n)^k (control)"] = agent_record(plug, list(plug))

    fig, axes = plt.subplots(1, 2, figsize=(2 * COLUMN_WIDTH, 2.6), constrained_layout=True)
    for ax, store, title in ((axes[0], ours, "unbiased 1 - C(n-c,k)/C(n,k)"),
                             (axes[1], plug, "plug-in 1 - (1-c/n)^k (control)")):
        ax.axhspan(*band, color="0.88", zorder=0, label=f"band [{band[0]:g}, {band[1]:g}]")
        for i, p in enumerate(ps):
            ch = [store[f"p={p:g}, k={k}"] for k in ks]
            est = np.array([c.estimate for c in ch])
            err = np.clip([est - [c.low for c in ch], [c.high for c in ch] - est], 0, None)
            control = store is plug
            ax.errorbar(np.array(ks) * (1 + 0.04 * (i - 1)), est, yerr=err,
                        color=GREY if control else OKABE_ITO[i], marker=("s", "^", "D")[i % 3] if control else "o",
                        markersize=3,
                        markerfacecolor="white" if control else None, capsize=1.5, linewidth=0.8,
                        linestyle="--" if control else "-", label=f"p = {p:g}")
        ax.set_xscale("log", base=2)
        ax.set_xticks(ks, [str(k) for k in ks])
        ax.set_xlabel("k")
        ax.set_ylabel("mean estimate / exact pass@k")
        ax.set_title(title, fontsize=7)
        ax.legend(frameon=False, fontsize=5.5, loc="lower left")
    lows = [c.low for c in plug.values()] + [c.low for c in ours.values()]
    for ax in axes:
        ax.set_ylim(min(min(lows) - 0.02, band[0] - 0.02), band[1] + 0.02)
    fig.suptitle(cfg.get("title", exp.name) + f"\nn = {n}; {runs * per_run} groups per point, 95% CI over {runs} "
                 f"runs of {per_run} groups", fontsize=7)
    save_figure(fig, stem)
    return out


# -- C5b, second part: the covariance term over training, for GRPO and the outcome bonuses ---------

@njit(cache=True)
def whitened_omegas(p, n):
    """(omega_+, omega_-): E[A_1 | r_1 = 1], E[A_1 | r_1 = 0] of ``grpo_advantage`` in a group of n at success p
    (the other n - 1 samples hold C ~ Binomial(n - 1, p) correct ones; as :func:`expected_advantages`)."""
    plus, minus = 0.0, 0.0
    for j in range(n):
        if p <= 0.0:
            w = 1.0 if j == 0 else 0.0
        elif p >= 1.0:
            w = 1.0 if j == n - 1 else 0.0
        else:
            w = np.exp(math.lgamma(n) - math.lgamma(j + 1) - math.lgamma(n - j) + j * np.log(p)
                       + (n - 1 - j) * np.log1p(-p))
        for r in range(2):
            mean = (r + j) / n
            a = (r - mean) / (np.sqrt(max(mean * (1.0 - mean), 0.0)) + STD_EPS)
            if r == 1:
                plus += w * a
            else:
                minus += w * a
    return plus, minus


@njit(cache=True)
def covariance_terms(u, v, w, phi, pi0, param, n, kind, c, b0, counts, out):
    """At the current parameters, for each question x: ``out[x, 0]`` = Cov_{o~p_x}(log p_x(o), Abar_x(o)),
    the covariance of Cui et al. with the answer's log probability and the expected advantage of the
    answer (GRPO's expected whitened advantage plus the expected exploration term, centred:
    E[logit gradient of arm a] = pi(a) Abar(phi(a))); ``out[x, 1]`` = -Cov_{a~pi_x}(log p_x(phi(a)), E[dtheta_x(a)]/eta),
    the first-order change of question x's answer entropy per unit eta from the expected step on x
    (docs/theory.md 9.2); ``out[x, 2]`` = the answer entropy."""
    X, K = phi.shape
    m = counts.shape[1]
    theta, pi, p, ebar, abar, g, dth = (np.empty(K), np.empty(K), np.empty(m), np.empty(m), np.empty(m), np.empty(K),
                                       np.empty(K))
    G = np.empty(m)
    for x in range(X):
        L.logits(u, v, w, phi, x, param, theta)
        L.softmax_with_base(pi0, theta, pi)
        L.answer_distribution(pi, phi[x], p)
        plus, minus = whitened_omegas(p[0], n)
        mean_e = 0.0
        for o in range(m):
            if kind == 0:
                ebar[o] = 0.0
            elif kind == 3:  # ucb_con: c (b(N) - b0), a function of the answer
                ebar[o] = c * (min(1.0, 1.0 / np.sqrt(max(counts[x, o], 1.0))) - b0)
            elif kind == 4:  # batch: E[-(c/n) #{j != 1: o_j = o_1} | o_1 = o] = -c (n-1)/n p(o)
                ebar[o] = -c * (n - 1) / n * p[o]
            else:
                ebar[o] = np.nan
            mean_e += p[o] * ebar[o]
        ent, mlog, ma = 0.0, 0.0, 0.0
        for o in range(m):
            abar[o] = (plus if o == 0 else minus) + ebar[o] - mean_e
            if p[o] > 0:
                ent -= p[o] * np.log(p[o])
                mlog += p[o] * np.log(p[o])
                ma += p[o] * abar[o]
        cov = 0.0
        for o in range(m):
            if p[o] > 0:
                cov += p[o] * (np.log(p[o]) - mlog) * (abar[o] - ma)
        # the expected logit step per unit eta: g(a) = pi(a) Abar(phi(a)); theta_x moves by 2 g (arm logits)
        # or by g(a) + sum_{phi(a') = phi(a)} g(a') (outcome logits: u and w[x, phi(a)])
        G[:] = 0.0
        for a in range(K):
            g[a] = pi[a] * abar[phi[x, a]]
            G[phi[x, a]] += g[a]
        md, ml = 0.0, 0.0
        for a in range(K):
            dth[a] = 2.0 * g[a] if param == 0 else g[a] + G[phi[x, a]]
            md += pi[a] * dth[a]
            ml += pi[a] * np.log(max(p[phi[x, a]], 1e-300))
        dh = 0.0
        for a in range(K):
            dh -= pi[a] * (np.log(max(p[phi[x, a]], 1e-300)) - ml) * (dth[a] - md)
        out[x, 0] = cov
        out[x, 1] = dh
        out[x, 2] = ent


@njit(cache=True)
def train_with_covariance(seeds, phi, pi0, m, n, eta, c, b0, kind, param, steps, checkpoints, out):
    """The learner's training loop (``train_runs``' step, :func:`bandits.rl.learner.learn_step`, with
    beta = 0 and plain rewards: the same draws in the same order), reading :func:`covariance_terms` at
    checkpoints: ``out[run, ckpt, x, 0:3]``."""
    X, K = phi.shape
    for r in range(seeds.shape[0]):
        np.random.seed(seeds[r])
        u = np.zeros(K)
        v = np.zeros((X, K) if param == 0 else (1, 1))
        w = np.zeros((X, m) if param == 1 else (1, 1))
        counts = np.zeros((X, m))
        work = L.scratch(K, n)
        k = 0
        while k < checkpoints.shape[0] and checkpoints[k] == 0:
            covariance_terms(u, v, w, phi, pi0, param, n, kind, c, b0, counts, out[r, k])
            k += 1
        for step in range(1, steps + 1):
            x = np.random.randint(X)
            L.learn_step(u, v, w, phi, pi0, x, param, eta, 0.0, c, b0, kind, counts, work)
            while k < checkpoints.shape[0] and checkpoints[k] == step:
                covariance_terms(u, v, w, phi, pi0, param, n, kind, c, b0, counts, out[r, k])
                k += 1


def covariance_over_training(questions, settings, steps, runs, seed, checkpoints):
    """``(checkpoints, terms)``: ``terms[run, ckpt, 0:3]`` the covariance, the first-order entropy change per
    unit eta and the answer entropy, each averaged over questions, along ``runs`` training runs of the
    learner with ``settings`` (the same seeds as :func:`bandits.rl.learner.train`, so the same runs)."""
    settings = L.check_settings({k: settings[k] for k in L.SETTINGS})
    if settings["beta"] != 0 or settings["reward"] != "plain" or settings["advantage"] != "whitened" \
            or settings["bonus"] not in ("none", "ucb_con", "batch") or settings["entropy_coef"] != 0 \
            or settings["rank_penalty"] != 0:
        raise ValueError("covariance over training: whitened GRPO without KL, with bonus none, ucb_con or batch")
    seeds = run_seeds(seed, L.seed_key(questions, settings, steps), runs)
    ckpts = np.asarray(checkpoints, dtype=np.int64)
    out = np.zeros((runs, len(ckpts), questions.X, 3))
    train_with_covariance(seeds, questions.phi, questions.pi0, questions.m, settings["group_size"], settings["eta"],
                          settings["c"], settings["b0"], L.BONUSES.index(settings["bonus"]),
                          L.PARAMS.index(settings["param"]), steps, ckpts, out)
    return ckpts, out.mean(axis=2)


def draw_covariance_training(exp, stem) -> dict:
    """C5b, over training: the covariance term and the answer entropy along training of each learner of
    the experiment (on ``figure.training_questions``), with Student-t bands over runs; measured rows:
    the covariance averaged over the first ``figure.early`` steps, and its difference from GRPO's."""
    from bandits.stats import mean_ci
    cfg = exp.figure
    questions = QUESTION_GENERATORS[cfg["training_questions"]["generator"]](
        **{k: v for k, v in cfg["training_questions"].items() if k != "generator"})
    steps, early = int(cfg["training_steps"]), int(cfg["early"])
    ckpts = np.unique(np.r_[0, np.geomspace(1, steps, int(cfg.get("training_checkpoints", 30))).astype(int), early])
    curves, per_run = {}, {}
    for i, cell in enumerate(exp.cells):
        label = L.learner_label(cell.settings)
        x, terms = covariance_over_training(questions, cell.settings, steps, cell.runs, cell.seed + 7, ckpts)
        curves[label] = (cell.settings, terms)
        head = ckpts <= early  # the mean over steps 0..early of the covariance (trapezoid between checkpoints)
        per_run[label] = np.trapezoid(terms[:, head, 0], ckpts[head], axis=1) / early
    out = {"method": METHOD + "; rows measured, not claimed", "training_steps": steps, "early": early,
           "checks": {}, "final": {}}
    for label, (s, terms) in curves.items():
        out["final"][label] = {"covariance": round(float(terms[:, -1, 0].mean()), 4),
                               "entropy": round(float(terms[:, -1, 2].mean()), 4),
                               "peak covariance": round(float(terms[:, :, 0].mean(axis=0).max()), 4),
                               "peak step": int(ckpts[int(np.argmax(terms[:, :, 0].mean(axis=0)))])}
        grpo = next(lab for lab, (t, _) in curves.items() if t["bonus"] == "none" and t["param"] == s["param"])
        checks = {"early": measure(f"Cov(log p, Abar) averaged over steps 0-{early}", [per_run[label]],
                                   lambda mm: mm[..., 0], (0.0, INF))}
        if label != grpo:
            checks["lower"] = measure(f"the same, learner - GRPO", [per_run[grpo], per_run[label]],
                                      lambda mm: mm[..., 1] - mm[..., 0], (-INF, 0.0))
        out["checks"][f"covariance over training, {label}"] = agent_record(checks, None, ["(measured)"])

    params = sorted({s["param"] for s, _ in curves.values()}, key=lambda p: p != "outcome")
    fig, axes = plt.subplots(2, len(params), figsize=(2 * COLUMN_WIDTH, 4.2), constrained_layout=True, squeeze=False)
    for j, param in enumerate(params):
        i = 0
        for label, (s, terms) in curves.items():
            if s["param"] != param:
                continue
            for row, (k, ylabel) in enumerate(((0, "Cov_{o~p}(log p(o), Abar(o))"), (2, "answer entropy (nats)"))):
                ax = axes[row, j]
                mean, _, lo, hi, _ = mean_ci(terms[:, :, k])
                ax.plot(np.maximum(ckpts, 0.7), mean, color=OKABE_ITO[i], linewidth=0.9,
                        label=label.split(" (")[0])
                ax.fill_between(np.maximum(ckpts, 0.7), lo, hi, color=OKABE_ITO[i], alpha=0.2, linewidth=0)
                ax.set_xscale("log")
                ax.set_ylabel(ylabel)
                ax.set_xlabel("training step")
            i += 1
        axes[0, j].axhline(0, color="black", linewidth=0.5)
        axes[0, j].axvline(early, color=GREY, linewidth=0.5, linestyle=":")
        axes[0, j].set_title(f"{param} logits", fontsize=7)
    handles, names = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=3, frameon=False, fontsize=6)
    cell = exp.cells[0]
    fig.suptitle(cfg.get("title", exp.name).split(":")[0] + ": the covariance term over training (exact expectation "
                 f"over groups; dotted: step {early})\n{questions.name}; n = {cell.settings['group_size']}, c = "
                 f"{cell.settings['c']:g}; mean and 95% CI over {cell.runs} runs", fontsize=7)
    save_figure(fig, stem)
    return out
