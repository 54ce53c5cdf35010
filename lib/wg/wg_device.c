/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wg_crypto.h"
#include "wg_device.h"

static const char *const drop_reason_names[WG_DROP_REASON_MAX] = {
	[WG_DROP_NONE] = "none",
	[WG_DROP_TRUNCATED] = "truncated",
	[WG_DROP_BAD_TYPE] = "bad_type",
	[WG_DROP_BAD_MAC1] = "bad_mac1",
	[WG_DROP_COOKIE_SENT] = "cookie_sent",
	[WG_DROP_HANDSHAKE_AUTH] = "handshake_auth",
	[WG_DROP_UNKNOWN_PEER] = "unknown_peer",
	[WG_DROP_STALE_TIMESTAMP] = "stale_timestamp",
	[WG_DROP_FLOOD] = "handshake_flood",
	[WG_DROP_UNKNOWN_INDEX] = "unknown_index",
	[WG_DROP_BAD_STATE] = "bad_state",
	[WG_DROP_COOKIE_AUTH] = "cookie_auth",
	[WG_DROP_KEY_EXPIRED] = "key_expired",
	[WG_DROP_DATA_AUTH] = "data_auth",
	[WG_DROP_REPLAY] = "replay",
	[WG_DROP_TOO_OLD] = "too_old",
	[WG_DROP_NO_ENDPOINT] = "no_endpoint",
};

const char *
wg_drop_reason_name(enum wg_drop_reason reason)
{
	if ((unsigned int)reason >= WG_DROP_REASON_MAX)
		return "unknown";
	return drop_reason_names[reason];
}

static uint64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * WG_NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

static uint64_t
system_monotonic_ns(void *arg)
{
	(void)arg;
	/* Never 0: 0 means "never" in our timestamps. */
	return clock_ns(CLOCK_MONOTONIC) + 1;
}

static uint64_t
system_realtime_ns(void *arg)
{
	(void)arg;
	return clock_ns(CLOCK_REALTIME);
}

const struct wg_clock wg_clock_system = {
	.monotonic_ns = system_monotonic_ns,
	.realtime_ns = system_realtime_ns,
};

struct wg_device *
wg_device_create(const struct wg_device_config *cfg)
{
	struct wg_device *dev;

	if (!wg_crypto_init())
		return NULL;
	if (cfg->replay_window != 0 && wg_replay_size(cfg->replay_window) == 0)
		return NULL;
	dev = calloc(1, sizeof(*dev));
	if (dev == NULL)
		return NULL;
	dev->clock = cfg->clock != NULL ? *cfg->clock : wg_clock_system;
	if (cfg->ops != NULL)
		dev->ops = *cfg->ops;
	dev->ops_arg = cfg->ops_arg;
	dev->replay_window = cfg->replay_window != 0 ?
		cfg->replay_window : WG_REPLAY_DEFAULT_WINDOW;
	TAILQ_INIT(&dev->peers);
	if (wg_table_init(&dev->peers_by_key, 16) != 0 ||
	    wg_table_init(&dev->index_table, 64) != 0) {
		wg_table_free(&dev->peers_by_key);
		free(dev);
		return NULL;
	}
	return dev;
}

void
wg_device_destroy(struct wg_device *dev)
{
	struct wg_peer *peer;

	if (dev == NULL)
		return;
	while ((peer = TAILQ_FIRST(&dev->peers)) != NULL)
		wg_peer_remove(peer);
	wg_table_free(&dev->peers_by_key);
	wg_table_free(&dev->index_table);
	wg_memzero(dev, sizeof(*dev));
	free(dev);
}

int
wg_device_set_private_key(struct wg_device *dev, const uint8_t key[WG_KEY_LEN])
{
	uint8_t pub[WG_KEY_LEN] = {0};
	struct wg_peer *peer, *tmp;

	if (key != NULL && (wg_crypto_is_zero(key, WG_KEY_LEN) ||
			    !wg_dh_public(pub, key)))
		return -EINVAL;
	if (key != NULL && dev->has_identity &&
	    wg_crypto_equal(key, dev->static_private, WG_KEY_LEN))
		return 0;

	/* A peer with our own public key could never handshake. */
	peer = key != NULL ? wg_device_lookup_peer(dev, pub) : NULL;
	if (peer != NULL)
		wg_peer_remove(peer);

	if (key != NULL)
		memcpy(dev->static_private, key, WG_KEY_LEN);
	else
		wg_memzero(dev->static_private, WG_KEY_LEN);
	memcpy(dev->static_public, pub, WG_KEY_LEN);
	dev->has_identity = key != NULL;
	wg_cookie_checker_init(&dev->cookie_checker, pub);

	/* Sessions made with the old key cannot continue. */
	for (peer = TAILQ_FIRST(&dev->peers); peer != NULL; peer = tmp) {
		tmp = TAILQ_NEXT(peer, link);
		wg_noise_precompute_static_static(dev, &peer->handshake);
		wg_noise_handshake_clear(dev, &peer->handshake);
		wg_noise_expire_current_keypair(peer);
	}
	wg_memzero(pub, sizeof(pub));
	return 0;
}

static uint64_t
key_hash(const uint8_t key[WG_KEY_LEN])
{
	uint64_t h;

	memcpy(&h, key, sizeof(h));
	return h;
}

struct wg_peer *
wg_device_lookup_peer(const struct wg_device *dev,
		      const uint8_t public_key[WG_KEY_LEN])
{
	struct wg_peer *peer = wg_table_find(&dev->peers_by_key,
					     key_hash(public_key));

	if (peer == NULL ||
	    !wg_crypto_equal(peer->public_key, public_key, WG_KEY_LEN))
		return NULL;
	return peer;
}

int
wg_device_add_peer_key(struct wg_device *dev, struct wg_peer *peer)
{
	return wg_table_add(&dev->peers_by_key, key_hash(peer->public_key),
			    peer);
}

void
wg_device_del_peer_key(struct wg_device *dev, struct wg_peer *peer)
{
	wg_table_del(&dev->peers_by_key, key_hash(peer->public_key));
}

uint32_t
wg_index_add(struct wg_device *dev, struct wg_index_entry *entry)
{
	uint32_t index;
	int ret;

	/* Random, non-zero and unique: a receiver index must not be
	 * guessable from the outside or name two things. */
	do {
		index = wg_random_u32();
		ret = index == 0 ? -EEXIST :
		      wg_table_add(&dev->index_table, index, entry);
	} while (ret == -EEXIST);
	entry->index = ret == 0 ? index : 0;
	return entry->index;
}

void
wg_index_replace(struct wg_device *dev, struct wg_index_entry *old,
		 struct wg_index_entry *repl)
{
	if (old->index == 0)
		return;
	wg_table_replace(&dev->index_table, old->index, repl);
	repl->index = old->index;
	old->index = 0;
}

void
wg_index_del(struct wg_device *dev, struct wg_index_entry *entry)
{
	uint32_t index = entry->index;

	if (index == 0)
		return;
	wg_table_del(&dev->index_table, index);
	entry->index = 0;
	if (entry->type == WG_INDEX_KEYPAIR && dev->ops.index_update != NULL)
		dev->ops.index_update(dev->ops_arg, index, NULL);
}

struct wg_index_entry *
wg_index_find(const struct wg_device *dev, uint32_t index,
	      enum wg_index_type type)
{
	struct wg_index_entry *entry = wg_table_find(&dev->index_table, index);

	if (entry == NULL || entry->type != type)
		return NULL;
	return entry;
}

struct wg_keypair *
wg_keypair_alloc(const struct wg_device *dev)
{
	size_t size = sizeof(struct wg_keypair) +
		      wg_replay_size(dev->replay_window);
	struct wg_keypair *kp;

	/* Aligned, so that the send counter and the replay window (written
	 * by different lcores) each start a cache line of their own. */
	size = (size + WG_CACHE_LINE - 1) & ~(size_t)(WG_CACHE_LINE - 1);
	kp = aligned_alloc(WG_CACHE_LINE, size);
	if (kp == NULL)
		return NULL;
	memset(kp, 0, size);
	kp->entry.type = WG_INDEX_KEYPAIR;
	wg_replay_init(wg_keypair_replay(kp), dev->replay_window);
	return kp;
}

void
wg_keypair_free(struct wg_keypair *kp)
{
	if (kp == NULL)
		return;
	wg_memzero(kp->send_key, WG_KEY_LEN);
	wg_memzero(kp->recv_key, WG_KEY_LEN);
	free(kp);
}

void
wg_device_run_timers(struct wg_device *dev)
{
	struct wg_peer *peer, *tmp;

	for (peer = TAILQ_FIRST(&dev->peers); peer != NULL; peer = tmp) {
		tmp = TAILQ_NEXT(peer, link);
		wg_timers_run(peer);
	}
}
