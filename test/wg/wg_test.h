/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef WG_TEST_H
#define WG_TEST_H

/*
 * Helpers for the protocol core's unit tests: CHECK macros, a virtual
 * clock, and a pair of devices wired back to back through an in-memory
 * wire, so whole handshakes and timer runs happen in virtual time.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>

#include "wg_check.h"
#include "wg_crypto.h"
#include "wg_device.h"

/** Print the summary line and return the exit status for main(); after a
 * failed check, also the WG_TEST_SEED that makes the run happen again. */
#define wg_test_done(name) \
	(wg_test_seed_note(wg_check_failures), wg_check_done(name))
unsigned int wg_test_seed_note(unsigned int failures);

/*
 * Environment of the test programs:
 *   WG_TEST_SEED=n   every random draw (keys, indices, timer jitter)
 *                    follows from n; without it n is drawn at start
 *   WG_TEST_TRACE=1  print each packet sent, lost or delivered, and why a
 *                    delivered one was dropped, in virtual time
 */

/* ---- virtual clock ---- */
struct wg_test_clock {
	uint64_t mono;       /**< ns, starts at 1 s */
	uint64_t real;       /**< ns since the epoch */
};
void wg_test_clock_init(struct wg_test_clock *c);
void wg_test_clock_advance(struct wg_test_clock *c, uint64_t ns);
/** A wg_clock reading c. */
struct wg_clock wg_test_clock_of(struct wg_test_clock *c);

/* ---- an in-memory wire between two devices ---- */
#define WG_TEST_WIRE_MAX 64
#define WG_TEST_PKT_MAX 2048

struct wg_test_pkt {
	size_t len;
	uint8_t data[WG_TEST_PKT_MAX];
	struct wg_endpoint from;
	struct wg_endpoint to;
};

struct wg_test_node {
	struct wg_device *dev;
	struct wg_peer *peer;         /**< the other node, as our peer */
	struct wg_endpoint addr;      /**< our address on the wire */
	struct wg_test_pair *pair;
	uint8_t private_key[WG_KEY_LEN];
	uint8_t public_key[WG_KEY_LEN];
	/* What the hooks saw. */
	unsigned int keepalives_sent;
	unsigned int keypair_ready_calls;
	unsigned int purges;
	unsigned int data_sent;
	unsigned int data_received;   /**< authentic, accepted data */
	unsigned int keepalives_received;
	unsigned int queued;          /**< packets waiting for a keypair */
};

struct wg_test_pair {
	struct wg_test_clock clock;
	struct wg_clock wg_clock;
	struct wg_test_node a, b;
	/* Packets in flight, delivered by wg_test_pair_deliver(). */
	struct wg_test_pkt wire[WG_TEST_WIRE_MAX];
	unsigned int wire_len;
	bool drop_all;                /**< the wire loses everything */
	unsigned int sent_total;
};

/** Two devices, each with the other as peer (endpoints set on both). */
void wg_test_pair_init(struct wg_test_pair *p, const uint8_t *psk,
		       uint32_t replay_window);
void wg_test_pair_free(struct wg_test_pair *p);
/** Deliver what is on the wire (and what that causes) until quiet;
 * returns the number of packets delivered. */
unsigned int wg_test_pair_deliver(struct wg_test_pair *p);
/** Run both devices' timers, then deliver. */
void wg_test_pair_tick(struct wg_test_pair *p);
/** Advance virtual time in steps of step_ns, ticking each step. */
void wg_test_pair_run(struct wg_test_pair *p, uint64_t total_ns,
		      uint64_t step_ns);
/** Send one data packet of len bytes from n to its peer (queued by the
 * harness if there is no keypair yet; flushed on keypair_ready). */
bool wg_test_send_data(struct wg_test_node *n, size_t len);
/** Receive one packet at node n, as the data path would. */
enum wg_drop_reason wg_test_receive(struct wg_test_node *n,
				    const uint8_t *pkt, size_t len,
				    const struct wg_endpoint *from);
/** Take the first packet off the wire; an empty one (len 0) if none. */
struct wg_test_pkt wg_test_take_packet(struct wg_test_pair *p);
/** Seal a data message for n's peer into out; returns its length or 0. */
size_t wg_test_seal(struct wg_test_node *n, uint8_t *out, size_t plain_len);

#endif /* WG_TEST_H */
