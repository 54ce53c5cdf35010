/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The wg_aead registry and context contract:
 *
 * - wg_aead_driver_list() names every compiled-in backend once, with all
 *   callbacks set;
 * - wg_aead_driver_find(NULL) is ipsec_mb when it can run, else sodium;
 *   WG_AEAD_DRIVER overrides that default but not an explicit name, and
 *   an unknown name gives NULL rather than a silent substitute;
 * - ipsec_mb honours WG_AEAD_IPSEC_MB_ARCH and refuses unknown paths,
 *   and an op the library refuses fails alone;
 * - avx512_mb and avx2_mb (when built) are listed but are not the
 *   default, probe as the CPU's AVX-512 F/BW/VL (AVX2) say, refuse
 *   unknown paths and policies, label their contexts by path and policy,
 *   and make an op without key, tag or data fail alone; avx512_mb honours
 *   WG_AEAD_AVX512_ARCH;
 * - contexts are independent: several threads sealing at once, each with
 *   its own context, get the same bytes as a lone reference.
 */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#ifdef WG_AEAD_HAVE_IPSEC_MB
#include "wg_aead_ipsec_mb.h"
#endif
#ifdef WG_AEAD_HAVE_MB
#include "wg_aead_mb.h"
#endif

#include "aead_test.h"

static void
test_list(void)
{
	const struct wg_aead_driver *const *d, *const *e;
	int have_sodium = 0, have_ipsec_mb = 0, have_mb = 0;

	for (d = wg_aead_driver_list(); *d != NULL; d++) {
		const struct wg_aead_driver *drv = *d;

		CHECK(drv->name != NULL && drv->probe != NULL &&
		      drv->ctx_create != NULL && drv->ctx_free != NULL &&
		      drv->ctx_arch != NULL && drv->seal != NULL &&
		      drv->open != NULL, "driver with a missing callback");
		if (drv->name == NULL)
			continue;
		for (e = wg_aead_driver_list(); e != d; e++)
			CHECK((*e)->name == NULL ||
			      strcmp((*e)->name, drv->name) != 0,
			      "driver %s listed twice", drv->name);
		CHECK(wg_aead_driver_find(drv->name) ==
		      (drv->probe() ? drv : NULL), "find(\"%s\")", drv->name);
		have_sodium |= strcmp(drv->name, "sodium") == 0;
		have_ipsec_mb |= strcmp(drv->name, "ipsec_mb") == 0;
		have_mb += strcmp(drv->name, "avx512_mb") == 0 ||
			strcmp(drv->name, "avx2_mb") == 0;
		printf("driver %s: %s\n", drv->name,
		       drv->probe() ? "runs here" : "cannot run here");
	}
	CHECK(have_sodium, "sodium not compiled in");
#ifdef WG_AEAD_HAVE_IPSEC_MB
	CHECK(have_ipsec_mb, "ipsec_mb not compiled in");
#else
	(void)have_ipsec_mb;
#endif
#ifdef WG_AEAD_HAVE_MB
	CHECK(have_mb == 2, "avx512_mb or avx2_mb not compiled in");
#else
	(void)have_mb;
#endif
	CHECK(wg_aead_driver_find("no-such-driver") == NULL, "unknown name");
}

static const struct wg_aead_driver *
expected_default(void)
{
	const struct wg_aead_driver *mb = wg_aead_driver_find("avx512_mb");
	const struct wg_aead_driver *ipsec = wg_aead_driver_find("ipsec_mb");

	/* The multi-lane backend where the CPU has AVX-512, then ipsec_mb. */
	if (mb != NULL)
		return mb;
	return ipsec != NULL ? ipsec : wg_aead_driver_find("sodium");
}

static void
test_default_and_env(void)
{
	const struct wg_aead_driver *def = expected_default();
	const struct wg_aead_driver *sodium = wg_aead_driver_find("sodium");

	unsetenv("WG_AEAD_DRIVER");
	CHECK(def != NULL && wg_aead_driver_find(NULL) == def,
	      "default is not the best backend");
	printf("default driver: %s\n", def != NULL ? def->name : "(none)");

	setenv("WG_AEAD_DRIVER", "sodium", 1);
	CHECK(wg_aead_driver_find(NULL) == sodium,
	      "WG_AEAD_DRIVER=sodium ignored");
	setenv("WG_AEAD_DRIVER", "no-such-driver", 1);
	CHECK(wg_aead_driver_find(NULL) == NULL,
	      "WG_AEAD_DRIVER=no-such-driver gave a driver");
	CHECK(wg_aead_driver_find("sodium") == sodium,
	      "explicit name must win over WG_AEAD_DRIVER");
	setenv("WG_AEAD_DRIVER", "", 1);
	CHECK(wg_aead_driver_find(NULL) == def, "empty WG_AEAD_DRIVER");
	unsetenv("WG_AEAD_DRIVER");
}

static void
test_ipsec_mb_arch(void)
{
#ifdef WG_AEAD_HAVE_IPSEC_MB
	const struct wg_aead_driver *drv = wg_aead_driver_find("ipsec_mb");
	const char *const *a;
	struct wg_aead_ctx *ctx;

	if (drv == NULL) {
		printf("SKIP ipsec_mb arch selection: backend cannot run\n");
		return;
	}
	CHECK(wg_aead_ipsec_mb_ctx_create_arch("no-such-arch") == NULL,
	      "unknown arch accepted");

	/* The default is the first (best) path that can be created. */
	for (a = wg_aead_ipsec_mb_arch_list(); *a != NULL; a++) {
		ctx = wg_aead_ipsec_mb_ctx_create_arch(*a);
		drv->ctx_free(ctx);
		if (ctx != NULL)
			break;
	}
	ctx = drv->ctx_create();
	CHECK(ctx != NULL && *a != NULL &&
	      strcmp(drv->ctx_arch(ctx), *a) == 0,
	      "ctx_create did not pick the best path %s", *a ? *a : "-");
	if (ctx != NULL)
		printf("ipsec_mb default arch: %s\n", drv->ctx_arch(ctx));
	drv->ctx_free(ctx);

	for (a = wg_aead_ipsec_mb_arch_list(); *a != NULL; a++) {
		struct wg_aead_ctx *direct = wg_aead_ipsec_mb_ctx_create_arch(*a);

		setenv("WG_AEAD_IPSEC_MB_ARCH", *a, 1);
		ctx = drv->ctx_create();
		CHECK((ctx == NULL) == (direct == NULL),
		      "WG_AEAD_IPSEC_MB_ARCH=%s disagrees with create_arch",
		      *a);
		CHECK(ctx == NULL || strcmp(drv->ctx_arch(ctx), *a) == 0,
		      "WG_AEAD_IPSEC_MB_ARCH=%s gave %s", *a,
		      drv->ctx_arch(ctx));
		drv->ctx_free(ctx);
		drv->ctx_free(direct);
	}
	unsetenv("WG_AEAD_IPSEC_MB_ARCH");
#endif
}

/*
 * ipsec_mb submits jobs through the library's validating path, so an op
 * the library refuses (here: no key) fails alone and does not take its
 * batch down. This is the only way to reach the job-status check.
 */
static void
test_ipsec_mb_bad_op(void)
{
#ifdef WG_AEAD_HAVE_IPSEC_MB
	const struct wg_aead_driver *drv = wg_aead_driver_find("ipsec_mb");
	uint8_t key[WG_AEAD_KEY_LEN] = { 1 }, data[3][64] = { { 0 } };
	uint8_t tag[3][WG_AEAD_TAG_LEN];
	struct wg_aead_op ops[3];
	struct wg_aead_ctx *ctx;
	unsigned int i, good;

	if (drv == NULL || (ctx = drv->ctx_create()) == NULL) {
		printf("SKIP ipsec_mb bad op: backend cannot run\n");
		return;
	}
	for (i = 0; i < 3; i++)
		ops[i] = (struct wg_aead_op){ .key = key, .counter = i,
			.data = data[i], .len = sizeof(data[i]),
			.tag = tag[i], .status = 7 };
	ops[1].key = NULL;
	drv->seal(ctx, ops, 3);
	CHECK(ops[0].status == 0 && ops[1].status == -1 && ops[2].status == 0,
	      "seal statuses %d %d %d, want 0 -1 0", ops[0].status,
	      ops[1].status, ops[2].status);
	good = drv->open(ctx, ops, 3);
	CHECK(good == 2 && ops[0].status == 0 && ops[1].status == -1 &&
	      ops[2].status == 0, "open statuses %d %d %d, want 0 -1 0",
	      ops[0].status, ops[1].status, ops[2].status);
	CHECK(data[0][0] == 0 && data[2][63] == 0,
	      "neighbours of the bad op not restored");
	drv->ctx_free(ctx);
#endif
}

#ifdef WG_AEAD_HAVE_MB
/* What the drivers' probe() must say. */
static bool
cpu_has(const char *driver)
{
	__builtin_cpu_init();
	if (strcmp(driver, "avx2_mb") == 0)
		return __builtin_cpu_supports("avx2");
	return __builtin_cpu_supports("avx512f") &&
		__builtin_cpu_supports("avx512bw") &&
		__builtin_cpu_supports("avx512vl");
}
#endif

static void
test_mb_arch(const char *name)
{
#ifdef WG_AEAD_HAVE_MB
	const struct wg_aead_driver *drv = wg_aead_driver_find(name);
	const char *const *a;
	struct wg_aead_ctx *ctx, *direct;
	char want[64];

	CHECK((drv != NULL) == cpu_has(name),
	      "%s probe disagrees with the CPU", name);
	unsetenv("WG_AEAD_DRIVER");
	CHECK(wg_aead_driver_find(NULL) != drv || drv == NULL ||
	      strcmp(name, "avx512_mb") == 0,
	      "%s became the default backend", name);
	CHECK(wg_aead_mb_arch_list(name) != NULL, "%s has no paths", name);
	if (drv == NULL) {
		printf("SKIP %s arch selection: backend cannot run\n", name);
		return;
	}
	CHECK(wg_aead_mb_ctx_create_arch("no-such-arch",
					 WG_AEAD_MB_AUTO) == NULL,
	      "unknown arch accepted");
	CHECK(wg_aead_mb_ctx_create_arch(NULL,
		(enum wg_aead_mb_policy)42) == NULL,
	      "unknown policy accepted");

	/* The default is the first (best) path that can be created. */
	for (a = wg_aead_mb_arch_list(name); *a != NULL; a++) {
		ctx = wg_aead_mb_ctx_create_arch(*a, WG_AEAD_MB_AUTO);
		drv->ctx_free(ctx);
		if (ctx != NULL)
			break;
	}
	ctx = drv->ctx_create();
	CHECK(ctx != NULL && *a != NULL && strcmp(drv->ctx_arch(ctx), *a) == 0,
	      "%s ctx_create did not pick the best path %s", name,
	      *a ? *a : "-");
	if (ctx != NULL)
		printf("%s default arch: %s\n", name, drv->ctx_arch(ctx));
	drv->ctx_free(ctx);

	for (a = wg_aead_mb_arch_list(name); *a != NULL; a++) {
		direct = wg_aead_mb_ctx_create_arch(*a, WG_AEAD_MB_LANES);
		snprintf(want, sizeof(want), "%s+lanes", *a);
		CHECK(direct == NULL || strcmp(drv->ctx_arch(direct), want) == 0,
		      "lanes context labelled %s", drv->ctx_arch(direct));
		drv->ctx_free(direct);
		if (strcmp(name, "avx512_mb") != 0)
			continue;
		direct = wg_aead_mb_ctx_create_arch(*a, WG_AEAD_MB_AUTO);
		setenv("WG_AEAD_AVX512_ARCH", *a, 1);
		ctx = drv->ctx_create();
		CHECK((ctx == NULL) == (direct == NULL),
		      "WG_AEAD_AVX512_ARCH=%s disagrees with create_arch", *a);
		CHECK(ctx == NULL || strcmp(drv->ctx_arch(ctx), *a) == 0,
		      "WG_AEAD_AVX512_ARCH=%s gave %s", *a,
		      ctx != NULL ? drv->ctx_arch(ctx) : "-");
		drv->ctx_free(ctx);
		drv->ctx_free(direct);
	}
	if (strcmp(name, "avx512_mb") == 0) {
		setenv("WG_AEAD_AVX512_ARCH", "avx2", 1);
		CHECK(drv->ctx_create() == NULL,
		      "WG_AEAD_AVX512_ARCH=avx2 gave an avx512_mb context");
		setenv("WG_AEAD_AVX512_ARCH", "no-such-arch", 1);
		CHECK(drv->ctx_create() == NULL, "WG_AEAD_AVX512_ARCH="
		      "no-such-arch gave a context");
		unsetenv("WG_AEAD_AVX512_ARCH");
	}
#else
	(void)name;
#endif
}

/*
 * An op that no backend could process (no key, no tag, or no data for a
 * non-zero length) fails alone in the multi-lane drivers, under every
 * policy, and is not touched; its neighbours go through the lanes or the
 * fallback.
 */
static void
test_mb_bad_op(const char *name)
{
#ifdef WG_AEAD_HAVE_MB
	static const enum wg_aead_mb_policy pol[] = {
		WG_AEAD_MB_AUTO, WG_AEAD_MB_LANES, WG_AEAD_MB_FALLBACK,
	};
	const struct wg_aead_driver *drv = wg_aead_driver_find(name);
	uint8_t key[WG_AEAD_KEY_LEN] = { 1 }, data[5][64];
	uint8_t tag[5][WG_AEAD_TAG_LEN];
	struct wg_aead_op ops[5];
	struct wg_aead_ctx *ctx;
	unsigned int i, p, good;

	if (drv == NULL) {
		printf("SKIP %s bad op: backend cannot run\n", name);
		return;
	}
	for (p = 0; p < sizeof(pol) / sizeof(pol[0]); p++) {
		ctx = wg_aead_mb_ctx_create_arch(wg_aead_mb_arch_list(name)[0],
						 pol[p]);
		if (ctx == NULL && wg_aead_mb_arch_list(name)[1] != NULL)
			/* e.g. no IFMA: the next path */
			ctx = wg_aead_mb_ctx_create_arch(
				wg_aead_mb_arch_list(name)[1], pol[p]);
		CHECK(ctx != NULL, "%s policy %u: no context", name, p);
		if (ctx == NULL)
			continue;
		memset(data, 0x5a, sizeof(data));
		for (i = 0; i < 5; i++)
			ops[i] = (struct wg_aead_op){ .key = key, .counter = i,
				.data = data[i], .len = sizeof(data[i]),
				.tag = tag[i], .status = 7 };
		ops[1].key = NULL;
		ops[2].data = NULL;
		ops[3].tag = NULL;
		drv->seal(ctx, ops, 5);
		CHECK(ops[0].status == 0 && ops[1].status == -1 &&
		      ops[2].status == -1 && ops[3].status == -1 &&
		      ops[4].status == 0, "%s seal statuses %d %d %d %d %d",
		      drv->ctx_arch(ctx), ops[0].status, ops[1].status,
		      ops[2].status, ops[3].status, ops[4].status);
		CHECK(data[1][0] == 0x5a && data[3][63] == 0x5a,
		      "%s touched a bad op's data", drv->ctx_arch(ctx));
		good = drv->open(ctx, ops, 5);
		CHECK(good == 2 && ops[0].status == 0 && ops[1].status == -1 &&
		      ops[2].status == -1 && ops[3].status == -1 &&
		      ops[4].status == 0 && data[0][0] == 0x5a &&
		      data[4][63] == 0x5a, "%s open: %u good, statuses %d %d "
		      "%d %d %d", drv->ctx_arch(ctx), good, ops[0].status,
		      ops[1].status, ops[2].status, ops[3].status,
		      ops[4].status);
		drv->ctx_free(ctx);
	}
#else
	(void)name;
#endif
}

/* ---- contexts on several threads ------------------------------------ */

#define NB_THREADS 4
#define NB_ROUNDS 200
#define LEN 1420

struct worker {
	pthread_t tid;
	const struct wg_aead_driver *drv;
	uint8_t key[WG_AEAD_KEY_LEN];
	uint8_t digest[32]; /* hash of everything sealed */
	int ok;
};

/* Seal NB_ROUNDS batches of 32 and hash the output. */
static void *
worker_run(void *arg)
{
	static const uint8_t zeros[LEN];
	struct worker *w = arg;
	struct wg_aead_ctx *ctx = w->drv->ctx_create();
	uint8_t data[32][LEN], tag[32][WG_AEAD_TAG_LEN];
	struct wg_aead_op ops[32];
	crypto_generichash_state h;
	unsigned int r, i;

	w->ok = ctx != NULL;
	if (ctx == NULL)
		return NULL;
	crypto_generichash_init(&h, NULL, 0, sizeof(w->digest));
	for (r = 0; r < NB_ROUNDS; r++) {
		for (i = 0; i < 32; i++) {
			memcpy(data[i], zeros, LEN);
			ops[i] = (struct wg_aead_op){ .key = w->key,
				.counter = (uint64_t)r * 32 + i,
				.data = data[i], .len = LEN, .tag = tag[i] };
		}
		w->drv->seal(ctx, ops, 32);
		crypto_generichash_update(&h, &data[0][0], sizeof(data));
		crypto_generichash_update(&h, &tag[0][0], sizeof(tag));
	}
	crypto_generichash_final(&h, w->digest, sizeof(w->digest));
	w->drv->ctx_free(ctx);
	return NULL;
}

static void
test_threads(const struct wg_aead_driver *drv)
{
	struct worker ref = { .drv = drv }, w[NB_THREADS];
	unsigned int i;

	if (drv == NULL)
		return;
	/* Threads share key 0 with the reference, others differ. */
	for (i = 0; i < NB_THREADS; i++) {
		w[i] = (struct worker){ .drv = drv };
		w[i].key[0] = (uint8_t)i;
	}
	worker_run(&ref);
	for (i = 0; i < NB_THREADS; i++)
		CHECK(pthread_create(&w[i].tid, NULL, worker_run, &w[i]) == 0,
		      "pthread_create");
	for (i = 0; i < NB_THREADS; i++)
		pthread_join(w[i].tid, NULL);

	CHECK(ref.ok, "%s: no context", drv->name);
	for (i = 0; i < NB_THREADS; i++) {
		CHECK(w[i].ok, "%s thread %u: no context", drv->name, i);
		CHECK((memcmp(w[i].digest, ref.digest, 32) == 0) == (i == 0),
		      "%s thread %u output %s the reference", drv->name, i,
		      i == 0 ? "differs from" : "equals");
	}
	printf("checked %s: %u threads with their own contexts\n", drv->name,
	       NB_THREADS);
}

int
main(void)
{
	const struct wg_aead_driver *const *d;

	if (sodium_init() < 0) {
		printf("FAIL: sodium_init\n");
		return 1;
	}
	test_list();
	test_default_and_env();
	test_ipsec_mb_arch();
	test_ipsec_mb_bad_op();
	test_mb_arch("avx512_mb");
	test_mb_arch("avx2_mb");
	test_mb_bad_op("avx512_mb");
	test_mb_bad_op("avx2_mb");
	for (d = wg_aead_driver_list(); *d != NULL; d++)
		test_threads(wg_aead_driver_find((*d)->name));

	return aead_test_done("test_aead_api");
}
