/* SPDX-License-Identifier: BSD-3-Clause */
/* wg-impair's command line: scopes, direction prefixes, refusals. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "impair_opts.h"
#include "wg_check.h"

static struct impair_opts o;
static char err[256];

/* Parse a NULL-terminated list of words after the program name. */
static int
parse(const char *first, ...)
{
	char *argv[64];
	int argc = 0;
	va_list ap;
	const char *w;
	int ret;

	argv[argc++] = (char *)(uintptr_t)"wg-impair";
	va_start(ap, first);
	for (w = first; w != NULL && argc < 63; w = va_arg(ap, const char *))
		argv[argc++] = (char *)(uintptr_t)w;
	va_end(ap);
	argv[argc] = NULL;
	err[0] = '\0';
	ret = impair_opts_parse(&o, argc, argv, err, sizeof(err));
	if (ret < 0)
		printf("  (refused: %s)\n", err);
	return ret;
}

static void
test_defaults(void)
{
	CHECK_EQ(parse(NULL), 0);
	CHECK_EQ(o.npairs, 1);
	CHECK_EQ(o.pair[0].port[0], 0);
	CHECK_EQ(o.pair[0].port[1], 1);
	CHECK_EQ(o.pair[0].dir[IMPAIR_A2B].queue_pkts, 10000);
	CHECK(o.pair[0].dir[IMPAIR_B2A].delay_ms == 0);
	CHECK(o.pair[0].dir[IMPAIR_B2A].loss_bad_pct == 100);
	CHECK(!o.seed_given);
	CHECK_EQ(o.idle_us, 100);
	CHECK_EQ(o.spin_us, 2000);
	CHECK_EQ(o.rt_prio, 0);
	CHECK(o.stats_interval == 0);
}

/* Real time sleeps until the release instead of spinning, unless told. */
static void
test_rt(void)
{
	CHECK_EQ(parse("--rt-prio", "10", NULL), 0);
	CHECK_EQ(o.rt_prio, 10);
	CHECK_EQ(o.spin_us, 0);
	CHECK_EQ(parse("--spin-us", "300", "--rt-prio", "10", NULL), 0);
	CHECK_EQ(o.spin_us, 300);
	CHECK_EQ(parse("--rt-prio", "100", NULL), -1);
	CHECK_EQ(parse("--idle-us", "0", NULL), 0);
	CHECK_EQ(o.idle_us, 0);
}

/* The brief's example: two pairs, each its own settings. */
static void
test_pairs(void)
{
	const struct impair_conf *a, *b;

	CHECK_EQ(parse("--pair", "0:1", "--delay-ms", "20", "--jitter-ms", "2",
		       "--loss", "5", "--reorder", "1", "--rate-mbit", "100",
		       "--pair", "2:3", "--delay-ms", "40", "--loss", "10",
		       "--seed", "7", "--stats-interval", "0.5", NULL), 0);
	CHECK_EQ(o.npairs, 2);
	CHECK_EQ(o.seed, 7);
	CHECK(o.seed_given);
	CHECK(o.stats_interval == 0.5);
	for (int d = IMPAIR_A2B; d <= IMPAIR_B2A; d++) {
		a = &o.pair[0].dir[d];
		b = &o.pair[1].dir[d];
		CHECK(a->delay_ms == 20 && a->jitter_ms == 2);
		CHECK(a->loss_pct == 5 && a->reorder_pct == 1);
		CHECK(a->rate_mbit == 100);
		CHECK(b->delay_ms == 40 && b->loss_pct == 10);
		CHECK(b->jitter_ms == 0 && b->rate_mbit == 0);
	}
	CHECK_EQ(o.pair[1].port[0], 2);
	CHECK_EQ(o.pair[1].port[1], 3);
}

static void
test_directions(void)
{
	const struct impair_conf *ab, *ba;

	CHECK_EQ(parse("--pair", "0:1", "--loss", "3", "--a2b-loss", "5",
		       "--b2a-delay-ms", "7", "--a2b-loss-burst", "1,10",
		       "--b2a-loss-burst", "2,20,50", NULL), 0);
	ab = &o.pair[0].dir[IMPAIR_A2B];
	ba = &o.pair[0].dir[IMPAIR_B2A];
	CHECK(ab->loss_pct == 5 && ba->loss_pct == 3);
	CHECK(ab->delay_ms == 0 && ba->delay_ms == 7);
	CHECK(ab->loss_burst && ab->p_gb_pct == 1 && ab->p_bg_pct == 10);
	CHECK(ab->loss_bad_pct == 100);
	CHECK(ba->loss_burst && ba->loss_bad_pct == 50);
}

/* Defaults before the first pair, --pairs lists. */
static void
test_scopes(void)
{
	CHECK_EQ(parse("--delay-ms", "10", "--b2a-loss", "1", "--pairs",
		       "0:1,2:3", "--rate-mbit", "50", "--pair", "4:5",
		       "--delay-ms", "30", NULL), 0);
	CHECK_EQ(o.npairs, 3);
	for (unsigned int p = 0; p < 3; p++) {
		CHECK(o.pair[p].dir[IMPAIR_B2A].loss_pct == 1);
		CHECK(o.pair[p].dir[IMPAIR_A2B].loss_pct == 0);
	}
	CHECK(o.pair[0].dir[IMPAIR_A2B].delay_ms == 10);
	CHECK(o.pair[1].dir[IMPAIR_B2A].rate_mbit == 50);
	CHECK(o.pair[2].dir[IMPAIR_A2B].rate_mbit == 0);
	CHECK(o.pair[2].dir[IMPAIR_B2A].delay_ms == 30);
	/* defaults with no --pair: pair 0:1 gets them */
	CHECK_EQ(parse("--loss", "10", "--delay-ms", "20", NULL), 0);
	CHECK_EQ(o.npairs, 1);
	CHECK(o.pair[0].dir[IMPAIR_B2A].loss_pct == 10);
	CHECK(o.pair[0].dir[IMPAIR_A2B].delay_ms == 20);
}

static void
test_refused(void)
{
	CHECK_EQ(parse("--pair", "0:0", NULL), -1);
	CHECK(strstr(err, "itself") != NULL);
	CHECK_EQ(parse("--pair", "0:1", "--pair", "1:2", NULL), -1);
	CHECK(strstr(err, "port 1") != NULL);
	CHECK_EQ(parse("--pair", "0-1", NULL), -1);
	CHECK_EQ(parse("--pair", "0:9999", NULL), -1);
	CHECK_EQ(parse("--loss", "abc", NULL), -1);
	CHECK(strstr(err, "loss") != NULL);
	CHECK_EQ(parse("--loss", "150", NULL), -1);
	CHECK(strstr(err, "a2b") != NULL);
	CHECK_EQ(parse("--pair", "0:1", "--b2a-jitter-ms", "-1", NULL), -1);
	CHECK(strstr(err, "b2a") != NULL);
	CHECK_EQ(parse("--loss-burst", "1", NULL), -1);
	CHECK_EQ(parse("--loss-burst", "1,0", NULL), -1);
	CHECK_EQ(parse("--loss-burst", "1,2,3,4", NULL), -1);
	CHECK_EQ(parse("--queue-pkts", "0", NULL), -1);
	CHECK_EQ(parse("--queue-pkts", "-5", NULL), -1);
	CHECK_EQ(parse("--c2d-loss", "1", NULL), -1);
	CHECK_EQ(parse("--seed", "x", NULL), -1);
	CHECK_EQ(parse("--stats-interval", "-1", NULL), -1);
	CHECK_EQ(parse("--delay-ms", NULL), -1);
	CHECK_EQ(parse("stray", NULL), -1);
	CHECK_EQ(parse("--pairs", ",", NULL), -1);
}

static void
test_describe(void)
{
	char buf[256];

	CHECK_EQ(parse("--delay-ms", "20", "--jitter-ms", "2", "--loss", "5",
		       "--rate-mbit", "100", NULL), 0);
	impair_conf_describe(&o.pair[0].dir[0], buf, sizeof(buf));
	printf("  describe: %s\n", buf);
	CHECK(strcmp(buf, "delay 20 ms +-2 ms, loss 5%, rate 100 Mbit/s, "
		     "queue 10000") == 0);
	/* --help is not an error */
	CHECK_EQ(parse("--help", NULL), 1);
}

int
main(void)
{
	test_defaults();
	test_rt();
	test_pairs();
	test_directions();
	test_scopes();
	test_refused();
	test_describe();
	return wg_check_done("impair_opts");
}
