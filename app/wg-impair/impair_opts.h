/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef IMPAIR_OPTS_H
#define IMPAIR_OPTS_H

/*
 * wg-impair's command line (what follows the EAL's "--"), without DPDK
 * so that the unit test can parse it.
 *
 * Scopes: impairment options given before the first --pair/--pairs are
 * the defaults every pair starts from; after a --pair they set that pair,
 * after a --pairs list every pair of that list. A plain option sets both
 * directions, an "a2b-" or "b2a-" prefixed one a single direction: a2b is
 * what the pair's first port receives and its second port sends.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "impair_model.h"

#define IMPAIR_MAX_PAIRS 16
#define IMPAIR_MAX_PORT 1023

enum impair_dir_id {
	IMPAIR_A2B,
	IMPAIR_B2A,
};

struct impair_pair_opts {
	uint16_t port[2];		/* a, b */
	struct impair_conf dir[2];	/* IMPAIR_A2B, IMPAIR_B2A */
};

struct impair_opts {
	struct impair_pair_opts pair[IMPAIR_MAX_PAIRS];
	unsigned int npairs;
	uint64_t seed;
	bool seed_given;
	double stats_interval;		/* seconds; 0: final stats only */
	unsigned int idle_us;		/* 0: never sleep */
	unsigned int spin_us;		/* no sleep if a release is closer */
	unsigned int rt_prio;		/* SCHED_FIFO priority; 0: not RT */
};

/* 0 ok, 1 --help (usage printed to stdout), -1 error (message in err).
 * Resets getopt, so it may run more than once in a process. */
int impair_opts_parse(struct impair_opts *o, int argc, char **argv,
		      char *err, size_t len);
void impair_opts_usage(FILE *f, const char *prog);
/* One line describing a direction's impairments ("delay 20 ms, ..."). */
void impair_conf_describe(const struct impair_conf *c, char *buf, size_t len);

#endif /* IMPAIR_OPTS_H */
