/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * test-wg-perf: performance tests for dpdk-wg.
 *
 * Each mode is one entry of perf_modes[] with its own run function; the
 * common options (sizes, runs, duration, drivers) are parsed once and
 * handed to it:
 *
 *   --crypto     seal and open throughput of every AEAD backend on one core
 *                (with --mixed, of batches that mix the given sizes).
 *   --dataplane  dpdk-wg's own encap (and decap) path on one lcore, on
 *                net_null ports (perf_dataplane.c; built with DPDK only).
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#ifdef WG_AEAD_HAVE_IPSEC_MB
#include "wg_aead_ipsec_mb.h"
#endif
#ifdef WG_AEAD_HAVE_MB
#include "wg_aead_mb.h"
#endif
#ifdef WG_PERF_HAVE_OPENSSL
#include <openssl/evp.h>
#endif

#include "wg_aead.h"
#include "test_wg_perf.h"

#define PERF_MAX_BACKENDS 16

static const uint32_t perf_default_sizes[] = { 64, 128, 256, 512, 1024, 1420 };

/*
 * --crypto --mixed: one measurement whose batches cycle through the
 * --sizes list (op i has size i mod the list), instead of one per size.
 */
static bool perf_mixed;

struct perf_mode {
	const char *name;
	const char *help;
	int (*run)(const struct perf_opts *opts);
	bool eal_args;           /* takes EAL options after "--" */
};

/* ---- time ----------------------------------------------------------- */

static inline uint64_t
perf_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- OpenSSL baseline ---------------------------------------------- */

#ifdef WG_PERF_HAVE_OPENSSL
/*
 * EVP ChaCha20-Poly1305 behind the wg_aead driver shape, one op at a
 * time, so the benchmark loop treats it like any backend. Benchmark only:
 * it is not registered with the library. This file's struct wg_aead_ctx
 * is private to it; library contexts are never seen here as such.
 */
struct wg_aead_ctx {
	EVP_CIPHER_CTX *evp;
	EVP_CIPHER *cipher; /* fetched once: implicit fetches are slow */
};

static bool
perf_ossl_probe(void)
{
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);

	EVP_CIPHER_free(c);
	return c != NULL;
}

static void perf_ossl_ctx_free(struct wg_aead_ctx *ctx);

static struct wg_aead_ctx *
perf_ossl_ctx_create(void)
{
	struct wg_aead_ctx *ctx = calloc(1, sizeof(*ctx));

	if (ctx == NULL)
		return NULL;
	ctx->evp = EVP_CIPHER_CTX_new();
	ctx->cipher = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
	if (ctx->evp == NULL || ctx->cipher == NULL) {
		perf_ossl_ctx_free(ctx);
		return NULL;
	}
	return ctx;
}

static void
perf_ossl_ctx_free(struct wg_aead_ctx *ctx)
{
	if (ctx == NULL)
		return;
	EVP_CIPHER_CTX_free(ctx->evp);
	EVP_CIPHER_free(ctx->cipher);
	free(ctx);
}

static const char *
perf_ossl_ctx_arch(const struct wg_aead_ctx *ctx)
{
	(void)ctx;
	return "evp";
}

static void
perf_ossl_nonce(uint8_t nonce[12], uint64_t counter)
{
	unsigned int i;

	memset(nonce, 0, 4);
	for (i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(counter >> (8 * i));
}

static void
perf_ossl_seal(struct wg_aead_ctx *ctx, struct wg_aead_op *ops, unsigned int n)
{
	uint8_t nonce[12];
	unsigned int i;
	int len, ok;

	for (i = 0; i < n; i++) {
		struct wg_aead_op *op = &ops[i];

		perf_ossl_nonce(nonce, op->counter);
		ok = EVP_EncryptInit_ex2(ctx->evp, ctx->cipher, op->key, nonce,
					 NULL) == 1 &&
			EVP_EncryptUpdate(ctx->evp, op->data, &len, op->data,
					  (int)op->len) == 1 &&
			EVP_EncryptFinal_ex(ctx->evp, op->data + len, &len) == 1 &&
			EVP_CIPHER_CTX_ctrl(ctx->evp, EVP_CTRL_AEAD_GET_TAG,
					    WG_AEAD_TAG_LEN, op->tag) == 1;
		op->status = ok ? 0 : -1;
	}
}

static unsigned int
perf_ossl_open(struct wg_aead_ctx *ctx, struct wg_aead_op *ops, unsigned int n)
{
	uint8_t nonce[12];
	unsigned int i, good = 0;
	int len, ok;

	for (i = 0; i < n; i++) {
		struct wg_aead_op *op = &ops[i];

		perf_ossl_nonce(nonce, op->counter);
		ok = EVP_DecryptInit_ex2(ctx->evp, ctx->cipher, op->key, nonce,
					 NULL) == 1 &&
			EVP_DecryptUpdate(ctx->evp, op->data, &len, op->data,
					  (int)op->len) == 1 &&
			EVP_CIPHER_CTX_ctrl(ctx->evp, EVP_CTRL_AEAD_SET_TAG,
					    WG_AEAD_TAG_LEN, op->tag) == 1 &&
			EVP_DecryptFinal_ex(ctx->evp, op->data + len, &len) == 1;
		op->status = ok ? 0 : -1;
		good += ok;
	}
	return good;
}

static const struct wg_aead_driver perf_ossl_driver = {
	.name = "openssl",
	.probe = perf_ossl_probe,
	.ctx_create = perf_ossl_ctx_create,
	.ctx_free = perf_ossl_ctx_free,
	.ctx_arch = perf_ossl_ctx_arch,
	.seal = perf_ossl_seal,
	.open = perf_ossl_open,
};
#endif /* WG_PERF_HAVE_OPENSSL */

/* ---- crypto mode: backends ----------------------------------------- */

struct perf_backend {
	char label[32];
	const struct wg_aead_driver *drv;
	struct wg_aead_ctx *ctx;
};

struct perf_backends {
	struct perf_backend b[PERF_MAX_BACKENDS];
	unsigned int n;
};

/* Calls fn(item) for each item of a comma-separated list until it fails. */
static int
perf_list_each(const char *list, int (*fn)(const char *item, void *arg),
	       void *arg)
{
	char item[64];
	const char *p = list, *end;
	size_t len;
	int ret;

	while (*p != '\0') {
		end = strchr(p, ',');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len == 0 || len >= sizeof(item))
			return -EINVAL;
		memcpy(item, p, len);
		item[len] = '\0';
		ret = fn(item, arg);
		if (ret != 0)
			return ret;
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

struct perf_match {
	const char *drv;
	const char *full; /* "drv/arch" */
	bool exact;       /* only "drv/arch" counts */
};

static int
perf_match_item(const char *item, void *arg)
{
	const struct perf_match *m = arg;

	if (strcmp(item, m->full) == 0 ||
	    (!m->exact && strcmp(item, m->drv) == 0))
		return 1; /* stop: found */
	return 0;
}

/*
 * Is driver drv (code path arch, may be NULL) selected by the --driver
 * list? NULL selects everything except exact-only paths.
 */
static bool
perf_selected(const char *list, const char *drv, const char *arch, bool exact)
{
	char full[64];
	struct perf_match m = { drv, full, exact };

	if (list == NULL)
		return !exact;
	snprintf(full, sizeof(full), "%s/%s", drv, arch != NULL ? arch : "");
	return perf_list_each(list, perf_match_item, &m) == 1;
}

#ifdef WG_AEAD_HAVE_MB
/* Multi-lane contexts: "+lanes" and "+fallback" are the other policies. */
static const struct {
	const char *suffix;
	enum wg_aead_mb_policy policy;
} perf_mb_policies[] = {
	{ "", WG_AEAD_MB_AUTO },
	{ "+lanes", WG_AEAD_MB_LANES },
	{ "+fallback", WG_AEAD_MB_FALLBACK },
};

#define PERF_NB_MB_POLICIES \
	(sizeof(perf_mb_policies) / sizeof(perf_mb_policies[0]))

static const char *const perf_mb_drivers[] = { "avx512_mb", "avx2_mb" };
#endif

static bool
perf_known_arch(const char *item)
{
	char full[64];
#ifdef WG_AEAD_HAVE_IPSEC_MB
	const char *const *a;

	for (a = wg_aead_ipsec_mb_arch_list(); *a != NULL; a++) {
		snprintf(full, sizeof(full), "ipsec_mb/%s", *a);
		if (strcmp(item, full) == 0)
			return true;
	}
#endif
#ifdef WG_AEAD_HAVE_MB
	const char *const *b;
	unsigned int d, p;

	for (d = 0; d < 2; d++)
		for (b = wg_aead_mb_arch_list(perf_mb_drivers[d]); *b != NULL;
		     b++)
			for (p = 0; p < PERF_NB_MB_POLICIES; p++) {
				snprintf(full, sizeof(full), "%s/%s%s",
					 perf_mb_drivers[d], *b,
					 perf_mb_policies[p].suffix);
				if (strcmp(item, full) == 0)
					return true;
			}
#endif
	(void)item;
	(void)full;
	return false;
}

/* Every --driver item must name something, or typos go unnoticed. */
static int
perf_check_item(const char *item, void *arg)
{
	const struct wg_aead_driver *const *d;

	(void)arg;
	for (d = wg_aead_driver_list(); *d != NULL; d++)
		if (strcmp(item, (*d)->name) == 0)
			return 0;
	if (perf_known_arch(item))
		return 0;
#ifdef WG_PERF_HAVE_OPENSSL
	if (strcmp(item, "openssl") == 0)
		return 0;
#endif
	fprintf(stderr, "unknown driver \"%s\"\n", item);
	return -EINVAL;
}

static void
perf_backend_add(struct perf_backends *bs, const struct wg_aead_driver *drv,
		 struct wg_aead_ctx *ctx, const char *what)
{
	struct perf_backend *b;

	if (ctx == NULL) {
		printf("# skipped %s: cannot run here\n", what);
		return;
	}
	if (bs->n == PERF_MAX_BACKENDS) {
		drv->ctx_free(ctx);
		return;
	}
	b = &bs->b[bs->n++];
	b->drv = drv;
	b->ctx = ctx;
	snprintf(b->label, sizeof(b->label), "%s/%s", drv->name,
		 drv->ctx_arch(ctx));
}

#ifdef WG_AEAD_HAVE_IPSEC_MB
/* ipsec_mb once per code path, so their speed-ups can be compared. */
static void
perf_backends_ipsec_mb(struct perf_backends *bs, const char *list,
		       const struct wg_aead_driver *drv)
{
	const char *const *a;

	for (a = wg_aead_ipsec_mb_arch_list(); *a != NULL; a++) {
		/*
		 * "avx" sits between avx2 and sse and adds little for this
		 * cipher; measure it only when asked for by its full name.
		 */
		if (!perf_selected(list, drv->name, *a, strcmp(*a, "avx") == 0))
			continue;
		perf_backend_add(bs, drv, wg_aead_ipsec_mb_ctx_create_arch(*a),
				 *a);
	}
}
#endif

#ifdef WG_AEAD_HAVE_MB
/*
 * avx512_mb, avx2_mb: by default (or by driver name) the best path with
 * the automatic policy, what ctx_create() gives; any path and policy when
 * named in full, e.g. avx512_mb/avx512 or avx512_mb/avx512ifma+lanes.
 */
static void
perf_backends_mb(struct perf_backends *bs, const char *list,
		 const struct wg_aead_driver *drv)
{
	const char *const *a;
	char what[32];
	unsigned int p;

	if (perf_selected(list, drv->name, NULL, false))
		perf_backend_add(bs, drv, drv->ctx_create(), drv->name);
	for (a = wg_aead_mb_arch_list(drv->name); *a != NULL; a++)
		for (p = 0; p < PERF_NB_MB_POLICIES; p++) {
			snprintf(what, sizeof(what), "%s%s", *a,
				 perf_mb_policies[p].suffix);
			if (!perf_selected(list, drv->name, what, true))
				continue;
			perf_backend_add(bs, drv,
				wg_aead_mb_ctx_create_arch(*a,
					perf_mb_policies[p].policy),
				what);
		}
}
#endif

static void
perf_backends_open(struct perf_backends *bs, const char *list)
{
	const struct wg_aead_driver *const *d;

	bs->n = 0;
	for (d = wg_aead_driver_list(); *d != NULL; d++) {
#ifdef WG_AEAD_HAVE_IPSEC_MB
		if (strcmp((*d)->name, "ipsec_mb") == 0) {
			if ((*d)->probe())
				perf_backends_ipsec_mb(bs, list, *d);
			else
				printf("# skipped ipsec_mb: cannot run here\n");
			continue;
		}
#endif
#ifdef WG_AEAD_HAVE_MB
		if (wg_aead_mb_arch_list((*d)->name) != NULL) {
			if ((*d)->probe())
				perf_backends_mb(bs, list, *d);
			else if (perf_selected(list, (*d)->name, NULL, false))
				printf("# skipped %s: cannot run here\n",
				       (*d)->name);
			continue;
		}
#endif
		if (!perf_selected(list, (*d)->name, NULL, false))
			continue;
		perf_backend_add(bs, *d,
				 (*d)->probe() ? (*d)->ctx_create() : NULL,
				 (*d)->name);
	}
#ifdef WG_PERF_HAVE_OPENSSL
	if (perf_selected(list, perf_ossl_driver.name, NULL, false))
		perf_backend_add(bs, &perf_ossl_driver,
				 perf_ossl_probe() ?
				 perf_ossl_driver.ctx_create() : NULL,
				 "openssl");
#endif
}

static void
perf_backends_close(struct perf_backends *bs)
{
	unsigned int i;

	for (i = 0; i < bs->n; i++)
		bs->b[i].drv->ctx_free(bs->b[i].ctx);
	bs->n = 0;
}

/* ---- crypto mode: measurement -------------------------------------- */

#define PERF_NB_KEYS 4

/* Buffers for one batch: data, tags, a few keys, the ops themselves. */
struct perf_batch {
	uint8_t *data;
	uint8_t tag[WG_AEAD_BATCH_MAX][WG_AEAD_TAG_LEN];
	uint8_t key[PERF_NB_KEYS][WG_AEAD_KEY_LEN];
	struct wg_aead_op ops[WG_AEAD_BATCH_MAX];
	unsigned int n;
};

/* Op i gets size lens[i % nb_lens]. */
static int
perf_batch_init(struct perf_batch *pb, unsigned int n, const uint32_t *lens,
		unsigned int nb_lens)
{
	unsigned int i;
	uint32_t max = 0;
	size_t stride;

	for (i = 0; i < nb_lens; i++)
		max = lens[i] > max ? lens[i] : max;
	stride = (max + 63) & ~(size_t)63; /* like mbuf data */
	pb->data = aligned_alloc(64, stride * n + 64);
	if (pb->data == NULL)
		return -ENOMEM;
	randombytes_buf(pb->data, stride * n);
	randombytes_buf(pb->key, sizeof(pb->key));
	pb->n = n;
	for (i = 0; i < n; i++)
		pb->ops[i] = (struct wg_aead_op){
			/* a handful of peers share a burst */
			.key = pb->key[i % PERF_NB_KEYS],
			.counter = i,
			.data = pb->data + i * stride,
			.len = lens[i % nb_lens],
			.tag = pb->tag[i],
		};
	return 0;
}

static void
perf_batch_free(struct perf_batch *pb)
{
	free(pb->data);
	pb->data = NULL;
}

struct perf_sample {
	double seal_s;
	double open_s;
	uint64_t batches;
};

/*
 * One run. Each iteration seals the batch and then opens it again, timing
 * the two calls separately: open therefore always sees authentic input
 * (the fast path that matters) without a copy inside the timed region, and
 * both calls find the data in the same cache state. Counters advance
 * every iteration as on a live tunnel.
 */
static int
perf_run_once(const struct perf_backend *b, struct perf_batch *pb,
	      const struct perf_opts *o, struct perf_sample *s)
{
	uint64_t seal_ns = 0, open_ns = 0, t0, t1, t2, start, limit;
	uint64_t it = 0;
	unsigned int i, good;

	limit = o->iterations != 0 ? o->iterations :
		(uint64_t)(o->seconds * 1e9);
	start = perf_ns();
	for (;;) {
		for (i = 0; i < pb->n; i++)
			pb->ops[i].counter += pb->n;
		t0 = perf_ns();
		b->drv->seal(b->ctx, pb->ops, pb->n);
		t1 = perf_ns();
		good = b->drv->open(b->ctx, pb->ops, pb->n);
		t2 = perf_ns();
		if (good != pb->n) {
			fprintf(stderr, "%s: open rejected %u of %u ops\n",
				b->label, pb->n - good, pb->n);
			return -1;
		}
		seal_ns += t1 - t0;
		open_ns += t2 - t1;
		it++;
		if (o->iterations != 0 ? it >= limit : t2 - start >= limit)
			break;
	}
	s->seal_s = seal_ns / 1e9;
	s->open_s = open_ns / 1e9;
	s->batches = it;
	return 0;
}

static int
perf_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct perf_stat
perf_stat_of(double *mpps, unsigned int n)
{
	struct perf_stat st;

	qsort(mpps, n, sizeof(*mpps), perf_cmp_double);
	st.min = mpps[0];
	st.max = mpps[n - 1];
	st.med = n % 2 ? mpps[n / 2] : (mpps[n / 2 - 1] + mpps[n / 2]) / 2;
	return st;
}

/* Results of one backend at one size. */
struct perf_result {
	struct perf_stat seal;
	struct perf_stat open;
	bool valid;
};

static int
perf_measure(const struct perf_backend *b, const uint32_t *lens,
	     unsigned int nb_lens, const struct perf_opts *o,
	     struct perf_result *r)
{
	double seal_mpps[PERF_MAX_RUNS], open_mpps[PERF_MAX_RUNS];
	struct perf_opts warm = *o;
	struct perf_batch pb;
	struct perf_sample s;
	unsigned int run;
	int ret;

	r->valid = false;
	ret = perf_batch_init(&pb, o->batch, lens, nb_lens);
	if (ret != 0)
		return ret;
	/* Warm caches, and let the core settle its (AVX-512) frequency. */
	warm.seconds = o->seconds / 2;
	warm.iterations = o->iterations != 0 ? o->iterations / 2 + 1 : 0;
	ret = perf_run_once(b, &pb, &warm, &s);
	for (run = 0; ret == 0 && run < o->runs; run++) {
		double ops;

		ret = perf_run_once(b, &pb, o, &s);
		ops = (double)s.batches * pb.n;
		seal_mpps[run] = ops / s.seal_s / 1e6;
		open_mpps[run] = ops / s.open_s / 1e6;
	}
	perf_batch_free(&pb);
	if (ret != 0)
		return ret;
	r->seal = perf_stat_of(seal_mpps, o->runs);
	r->open = perf_stat_of(open_mpps, o->runs);
	r->valid = true;
	return 0;
}

static double
perf_gbps(double mpps, double len)
{
	return mpps * 1e6 * len * 8 / 1e9;
}

/* Width of the backend column: the longest label, at least 16. */
static int perf_label_width = 16;

/* len: payload bytes per op (the average one with --mixed) */
static void
perf_print_row(const char *label, double len, const char *op,
	       const struct perf_stat *st, const struct perf_stat *ref)
{
	char ratio[16] = "-";

	if (ref != NULL && ref->med > 0)
		snprintf(ratio, sizeof(ratio), "%.2f", st->med / ref->med);
	printf("%-*s %5.0f %-4s %8.3f [%7.3f %7.3f] %8.2f [%7.2f %7.2f] %6s\n",
	       perf_label_width, label, len, op, st->med, st->min, st->max,
	       perf_gbps(st->med, len), perf_gbps(st->min, len),
	       perf_gbps(st->max, len), ratio);
}

static int
perf_find_label(const struct perf_backends *bs, const char *prefix)
{
	unsigned int i;

	for (i = 0; i < bs->n; i++)
		if (strncmp(bs->b[i].label, prefix, strlen(prefix)) == 0)
			return (int)i;
	return -1;
}

/*
 * After the table: each multi-lane context against the single-buffer
 * backends, median against median.
 */
static void
perf_print_speedups(const struct perf_backends *bs,
		    struct perf_result res[][PERF_MAX_SIZES],
		    const double *sizes, unsigned int nb_sizes)
{
	static const char *const refs[] = {
		"ipsec_mb/avx512", "ipsec_mb/avx2", "sodium/", "openssl/",
	};
#define PERF_NB_REFS (sizeof(refs) / sizeof(refs[0]))
	int ref_idx[PERF_NB_REFS];
	unsigned int i, j, k;

	for (k = 0; k < PERF_NB_REFS; k++)
		ref_idx[k] = perf_find_label(bs, refs[k]);
	for (i = 0; i < bs->n; i++) {
		if (strcmp(bs->b[i].drv->name, "avx512_mb") != 0 &&
		    strcmp(bs->b[i].drv->name, "avx2_mb") != 0)
			continue;
		printf("# speed-up of %s (median / median), seal / open:\n"
		       "# %5s", bs->b[i].label, "size");
		for (k = 0; k < PERF_NB_REFS; k++)
			if (ref_idx[k] >= 0)
				printf(" %15s", bs->b[ref_idx[k]].label);
		printf("\n");
		for (j = 0; j < nb_sizes; j++) {
			printf("# %5.0f", sizes[j]);
			for (k = 0; k < PERF_NB_REFS; k++) {
				const struct perf_result *r;

				if (ref_idx[k] < 0)
					continue;
				r = &res[ref_idx[k]][j];
				printf("    %5.2f / %4.2f",
				       res[i][j].seal.med / r->seal.med,
				       res[i][j].open.med / r->open.med);
			}
			printf("\n");
		}
	}
#undef PERF_NB_REFS
}

static int
perf_crypto_run(const struct perf_opts *o)
{
	static struct perf_result res[PERF_MAX_BACKENDS][PERF_MAX_SIZES];
	double avg[PERF_MAX_SIZES];
	struct perf_backends bs;
	const struct perf_result *ref;
	unsigned int i, j, nb_runs_sizes;
	int ref_idx = -1, ret = 0;

	perf_backends_open(&bs, o->drivers);
	if (bs.n == 0) {
		fprintf(stderr, "no backend selected or runnable\n");
		return 1;
	}
	for (i = 0; i < bs.n; i++)
		if (strcmp(bs.b[i].label, "ipsec_mb/avx512") == 0)
			ref_idx = (int)i;

	printf("# test-wg-perf --crypto: ChaCha20-Poly1305 on one core, "
	       "batch %u, %u runs of ", o->batch, o->runs);
	if (o->iterations != 0)
		printf("%" PRIu64 " batches\n", o->iterations);
	else
		printf("%.3f s\n", o->seconds);
	printf("# Mpps and Gbit/s of payload (tag excluded): median [min max]"
	       "; ratio = median / ipsec_mb/avx512\n");
	if (perf_mixed) {
		/* one measurement; size = the average payload */
		nb_runs_sizes = 1;
		avg[0] = 0;
		for (j = 0; j < o->batch; j++)
			avg[0] += o->sizes[j % o->nb_sizes];
		avg[0] /= o->batch;
		printf("# --mixed: op i of each batch has size sizes[i mod %u] "
		       "of", o->nb_sizes);
		for (j = 0; j < o->nb_sizes; j++)
			printf("%s%" PRIu32, j ? "," : " ", o->sizes[j]);
		printf("; size below = average payload\n");
	} else {
		nb_runs_sizes = o->nb_sizes;
		for (j = 0; j < o->nb_sizes; j++)
			avg[j] = o->sizes[j];
	}
	for (i = 0; i < bs.n; i++)
		if ((int)strlen(bs.b[i].label) > perf_label_width)
			perf_label_width = (int)strlen(bs.b[i].label);
	printf("%-*s %5s %-4s %8s %17s %8s %17s %6s\n", perf_label_width,
	       "backend", "size",
	       "op", "Mpps", "[min max]", "Gbit/s", "[min max]", "ratio");

	for (j = 0; j < nb_runs_sizes && ret == 0; j++) {
		for (i = 0; i < bs.n && ret == 0; i++)
			ret = perf_mixed ?
				perf_measure(&bs.b[i], o->sizes, o->nb_sizes, o,
					     &res[i][j]) :
				perf_measure(&bs.b[i], &o->sizes[j], 1, o,
					     &res[i][j]);
		for (i = 0; i < bs.n && ret == 0; i++) {
			ref = ref_idx >= 0 ? &res[ref_idx][j] : NULL;
			perf_print_row(bs.b[i].label, avg[j], "seal",
				       &res[i][j].seal,
				       ref != NULL ? &ref->seal : NULL);
			perf_print_row(bs.b[i].label, avg[j], "open",
				       &res[i][j].open,
				       ref != NULL ? &ref->open : NULL);
		}
		fflush(stdout);
	}
	if (ret == 0)
		perf_print_speedups(&bs, res, avg, nb_runs_sizes);
	perf_backends_close(&bs);
	return ret == 0 ? 0 : 1;
}

/* ---- modes and options ---------------------------------------------- */

static const struct perf_mode perf_modes[] = {
	{ "crypto", "seal/open throughput of each AEAD backend on one core",
	  perf_crypto_run, false },
#ifdef WG_PERF_HAVE_DPDK
	{ "dataplane", "dpdk-wg's encap/decap path on one lcore, net_null "
	  "ports [-- EAL options]", perf_dataplane_run, true },
#endif
};

#define PERF_NB_MODES (sizeof(perf_modes) / sizeof(perf_modes[0]))

static void
perf_usage(const char *prog)
{
	unsigned int i;

	printf("usage: %s MODE [options]%s\n\nmodes:\n", prog,
#ifdef WG_PERF_HAVE_DPDK
	       " [-- EAL options]"
#else
	       ""
#endif
	       );
	for (i = 0; i < PERF_NB_MODES; i++)
		printf("  --%-10s %s\n", perf_modes[i].name, perf_modes[i].help);
	printf("\noptions:\n"
	       "  --sizes LIST       payload sizes in bytes "
	       "(default 64,128,256,512,1024,1420)\n"
	       "  --runs N           runs per measurement, median reported "
	       "(default 5)\n"
	       "  --seconds S        duration of each run (default 0.1)\n"
	       "  --iterations N     batches per run, instead of --seconds\n"
	       "  --batch N          ops per call, 1..%u (default 32)\n"
	       "  --driver LIST      backends to measure, e.g. "
	       "ipsec_mb,sodium or ipsec_mb/avx2,openssl\n"
	       "                     (default: all but ipsec_mb/avx, which is "
	       "only run when named;\n"
	       "                     avx512_mb and avx2_mb are their best "
	       "path with the automatic\n"
	       "                     policy, other paths and policies by full "
	       "name, e.g.\n"
	       "                     avx512_mb/avx512, "
	       "avx512_mb/avx512ifma+lanes, avx2_mb/avx2+fallback)\n"
	       "  --mixed            --crypto: one measurement whose batches "
	       "cycle through the\n"
	       "                     --sizes list (e.g. --sizes "
	       "64,64,64,1420), not one per size\n"
	       "  --core N           pin to CPU N (default: the current "
	       "CPU)\n"
	       "  --help\n", WG_AEAD_BATCH_MAX);
#ifdef WG_PERF_HAVE_DPDK
	printf("\n--dataplane (defaults differ: --sizes 64,512,1420, --batch "
	       "is the burst, 1..32;\n"
	       "--driver is one backend: ipsec_mb, sodium or ipsec_mb/ARCH):\n"
	       "  --paths LIST       path counts, side by side (default "
	       "1,2,4; at most 8)\n"
	       "  --peers LIST       peer counts (default 1,1000)\n"
	       "  --dir LIST         encap, decap or both (default "
	       "encap,decap)\n"
	       "  --tx-copies LIST   how a packet is copied for each extra "
	       "path: chain (header\n"
	       "                     mbuf + indirect clone), copy "
	       "(rte_pktmbuf_copy), auto (as the\n"
	       "                     daemon picks from the port's "
	       "MULTI_SEGS); default chain,copy\n"
	       "  --workers LIST     worker lcore counts, e.g. 1,2,4: each "
	       "worker with its own\n"
	       "                     queues and share of the peers (fewer "
	       "peers than workers:\n"
	       "                     all share them, e.g. one large peer); "
	       "aggregate Mpps and\n"
	       "                     scaling vs the first count. Lcores "
	       "0..N-1 on the allowed\n"
	       "                     CPUs (--lcores; more lcores than CPUs "
	       "share them), unless\n"
	       "                     -l, -c or --lcores come after --\n"
	       "  --spread           with --workers: also one peer whose "
	       "traffic all arrives on\n"
	       "                     worker 0's queues (as RSS puts one "
	       "flow), shared out by\n"
	       "                     the daemon's --spread (rows "
	       "\"spread\"; scale vs 1 worker)\n"
	       "  after --, EAL options instead of the memory and log "
	       "defaults (--in-memory with\n"
	       "  hugepages if 192 MB are free, else --no-huge -m 512 "
	       "--no-shconf); always:\n"
	       "  -l CORE --no-pci --no-telemetry and the net_null vdevs\n");
#endif
}

/* A comma list of at most max_n numbers in [min, max]. */
static int
perf_parse_list(const char *arg, uint32_t *out, unsigned int max_n,
		unsigned int *n, unsigned long min, unsigned long max)
{
	char *end;
	unsigned long v;

	*n = 0;
	while (*arg != '\0') {
		errno = 0;
		v = strtoul(arg, &end, 10);
		if (errno != 0 || end == arg || v < min || v > max ||
		    *n == max_n)
			return -EINVAL;
		out[(*n)++] = (uint32_t)v;
		arg = end;
		if (*arg == ',')
			arg++;
		else if (*arg != '\0')
			return -EINVAL;
	}
	return *n > 0 ? 0 : -EINVAL;
}

static int
perf_parse_sizes(const char *arg, struct perf_opts *o)
{
	o->sizes_given = true;
	return perf_parse_list(arg, o->sizes, PERF_MAX_SIZES, &o->nb_sizes, 0,
			       PERF_MAX_LEN);
}

/* --tx-copies: auto, chain, copy, in any order. */
static int
perf_parse_tx_copies(const char *arg, struct perf_opts *o)
{
	char buf[64], *tok, *save = NULL;

	if (strlen(arg) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", arg);
	o->tx_copies = 0;
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "auto") == 0)
			o->tx_copies |= PERF_TX_AUTO;
		else if (strcmp(tok, "chain") == 0)
			o->tx_copies |= PERF_TX_CHAIN;
		else if (strcmp(tok, "copy") == 0)
			o->tx_copies |= PERF_TX_COPY;
		else
			return -EINVAL;
	}
	return o->tx_copies != 0 ? 0 : -EINVAL;
}

/* --dir: encap, decap or both, in any order. */
static int
perf_parse_dir(const char *arg, struct perf_opts *o)
{
	char buf[64], *tok, *save = NULL;

	if (strlen(arg) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", arg);
	o->encap = o->decap = false;
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "encap") == 0)
			o->encap = true;
		else if (strcmp(tok, "decap") == 0)
			o->decap = true;
		else
			return -EINVAL;
	}
	return o->encap || o->decap ? 0 : -EINVAL;
}

static int
perf_parse_uint(const char *arg, unsigned long long min,
		unsigned long long max, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(arg, &end, 0);
	if (errno != 0 || end == arg || *end != '\0' || *v < min || *v > max)
		return -EINVAL;
	return 0;
}

/* Pin so that "one core" means one core, not what the scheduler chose. */
static int
perf_pin(int core)
{
	cpu_set_t set;

	if (core < 0)
		core = sched_getcpu();
	if (core < 0)
		return -errno;
	CPU_ZERO(&set);
	CPU_SET(core, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		return -errno;
	printf("# pinned to CPU %d\n", core);
	return 0;
}

enum {
	OPT_SIZES = 256,
	OPT_RUNS,
	OPT_SECONDS,
	OPT_ITERATIONS,
	OPT_BATCH,
	OPT_DRIVER,
	OPT_CORE,
	OPT_PATHS,
	OPT_PEERS,
	OPT_DIR,
	OPT_TX_COPIES,
	OPT_HELP,
	OPT_MIXED,
	OPT_WORKERS,
	OPT_SPREAD,
	OPT_MODE, /* + index into perf_modes */
};

int
main(int argc, char **argv)
{
	/* The named options, then one per mode, then the zero entry. */
	enum { NAMED = 15 };
	static struct option longopts[NAMED + PERF_NB_MODES + 1] = {
		{ "sizes", required_argument, NULL, OPT_SIZES },
		{ "runs", required_argument, NULL, OPT_RUNS },
		{ "seconds", required_argument, NULL, OPT_SECONDS },
		{ "iterations", required_argument, NULL, OPT_ITERATIONS },
		{ "batch", required_argument, NULL, OPT_BATCH },
		{ "driver", required_argument, NULL, OPT_DRIVER },
		{ "core", required_argument, NULL, OPT_CORE },
		{ "paths", required_argument, NULL, OPT_PATHS },
		{ "peers", required_argument, NULL, OPT_PEERS },
		{ "dir", required_argument, NULL, OPT_DIR },
		{ "tx-copies", required_argument, NULL, OPT_TX_COPIES },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "mixed", no_argument, NULL, OPT_MIXED },
		{ "workers", required_argument, NULL, OPT_WORKERS },
		{ "spread", no_argument, NULL, OPT_SPREAD },
	};
	struct perf_opts o = {
		/* ~16 s for the default backends and sizes */
		.runs = 5, .seconds = 0.1, .batch = 32, .core = -1,
		.paths = { 1, 2, 4 }, .nb_paths = 3,
		.peers = { 1, 1000 }, .nb_peers = 2,
		.encap = true, .decap = true,
		.tx_copies = PERF_TX_CHAIN | PERF_TX_COPY,
	};
	const struct perf_mode *mode = NULL;
	unsigned long long v;
	unsigned int i;
	char *end;
	int c;

	for (i = 0; i < PERF_NB_MODES; i++)
		longopts[NAMED + i] = (struct option){ perf_modes[i].name,
			no_argument, NULL, OPT_MODE + (int)i };
	memcpy(o.sizes, perf_default_sizes, sizeof(perf_default_sizes));
	o.nb_sizes = sizeof(perf_default_sizes) / sizeof(perf_default_sizes[0]);

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_SIZES:
			if (perf_parse_sizes(optarg, &o) != 0)
				goto bad;
			break;
		case OPT_RUNS:
			if (perf_parse_uint(optarg, 1, PERF_MAX_RUNS, &v) != 0)
				goto bad;
			o.runs = (unsigned int)v;
			break;
		case OPT_SECONDS:
			o.seconds = strtod(optarg, &end);
			if (*end != '\0' || !(o.seconds > 0 && o.seconds < 3600))
				goto bad;
			o.iterations = 0;
			break;
		case OPT_ITERATIONS:
			if (perf_parse_uint(optarg, 1, UINT64_MAX, &v) != 0)
				goto bad;
			o.iterations = v;
			break;
		case OPT_BATCH:
			if (perf_parse_uint(optarg, 1, WG_AEAD_BATCH_MAX, &v) != 0)
				goto bad;
			o.batch = (unsigned int)v;
			break;
		case OPT_DRIVER:
			if (perf_list_each(optarg, perf_check_item, NULL) != 0)
				goto bad;
			o.drivers = optarg;
			break;
		case OPT_CORE:
			if (perf_parse_uint(optarg, 0, CPU_SETSIZE - 1, &v) != 0)
				goto bad;
			o.core = (int)v;
			break;
		case OPT_PATHS:
			if (perf_parse_list(optarg, o.paths, PERF_MAX_LIST,
					    &o.nb_paths, 1, 8) != 0)
				goto bad;
			break;
		case OPT_PEERS:
			if (perf_parse_list(optarg, o.peers, PERF_MAX_LIST,
					    &o.nb_peers, 1, 2000) != 0)
				goto bad;
			break;
		case OPT_DIR:
			if (perf_parse_dir(optarg, &o) != 0)
				goto bad;
			break;
		case OPT_TX_COPIES:
			if (perf_parse_tx_copies(optarg, &o) != 0)
				goto bad;
			break;
		case OPT_WORKERS:
			if (perf_parse_list(optarg, o.workers, PERF_MAX_LIST,
					    &o.nb_workers, 1, 64) != 0)
				goto bad;
			break;
		case OPT_MIXED:
			perf_mixed = true;
			break;
		case OPT_SPREAD:
			o.spread = true;
			break;
		case 'h':
		case OPT_HELP:
			perf_usage(argv[0]);
			return 0;
		default:
			if (c >= OPT_MODE && c < OPT_MODE + (int)PERF_NB_MODES) {
				mode = &perf_modes[c - OPT_MODE];
				break;
			}
			goto bad;
		}
	}
	if (mode == NULL) {
		fprintf(stderr, "%s: no mode given\n", argv[0]);
		goto bad;
	}
	if (optind != argc && !mode->eal_args)
		goto bad;
	if (perf_mixed && mode->run != perf_crypto_run) {
		fprintf(stderr, "%s: --mixed is for --crypto\n", argv[0]);
		goto bad;
	}
	o.extra_argc = argc - optind;
	o.extra_argv = argv + optind;
	o.prog = argv[0];
	if (sodium_init() < 0) {
		fprintf(stderr, "sodium_init failed\n");
		return 1;
	}
	if (perf_pin(o.core) != 0)
		fprintf(stderr, "warning: could not pin to a CPU\n");
	return mode->run(&o);
bad:
	perf_usage(argv[0]);
	return 2;
}
