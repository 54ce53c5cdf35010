/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The neighbour cache: a fixed array of entries, chained into hash
 * buckets by index. Entries never move, so wg_neigh_poll() can walk the
 * array with a cursor while removing entries, and a MAC pointer returned
 * by wg_neigh_resolve() stays put until that entry goes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wg_neigh.h"

#define WG_NEIGH_MAX_CAPACITY (1U << 20)
#define WG_NEIGH_NONE (-1)
#define WG_NEIGH_NS 1000000000ULL

struct wg_neigh_slot {
	int32_t next;            /* hash chain, or free list */
	bool used;
	uint8_t family;
	uint8_t state;
	uint8_t probes;
	uint8_t addr[16];
	uint8_t mac[WG_NEIGH_MAC_LEN];
	/* INCOMPLETE, PROBE: next request (or failure); REACHABLE: when it
	 * goes STALE; FAILED: end of the hold-down. */
	uint64_t next_ns;
	uint64_t used_ns;        /* last resolve, for GC and eviction */
};

struct wg_neigh_table {
	struct wg_neigh_params p;
	struct wg_neigh_slot *slots;
	int32_t *buckets;
	uint32_t capacity;
	uint32_t bucket_mask;
	uint32_t count;
	uint32_t poll_pos;
	int32_t free_head;
	uint64_t generation;
	struct wg_neigh_stats stats;
};

enum wg_neigh_action {
	WG_NEIGH_ACT_NONE,
	WG_NEIGH_ACT_REQUEST,
	WG_NEIGH_ACT_REMOVE,
};

static size_t
wg_neigh_addr_len(uint8_t family)
{
	if (family == WG_AF_INET)
		return 4;
	if (family == WG_AF_INET6)
		return 16;
	return 0;
}

/* Timers add to a clock that may start anywhere; saturate rather than
 * wrap so a huge tunable means "never". */
static uint64_t
wg_neigh_after(uint64_t now, uint64_t delta)
{
	return now > UINT64_MAX - delta ? UINT64_MAX : now + delta;
}

static bool
wg_neigh_has_mac(uint8_t state)
{
	return state == WG_NEIGH_REACHABLE || state == WG_NEIGH_STALE ||
		state == WG_NEIGH_PROBE || state == WG_NEIGH_STATIC;
}

static bool
wg_neigh_mac_ok(const uint8_t *mac)
{
	static const uint8_t zero[WG_NEIGH_MAC_LEN];

	return (mac[0] & 1) == 0 && memcmp(mac, zero, sizeof(zero)) != 0;
}

/* Only unicast addresses have neighbours. */
static bool
wg_neigh_addr_ok(uint8_t family, const uint8_t *addr)
{
	static const uint8_t zero[16];

	if (family == WG_AF_INET)
		return memcmp(addr, zero, 4) != 0 && addr[0] < 224;
	if (family == WG_AF_INET6)
		return memcmp(addr, zero, 16) != 0 && addr[0] != 0xff;
	return false;
}

static uint32_t
wg_neigh_hash(uint8_t family, const uint8_t *addr)
{
	size_t i, len = wg_neigh_addr_len(family);
	uint32_t h = 2166136261U ^ family;

	for (i = 0; i < len; i++)
		h = (h ^ addr[i]) * 16777619U;
	return h ^ (h >> 16);
}

void
wg_neigh_params_default(struct wg_neigh_params *p)
{
	p->retry_ns = 1 * WG_NEIGH_NS;
	p->max_probes = 3;
	p->failed_hold_ns = 20 * WG_NEIGH_NS;
	p->reachable_ns = 30 * WG_NEIGH_NS;
	p->gc_ns = 60 * WG_NEIGH_NS;
}

struct wg_neigh_table *
wg_neigh_create(unsigned int capacity, const struct wg_neigh_params *params)
{
	struct wg_neigh_table *t;
	uint32_t nb = 16, i;

	if (capacity == 0 || capacity > WG_NEIGH_MAX_CAPACITY ||
	    (params != NULL && (params->max_probes == 0 ||
				params->max_probes > 255 ||
				params->retry_ns == 0))) {
		errno = EINVAL;
		return NULL;
	}
	while (nb < capacity)
		nb <<= 1;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->slots = calloc(capacity, sizeof(*t->slots));
	t->buckets = malloc(nb * sizeof(*t->buckets));
	if (t->slots == NULL || t->buckets == NULL) {
		wg_neigh_free(t);
		errno = ENOMEM;
		return NULL;
	}
	if (params != NULL)
		t->p = *params;
	else
		wg_neigh_params_default(&t->p);
	t->capacity = capacity;
	t->bucket_mask = nb - 1;
	for (i = 0; i < nb; i++)
		t->buckets[i] = WG_NEIGH_NONE;
	for (i = 0; i < capacity; i++)
		t->slots[i].next = i + 1 < capacity ? (int32_t)i + 1 :
			WG_NEIGH_NONE;
	t->free_head = 0;
	return t;
}

void
wg_neigh_free(struct wg_neigh_table *t)
{
	if (t == NULL)
		return;
	free(t->slots);
	free(t->buckets);
	free(t);
}

static struct wg_neigh_slot *
wg_neigh_find(const struct wg_neigh_table *t, uint8_t family,
	      const uint8_t *addr)
{
	size_t len = wg_neigh_addr_len(family);
	int32_t i;

	if (len == 0)
		return NULL;
	i = t->buckets[wg_neigh_hash(family, addr) & t->bucket_mask];
	for (; i != WG_NEIGH_NONE; i = t->slots[i].next) {
		struct wg_neigh_slot *e = &t->slots[i];

		if (e->family == family && memcmp(e->addr, addr, len) == 0)
			return e;
	}
	return NULL;
}

static void
wg_neigh_remove(struct wg_neigh_table *t, struct wg_neigh_slot *e)
{
	int32_t idx = (int32_t)(e - t->slots);
	int32_t *link = &t->buckets[wg_neigh_hash(e->family, e->addr) &
				    t->bucket_mask];

	while (*link != idx)
		link = &t->slots[*link].next;
	*link = e->next;
	if (wg_neigh_has_mac(e->state))
		t->generation++;
	memset(e, 0, sizeof(*e));
	e->next = t->free_head;
	t->free_head = idx;
	t->count--;
}

/* The entry to push out of a full table: a FAILED one (it holds nothing
 * but a hold-down), else the STALE one unused for longest. Entries being
 * resolved or in use, and static ones, stay. */
static struct wg_neigh_slot *
wg_neigh_victim(struct wg_neigh_table *t)
{
	struct wg_neigh_slot *best = NULL;
	uint32_t i;

	for (i = 0; i < t->capacity; i++) {
		struct wg_neigh_slot *e = &t->slots[i];

		if (!e->used)
			continue;
		if (e->state == WG_NEIGH_FAILED)
			return e;
		if (e->state == WG_NEIGH_STALE &&
		    (best == NULL || e->used_ns < best->used_ns))
			best = e;
	}
	return best;
}

static struct wg_neigh_slot *
wg_neigh_insert(struct wg_neigh_table *t, uint8_t family, const uint8_t *addr)
{
	struct wg_neigh_slot *e;
	int32_t idx, *bucket;

	if (t->free_head == WG_NEIGH_NONE) {
		e = wg_neigh_victim(t);
		if (e == NULL)
			return NULL;
		wg_neigh_remove(t, e);
		t->stats.evictions++;
	}
	idx = t->free_head;
	e = &t->slots[idx];
	t->free_head = e->next;
	memset(e, 0, sizeof(*e));
	e->used = true;
	e->family = family;
	memcpy(e->addr, addr, wg_neigh_addr_len(family));
	bucket = &t->buckets[wg_neigh_hash(family, addr) & t->bucket_mask];
	e->next = *bucket;
	*bucket = idx;
	t->count++;
	return e;
}

int
wg_neigh_add_static(struct wg_neigh_table *t, uint8_t family,
		    const uint8_t *addr, const uint8_t mac[WG_NEIGH_MAC_LEN])
{
	struct wg_neigh_slot *e;

	if (!wg_neigh_addr_ok(family, addr) || !wg_neigh_mac_ok(mac))
		return -EINVAL;
	e = wg_neigh_find(t, family, addr);
	if (e == NULL)
		e = wg_neigh_insert(t, family, addr);
	if (e == NULL)
		return -ENOSPC;
	if (e->state != WG_NEIGH_STATIC ||
	    memcmp(e->mac, mac, WG_NEIGH_MAC_LEN) != 0)
		t->generation++;
	e->state = WG_NEIGH_STATIC;
	e->probes = 0;
	memcpy(e->mac, mac, WG_NEIGH_MAC_LEN);
	return 0;
}

int
wg_neigh_del(struct wg_neigh_table *t, uint8_t family, const uint8_t *addr)
{
	struct wg_neigh_slot *e = wg_neigh_find(t, family, addr);

	if (e == NULL)
		return -ENOENT;
	wg_neigh_remove(t, e);
	return 0;
}

static void
wg_neigh_set_reachable(struct wg_neigh_table *t, struct wg_neigh_slot *e,
		       uint64_t now)
{
	e->state = WG_NEIGH_REACHABLE;
	e->probes = 0;
	e->next_ns = wg_neigh_after(now, t->p.reachable_ns);
}

/* A MAC for an entry that had none (INCOMPLETE, FAILED), or a new one. */
static bool
wg_neigh_take_mac(struct wg_neigh_table *t, struct wg_neigh_slot *e,
		  const uint8_t *mac, uint64_t now, bool solicited)
{
	memcpy(e->mac, mac, WG_NEIGH_MAC_LEN);
	if (solicited) {
		wg_neigh_set_reachable(t, e, now);
	} else {
		e->state = WG_NEIGH_STALE;
		e->probes = 0;
	}
	t->generation++;
	t->stats.learnt++;
	return true;
}

bool
wg_neigh_learn(struct wg_neigh_table *t, uint8_t family, const uint8_t *addr,
	       const uint8_t *mac, uint64_t now_ns, unsigned int flags)
{
	struct wg_neigh_slot *e = wg_neigh_find(t, family, addr);
	bool solicited = (flags & WG_NEIGH_F_SOLICITED) != 0;
	bool override = (flags & WG_NEIGH_F_OVERRIDE) != 0;

	if (e == NULL || e->state == WG_NEIGH_STATIC ||
	    (mac != NULL && !wg_neigh_mac_ok(mac)))
		goto ignored;
	if (!wg_neigh_has_mac(e->state)) {
		if (mac == NULL)
			goto ignored;
		return wg_neigh_take_mac(t, e, mac, now_ns, solicited);
	}
	if (mac == NULL || memcmp(e->mac, mac, WG_NEIGH_MAC_LEN) == 0) {
		if (!solicited)
			goto ignored;
		wg_neigh_set_reachable(t, e, now_ns);
		t->stats.learnt++;
		return false;
	}
	if (override)
		return wg_neigh_take_mac(t, e, mac, now_ns, solicited);
	/* A different MAC without the override flag: keep ours but stop
	 * trusting it, so its next use probes it. */
	if (e->state == WG_NEIGH_REACHABLE) {
		e->state = WG_NEIGH_STALE;
		t->stats.learnt++;
		return false;
	}
ignored:
	t->stats.ignored++;
	return false;
}

static void
wg_neigh_start(struct wg_neigh_table *t, struct wg_neigh_slot *e,
	       uint8_t state, uint64_t now)
{
	e->state = state;
	e->probes = 1;
	e->next_ns = wg_neigh_after(now, t->p.retry_ns);
	t->stats.requests++;
}

/* What time alone does to an entry. */
static enum wg_neigh_action
wg_neigh_timer(struct wg_neigh_table *t, struct wg_neigh_slot *e,
	       uint64_t now)
{
	switch (e->state) {
	case WG_NEIGH_REACHABLE:
		if (now < e->next_ns)
			return WG_NEIGH_ACT_NONE;
		e->state = WG_NEIGH_STALE;
		/* fall through */
	case WG_NEIGH_STALE:
		if (now >= e->used_ns && now - e->used_ns >= t->p.gc_ns)
			return WG_NEIGH_ACT_REMOVE;
		return WG_NEIGH_ACT_NONE;
	case WG_NEIGH_INCOMPLETE:
	case WG_NEIGH_PROBE:
		if (now < e->next_ns)
			return WG_NEIGH_ACT_NONE;
		if (e->probes < t->p.max_probes) {
			e->probes++;
			e->next_ns = wg_neigh_after(now, t->p.retry_ns);
			t->stats.requests++;
			return WG_NEIGH_ACT_REQUEST;
		}
		if (e->state == WG_NEIGH_PROBE)
			t->generation++;
		e->state = WG_NEIGH_FAILED;
		e->next_ns = wg_neigh_after(now, t->p.failed_hold_ns);
		t->stats.failures++;
		return WG_NEIGH_ACT_NONE;
	case WG_NEIGH_FAILED:
		return now >= e->next_ns ? WG_NEIGH_ACT_REMOVE :
			WG_NEIGH_ACT_NONE;
	default:
		return WG_NEIGH_ACT_NONE;
	}
}

const uint8_t *
wg_neigh_resolve(struct wg_neigh_table *t, uint8_t family,
		 const uint8_t *addr, uint64_t now_ns, bool *need_request)
{
	struct wg_neigh_slot *e;

	*need_request = false;
	if (!wg_neigh_addr_ok(family, addr))
		return NULL;
	e = wg_neigh_find(t, family, addr);
	if (e == NULL) {
		e = wg_neigh_insert(t, family, addr);
		if (e == NULL) {
			t->stats.table_full++;
			return NULL;
		}
		e->state = WG_NEIGH_FAILED;     /* restarted just below */
		e->next_ns = now_ns;
	}
	e->used_ns = now_ns;
	/* Only the first request of a round is reported here; retries come
	 * from wg_neigh_poll(), which knows which of them to broadcast. */
	if (e->state == WG_NEIGH_FAILED && now_ns >= e->next_ns) {
		wg_neigh_start(t, e, WG_NEIGH_INCOMPLETE, now_ns);
		*need_request = true;
		return NULL;
	}
	if (e->state == WG_NEIGH_REACHABLE && now_ns >= e->next_ns)
		e->state = WG_NEIGH_STALE;
	if (e->state == WG_NEIGH_STALE) {
		wg_neigh_start(t, e, WG_NEIGH_PROBE, now_ns);
		*need_request = true;
	}
	return wg_neigh_has_mac(e->state) ? e->mac : NULL;
}

unsigned int
wg_neigh_poll(struct wg_neigh_table *t, uint64_t now_ns,
	      struct wg_neigh_request *out, unsigned int max)
{
	unsigned int n = 0;
	uint32_t k, i = t->poll_pos;

	for (k = 0; k < t->capacity && n < max; k++) {
		struct wg_neigh_slot *e = &t->slots[i];

		if (e->used) {
			enum wg_neigh_action a = wg_neigh_timer(t, e, now_ns);

			if (a == WG_NEIGH_ACT_REMOVE) {
				wg_neigh_remove(t, e);
			} else if (a == WG_NEIGH_ACT_REQUEST) {
				struct wg_neigh_request *r = &out[n++];

				memset(r, 0, sizeof(*r));
				r->family = e->family;
				memcpy(r->addr, e->addr, sizeof(r->addr));
				/* The last probe goes to everyone, in case
				 * the neighbour changed its MAC silently. */
				r->unicast = e->state == WG_NEIGH_PROBE &&
					e->probes < t->p.max_probes;
				if (r->unicast)
					memcpy(r->mac, e->mac, sizeof(r->mac));
			}
		}
		if (++i == t->capacity)
			i = 0;
	}
	t->poll_pos = i;
	return n;
}

static void
wg_neigh_info(const struct wg_neigh_slot *e, struct wg_neigh_entry_info *out)
{
	memset(out, 0, sizeof(*out));
	out->family = e->family;
	out->state = e->state;
	out->probes = e->probes;
	out->has_mac = wg_neigh_has_mac(e->state);
	memcpy(out->addr, e->addr, sizeof(out->addr));
	if (out->has_mac)
		memcpy(out->mac, e->mac, sizeof(out->mac));
}

int
wg_neigh_lookup(const struct wg_neigh_table *t, uint8_t family,
		const uint8_t *addr, struct wg_neigh_entry_info *out)
{
	const struct wg_neigh_slot *e = wg_neigh_find(t, family, addr);

	if (e == NULL)
		return -ENOENT;
	if (out != NULL)
		wg_neigh_info(e, out);
	return 0;
}

void
wg_neigh_foreach(const struct wg_neigh_table *t, wg_neigh_foreach_cb cb,
		 void *arg)
{
	struct wg_neigh_entry_info info;
	uint32_t i;

	for (i = 0; i < t->capacity; i++) {
		if (!t->slots[i].used)
			continue;
		wg_neigh_info(&t->slots[i], &info);
		cb(&info, arg);
	}
}

unsigned int
wg_neigh_count(const struct wg_neigh_table *t)
{
	return t->count;
}

uint64_t
wg_neigh_generation(const struct wg_neigh_table *t)
{
	return t->generation;
}

void
wg_neigh_get_stats(const struct wg_neigh_table *t, struct wg_neigh_stats *out)
{
	*out = t->stats;
}

const char *
wg_neigh_state_name(enum wg_neigh_state s)
{
	switch (s) {
	case WG_NEIGH_INCOMPLETE: return "incomplete";
	case WG_NEIGH_REACHABLE: return "reachable";
	case WG_NEIGH_STALE: return "stale";
	case WG_NEIGH_FAILED: return "failed";
	case WG_NEIGH_STATIC: return "static";
	case WG_NEIGH_PROBE: return "probe";
	}
	return "?";
}

/*
 * Next hop.
 */

static bool
wg_neigh_in_prefix(const uint8_t *addr, const uint8_t *net, unsigned int len)
{
	unsigned int bytes = len / 8, bits = len % 8;
	uint8_t mask;

	if (memcmp(addr, net, bytes) != 0)
		return false;
	if (bits == 0)
		return true;
	mask = (uint8_t)(0xff << (8 - bits));
	return ((addr[bytes] ^ net[bytes]) & mask) == 0;
}

static bool
wg_neigh_prefix_ok(const struct wg_neigh_prefix *p, uint8_t family)
{
	return p->family == family && p->len <= wg_neigh_addr_len(family) * 8;
}

/* Unicast addresses a peer may have on the wire. */
static bool
wg_neigh_dst_ok(uint8_t family, const uint8_t *a)
{
	static const uint8_t zero[16];
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	/* 0/8, loopback, multicast, class E and the broadcast address */
	if (family == WG_AF_INET)
		return a[0] != 0 && a[0] != 127 && a[0] < 224;
	if (a[0] == 0xff || memcmp(a, mapped, 12) == 0)
		return false;
	/* :: and ::1 */
	return memcmp(a, zero, 15) != 0 || a[15] > 1;
}

static bool
wg_neigh_link_local(uint8_t family, const uint8_t *a)
{
	if (family == WG_AF_INET)
		return a[0] == 169 && a[1] == 254;
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

/* The network or broadcast address of an IPv4 prefix with host bits. */
static bool
wg_neigh_v4_special(const uint8_t *a, unsigned int len)
{
	uint32_t v, host;

	if (len > 30)
		return false;
	v = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
		(uint32_t)a[2] << 8 | a[3];
	host = 0xffffffffU >> len;
	return (v & host) == 0 || (v & host) == host;
}

/* Our address to send to hop from: the one on hop's prefix, else the
 * first of the family. */
static const struct wg_neigh_prefix *
wg_neigh_source(const struct wg_neigh_link *link, uint8_t family,
		const uint8_t *hop)
{
	const struct wg_neigh_prefix *first = NULL;
	unsigned int i;

	for (i = 0; i < link->nprefixes; i++) {
		const struct wg_neigh_prefix *p = &link->prefixes[i];

		if (!wg_neigh_prefix_ok(p, family))
			continue;
		if (wg_neigh_in_prefix(hop, p->addr, p->len))
			return p;
		if (first == NULL)
			first = p;
	}
	return first;
}

int
wg_neigh_next_hop(const struct wg_neigh_link *link, uint8_t family,
		  const uint8_t *dst, uint8_t hop[16], uint8_t src[16])
{
	size_t alen = wg_neigh_addr_len(family);
	const struct wg_neigh_prefix *p;
	const uint8_t *gw;
	unsigned int i;
	int ret;

	if (alen == 0 || !wg_neigh_dst_ok(family, dst))
		return -EINVAL;
	for (i = 0; i < link->nprefixes; i++) {
		p = &link->prefixes[i];
		if (wg_neigh_prefix_ok(p, family) &&
		    memcmp(p->addr, dst, alen) == 0)
			return -EINVAL;
	}
	p = wg_neigh_source(link, family, dst);
	if (p == NULL)
		return -ENETUNREACH;
	if (wg_neigh_in_prefix(dst, p->addr, p->len)) {
		if (family == WG_AF_INET && wg_neigh_v4_special(dst, p->len))
			return -EINVAL;
		gw = dst;
		ret = WG_NEIGH_ON_LINK;
	} else if (wg_neigh_link_local(family, dst)) {
		gw = dst;
		ret = WG_NEIGH_ON_LINK;
	} else {
		if (family == WG_AF_INET ? !link->has_gateway4 :
		    !link->has_gateway6)
			return -ENETUNREACH;
		gw = family == WG_AF_INET ? link->gateway4 : link->gateway6;
		p = wg_neigh_source(link, family, gw);
		ret = WG_NEIGH_VIA_GATEWAY;
	}
	memset(hop, 0, 16);
	memcpy(hop, gw, alen);
	if (src != NULL) {
		memset(src, 0, 16);
		memcpy(src, p->addr, alen);
	}
	return ret;
}
