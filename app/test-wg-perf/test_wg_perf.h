/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TEST_WG_PERF_H
#define TEST_WG_PERF_H

/*
 * What test-wg-perf's modes share: the parsed options and the median /
 * min / max helper. The crypto mode is in test_wg_perf.c, the data-plane
 * mode (DPDK) in perf_dataplane.c.
 */

#include <stdbool.h>
#include <stdint.h>

#define PERF_MAX_SIZES 16
#define PERF_MAX_RUNS 101
#define PERF_MAX_LEN 65535
#define PERF_MAX_LIST 8

/* Options common to all modes (some are used by one mode only). */
struct perf_opts {
	uint32_t sizes[PERF_MAX_SIZES];
	unsigned int nb_sizes;
	bool sizes_given;        /* --sizes given: else the mode's default */
	unsigned int runs;
	double seconds;          /* per run, if iterations == 0 */
	uint64_t iterations;     /* batches per run */
	unsigned int batch;
	const char *drivers;     /* comma list, NULL = all */
	int core;                /* -1 = stay where started */
	/* --dataplane only */
	uint32_t paths[PERF_MAX_LIST];   /* path counts to compare */
	unsigned int nb_paths;
	uint32_t peers[PERF_MAX_LIST];   /* peer counts to compare */
	unsigned int nb_peers;
	bool encap, decap;               /* --dir */
	unsigned int tx_copies;          /* PERF_TX_* bits: how to copy */
	uint32_t workers[PERF_MAX_LIST]; /* --workers: worker counts to */
	unsigned int nb_workers;         /* compare; 0: one lcore */
	bool spread;                     /* --spread: one peer's traffic on
					    worker 0, spread by the daemon */
	int extra_argc;                  /* after "--": EAL options */
	char **extra_argv;
	const char *prog;
};

/* --tx-copies: how a sealed packet is copied for each extra path. */
#define PERF_TX_AUTO 1u    /* as the daemon decides from the port */
#define PERF_TX_CHAIN 2u   /* header mbuf chained to an indirect clone */
#define PERF_TX_COPY 4u    /* rte_pktmbuf_copy() */

struct perf_stat {
	double med, min, max;
};

/* Median, min and max of n values (sorts them). */
struct perf_stat perf_stat_of(double *v, unsigned int n);

#ifdef WG_PERF_HAVE_DPDK
int perf_dataplane_run(const struct perf_opts *opts);
#endif

#endif /* TEST_WG_PERF_H */
