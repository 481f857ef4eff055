"""The engine's own normal, Gamma and Beta samplers against scipy.stats (goodness of fit).

Fixed seeds, so every p-value below is a fixed number; the threshold 1e-4 then fails only for a
wrong law. Each family also has a deliberately wrong sampler (a perturbed shape, a ziggurat
without its wedge test, a tail drawn from the wrong law) that the same test must reject, so
the tests are shown able to fail.
"""

import math

import numpy as np
import pytest
from numba import njit
from scipy import stats

from bandits.agents import _sampling as S

N = 100_000
P_OK = 1e-4      # a correct sampler passes (fixed seeds)
P_WRONG = 1e-8   # a wrong one is rejected far more strongly


@njit
def _gammas(seed, a, n, scale_shape):
    s = np.empty(4, np.uint64)
    S.seed_rng(s, seed)
    st = S.load(s)
    out = np.empty(n)
    for i in range(n):
        out[i], st = S.gamma(st, a * scale_shape)
    return out


@njit
def _betas(seed, a, b, n, scale_shape):
    s = np.empty(4, np.uint64)
    S.seed_rng(s, seed)
    st = S.load(s)
    out = np.empty(n)
    for i in range(n):
        out[i], st = S.beta(st, a * scale_shape, b)
    return out


@njit
def _betas_dc(seed, a, b, n):
    s = np.empty(4, np.uint64)
    S.seed_rng(s, seed)
    st = S.load(s)
    da, ca = S.gamma_consts(a)
    db, cb = S.gamma_consts(b)
    out = np.empty(n)
    for i in range(n):
        out[i], st = S.beta_dc(st, da, ca, db, cb)
    return out


@njit
def _normals(seed, n):
    s = np.empty(4, np.uint64)
    S.seed_rng(s, seed)
    st = S.load(s)
    out = np.empty(n)
    for i in range(n):
        out[i], st = S.normal(st)
    return out


@njit
def _normals_no_wedge(seed, n):
    """A wrong ziggurat: every point of a layer accepted (no wedge test), tail done right."""
    s = np.empty(4, np.uint64)
    S.seed_rng(s, seed)
    st = S.load(s)
    out = np.empty(n)
    for k in range(n):
        bits, st = S.next_u64(st)
        i = np.int64(bits & np.uint64(0xFF))
        sign = 1.0 - 2.0 * np.float64((bits >> np.uint64(8)) & np.uint64(1))
        u = np.float64(bits >> np.uint64(11)) * S._TO_UNIT
        x = u * S.ZIG_X[i]
        if i == 0 and x >= S.ZIG_R:
            x, st = S._normal_slow(st, 0, x)
        out[k] = sign * x
    return out


def binned_pvalue(x, dist, edges):
    """Chi-square goodness of fit on the bins ``edges`` (for laws whose mass piles up where
    doubles cannot resolve it, e.g. Beta(0.05, 0.05) puts 7% of its mass within 1e-17 of 1)."""
    counts = np.histogram(x, bins=edges)[0]
    probs = np.diff(dist.cdf(edges))
    probs[-1] = dist.sf(edges[-2])            # the top bin from the survival function (precision)
    expected = probs / probs.sum() * len(x)
    return stats.chisquare(counts, expected).pvalue


TINY_EDGES = np.array([0.0, 1e-200, 1e-50, 1e-20, 1e-8, 1e-3, 0.05, 0.2, 0.5, 0.8, 0.95, 1 - 1e-3, 1 - 1e-8, 1.0])


@pytest.mark.parametrize("a", [0.05, 0.5, 1.0, 1.5, 30.0, 1000.0])
def test_gamma_fits(a):
    x = _gammas(100 + int(a * 10), a, N, 1.0)
    assert stats.kstest(x, stats.gamma(a).cdf).pvalue > P_OK
    assert np.all(x >= 0)


def test_beta_with_tiny_shapes_fits():
    dist = stats.beta(0.05, 0.05)
    assert binned_pvalue(_betas(7, 0.05, 0.05, N, 1.0), dist, TINY_EDGES) > P_OK
    assert binned_pvalue(_betas(7, 0.05, 0.05, N, 1.1), dist, TINY_EDGES) < P_WRONG   # wrong shape


@pytest.mark.parametrize("a,b", [(0.5, 0.5), (0.05, 3.0), (1.0, 1.0), (1.5, 1.0), (1.0, 30.0),
                                 (30.0, 1000.0), (1000.0, 1000.0), (2.5, 0.5)])
def test_beta_fits(a, b):
    x = _betas(7 + int(a * 100 + b), a, b, N, 1.0)
    assert stats.kstest(x, stats.beta(a, b).cdf).pvalue > P_OK
    assert np.all((x >= 0) & (x <= 1))


@pytest.mark.parametrize("a,b", [(1.0, 1.0), (3.0, 1.0), (31.0, 970.0)])
def test_beta_from_cached_constants_fits(a, b):
    x = _betas_dc(3, a, b, N)
    assert stats.kstest(x, stats.beta(a, b).cdf).pvalue > P_OK


@pytest.mark.parametrize("a", [0.05, 0.5, 1.5, 30.0, 1000.0])
def test_a_perturbed_gamma_shape_is_rejected(a):
    x = _gammas(100 + int(a * 10), a, N, 1.03)
    assert stats.kstest(x, stats.gamma(a).cdf).pvalue < P_WRONG


@pytest.mark.parametrize("a,b", [(0.05, 3.0), (0.5, 0.5), (1.5, 1.0), (30.0, 1000.0)])
def test_a_perturbed_beta_shape_is_rejected(a, b):
    x = _betas(7 + int(a * 100 + b), a, b, N, 1.05)
    assert stats.kstest(x, stats.beta(a, b).cdf).pvalue < P_WRONG


# |z| binned at the ziggurat's layer edges: a wrong wedge or tail shows in its own bin
LAYER_EDGES = np.concatenate([S.ZIG_X[1:][::-1], [np.inf]])
HALF_NORMAL = stats.halfnorm()


def test_normal_fits():
    x = _normals(1, 40 * N)
    assert stats.kstest(x[:10 * N], stats.norm.cdf).pvalue > P_OK
    assert binned_pvalue(np.abs(x), HALF_NORMAL, LAYER_EDGES) > P_OK
    assert abs(x.mean()) < 5 / math.sqrt(len(x))            # symmetric: the sign bit is fair


def test_a_ziggurat_without_wedge_test_is_rejected():
    x = _normals_no_wedge(1, 40 * N)
    assert binned_pvalue(np.abs(x), HALF_NORMAL, LAYER_EDGES) < P_WRONG


def test_normal_tail_beyond_the_base_layer():
    # the tail |z| > r holds 2.6e-4 of the mass: its size and its shape (a truncated normal)
    x = np.abs(_normals(2, 4_000_000))
    tail = x[x > S.ZIG_R]
    expected = 4_000_000 * 2 * stats.norm.sf(S.ZIG_R)
    assert abs(len(tail) - expected) < 5 * math.sqrt(expected)
    assert stats.kstest(tail, stats.truncnorm(S.ZIG_R, np.inf).cdf).pvalue > P_OK
    # a wrong tail law (an exponential beyond r) is rejected by the same test
    rng = np.random.default_rng(0)
    wrong = S.ZIG_R + rng.exponential(1.0 / 2.0, size=len(tail))
    assert stats.kstest(wrong, stats.truncnorm(S.ZIG_R, np.inf).cdf).pvalue < P_WRONG


def test_ziggurat_tables_have_equal_layers():
    x, f = S.ZIG_X, S.ZIG_F
    v = S.ZIG_V
    areas = x[1:-1] * (f[2:] - f[1:-1])          # layers 1 .. n-1
    assert np.allclose(areas, v, rtol=1e-9, atol=0)
    base = S.ZIG_R * f[1] + math.sqrt(math.pi / 2) * math.erfc(S.ZIG_R / math.sqrt(2))
    assert base == pytest.approx(v, rel=1e-12)
    assert x[-1] == 0.0 and f[-1] == 1.0
    assert x[-2] * (1.0 - f[-2]) == pytest.approx(v, rel=1e-9)                # the top layer
    # the layers cover the half-normal's area sqrt(pi / 2) with less than 1.5% to spare
    assert 1.0 < 256 * v / math.sqrt(math.pi / 2) < 1.015


def test_seeding_is_deterministic_and_streams_differ():
    assert np.array_equal(_normals(5, 1000), _normals(5, 1000))
    assert not np.array_equal(_normals(5, 1000), _normals(6, 1000))
