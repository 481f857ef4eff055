/* Thompson sampling written as a careful C programmer would, with the same algorithmic shortcuts
 * as the engine's agent (bandits/agents/thompson.py and _sampling.py): per arm the Marsaglia-Tsang
 * constants (d, c) of both Beta shapes are cached and refreshed only for the arm just pulled, so a
 * Beta draw is two Gamma draws and a division with no square root; normals come from a 256-layer
 * ziggurat (tables computed at start from their defining equations), Gammas from Marsaglia and
 * Tsang's squeeze-and-reject method; the sampler has its own xoshiro256++ generator.
 *
 * The instance and the environment are those of ../shared/bench/thompson_ref.c: Bernoulli arms
 * with means linspace(0.1, 0.9, K), rewards from xoshiro256+ seeded with 12345 + r, Beta(1, 1)
 * priors, the largest sample played (ties to the lowest index). Build: gcc -O3 -march=native.
 *
 * usage: thompson_tuned K T R       prints: pulls_per_second mean_final_regret sd_final_regret
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* ------------------------------------------------------------------ generators */
static uint64_t env_s[4];                    /* the environment's: xoshiro256+, as thompson_ref.c */
static uint64_t agent_s[4];                  /* the sampler's: xoshiro256++, as _sampling.py */
static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static inline uint64_t env_next(void) {
    uint64_t *s = env_s, r = s[0] + s[3], t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45);
    return r;
}
static inline uint64_t agent_next(void) {
    uint64_t *s = agent_s, r = rotl(s[0] + s[3], 23) + s[0], t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45);
    return r;
}
static inline double env_uniform(void) { return (env_next() >> 11) * 0x1.0p-53; }
static inline double uniform(void) { return (agent_next() >> 11) * 0x1.0p-53; }
static inline double uniform_pos(void) { return ((agent_next() >> 11) + 1.0) * 0x1.0p-53; }
static void seed(uint64_t *s, uint64_t x) {
    for (int i = 0; i < 4; i++) { x += 0x9e3779b97f4a7c15ULL; uint64_t z = x;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL; z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        s[i] = z ^ (z >> 31); }
}

/* ------------------------------------------------------------------ ziggurat normal */
#define LAYERS 256
static double zx[LAYERS + 1], zf[LAYERS + 1], zratio[LAYERS], zr;
static double dens(double x) { return exp(-0.5 * x * x); }
static double dens_inv(double y) { return sqrt(-2.0 * log(y)); }
static double tail_area(double r) { return sqrt(M_PI / 2.0) * erfc(r / sqrt(2.0)); }
static double top_gap(double r) {          /* > 0: r too large; < 0: too small */
    double v = r * dens(r) + tail_area(r), x = r;
    for (int i = 0; i < LAYERS - 2; i++) {
        double y = dens(x) + v / x;
        if (y >= 1.0) return -1.0;
        x = dens_inv(y);
    }
    return x * (1.0 - dens(x)) - v;
}
static void ziggurat_tables(void) {        /* every layer has the same area v */
    double lo = 2.0, hi = 5.0;
    for (int i = 0; i < 200; i++) { double mid = 0.5 * (lo + hi); if (top_gap(mid) > 0.0) hi = mid; else lo = mid; }
    zr = hi;
    double v = zr * dens(zr) + tail_area(zr);
    zx[0] = v / dens(zr); zx[1] = zr;
    for (int i = 1; i < LAYERS - 1; i++) zx[i + 1] = dens_inv(dens(zx[i]) + v / zx[i]);
    zx[LAYERS] = 0.0;
    for (int i = 0; i <= LAYERS; i++) zf[i] = dens(zx[i]);
    zf[LAYERS] = 1.0;
    for (int i = 0; i < LAYERS; i++) zratio[i] = zx[i + 1] / zx[i];
}
static double normal_slow(int i, double x) {  /* the tail (layer 0) or a wedge; -1 when rejected */
    if (i == 0) {
        for (;;) {
            double e = -log(uniform_pos()) / zr;
            if (-2.0 * log(uniform_pos()) > e * e) return zr + e;
        }
    }
    double y = zf[i] + uniform() * (zf[i + 1] - zf[i]);
    return y < exp(-0.5 * x * x) ? x : -1.0;
}
static inline double normal(void) {
    for (;;) {
        uint64_t bits = agent_next();
        int i = (int)(bits & 0xFF);
        double sign = 1.0 - 2.0 * (double)((bits >> 8) & 1), u = (bits >> 11) * 0x1.0p-53;
        if (u < zratio[i]) return sign * u * zx[i];
        double x = normal_slow(i, u * zx[i]);
        if (x >= 0.0) return sign * x;
    }
}

/* ------------------------------------------------------------------ Gamma and Beta */
static inline double gamma_dc(double d, double c) {  /* Gamma(d + 1/3), c = 1 / sqrt(9 d) */
    for (;;) {
        double x = normal(), v = 1.0 + c * x;
        if (v <= 0.0) continue;
        v = v * v * v;
        double u = uniform(), x2 = x * x;
        if (u < 1.0 - 0.0331 * x2 * x2) return d * v;
        if (log(u) < 0.5 * x2 + d * (1.0 - v + log(v))) return d * v;
    }
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: %s K T R\n", argv[0]); return 2; }
    int K = atoi(argv[1]); long T = atol(argv[2]); int R = atoi(argv[3]);
    double *mu = malloc(K * sizeof *mu), *succ = malloc(K * sizeof *succ), *fail = malloc(K * sizeof *fail);
    double *da = malloc(K * sizeof *da), *ca = malloc(K * sizeof *ca);   /* shape 1 + S */
    double *db = malloc(K * sizeof *db), *cb = malloc(K * sizeof *cb);   /* shape 1 + F */
    double best = 0;
    for (int a = 0; a < K; a++) { mu[a] = K == 1 ? 0.5 : 0.1 + 0.8 * a / (K - 1); if (mu[a] > best) best = mu[a]; }
    ziggurat_tables();
    const double d1 = 1.0 - 1.0 / 3.0, c1 = 1.0 / sqrt(9.0 * d1);
    struct timespec t0, t1; clock_gettime(CLOCK_MONOTONIC, &t0);
    double total_regret = 0, total_sq = 0;
    for (int r = 0; r < R; r++) {
        seed(env_s, 12345 + r); seed(agent_s, 0x5EED0000ULL + r);
        double regret = 0;
        for (int a = 0; a < K; a++) { succ[a] = fail[a] = 0; da[a] = db[a] = d1; ca[a] = cb[a] = c1; }
        for (long t = 0; t < T; t++) {
            int arm = 0; double top = -1;
            for (int a = 0; a < K; a++) {
                double x = gamma_dc(da[a], ca[a]), y = gamma_dc(db[a], cb[a]), b = x / (x + y);
                if (b > top) { top = b; arm = a; }
            }
            if (env_uniform() < mu[arm]) {
                succ[arm] += 1; da[arm] = succ[arm] + 1.0 - 1.0 / 3.0; ca[arm] = 1.0 / sqrt(9.0 * da[arm]);
            } else {
                fail[arm] += 1; db[arm] = fail[arm] + 1.0 - 1.0 / 3.0; cb[arm] = 1.0 / sqrt(9.0 * db[arm]);
            }
            regret += best - mu[arm];
        }
        total_regret += regret; total_sq += regret * regret;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
    double m = total_regret / R, var = R > 1 ? (total_sq - R * m * m) / (R - 1) : NAN;
    printf("%.0f %.3f %.3f\n", (double)T * R / secs, m, sqrt(fmax(var, 0.0)));
    return 0;
}
