/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AEAD_TEST_H
#define AEAD_TEST_H

/*
 * Helpers shared by the wg_aead unit tests: a CHECK macro that counts
 * checks and failures, the summary line, and the list of backend
 * contexts under test (every driver that runs here; for ipsec_mb every
 * code path this CPU runs, for avx512_mb and avx2_mb every code path with
 * the automatic lane policy and with every op forced into lanes).
 */

#include "wg_aead.h"

/* ---- checks ---- */

/*
 * CHECK(cond, fmt, ...): count one check; if cond is false, count a
 * failure and print "FAIL (line N): <message>" to stderr.
 */
#define CHECK(cond, ...) check_report(!!(cond), __LINE__, __VA_ARGS__)

void check_report(int ok, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Print at most this many failures; 0 (the default) prints them all.
 * Every failure is counted either way.
 */
extern unsigned int aead_test_max_logged;

/**
 * Print "PASS|FAIL: <n> checks, <m> failed (<what>)" and return the exit
 * status for main().
 */
int aead_test_done(const char *what);

/* ---- backends under test ---- */

#define MAX_BACKENDS 16

struct backend {
	char label[32];              /**< "<driver>/<arch>" */
	const struct wg_aead_driver *drv;
	struct wg_aead_ctx *ctx;
};

extern struct backend backends[MAX_BACKENDS];
extern unsigned int nb_backends;

/**
 * Open a context on every backend that runs here, and for ipsec_mb,
 * avx512_mb and avx2_mb one on every code path this CPU runs (see driver_add() in
 * aead_test.c), printing "SKIP" for the rest. They come in driver-list
 * order, except that the driver named first (if not NULL) comes before
 * all others.
 */
void backends_open(const char *first);
void backends_close(void);

#endif /* AEAD_TEST_H */
