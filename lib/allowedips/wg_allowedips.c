/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AllowedIPs as two rte_acl contexts, one per address family.
 *
 * A prefix is a rule whose priority is prefix_len + 1: rte_acl returns
 * the userdata of the highest-priority matching rule, which is then the
 * longest matching prefix, i.e. WireGuard's answer. Duplicate prefixes
 * are merged before the build, so two matching rules never share a
 * priority.
 *
 * rte_acl wants its first field one byte long (consumed while a flow is
 * set up) and every later field in 4-byte input words. The key is the
 * address itself: field 0 is a wildcard over the address's first byte,
 * then the address follows as 32-bit MASK fields (one for IPv4, four for
 * IPv6, each with its share of the prefix length). Offsets are relative
 * to the address, so one context serves lookups by source and by
 * destination: only the pointer handed to rte_acl_classify() differs.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_acl.h>
#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_malloc.h>

#include "wg_allowedips.h"

enum { AIPS_V4, AIPS_V6, AIPS_NFAM };

#define AIPS_V4_WORDS 1
#define AIPS_V6_WORDS 4
#define AIPS_MAX_FIELDS (1 + AIPS_V6_WORDS)

RTE_ACL_RULE_DEF(aips_rule, AIPS_MAX_FIELDS);

struct wg_allowedips {
	struct rte_acl_ctx *ctx[AIPS_NFAM]; /* NULL: no prefix of the family */
	unsigned int count[AIPS_NFAM];
	const char *alg;
};

/* Header offsets of the addresses, by family and by_source. */
static const uint8_t aips_addr_off[AIPS_NFAM][2] = {
	[AIPS_V4] = {
		offsetof(struct rte_ipv4_hdr, dst_addr),
		offsetof(struct rte_ipv4_hdr, src_addr),
	},
	[AIPS_V6] = {
		offsetof(struct rte_ipv6_hdr, dst_addr),
		offsetof(struct rte_ipv6_hdr, src_addr),
	},
};

static const unsigned int aips_words[AIPS_NFAM] = {
	AIPS_V4_WORDS, AIPS_V6_WORDS
};

/* Most preferred first: the order rte_acl itself uses to pick a default. */
static const struct {
	enum rte_acl_classify_alg alg;
	const char *name;
} aips_algs[] = {
	{ RTE_ACL_CLASSIFY_AVX512X32, "avx512x32" },
	{ RTE_ACL_CLASSIFY_AVX512X16, "avx512x16" },
	{ RTE_ACL_CLASSIFY_AVX2, "avx2" },
	{ RTE_ACL_CLASSIFY_SSE, "sse" },
	{ RTE_ACL_CLASSIFY_SCALAR, "scalar" },
};

/* A validated entry, host bits cleared, with its place in the input. */
struct aips_item {
	struct wg_allowedips_entry e;
	unsigned int index;
};

static void __attribute__((format(printf, 3, 4)))
aips_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int
aips_family(uint8_t family)
{
	if (family == 4)
		return AIPS_V4;
	if (family == 6)
		return AIPS_V6;
	return -1;
}

static void
aips_mask_host_bits(uint8_t addr[16], unsigned int addr_len,
		    unsigned int prefix_len)
{
	unsigned int i;

	for (i = 0; i < addr_len; i++) {
		if (prefix_len >= 8 * (i + 1))
			continue;
		if (prefix_len <= 8 * i)
			addr[i] = 0;
		else
			addr[i] &= (uint8_t)(0xff00 >> (prefix_len - 8 * i));
	}
	for (; i < 16; i++)
		addr[i] = 0;
}

static int
aips_check(const struct wg_allowedips_entry *e, unsigned int i,
	   char *err, size_t errlen)
{
	int f = aips_family(e->family);

	if (f < 0) {
		aips_err(err, errlen, "entry %u: family %u is neither 4 nor 6",
			 i, e->family);
		return -1;
	}
	if (e->prefix_len > 32 * aips_words[f]) {
		aips_err(err, errlen, "entry %u: prefix length %u is over %u",
			 i, e->prefix_len, 32 * aips_words[f]);
		return -1;
	}
	if (e->peer_id == 0) {
		aips_err(err, errlen, "entry %u: peer_id 0 is reserved", i);
		return -1;
	}
	return 0;
}

/* Family, then prefix, then input order: duplicates end up adjacent. */
static int
aips_item_cmp(const void *pa, const void *pb)
{
	const struct aips_item *a = pa, *b = pb;
	int r;

	if (a->e.family != b->e.family)
		return a->e.family < b->e.family ? -1 : 1;
	if (a->e.prefix_len != b->e.prefix_len)
		return a->e.prefix_len < b->e.prefix_len ? -1 : 1;
	r = memcmp(a->e.addr, b->e.addr, sizeof(a->e.addr));
	if (r != 0)
		return r;
	return a->index < b->index ? -1 : a->index > b->index;
}

/*
 * Validate, canonicalise and sort the entries, then keep the last of each
 * run of equal prefixes. Returns the number kept, or -1.
 */
static int
aips_prepare(const struct wg_allowedips_entry *entries, unsigned int n,
	     struct aips_item *items, char *err, size_t errlen)
{
	unsigned int i, kept = 0;

	for (i = 0; i < n; i++) {
		if (aips_check(&entries[i], i, err, errlen) != 0)
			return -1;
		items[i].e = entries[i];
		items[i].index = i;
		aips_mask_host_bits(items[i].e.addr,
				    4 * aips_words[aips_family(entries[i].family)],
				    entries[i].prefix_len);
	}
	qsort(items, n, sizeof(items[0]), aips_item_cmp);
	for (i = 0; i < n; i++) {
		if (i + 1 < n && items[i].e.family == items[i + 1].e.family &&
		    items[i].e.prefix_len == items[i + 1].e.prefix_len &&
		    memcmp(items[i].e.addr, items[i + 1].e.addr, 16) == 0)
			continue;
		items[kept++] = items[i];
	}
	return (int)kept;
}

static void
aips_config(struct rte_acl_config *cfg, unsigned int words)
{
	unsigned int w;

	memset(cfg, 0, sizeof(*cfg));
	cfg->num_categories = 1;
	cfg->num_fields = 1 + words;
	cfg->defs[0] = (struct rte_acl_field_def){
		.type = RTE_ACL_FIELD_TYPE_BITMASK,
		.size = sizeof(uint8_t),
		.field_index = 0,
		.input_index = 0,
		.offset = 0,
	};
	for (w = 0; w < words; w++)
		cfg->defs[1 + w] = (struct rte_acl_field_def){
			.type = RTE_ACL_FIELD_TYPE_MASK,
			.size = sizeof(uint32_t),
			.field_index = 1 + w,
			.input_index = 1 + w,
			.offset = 4 * w,
		};
}

/* rte_acl wants MASK values in host order and a prefix length per word. */
static void
aips_rule(struct aips_rule *r, const struct wg_allowedips_entry *e,
	  unsigned int words)
{
	unsigned int w, plen;
	uint32_t be;

	memset(r, 0, sizeof(*r));
	r->data.category_mask = 1;
	r->data.priority = e->prefix_len + 1;
	r->data.userdata = e->peer_id;
	/* field 0, the address's first byte, stays a wildcard (0/0) */
	for (w = 0; w < words; w++) {
		memcpy(&be, &e->addr[4 * w], sizeof(be));
		plen = RTE_MIN(RTE_MAX((int)e->prefix_len - 32 * (int)w, 0),
			       32);
		r->field[1 + w].value.u32 = rte_be_to_cpu_32(be);
		r->field[1 + w].mask_range.u32 = plen;
	}
}

/*
 * rte_acl_create() hands back an existing context of the same name, so
 * the next snapshot would rewrite the one workers are reading: every
 * context gets a fresh name.
 */
static int
aips_ctx_name(char *buf, size_t len, const char *name, int f)
{
	static uint32_t generation;
	uint32_t g = __atomic_fetch_add(&generation, 1, __ATOMIC_RELAXED);

	snprintf(buf, len, "%.20s-%c-%08x", name, f == AIPS_V4 ? '4' : '6',
		 g);
	return rte_acl_find_existing(buf) == NULL ? 0 : -1;
}

/*
 * rte_acl chose its best method at create time but does not tell which:
 * asking for each in its own order of preference lands on the same one
 * and names it.
 */
static const char *
aips_pick_alg(struct rte_acl_ctx *ctx)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(aips_algs); i++)
		if (rte_acl_set_ctx_classify(ctx, aips_algs[i].alg) == 0)
			return aips_algs[i].name;
	return "scalar";
}

static struct rte_acl_ctx *
aips_ctx_build(const char *name, int f, const struct aips_item *items,
	       unsigned int n, int socket_id, char *err, size_t errlen)
{
	char ctx_name[RTE_ACL_NAMESIZE];
	struct rte_acl_param param = {
		.name = ctx_name,
		.socket_id = socket_id,
		.rule_size = RTE_ACL_RULE_SZ(1 + aips_words[f]),
		.max_rule_num = n,
	};
	struct rte_acl_config cfg;
	struct rte_acl_ctx *ctx;
	struct aips_rule rule;
	unsigned int i;
	int rc;

	if (aips_ctx_name(ctx_name, sizeof(ctx_name), name, f) != 0) {
		aips_err(err, errlen, "rte_acl context %s exists", ctx_name);
		return NULL;
	}
	ctx = rte_acl_create(&param);
	if (ctx == NULL) {
		aips_err(err, errlen, "rte_acl_create(%s): %s", ctx_name,
			 strerror(rte_errno));
		return NULL;
	}
	for (i = 0; i < n; i++) {
		aips_rule(&rule, &items[i].e, aips_words[f]);
		rc = rte_acl_add_rules(ctx, (struct rte_acl_rule *)&rule, 1);
		if (rc != 0)
			goto fail;
	}
	aips_config(&cfg, aips_words[f]);
	rc = rte_acl_build(ctx, &cfg);
	if (rc != 0)
		goto fail;
	return ctx;
fail:
	aips_err(err, errlen, "rte_acl build of %u IPv%c prefixes: %s", n,
		 f == AIPS_V4 ? '4' : '6', strerror(-rc));
	rte_acl_free(ctx);
	return NULL;
}

struct wg_allowedips *
wg_allowedips_build(const char *name,
		    const struct wg_allowedips_entry *entries, unsigned int n,
		    int socket_id, char *err, size_t errlen)
{
	struct wg_allowedips *a = NULL;
	struct aips_item *items;
	unsigned int i, start, f;
	int kept;

	if (n > 0 && entries == NULL) {
		aips_err(err, errlen, "no entries");
		return NULL;
	}
	items = malloc((n > 0 ? n : 1) * sizeof(*items));
	if (items == NULL)
		goto nomem;
	kept = aips_prepare(entries, n, items, err, errlen);
	if (kept < 0)
		goto fail;
	a = rte_zmalloc_socket("wg_allowedips", sizeof(*a),
			       RTE_CACHE_LINE_SIZE, socket_id);
	if (a == NULL)
		goto nomem;
	a->alg = "none";
	for (i = 0; i < (unsigned int)kept; i++)
		a->count[aips_family(items[i].e.family)]++;
	/* items are sorted by family, IPv4 first */
	for (start = 0, f = 0; f < AIPS_NFAM; start += a->count[f++]) {
		if (a->count[f] == 0)
			continue;
		a->ctx[f] = aips_ctx_build(name != NULL ? name : "aips", f,
					   &items[start], a->count[f],
					   socket_id, err, errlen);
		if (a->ctx[f] == NULL)
			goto fail;
		a->alg = aips_pick_alg(a->ctx[f]);
	}
	free(items);
	return a;
nomem:
	aips_err(err, errlen, "out of memory");
fail:
	free(items);
	wg_allowedips_free(a);
	return NULL;
}

void
wg_allowedips_free(struct wg_allowedips *a)
{
	unsigned int f;

	if (a == NULL)
		return;
	for (f = 0; f < AIPS_NFAM; f++)
		rte_acl_free(a->ctx[f]);
	rte_free(a);
}

static void
aips_lookup_burst(const struct wg_allowedips *a,
		  const uint8_t *const ip_hdrs[], unsigned int n,
		  bool by_source, uint32_t peer_ids[])
{
	const uint8_t *data[AIPS_NFAM][WG_ALLOWEDIPS_BURST];
	uint32_t res[AIPS_NFAM][WG_ALLOWEDIPS_BURST];
	uint8_t slot[AIPS_NFAM][WG_ALLOWEDIPS_BURST];
	unsigned int cnt[AIPS_NFAM] = { 0, 0 };
	unsigned int i, j, f;
	const uint8_t *h;

	for (i = 0; i < n; i++) {
		peer_ids[i] = 0;
		h = ip_hdrs[i];
		if (h == NULL)
			continue;
		switch (h[0] >> 4) {
		case 4:
			f = AIPS_V4;
			break;
		case 6:
			f = AIPS_V6;
			break;
		default:
			continue;
		}
		if (a->ctx[f] == NULL)
			continue;
		data[f][cnt[f]] = h + aips_addr_off[f][by_source];
		slot[f][cnt[f]++] = (uint8_t)i;
	}
	for (f = 0; f < AIPS_NFAM; f++) {
		if (cnt[f] == 0)
			continue;
		rte_acl_classify(a->ctx[f], data[f], res[f], cnt[f], 1);
		for (j = 0; j < cnt[f]; j++)
			peer_ids[slot[f][j]] = res[f][j];
	}
}

void
wg_allowedips_lookup(const struct wg_allowedips *a,
		     const uint8_t *const ip_hdrs[], unsigned int n,
		     bool by_source, uint32_t peer_ids[])
{
	unsigned int k;

	if (a == NULL) {
		memset(peer_ids, 0, n * sizeof(peer_ids[0]));
		return;
	}
	for (; n > 0; n -= k, ip_hdrs += k, peer_ids += k) {
		k = RTE_MIN(n, (unsigned int)WG_ALLOWEDIPS_BURST);
		aips_lookup_burst(a, ip_hdrs, k, by_source, peer_ids);
	}
}

uint32_t
wg_allowedips_lookup_addr(const struct wg_allowedips *a, uint8_t family,
			  const uint8_t addr[])
{
	uint8_t key[16];
	const uint8_t *data[1] = { key };
	uint32_t res = 0;
	int f = aips_family(family);

	if (a == NULL || f < 0 || a->ctx[f] == NULL)
		return 0;
	memcpy(key, addr, 4 * aips_words[f]);
	rte_acl_classify(a->ctx[f], data, &res, 1, 1);
	return res;
}

unsigned int
wg_allowedips_count(const struct wg_allowedips *a, uint8_t family)
{
	int f = aips_family(family);

	if (a == NULL || f < 0)
		return 0;
	return a->count[f];
}

const char *
wg_allowedips_alg(const struct wg_allowedips *a)
{
	return a != NULL ? a->alg : "none";
}
