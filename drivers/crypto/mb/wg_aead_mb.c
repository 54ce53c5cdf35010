/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Multi-lane ChaCha20-Poly1305 backends:
 *
 *   avx512_mb  16 lanes, AVX-512 F/BW/VL (wg_aead_mb_avx512.c), with
 *              Poly1305 in radix 2^44 on IFMA or in radix 2^26;
 *   avx2_mb    8 lanes, AVX2 (wg_aead_mb_avx2.c), radix 2^26.
 *
 * The kernels seal or open up to 16 (8) ops at once, one per lane, in
 * lockstep over 64-byte steps. This file turns a batch into kernel calls:
 *
 * - ops are sorted by length, longest first, so that the ops sharing a
 *   call have similar lengths (every lane of a call runs as many steps as
 *   its longest op);
 * - a cost model (wg_aead_mb_plan()) decides how many of the longest ops
 *   go one at a time to a single-buffer fallback backend instead, because
 *   a long op with too few others of its length would keep most lanes
 *   idle; the rest are cut into calls of at most 16 (8), the partial call
 *   taking the longest of them;
 * - the fallback is the ipsec_mb backend when it is built and runs here,
 *   else sodium, with its own context inside ours.
 *
 * Both drivers share the code and the context layout; they differ in
 * probe(), ctx_create() and the paths they offer. A context is per
 * thread; nothing here is shared or written outside it.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wg_aead.h"
#include "wg_aead_mb.h"
#include "wg_aead_mb_lanes.h"

#define WG_AEAD_AVX512_ARCH_ENV "WG_AEAD_AVX512_ARCH"

#ifdef WG_AEAD_HAVE_IPSEC_MB
extern const struct wg_aead_driver wg_aead_ipsec_mb_driver;
#endif
extern const struct wg_aead_driver wg_aead_sodium_driver;

_Static_assert(WG_AEAD_BATCH_MAX <= 255, "op index must fit a uint8_t");

/*
 * The cost model, in nanoseconds as measured on the machine of
 * doc/crypto.md (Zen 5; best of 2000-3000 calls). Only ratios matter.
 *
 * A kernel call whose longest op has b 64-byte blocks costs
 *
 *     call + (1 + b) * step        (block 0 is the Poly1305 key)
 *
 * with one (call, step) pair for calls of up to `small` lanes (Poly1305
 * then runs on one register group instead of two) and one for more.
 */
struct wg_aead_mb_lane_costs {
	unsigned int small;
	uint32_t call_small, step_small;
	uint32_t call, step;
};

/* One op of b blocks through the fallback costs op + b * block. */
struct wg_aead_mb_fb_costs {
	const char *arch;       /* the fallback context's ctx_arch() */
	uint32_t op, block;
};

static const struct wg_aead_mb_lane_costs wg_aead_mb_costs_ifma = {
	8, 78, 129, 56, 167,
};

/* radix 2^26: about 1.25 times the IFMA kernels */
static const struct wg_aead_mb_lane_costs wg_aead_mb_costs_26 = {
	8, 98, 161, 70, 209,
};

static const struct wg_aead_mb_lane_costs wg_aead_mb_costs_avx2 = {
	4, 84, 228, 140, 270,
};

/*
 * The fallbacks, by the code path they run: intel-ipsec-mb picks its own
 * (AVX-512 on CPUs avx512_mb runs on, AVX2 on AVX2-only ones; its "avx"
 * and "sse" paths only when forced), libsodium its AVX2 code.
 */
static const struct wg_aead_mb_fb_costs wg_aead_mb_fb_costs[] = {
	{ "avx512", 160, 10 },
	{ "avx2", 281, 30 },
	{ "avx", 281, 30 },
	{ "sse", 142, 51 },
	{ NULL, 296, 52 },      /* sodium, and anything else */
};

struct wg_aead_mb_arch {
	const char *name;
	const char *driver;
	unsigned int lanes;
	void (*seal)(struct wg_aead_op *const *op, unsigned int n);
	uint32_t (*open)(struct wg_aead_op *const *op, unsigned int n);
	const struct wg_aead_mb_lane_costs *costs;
	bool (*cpu_ok)(void);
};

/*
 * __builtin_cpu_supports() also checks that the OS saves the registers'
 * state (XCR0), so a "yes" means the instructions can run.
 */
static bool
wg_aead_mb_cpu_avx512(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx512f") &&
		__builtin_cpu_supports("avx512bw") &&
		__builtin_cpu_supports("avx512vl");
}

static bool
wg_aead_mb_cpu_ifma(void)
{
	return wg_aead_mb_cpu_avx512() && __builtin_cpu_supports("avx512ifma");
}

static bool
wg_aead_mb_cpu_avx2(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2");
}

/* Per driver, best first. */
static const struct wg_aead_mb_arch wg_aead_mb_archs[] = {
	{ "avx512ifma", "avx512_mb", WG_MB_LANES, wg_mb_seal_ifma,
	  wg_mb_open_ifma, &wg_aead_mb_costs_ifma, wg_aead_mb_cpu_ifma },
	{ "avx512", "avx512_mb", WG_MB_LANES, wg_mb_seal_26, wg_mb_open_26,
	  &wg_aead_mb_costs_26, wg_aead_mb_cpu_avx512 },
	{ "avx2", "avx2_mb", WG_MB_LANES_AVX2, wg_mb_seal_avx2,
	  wg_mb_open_avx2, &wg_aead_mb_costs_avx2, wg_aead_mb_cpu_avx2 },
};

#define WG_AEAD_MB_NB_ARCH (sizeof(wg_aead_mb_archs) / sizeof(wg_aead_mb_archs[0]))

static const char *const wg_aead_mb_avx512_names[] = {
	"avx512ifma", "avx512", NULL,
};

static const char *const wg_aead_mb_avx2_names[] = {
	"avx2", NULL,
};

struct wg_aead_ctx {
	const struct wg_aead_mb_arch *a;
	enum wg_aead_mb_policy policy;
	char arch[32];
	/* single-buffer backend for the ops the plan gives it */
	const struct wg_aead_driver *fb;
	struct wg_aead_ctx *fb_ctx;
	const struct wg_aead_mb_fb_costs *fb_costs;
	/* per call scratch */
	uint8_t order[WG_AEAD_BATCH_MAX];     /* valid ops, longest first */
	uint32_t blocks[WG_AEAD_BATCH_MAX];   /* their 64-byte block counts */
	struct wg_aead_op *lane[WG_AEAD_BATCH_MAX];
	struct wg_aead_op fb_ops[WG_AEAD_BATCH_MAX];
};

const char *const *
wg_aead_mb_arch_list(const char *driver)
{
	if (driver == NULL)
		return NULL;
	if (strcmp(driver, "avx512_mb") == 0)
		return wg_aead_mb_avx512_names;
	if (strcmp(driver, "avx2_mb") == 0)
		return wg_aead_mb_avx2_names;
	return NULL;
}

static void
wg_aead_mb_ctx_free(struct wg_aead_ctx *ctx)
{
	if (ctx == NULL)
		return;
	if (ctx->fb != NULL)
		ctx->fb->ctx_free(ctx->fb_ctx);
	free(ctx);
}

/* The best single-buffer backend: ipsec_mb, else sodium. */
static int
wg_aead_mb_fallback_open(struct wg_aead_ctx *ctx)
{
	const struct wg_aead_mb_fb_costs *c;

#ifdef WG_AEAD_HAVE_IPSEC_MB
	ctx->fb = &wg_aead_ipsec_mb_driver;
	ctx->fb_ctx = ctx->fb->ctx_create();
#endif
	if (ctx->fb_ctx == NULL) {
		ctx->fb = &wg_aead_sodium_driver;
		ctx->fb_ctx = ctx->fb->probe() ? ctx->fb->ctx_create() : NULL;
	}
	if (ctx->fb_ctx == NULL) {
		ctx->fb = NULL;
		return -1;
	}
	for (c = wg_aead_mb_fb_costs; c->arch != NULL; c++)
		if (ctx->fb != &wg_aead_sodium_driver &&
		    strcmp(ctx->fb->ctx_arch(ctx->fb_ctx), c->arch) == 0)
			break;
	ctx->fb_costs = c;
	return 0;
}

/*
 * A context on the first path of `driver` (NULL: any driver) that is
 * named `arch` (NULL: any) and runs on this CPU.
 */
static struct wg_aead_ctx *
wg_aead_mb_ctx_new(const char *driver, const char *arch,
		   enum wg_aead_mb_policy policy)
{
	static const char *const suffix[] = {
		[WG_AEAD_MB_AUTO] = "",
		[WG_AEAD_MB_LANES] = "+lanes",
		[WG_AEAD_MB_FALLBACK] = "+fallback",
	};
	const struct wg_aead_mb_arch *a = NULL;
	struct wg_aead_ctx *ctx;
	unsigned int i;

	if ((unsigned int)policy > WG_AEAD_MB_FALLBACK)
		return NULL;
	for (i = 0; i < WG_AEAD_MB_NB_ARCH; i++) {
		const struct wg_aead_mb_arch *x = &wg_aead_mb_archs[i];

		if (driver != NULL && strcmp(driver, x->driver) != 0)
			continue;
		/* A named path is that path or nothing, so tests mean it. */
		if (arch != NULL && strcmp(arch, x->name) != 0)
			continue;
		if (x->cpu_ok()) {
			a = x;
			break;
		}
		if (arch != NULL)
			break;
	}
	if (a == NULL)
		return NULL;

	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		return NULL;
	ctx->a = a;
	ctx->policy = policy;
	snprintf(ctx->arch, sizeof(ctx->arch), "%s%s", a->name, suffix[policy]);
	if (wg_aead_mb_fallback_open(ctx) != 0) {
		wg_aead_mb_ctx_free(ctx);
		return NULL;
	}
	return ctx;
}

struct wg_aead_ctx *
wg_aead_mb_ctx_create_arch(const char *arch, enum wg_aead_mb_policy policy)
{
	return wg_aead_mb_ctx_new(arch == NULL ? "avx512_mb" : NULL, arch,
				  policy);
}

static struct wg_aead_ctx *
wg_aead_mb_avx512_ctx_create(void)
{
	const char *arch = getenv(WG_AEAD_AVX512_ARCH_ENV);

	if (arch != NULL && arch[0] == '\0')
		arch = NULL;
	return wg_aead_mb_ctx_new("avx512_mb", arch, WG_AEAD_MB_AUTO);
}

static struct wg_aead_ctx *
wg_aead_mb_avx2_ctx_create(void)
{
	return wg_aead_mb_ctx_new("avx2_mb", NULL, WG_AEAD_MB_AUTO);
}

static const char *
wg_aead_mb_ctx_arch(const struct wg_aead_ctx *ctx)
{
	return ctx->arch;
}

/* The kernels' ISA, and a fallback (sodium always works). */
static bool
wg_aead_mb_avx512_probe(void)
{
	return wg_aead_mb_cpu_avx512() && wg_aead_sodium_driver.probe();
}

static bool
wg_aead_mb_avx2_probe(void)
{
	return wg_aead_mb_cpu_avx2() && wg_aead_sodium_driver.probe();
}

/* ---- planning a batch ------------------------------------------------ */

/* A kernel call of `lanes` ops, the longest of `blocks` blocks. */
static inline uint32_t
wg_aead_mb_cost_call(const struct wg_aead_mb_lane_costs *c,
		     unsigned int lanes, uint32_t blocks)
{
	if (lanes <= c->small)
		return c->call_small + (1 + blocks) * c->step_small;
	return c->call + (1 + blocks) * c->step;
}

static inline uint32_t
wg_aead_mb_cost_fb(const struct wg_aead_mb_fb_costs *c, uint32_t blocks)
{
	return c->op + blocks * c->block;
}

/*
 * Sort the m valid ops (indices in ctx->order) by length, longest first,
 * and fill ctx->blocks. Insertion sort: m <= 64, and a burst of equal
 * lengths - the usual case - costs one comparison per op.
 */
static void
wg_aead_mb_sort(struct wg_aead_ctx *ctx, const struct wg_aead_op *ops,
		unsigned int m)
{
	unsigned int i, j;
	uint8_t t;

	for (i = 1; i < m; i++) {
		t = ctx->order[i];
		for (j = i; j > 0 && ops[ctx->order[j - 1]].len < ops[t].len; j--)
			ctx->order[j] = ctx->order[j - 1];
		ctx->order[j] = t;
	}
	for (i = 0; i < m; i++)
		ctx->blocks[i] = (ops[ctx->order[i]].len + 63) / 64;
}

/*
 * How many of the m sorted ops (the longest) go to the fallback: the f
 * minimising
 *
 *   sum_{i < f} cost_fb(i)  +  sum over kernel calls of cost_call(call)
 *
 * where ops f..m-1 are cut into calls of L lanes counted from the shortest
 * end (the partial call takes the longest ops, which never costs more
 * than the other way round since a call costs what its longest op does),
 * so the calls start at f and at m - L, m - 2L, ... above f. Lengths are
 * public, so this may branch on them; it is O(m).
 */
static unsigned int
wg_aead_mb_plan(const struct wg_aead_ctx *ctx, unsigned int m)
{
	const struct wg_aead_mb_lane_costs *c = ctx->a->costs;
	const unsigned int lanes = ctx->a->lanes;
	uint32_t fb = 0, best = UINT32_MAX, cost, full = 0;
	unsigned int f, best_f = 0, next_start, first;
	int start;

	if (ctx->policy == WG_AEAD_MB_LANES)
		return 0;
	if (ctx->policy == WG_AEAD_MB_FALLBACK)
		return m;
	/*
	 * full = cost of the full calls starting above f, kept up to date
	 * as f grows; next_start = the lowest such start still above f.
	 */
	for (start = (int)m - (int)lanes; start > 0; start -= (int)lanes)
		full += wg_aead_mb_cost_call(c, lanes, ctx->blocks[start]);
	next_start = m % lanes != 0 ? m % lanes : lanes;
	for (f = 0; f <= m; f++) {
		if (f == next_start && f < m) {
			full -= wg_aead_mb_cost_call(c, lanes, ctx->blocks[f]);
			next_start += lanes;
		}
		cost = fb + full;
		if (f < m) {
			first = (m - f) % lanes;
			cost += wg_aead_mb_cost_call(c,
				first != 0 ? first : lanes, ctx->blocks[f]);
		}
		if (cost < best) {
			best = cost;
			best_f = f;
		}
		if (f < m)
			fb += wg_aead_mb_cost_fb(ctx->fb_costs, ctx->blocks[f]);
	}
	return best_f;
}

/* An op the kernels cannot take: it fails alone, as in ipsec_mb. */
static inline bool
wg_aead_mb_op_ok(const struct wg_aead_op *op)
{
	return op->key != NULL && op->tag != NULL &&
		(op->data != NULL || op->len == 0);
}

/*
 * Sort and plan: fills ctx->order with the valid ops, longest first, sets
 * the invalid ones' status to -1 and returns the number of valid ones in
 * *m and of fallback ones (the first of order[]) as the result.
 */
static unsigned int
wg_aead_mb_prepare(struct wg_aead_ctx *ctx, struct wg_aead_op *ops,
		   unsigned int n, unsigned int *m)
{
	unsigned int i, k = 0;

	for (i = 0; i < n; i++) {
		if (wg_aead_mb_op_ok(&ops[i]))
			ctx->order[k++] = (uint8_t)i;
		else
			ops[i].status = -1;
	}
	wg_aead_mb_sort(ctx, ops, k);
	*m = k;
	return wg_aead_mb_plan(ctx, k);
}

/* Run ops order[0..f-1] through the fallback; returns how many opened. */
static unsigned int
wg_aead_mb_fallback(struct wg_aead_ctx *ctx, struct wg_aead_op *ops,
		    unsigned int f, bool open)
{
	unsigned int i, good = 0;

	if (f == 0)
		return 0;
	for (i = 0; i < f; i++)
		ctx->fb_ops[i] = ops[ctx->order[i]];
	if (open)
		good = ctx->fb->open(ctx->fb_ctx, ctx->fb_ops, f);
	else
		ctx->fb->seal(ctx->fb_ctx, ctx->fb_ops, f);
	for (i = 0; i < f; i++)
		ops[ctx->order[i]].status = ctx->fb_ops[i].status;
	return good;
}

/* Size of the call starting at i of ops f..m-1: partial one first. */
static inline unsigned int
wg_aead_mb_call_size(const struct wg_aead_ctx *ctx, unsigned int i,
		     unsigned int f, unsigned int m)
{
	unsigned int c = (m - i) % ctx->a->lanes;

	return c == 0 || i != f ? ctx->a->lanes : c;
}

static void
wg_aead_mb_seal(struct wg_aead_ctx *ctx, struct wg_aead_op *ops,
		unsigned int n)
{
	unsigned int m, f, i, c;

	f = wg_aead_mb_prepare(ctx, ops, n, &m);
	wg_aead_mb_fallback(ctx, ops, f, false);
	for (i = f; i < m; i++) {
		ctx->lane[i] = &ops[ctx->order[i]];
		ctx->lane[i]->status = 0;
	}
	for (i = f; i < m; i += c) {
		c = wg_aead_mb_call_size(ctx, i, f, m);
		ctx->a->seal(&ctx->lane[i], c);
	}
}

static unsigned int
wg_aead_mb_open(struct wg_aead_ctx *ctx, struct wg_aead_op *ops,
		unsigned int n)
{
	unsigned int m, f, i, j, c, good;
	uint32_t ok;

	f = wg_aead_mb_prepare(ctx, ops, n, &m);
	good = wg_aead_mb_fallback(ctx, ops, f, true);
	for (i = f; i < m; i++)
		ctx->lane[i] = &ops[ctx->order[i]];
	for (i = f; i < m; i += c) {
		c = wg_aead_mb_call_size(ctx, i, f, m);
		ok = ctx->a->open(&ctx->lane[i], c);
		for (j = 0; j < c; j++) {
			struct wg_aead_op *op = ctx->lane[i + j];

			if (ok & (1u << j)) {
				op->status = 0;
				good++;
				continue;
			}
			/*
			 * Decrypted before the tag could be checked: wipe the
			 * unauthenticated plaintext, as libsodium does.
			 */
			op->status = -1;
			if (op->len != 0)
				memset(op->data, 0, op->len);
		}
	}
	return good;
}

const struct wg_aead_driver wg_aead_avx512_mb_driver = {
	.name = "avx512_mb",
	.probe = wg_aead_mb_avx512_probe,
	.ctx_create = wg_aead_mb_avx512_ctx_create,
	.ctx_free = wg_aead_mb_ctx_free,
	.ctx_arch = wg_aead_mb_ctx_arch,
	.seal = wg_aead_mb_seal,
	.open = wg_aead_mb_open,
};

const struct wg_aead_driver wg_aead_avx2_mb_driver = {
	.name = "avx2_mb",
	.probe = wg_aead_mb_avx2_probe,
	.ctx_create = wg_aead_mb_avx2_ctx_create,
	.ctx_free = wg_aead_mb_ctx_free,
	.ctx_arch = wg_aead_mb_ctx_arch,
	.seal = wg_aead_mb_seal,
	.open = wg_aead_mb_open,
};
