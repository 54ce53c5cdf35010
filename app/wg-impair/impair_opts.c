/* SPDX-License-Identifier: BSD-3-Clause */
/* wg-impair's options; see impair_opts.h for the scoping rules. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "impair_opts.h"

/* The impairment options; each exists plain, "a2b-" and "b2a-". */
enum pair_opt {
	PO_DELAY,
	PO_JITTER,
	PO_LOSS,
	PO_LOSS_BURST,
	PO_REORDER,
	PO_REORDER_DELAY,
	PO_RATE,
	PO_RATE_BURST,
	PO_QUEUE,
};

/* getopt values: globals are letters, impairments start here */
#define PO_BASE 0x100
#define PO_VAL(id, variant) (PO_BASE + (id) * 3 + (variant))

#define PAIR_OPT(name, id) \
	{ name, required_argument, NULL, PO_VAL(id, 0) }, \
	{ "a2b-" name, required_argument, NULL, PO_VAL(id, 1) }, \
	{ "b2a-" name, required_argument, NULL, PO_VAL(id, 2) }

static const struct option longopts[] = {
	{ "pair", required_argument, NULL, 'p' },
	{ "pairs", required_argument, NULL, 'P' },
	{ "seed", required_argument, NULL, 's' },
	{ "stats-interval", required_argument, NULL, 'i' },
	{ "idle-us", required_argument, NULL, 'u' },
	{ "spin-us", required_argument, NULL, 'w' },
	{ "rt-prio", required_argument, NULL, 'r' },
	{ "help", no_argument, NULL, 'h' },
	PAIR_OPT("delay-ms", PO_DELAY),
	PAIR_OPT("jitter-ms", PO_JITTER),
	PAIR_OPT("loss", PO_LOSS),
	PAIR_OPT("loss-burst", PO_LOSS_BURST),
	PAIR_OPT("reorder", PO_REORDER),
	PAIR_OPT("reorder-delay-ms", PO_REORDER_DELAY),
	PAIR_OPT("rate-mbit", PO_RATE),
	PAIR_OPT("rate-burst", PO_RATE_BURST),
	PAIR_OPT("queue-pkts", PO_QUEUE),
	{ NULL, 0, NULL, 0 },
};

void
impair_opts_usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [EAL options] -- [defaults] --pair A:B [impairments] "
		"[--pair C:D [impairments]] ...\n"
		"  --pair A:B              forward between ports A and B (default 0:1)\n"
		"  --pairs A:B,C:D         several pairs; what follows sets all of them\n"
		"  --seed N                random seed (default: from the clock, printed)\n"
		"  --stats-interval S      print stats every S seconds (default 0: at exit)\n"
		"  --idle-us N             sleep N us at a time when idle (default 100;\n"
		"                          0: always busy-poll)\n"
		"  --spin-us N             but busy-poll while a release is due within\n"
		"                          N us (default 2000; with --rt-prio 0)\n"
		"  --rt-prio N             run SCHED_FIFO at priority N (1..99): keeps\n"
		"                          the delays accurate next to busy-polling\n"
		"                          processes, which it preempts while it works\n"
		"impairments (before any --pair: defaults for all pairs; after one: that\n"
		"pair; plain: both directions; a2b-/b2a- prefix: one direction, a2b\n"
		"being what port A receives and port B sends):\n"
		"  --delay-ms MS           fixed delay\n"
		"  --jitter-ms MS          plus uniform(-MS, +MS), order kept\n"
		"  --loss PCT              independent loss (with --loss-burst: in the\n"
		"                          good state)\n"
		"  --loss-burst GB,BG[,BAD] Gilbert-Elliott: per-packet %% chance to go\n"
		"                          good->bad, bad->good; loss in bad (default 100)\n"
		"  --reorder PCT           send PCT%% of packets after --reorder-delay-ms\n"
		"                          instead of the delay line (reordering them)\n"
		"  --reorder-delay-ms MS   their delay (default 0: at once)\n"
		"  --rate-mbit MBIT        token bucket rate (default 0: unlimited)\n"
		"  --rate-burst BYTES      bucket depth (default 1 ms at rate, >= 3036)\n"
		"  --queue-pkts N          queue limit, tail drop beyond (default 10000)\n",
		prog);
}

static int
fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -1;
}

/* A finite number, fully parsed. */
static bool
parse_num(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return errno == 0 && end != s && *end == '\0' && isfinite(*out);
}

static bool
parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	char *end;

	if (*s == '-' || *s == '+' || *s == '\0')
		return false;
	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno == 0 && *end == '\0' && *out <= max;
}

/* "GB,BG[,BAD]" */
static bool
parse_burst(const char *s, struct impair_conf *c)
{
	double v[3] = { 0, 0, 100 };
	char buf[128], *tok, *save = NULL;
	unsigned int n = 0;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		if (n == 3 || !parse_num(tok, &v[n]))
			return false;
		n++;
	}
	if (n < 2)
		return false;
	c->loss_burst = true;
	c->p_gb_pct = v[0];
	c->p_bg_pct = v[1];
	c->loss_bad_pct = v[2];
	return true;
}

static int
set_conf(struct impair_conf *c, enum pair_opt id, const char *arg)
{
	double *num = NULL;
	uint64_t u;

	switch (id) {
	case PO_DELAY:
		num = &c->delay_ms;
		break;
	case PO_JITTER:
		num = &c->jitter_ms;
		break;
	case PO_LOSS:
		num = &c->loss_pct;
		break;
	case PO_REORDER:
		num = &c->reorder_pct;
		break;
	case PO_REORDER_DELAY:
		num = &c->reorder_delay_ms;
		break;
	case PO_RATE:
		num = &c->rate_mbit;
		break;
	case PO_LOSS_BURST:
		return parse_burst(arg, c) ? 0 : -1;
	case PO_RATE_BURST:
		if (!parse_uint(arg, UINT32_MAX, &u))
			return -1;
		c->rate_burst_bytes = (uint32_t)u;
		return 0;
	case PO_QUEUE:
		if (!parse_uint(arg, UINT32_MAX, &u))
			return -1;
		c->queue_pkts = (uint32_t)u;
		return 0;
	}
	return num != NULL && parse_num(arg, num) ? 0 : -1;
}

/* Where impairment options go: the defaults, or pairs [first, last). */
struct scope {
	struct impair_conf defaults[2];
	unsigned int first;
	unsigned int last;	/* 0: the defaults */
};

static int
apply(struct impair_opts *o, struct scope *sc, int val, const char *arg)
{
	enum pair_opt id = (enum pair_opt)((val - PO_BASE) / 3);
	int variant = (val - PO_BASE) % 3;

	for (unsigned int p = sc->first; p < (sc->last ? sc->last : 1); p++) {
		struct impair_conf *dir = sc->last ? o->pair[p].dir :
			sc->defaults;

		for (int d = IMPAIR_A2B; d <= IMPAIR_B2A; d++) {
			if (variant != 0 && variant != d + 1)
				continue;
			if (set_conf(&dir[d], id, arg) != 0)
				return -1;
		}
	}
	return 0;
}

static int
add_pair(struct impair_opts *o, const struct scope *sc, const char *spec,
	 char *err, size_t len)
{
	struct impair_pair_opts *p;
	uint64_t a, b;
	char buf[32], *colon;

	if (strlen(spec) >= sizeof(buf))
		return fail(err, len, "bad pair '%s' (want A:B)", spec);
	strcpy(buf, spec);
	colon = strchr(buf, ':');
	if (colon == NULL)
		return fail(err, len, "bad pair '%s' (want A:B)", spec);
	*colon = '\0';
	if (!parse_uint(buf, IMPAIR_MAX_PORT, &a) ||
	    !parse_uint(colon + 1, IMPAIR_MAX_PORT, &b))
		return fail(err, len, "bad pair '%s' (want A:B, port ids "
			    "0..%d)", spec, IMPAIR_MAX_PORT);
	if (a == b)
		return fail(err, len, "pair '%s' joins a port to itself", spec);
	for (unsigned int i = 0; i < o->npairs; i++) {
		for (int k = 0; k < 2; k++) {
			if (o->pair[i].port[k] == a || o->pair[i].port[k] == b)
				return fail(err, len, "pair '%s': port %u is "
					    "already in pair %u:%u", spec,
					    o->pair[i].port[k],
					    o->pair[i].port[0],
					    o->pair[i].port[1]);
		}
	}
	if (o->npairs == IMPAIR_MAX_PAIRS)
		return fail(err, len, "more than %d pairs", IMPAIR_MAX_PAIRS);
	p = &o->pair[o->npairs++];
	p->port[0] = (uint16_t)a;
	p->port[1] = (uint16_t)b;
	memcpy(p->dir, sc->defaults, sizeof(p->dir));
	return 0;
}

static int
add_pairs(struct impair_opts *o, struct scope *sc, const char *list,
	  char *err, size_t len)
{
	char buf[512], *tok, *save = NULL;
	unsigned int first = o->npairs;

	if (strlen(list) >= sizeof(buf))
		return fail(err, len, "--pairs list too long");
	strcpy(buf, list);
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		if (add_pair(o, sc, tok, err, len) != 0)
			return -1;
	}
	if (o->npairs == first)
		return fail(err, len, "empty --pairs list");
	sc->first = first;
	sc->last = o->npairs;
	return 0;
}

static int
parse_global(struct impair_opts *o, int opt, const char *arg, char *err,
	     size_t len)
{
	uint64_t u;
	double v;

	switch (opt) {
	case 's':
		if (!parse_uint(arg, UINT64_MAX, &o->seed))
			return fail(err, len, "bad --seed '%s'", arg);
		o->seed_given = true;
		return 0;
	case 'i':
		if (!parse_num(arg, &v) || v < 0 || v > 86400)
			return fail(err, len, "bad --stats-interval '%s' "
				    "(seconds, 0..86400)", arg);
		o->stats_interval = v;
		return 0;
	case 'u':
		if (!parse_uint(arg, 100000, &u))
			return fail(err, len, "bad --idle-us '%s' (0..100000)",
				    arg);
		o->idle_us = (unsigned int)u;
		return 0;
	case 'w':
		if (!parse_uint(arg, 1000000, &u))
			return fail(err, len, "bad --spin-us '%s' "
				    "(0..1000000)", arg);
		o->spin_us = (unsigned int)u;
		return 0;
	case 'r':
		if (!parse_uint(arg, 99, &u))
			return fail(err, len, "bad --rt-prio '%s' (1..99, 0: "
				    "off)", arg);
		o->rt_prio = (unsigned int)u;
		return 0;
	}
	return fail(err, len, "unknown option (see --help)");
}

static int
check_all(const struct impair_opts *o, char *err, size_t len)
{
	static const char *const names[] = { "a2b", "b2a" };
	char why[160];

	for (unsigned int i = 0; i < o->npairs; i++) {
		for (int d = IMPAIR_A2B; d <= IMPAIR_B2A; d++) {
			if (impair_conf_check(&o->pair[i].dir[d], why,
					      sizeof(why)) != 0)
				return fail(err, len, "pair %u:%u %s: %s",
					    o->pair[i].port[0],
					    o->pair[i].port[1], names[d], why);
		}
	}
	return 0;
}

int
impair_opts_parse(struct impair_opts *o, int argc, char **argv, char *err,
		  size_t len)
{
	struct scope sc = { .first = 0, .last = 0 };
	int opt, idx;

	memset(o, 0, sizeof(*o));
	o->idle_us = 100;
	o->spin_us = UINT32_MAX;	/* resolved below */
	impair_conf_default(&sc.defaults[IMPAIR_A2B]);
	impair_conf_default(&sc.defaults[IMPAIR_B2A]);
	optind = 0;	/* glibc: full reset, the EAL used getopt before */
	opterr = 0;	/* our own messages */
	while ((opt = getopt_long(argc, argv, "h", longopts, &idx)) != -1) {
		const char *arg = optarg;

		if (opt == 'h') {
			impair_opts_usage(stdout, argv[0]);
			return 1;
		} else if (opt == '?') {
			return fail(err, len, "unknown option or missing "
				    "value: '%s' (see --help)",
				    argv[optind - 1]);
		} else if (opt == 'p') {
			if (add_pair(o, &sc, arg, err, len) != 0)
				return -1;
			sc.first = o->npairs - 1;
			sc.last = o->npairs;
		} else if (opt == 'P') {
			if (add_pairs(o, &sc, arg, err, len) != 0)
				return -1;
		} else if (opt >= PO_BASE) {
			if (apply(o, &sc, opt, arg) != 0)
				return fail(err, len, "bad value '%s' for --%s",
					    arg, longopts[idx].name);
		} else if (parse_global(o, opt, arg, err, len) != 0) {
			return -1;
		}
	}
	if (optind != argc)
		return fail(err, len, "unexpected argument '%s'", argv[optind]);
	if (o->npairs == 0 && add_pair(o, &sc, "0:1", err, len) != 0)
		return -1;
	/* SCHED_FIFO wakes up within microseconds, and spinning at that
	 * priority would starve whatever shares the core; SCHED_OTHER
	 * spins through the last 2 ms because its wake-ups are late. */
	if (o->spin_us == UINT32_MAX)
		o->spin_us = o->rt_prio != 0 ? 0 : 2000;
	return check_all(o, err, len);
}

static size_t
append(char *buf, size_t len, size_t at, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (at >= len)
		return at;
	va_start(ap, fmt);
	n = vsnprintf(buf + at, len - at, fmt, ap);
	va_end(ap);
	return n < 0 ? at : at + (size_t)n;
}

void
impair_conf_describe(const struct impair_conf *c, char *buf, size_t len)
{
	size_t at = 0;

	buf[0] = '\0';
	at = append(buf, len, at, "delay %g ms", c->delay_ms);
	if (c->jitter_ms > 0)
		at = append(buf, len, at, " +-%g ms", c->jitter_ms);
	if (c->loss_burst)
		at = append(buf, len, at, ", burst loss %g%%->bad %g%%->good "
			    "(loss good %g%% bad %g%%)", c->p_gb_pct,
			    c->p_bg_pct, c->loss_pct, c->loss_bad_pct);
	else if (c->loss_pct > 0)
		at = append(buf, len, at, ", loss %g%%", c->loss_pct);
	if (c->reorder_pct > 0)
		at = append(buf, len, at, ", reorder %g%% after %g ms",
			    c->reorder_pct, c->reorder_delay_ms);
	if (c->rate_mbit > 0)
		at = append(buf, len, at, ", rate %g Mbit/s", c->rate_mbit);
	if (c->rate_mbit > 0 && c->rate_burst_bytes > 0)
		at = append(buf, len, at, " (burst %u B)", c->rate_burst_bytes);
	append(buf, len, at, ", queue %u", c->queue_pkts);
}
