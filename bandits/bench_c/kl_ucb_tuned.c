/* Bernoulli KL-UCB (c = 0: the budget is ln t) written as a careful C programmer would, with the
 * same algorithmic shortcuts as the engine's agent (bandits/agents/kl_ucb.py):
 *
 * - the index max{q : N kl(p, q) <= ln t} by Newton's method from the same upper bound of the
 *   root, stopped on the same proved bracket of 1e-13 in q;
 * - per arm a tangent upper bound U = A + b B of the index as a function of the budget b (the
 *   index is concave in b / N), valid while the arm is not pulled, and the last solved value as a
 *   lower bound; after a pull, Pinsker's upper bound and the same one-square-root lower bound;
 * - the arm whose lower bound is above every other arm's upper bound wins with no solve; else
 *   only the arms whose upper bound reaches the largest lower bound are solved;
 * - after such a certified win, a window of pulls (until the budget at which another arm's upper
 *   bound could reach the winner's lower bound, half-way) in which, while only the winner is
 *   pulled, one logarithm and one square root decide: its fresh lower bound against the others'
 *   largest upper bound at the window's end.
 *
 * Ties go to the lowest index (as in the reference C loops), so the bookkeeping the engine's
 * agent needs for its random tie-breaks (groups of arms with equal statistics) has no place here.
 * The instance and the environment are those of ../shared/bench/ucb1_tuned.c: Bernoulli arms with
 * means linspace(0.1, 0.9, K), xoshiro256+ seeded with 12345 + r, each arm once first.
 * Build: gcc -O3 -march=native.
 *
 * usage: kl_ucb_tuned K T R               prints: pulls_per_second mean_final_regret sd_final_regret
 *        kl_ucb_tuned K T R check [BIAS]  also computes every index exactly at every pull and
 *                                         prints: pulls mismatches (choices that differ from the
 *                                         unpruned argmax); BIAS (default 0) is subtracted from
 *                                         every upper bound, to show that the check catches a
 *                                         wrong pruning
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t s[4];
static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static inline uint64_t next(void) {
    uint64_t r = s[0] + s[3], t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45);
    return r;
}
static inline double uniform(void) { return (next() >> 11) * 0x1.0p-53; }
static void seed(uint64_t x) {
    for (int i = 0; i < 4; i++) { x += 0x9e3779b97f4a7c15ULL; uint64_t z = x;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL; z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        s[i] = z ^ (z >> 31); }
}

#define CAP (1.0 - 1e-12)
#define MARGIN 1e-8
#define Q_TOL 1e-13

/* ------------------------------------------------------------------ the exact index */
static inline double kl(double p, double q) {
    q = fmin(fmax(q, 1e-15), 1.0 - 1e-15);
    double out = 0.0;
    if (p > 0.0) out += p * log(p / q);
    if (p < 1.0) out += (1.0 - p) * log((1.0 - p) / (1.0 - q));
    return out;
}
static inline double newton_start(double p, double level) {   /* an upper bound of the root */
    if (p >= 0.5) return fmin(p + sqrt(2.0 * level * p * (1.0 - p)), CAP);
    double sum = p + level, q = (sum + sqrt(sum * sum - (1.0 + 2.0 * level) * p * p)) / (1.0 + 2.0 * level);
    if (q <= 0.5) return q;
    double h = -p * log(p) - (1.0 - p) * log1p(-p);
    return fmin(fmin(p + sqrt(level / 2.0), -expm1(-(level + h) / (1.0 - p))), CAP);
}
/* the largest q with kl(p, q) <= level, to 1e-13; *klq = kl(p, q) (NaN: iteration limit) */
static double kl_upper(double p, double level, double *klq) {
    if (p >= 1.0) { *klq = 0.0; return 1.0; }
    if (p <= 0.0) { *klq = level; return 1.0 - exp(-level); }
    double q = newton_start(p, level);
    for (int i = 0; i < 60; i++) {
        double f = kl(p, q) - level;
        if (f <= 0.0) { *klq = f + level; return q; }
        double step = f * q * (1.0 - q) / (q - p);
        q -= step;
        if (step * step * (q * q - 2.0 * p * q + p) <= Q_TOL * q * (1.0 - q) * (q - p)) {
            double lo = fmax(q - Q_TOL, p);
            if (kl(p, lo) <= level) { *klq = level; return q; }
            q = lo;
        }
    }
    *klq = NAN;
    return q;
}

/* ------------------------------------------------------------------ per-arm bounds */
static double *cnt, *sum, *mean, *tan_a, *tan_b, *lower, *ub, *lb;
static double bias;   /* subtracted from every upper bound (0, or a deliberate error: see usage) */

static double solve(int a, double budget) {   /* the exact index; refreshes the arm's bounds */
    double klq, p = mean[a], q = kl_upper(p, budget / cnt[a], &klq);
    if (q - p > 1e-6 && q < 1.0 - 1e-9 && klq == klq) {
        double g = q * (1.0 - q) / (q - p);
        tan_a[a] = q - klq * g + MARGIN * (g + 1.0); tan_b[a] = g / cnt[a]; lower[a] = q - MARGIN * (g + 1.0);
    } else {
        tan_a[a] = p >= 1.0 ? 1.0 : INFINITY; tan_b[a] = 0.0; lower[a] = p >= 1.0 ? q - MARGIN : p - MARGIN;
    }
    return q;
}
static inline double fresh_lower(double p, double level) {
    double d = sqrt(2.0 * level * p * (1.0 - p));
    return p + d - 2.0 * level * (fmax(0.0, 2.0 * p - 1.0) + d) - 1e-9;
}
static inline void bounds(int a, double budget) {   /* ub[a], lb[a] at this budget */
    if (tan_a[a] < INFINITY) { ub[a] = tan_a[a] + budget * tan_b[a]; lb[a] = lower[a]; }
    else { double level = budget / cnt[a]; ub[a] = mean[a] + sqrt(level / 2.0) + 1e-9; lb[a] = fresh_lower(mean[a], level); }
    ub[a] -= bias;
}
static inline double upper_at(int a, double budget) {
    return (tan_a[a] < INFINITY ? tan_a[a] + budget * tan_b[a] : mean[a] + sqrt(budget / cnt[a] / 2.0) + 1e-9) - bias;
}
static inline double hit(int a, double x) {   /* the budget at which arm a's upper bound reaches x */
    if (tan_a[a] < INFINITY) {
        if (tan_b[a] > 0.0) return (x + bias - tan_a[a]) / tan_b[a];
        return tan_a[a] - bias < x ? INFINITY : -INFINITY;
    }
    double d = x + bias - 1e-9 - mean[a];
    return d > 0.0 ? 2.0 * cnt[a] * d * d : -INFINITY;
}

/* ------------------------------------------------------------------ the window */
static int win_arm = -1;
static double win_t1, win_u;
static void open_window(int K, int w, double low, long t, double budget) {
    double b_win = INFINITY;
    for (int a = 0; a < K; a++) if (a != w) b_win = fmin(b_win, hit(a, low));
    double b1 = budget + 0.5 * (b_win - budget);
    win_arm = -1;
    if (!(b1 > budget)) return;
    double t1 = floor(fmin(exp(b1), 1e15));
    while (t1 > t && log(t1) > b1) t1 -= 1.0;
    b1 = log(t1);
    double u = -INFINITY;
    for (int a = 0; a < K; a++) if (a != w) u = fmax(u, upper_at(a, b1));
    if (u < low) { win_arm = w; win_t1 = t1; win_u = u; }
}

/* ------------------------------------------------------------------ one choice */
static int choose(int K, long t) {
    double budget = log((double)t);
    if (win_arm >= 0) {
        int w = win_arm;
        if (t <= win_t1 && fresh_lower(mean[w], budget / cnt[w]) > win_u) return w;
        win_arm = -1;
    }
    int w = 0; double low = -INFINITY;
    for (int a = 0; a < K; a++) { bounds(a, budget); if (lb[a] > low) { low = lb[a]; w = a; } }
    double other = -INFINITY;
    for (int a = 0; a < K; a++) if (a != w) other = fmax(other, ub[a]);
    if (other < low) { open_window(K, w, low, t, budget); return w; }   /* certified: no solve */
    int arm = 0; double top = -INFINITY;
    for (int a = 0; a < K; a++) {
        if (ub[a] >= low) { double q = solve(a, budget); if (q > top) { top = q; arm = a; } }
    }
    return arm;
}
static int choose_exact(int K, long t) {   /* the unpruned argmax (check mode) */
    double budget = log((double)t), top = -INFINITY, klq;
    int arm = 0;
    for (int a = 0; a < K; a++) { double q = kl_upper(mean[a], budget / cnt[a], &klq); if (q > top) { top = q; arm = a; } }
    return arm;
}

int main(int argc, char **argv) {
    if (argc < 4 || argc > 6 || (argc >= 5 && strcmp(argv[4], "check") != 0)) {
        fprintf(stderr, "usage: %s K T R [check [BIAS]]\n", argv[0]); return 2;
    }
    int K = atoi(argv[1]); long T = atol(argv[2]); int R = atoi(argv[3]);
    int check = argc >= 5;
    bias = argc == 6 ? atof(argv[5]) : 0.0;
    double *mu = malloc(K * sizeof *mu), **rows[] = {&cnt, &sum, &mean, &tan_a, &tan_b, &lower, &ub, &lb};
    for (int i = 0; i < 8; i++) *rows[i] = malloc(K * sizeof(double));
    double best = 0;
    for (int a = 0; a < K; a++) { mu[a] = K == 1 ? 0.5 : 0.1 + 0.8 * a / (K - 1); if (mu[a] > best) best = mu[a]; }
    long mismatches = 0;
    struct timespec t0, t1; clock_gettime(CLOCK_MONOTONIC, &t0);
    double total_regret = 0, total_sq = 0;
    for (int r = 0; r < R; r++) {
        seed(12345 + r);
        double regret = 0;
        win_arm = -1;
        for (int a = 0; a < K; a++) { cnt[a] = sum[a] = mean[a] = 0; tan_a[a] = INFINITY; tan_b[a] = 0; lower[a] = -INFINITY; }
        for (long t = 0; t < T; t++) {
            int arm = t < K ? (int)t : choose(K, t);
            if (check && t >= K) mismatches += arm != choose_exact(K, t);
            double x = uniform() < mu[arm] ? 1.0 : 0.0;
            cnt[arm] += 1; sum[arm] += x; mean[arm] = sum[arm] / cnt[arm];
            tan_a[arm] = INFINITY; lower[arm] = -INFINITY;
            if (arm != win_arm) win_arm = -1;
            regret += best - mu[arm];
        }
        total_regret += regret; total_sq += regret * regret;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
    double m = total_regret / R, var = R > 1 ? (total_sq - R * m * m) / (R - 1) : NAN;
    if (check) printf("%ld %ld\n", (long)(T - K) * R, mismatches);
    else printf("%.0f %.3f %.3f\n", (double)T * R / secs, m, sqrt(fmax(var, 0.0)));
    return 0;
}
