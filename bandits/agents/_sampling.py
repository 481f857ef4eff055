"""Fast exact posterior samples for the Thompson agents: normal, Gamma and Beta variates.

Each agent run owns a small generator, an xoshiro256++ state of four ``uint64`` words kept in a
NumPy array (:func:`new_rng`). It is seeded from ``np.random`` when the agent's state is made,
so a run stays a deterministic function of the seed the engine gives it, and it is independent
of ``np.random``'s own use (tie-breaking, the first-visit order) and of the environment's
counter-based generator (outcomes and rewards, shared by every agent: :mod:`bandits.engine.env`).

In the hot loop the four words travel as a tuple of scalars, not as the array: every sampler
takes the state ``st`` and returns ``(value, st)``. An ``index`` function loads the tuple once
(:func:`load`), draws all its samples and stores it back (:func:`store`). Passing the array to
each inlined sampler instead makes Numba keep reference-count updates inside the rejection
loops, which measured about twice as slow (see :mod:`.base`).

* :func:`normal`: a 256-layer ziggurat (Marsaglia and Tsang 2000) for the standard normal: one
  64-bit draw, a table look-up and a multiplication in about 99% of calls; the wedges are
  accepted against the density and the tail beyond ``r`` is sampled by Marsaglia's exact
  exponential method, so the variate is exactly normal (up to the 53-bit uniforms).
* :func:`gamma_dc`: Marsaglia and Tsang's (2000) squeeze-and-reject Gamma(a) for a >= 1, with
  ``d = a - 1/3`` and ``c = 1 / sqrt(9 d)`` passed in (:func:`gamma_consts`), so an agent can
  cache them per arm and recompute them only when a posterior changes.
* :func:`gamma`: any shape a > 0; for a < 1 the boost ``Gamma(a) = Gamma(a + 1) U^(1/a)``.
* :func:`beta`: ``X / (X + Y)`` with ``X ~ Gamma(a)``, ``Y ~ Gamma(b)``; in log space when a
  shape is below 1 (then X and Y can both underflow to 0).

The tables of the ziggurat are computed here at import, from its defining equations.
"""

import math

import numpy as np
from numba import njit, uint64

# ----------------------------------------------------------------------------- ziggurat tables

_LAYERS = 256


def _ziggurat_tables(n=_LAYERS):
    """Layer edges x[0..n] (x[0] the base layer's virtual width, x[1] = r, x[n] = 0), the density
    f(x) = exp(-x^2/2) at them, and ratios x[i+1] / x[i]. Every layer has the same area v."""
    f = lambda x: math.exp(-0.5 * x * x)  # noqa: E731
    finv = lambda y: math.sqrt(-2.0 * math.log(y))  # noqa: E731
    tail = lambda r: math.sqrt(math.pi / 2.0) * math.erfc(r / math.sqrt(2.0))  # noqa: E731

    def top_gap(r):
        # build the layers upwards from r; the top layer (up to y = 1) must have area v too
        v = r * f(r) + tail(r)
        x = r
        for _ in range(n - 2):
            y = f(x) + v / x
            if y >= 1.0:
                return -1.0          # ran out of room: r too small
            x = finv(y)
        return x * (1.0 - f(x)) - v  # > 0: r too large

    lo, hi = 2.0, 5.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if top_gap(mid) > 0.0:
            hi = mid
        else:
            lo = mid
    r = hi
    v = r * f(r) + tail(r)
    x = np.zeros(n + 1)
    x[0], x[1] = v / f(r), r
    for i in range(1, n - 1):
        x[i + 1] = finv(f(x[i]) + v / x[i])
    x[n] = 0.0
    fx = np.exp(-0.5 * x * x)
    fx[n] = 1.0
    ratio = x[1:] / x[:-1]
    return x, fx, ratio, r, v


ZIG_X, ZIG_F, ZIG_RATIO, ZIG_R, ZIG_V = _ziggurat_tables()
_TO_UNIT = 1.0 / 9007199254740992.0  # 2^-53

# ----------------------------------------------------------------------------- the generator


@njit(cache=True, inline="always")
def _rotl(x, k):
    return (x << uint64(k)) | (x >> uint64(64 - k))


@njit(cache=True, inline="always")
def next_u64(st):
    """xoshiro256++ (Blackman and Vigna): (64 random bits, next state)."""
    s0, s1, s2, s3 = st
    result = _rotl(s0 + s3, 23) + s0
    t = s1 << uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    return result, (s0, s1, s2, s3)


@njit(cache=True, inline="always")
def uniform(st):
    """Uniform on [0, 1) with 53 random bits: (u, next state)."""
    bits, st = next_u64(st)
    return np.float64(bits >> uint64(11)) * _TO_UNIT, st


@njit(cache=True, inline="always")
def uniform_pos(st):
    """Uniform on (0, 1] with 53 random bits (safe under a logarithm): (u, next state)."""
    bits, st = next_u64(st)
    return (np.float64(bits >> uint64(11)) + 1.0) * _TO_UNIT, st


@njit(cache=True)
def seed_rng(s, seed):
    """Fill the array ``s`` from an integer seed with splitmix64 (never all zero)."""
    x = uint64(seed)
    for i in range(4):
        x += uint64(0x9E3779B97F4A7C15)
        z = x
        z = (z ^ (z >> uint64(30))) * uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> uint64(27))) * uint64(0x94D049BB133111EB)
        s[i] = z ^ (z >> uint64(31))


@njit(cache=True)
def new_rng():
    """A generator state array seeded from ``np.random`` (which the engine seeds per run)."""
    s = np.empty(4, np.uint64)
    seed_rng(s, np.random.randint(0, 2 ** 62))
    return s


@njit(cache=True, inline="always")
def load(s):
    """The state tuple of the array ``s``."""
    return (s[0], s[1], s[2], s[3])


@njit(cache=True, inline="always")
def store(s, st):
    """Write the state tuple ``st`` back into the array ``s``."""
    s[0], s[1], s[2], s[3] = st


# ----------------------------------------------------------------------------- normal


@njit(cache=True)
def _normal_slow(st, i, x):
    """The rare cases of the ziggurat: the tail (layer 0) or a wedge, for |candidate| = ``x``.
    Returns (x or -1 when rejected, next state)."""
    if i == 0:  # tail beyond r, Marsaglia (1964): exact for the normal tail
        while True:
            u1, st = uniform_pos(st)
            u2, st = uniform_pos(st)
            e = -np.log(u1) / ZIG_R
            if -2.0 * np.log(u2) > e * e:
                return ZIG_R + e, st
    u, st = uniform(st)
    y = ZIG_F[i] + u * (ZIG_F[i + 1] - ZIG_F[i])
    if y < np.exp(-0.5 * x * x):
        return x, st
    return -1.0, st


@njit(cache=True, inline="always")
def normal(st):
    """A standard normal variate (ziggurat, 256 layers): (z, next state)."""
    while True:
        bits, st = next_u64(st)
        i = np.int64(bits & uint64(0xFF))             # layer
        sign = 1.0 - 2.0 * np.float64((bits >> uint64(8)) & uint64(1))
        u = np.float64(bits >> uint64(11)) * _TO_UNIT
        if u < ZIG_RATIO[i]:                          # inside the layer's core rectangle
            return sign * u * ZIG_X[i], st
        x, st = _normal_slow(st, i, u * ZIG_X[i])
        if x >= 0.0:
            return sign * x, st


# ----------------------------------------------------------------------------- gamma and beta


@njit(cache=True, inline="always")
def ratio(a, b):
    """``a / b`` without Numba's test for a zero divisor (IEEE division: the same bits wherever
    ``b != 0``). Numba's ``/`` on floats tests the divisor and raises ZeroDivisionError, and that
    exit, inlined into the run loop, measured a third of a Thompson pull (docs/guide_speed.md,
    "Thompson against its tuned C loop"); every divisor of the samplers and the posterior
    constants is positive."""
    return np.true_divide(a, b)


@njit(cache=True, inline="always")
def gamma_consts(a):
    """(d, c) of Marsaglia and Tsang's method for shape ``a >= 1``."""
    d = a - 1.0 / 3.0
    return d, ratio(1.0, np.sqrt(9.0 * d))


@njit(cache=True, inline="always")
def gamma_dc(st, d, c):
    """Gamma(d + 1/3, 1) for d + 1/3 >= 1, given c = 1 / sqrt(9 d) (Marsaglia and Tsang 2000):
    (g, next state)."""
    while True:
        x, st = normal(st)
        v = 1.0 + c * x
        if v <= 0.0:
            continue
        v = v * v * v
        u, st = uniform(st)
        x2 = x * x
        if u < 1.0 - 0.0331 * x2 * x2:               # squeeze: no logarithm in ~98% of cases
            return d * v, st
        if np.log(u) < 0.5 * x2 + d * (1.0 - v + np.log(v)):
            return d * v, st


@njit(cache=True, inline="always")
def log_gamma_small(st, a):
    """log of a Gamma(a) variate for 0 < a < 1: log Gamma(a + 1) + log(U) / a; (value, state)."""
    d, c = gamma_consts(a + 1.0)
    g, st = gamma_dc(st, d, c)
    u, st = uniform_pos(st)
    return np.log(g) + np.log(u) / a, st


@njit(cache=True, inline="always")
def gamma(st, a):
    """A Gamma(a, 1) variate, any shape a > 0: (g, next state)."""
    if a >= 1.0:
        d, c = gamma_consts(a)
        return gamma_dc(st, d, c)
    lg, st = log_gamma_small(st, a)
    return np.exp(lg), st


@njit(cache=True, inline="always")
def log_gamma(st, a):
    """log of a Gamma(a, 1) variate, any shape a > 0 (no underflow for small shapes)."""
    if a >= 1.0:
        d, c = gamma_consts(a)
        g, st = gamma_dc(st, d, c)
        return np.log(g), st
    return log_gamma_small(st, a)


@njit(cache=True, inline="always")
def beta(st, a, b):
    """A Beta(a, b) variate, a, b > 0: (x, next state)."""
    if a >= 1.0 and b >= 1.0:
        x, st = gamma(st, a)
        y, st = gamma(st, b)
        return x / (x + y), st
    lx, st = log_gamma(st, a)
    ly, st = log_gamma(st, b)
    return 1.0 / (1.0 + np.exp(ly - lx)), st


@njit(cache=True, inline="always")
def beta_dc(st, da, ca, db, cb):
    """Beta(a, b) for a, b >= 1 from cached Marsaglia-Tsang constants of both shapes."""
    x, st = gamma_dc(st, da, ca)
    y, st = gamma_dc(st, db, cb)
    return ratio(x, x + y), st
