/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * WireGuard's cross-platform userspace API, as wireguard-go serves it
 * (device/uapi.go) and wg(8) speaks it (src/ipc-uapi.h of wireguard-tools).
 *
 * Framing: a request is "get=1\n\n", or "set=1\n", key=value lines and an
 * empty line. Feeding follows lines and requests as bytes arrive, so that
 * the limits hold and the work stays linear however the stream is split;
 * a request is handed out only once it is complete.
 *
 * Set: the whole transaction is parsed and checked before anything is
 * applied, with wireguard-go's rules for each value. Where wireguard-go
 * applies lines one by one, the result says what that leaves behind: an
 * entry per public_key line, in order, for the caller to apply in order.
 *
 * Get: the keys and their order are wireguard-go's; lines it leaves out
 * when zero (private_key, listen_port, fwmark) are left out here too.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wg_crypto.h"
#include "wg_uapi.h"

#define WG_UAPI_OP_LEN 6                /* "get=1\n", "set=1\n" */
#define WG_UAPI_MIN_CAP 4096
#define WG_UAPI_NONE SIZE_MAX

/* ---- framing ---- */

void
wg_uapi_conn_init(struct wg_uapi_conn *c)
{
	memset(c, 0, sizeof(*c));
	c->nul_at = WG_UAPI_NONE;
}

void
wg_uapi_conn_fini(struct wg_uapi_conn *c)
{
	if (c->buf != NULL) {
		wg_memzero(c->buf, c->cap);
		free(c->buf);
	}
	wg_uapi_conn_init(c);
}

/*
 * Room for more bytes; the first call allocates even for none. Not
 * realloc(): the old copy is wiped, as set bodies carry keys.
 */
static int
reserve(struct wg_uapi_conn *c, size_t more)
{
	size_t cap = c->cap != 0 ? c->cap : WG_UAPI_MIN_CAP;
	char *buf;

	if (c->buf != NULL && more <= c->cap - c->len)
		return 0;
	while (cap - c->len < more) {
		if (cap > SIZE_MAX / 2)
			return -ENOMEM;
		cap *= 2;
	}
	buf = malloc(cap);
	if (buf == NULL)
		return -ENOMEM;
	if (c->buf != NULL) {
		memcpy(buf, c->buf, c->len);
		wg_memzero(c->buf, c->cap);
		free(c->buf);
	}
	c->buf = buf;
	c->cap = cap;
	return 0;
}

/* Drop the requests already handed out (their bodies are no longer in
 * use once the caller feeds again), wiping the bytes left behind. */
static void
compact(struct wg_uapi_conn *c)
{
	size_t gone = c->consumed, keep = c->len - gone;

	if (gone == 0)
		return;
	memmove(c->buf, c->buf + gone, keep);
	wg_memzero(c->buf + keep, gone);
	c->line_start -= gone;
	c->req_start -= gone;
	/* A request with a NUL is refused, never consumed: it lies ahead. */
	if (c->nul_at != WG_UAPI_NONE)
		c->nul_at -= gone;
	c->len = keep;
	c->consumed = 0;
}

/*
 * Follow lines and requests through n new bytes that will land at offset
 * base, before they are copied: only the newlines matter. A request ends
 * with its first empty line (an empty first line is a request of its own,
 * refused by wg_uapi_conn_next()).
 */
static int
scan(struct wg_uapi_conn *c, size_t base, const char *data, size_t n)
{
	size_t line = c->line_start, req = c->req_start, off;
	const char *p = data, *end = data + n, *nl;

	while ((nl = memchr(p, '\n', end - p)) != NULL) {
		off = base + (size_t)(nl - data);
		if (off - line > WG_UAPI_MAX_LINE ||
		    off + 1 - req > WG_UAPI_MAX_REQUEST)
			return -E2BIG;
		if (off == line)
			req = off + 1;
		line = off + 1;
		p = nl + 1;
	}
	if (base + n - line > WG_UAPI_MAX_LINE ||
	    base + n - req > WG_UAPI_MAX_REQUEST)
		return -E2BIG;
	p = memchr(data, '\0', n);
	if (p != NULL && c->nul_at == WG_UAPI_NONE)
		c->nul_at = base + (size_t)(p - data);
	c->line_start = line;
	c->req_start = req;
	return 0;
}

int
wg_uapi_conn_feed(struct wg_uapi_conn *c, const void *data, size_t len)
{
	int rc;

	rc = reserve(c, 0);
	if (rc != 0)
		return rc;
	if (c->error != 0)
		return c->error;
	/* Past a refused request nothing more is read. */
	if (c->closed || len == 0)
		return 0;
	compact(c);
	rc = scan(c, c->len, data, len);
	if (rc == 0)
		rc = reserve(c, len);
	if (rc != 0) {
		c->error = rc;
		return rc;
	}
	memcpy(c->buf + c->len, data, len);
	c->len += len;
	return 0;
}

/* "get=1\n" and a byte that must end the request. */
static enum wg_uapi_op
next_get(struct wg_uapi_conn *c, const char *p, size_t avail)
{
	if (avail <= WG_UAPI_OP_LEN)
		return WG_UAPI_MORE;
	/* wireguard-go answers errno=-22 to the stray byte and reads on;
	 * the header's contract closes instead. */
	if (p[WG_UAPI_OP_LEN] != '\n')
		return WG_UAPI_CLOSE;
	c->consumed += WG_UAPI_OP_LEN + 1;
	return WG_UAPI_GET;
}

static enum wg_uapi_op
next_set(struct wg_uapi_conn *c, const char *p, const char **body,
	 size_t *body_len)
{
	size_t start = c->consumed, end;
	const char *nn;

	/* Feeding has not seen the empty line yet. */
	if (start == c->req_start)
		return c->nul_at < c->len ? WG_UAPI_CLOSE : WG_UAPI_MORE;
	/* It has: the first "\n\n" from the op line's newline on. */
	nn = memmem(p + WG_UAPI_OP_LEN - 1,
		    c->req_start - start - (WG_UAPI_OP_LEN - 1), "\n\n", 2);
	if (nn == NULL)
		return WG_UAPI_CLOSE;           /* cannot be: be safe */
	end = (size_t)(nn - c->buf) + 2;
	if (c->nul_at < end)
		return WG_UAPI_CLOSE;
	*body = p + WG_UAPI_OP_LEN;
	*body_len = (size_t)(nn + 1 - *body);
	c->consumed = end;
	return WG_UAPI_SET;
}

static enum wg_uapi_op
next_request(struct wg_uapi_conn *c, const char **body, size_t *body_len)
{
	const char *p = c->buf + c->consumed;
	size_t avail = c->len - c->consumed;
	size_t n = avail < WG_UAPI_OP_LEN ? avail : WG_UAPI_OP_LEN;

	/* Exactly the op line, as wireguard-go compares it: anything else
	 * closes, as soon as the bytes received already differ. */
	if (memcmp(p, "get=1\n", n) == 0)
		return next_get(c, p, avail);
	if (memcmp(p, "set=1\n", n) != 0)
		return WG_UAPI_CLOSE;
	if (avail < WG_UAPI_OP_LEN)
		return WG_UAPI_MORE;
	return next_set(c, p, body, body_len);
}

enum wg_uapi_op
wg_uapi_conn_next(struct wg_uapi_conn *c, const char **body,
		  size_t *body_len)
{
	const char *b = NULL;
	size_t blen = 0;
	enum wg_uapi_op op;

	if (c->buf == NULL)
		op = WG_UAPI_MORE;
	else if (c->error != 0 || c->closed)
		op = WG_UAPI_CLOSE;
	else
		op = next_request(c, &b, &blen);
	if (op == WG_UAPI_CLOSE)
		c->closed = true;
	if (body != NULL)
		*body = b;
	if (body_len != NULL)
		*body_len = blen;
	return op;
}

/* ---- set=1 ---- */

struct wg_uapi_parser {
	struct wg_uapi_set *set;
	bool in_peer;                   /* a public_key line was seen */
	/* The rest of the peer's lines have no effect (after remove=true),
	 * as wireguard-go's dummy peer: they are checked, then dropped. */
	bool dummy;
	struct wg_uapi_peer_set scratch;
	unsigned int line;
	char *err;
	size_t errlen;
	int rc;
	char shown[48];
};

static int __attribute__((format(printf, 3, 4)))
fail(struct wg_uapi_parser *p, int rc, const char *fmt, ...)
{
	va_list ap;
	int n;

	p->rc = rc;
	if (p->err == NULL || p->errlen == 0)
		return rc;
	n = snprintf(p->err, p->errlen, "line %u: ", p->line);
	if (n < 0 || (size_t)n >= p->errlen)
		return rc;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - n, fmt, ap);
	va_end(ap);
	return rc;
}

/* A value for a message: short, and nothing a terminal would act on. */
static const char *
shown(struct wg_uapi_parser *p, const char *s, size_t len)
{
	size_t max = sizeof(p->shown) - 4, i;

	for (i = 0; i < len && i < max; i++)
		p->shown[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	strcpy(p->shown + i, i < len ? "..." : "");
	return p->shown;
}

/*
 * Make room for element n of the array at *arrp, n elements in use; the
 * capacity is implicit, the next power of two of n. Not realloc(): the
 * old copy is wiped, as peers carry preshared keys.
 */
static int
grow(struct wg_uapi_parser *p, void *arrp, unsigned int n, size_t size)
{
	void *arr, *bigger;

	if ((n & (n - 1)) != 0)
		return 0;
	memcpy(&arr, arrp, sizeof(arr));
	bigger = malloc((n == 0 ? 1 : 2 * (size_t)n) * size);
	if (bigger == NULL)
		return fail(p, -ENOMEM, "out of memory");
	if (n != 0) {
		memcpy(bigger, arr, n * size);
		wg_memzero(arr, n * size);
	}
	free(arr);
	memcpy(arrp, &bigger, sizeof(bigger));
	return 0;
}

static struct wg_uapi_peer_set *
cur_peer(struct wg_uapi_parser *p)
{
	if (p->dummy)
		return &p->scratch;
	return &p->set->peers[p->set->npeers - 1];
}

/* The three forms wg_uapi_set_parse() shares with wireguard-go. */

static int
hex_key(struct wg_uapi_parser *p, const char *name, const char *v,
	uint8_t out[WG_UAPI_KEY_LEN])
{
	/* Go's hex.DecodeString takes either case, as sodium does. The
	 * value is not shown: it may be a secret. */
	if (!wg_key_from_hex(out, v))
		return fail(p, -EINVAL, "%s is not 64 hex digits", name);
	return 0;
}

/* As Go's strconv.ParseUint(v, 10, bits): digits only, leading zeros
 * allowed; no sign, space or "0x". */
static int
number(struct wg_uapi_parser *p, const char *name, const char *v,
       uint32_t max, uint32_t *out)
{
	uint64_t n = 0;
	const char *s;

	if (*v == '\0')
		return fail(p, -EINVAL, "empty %s", name);
	for (s = v; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return fail(p, -EINVAL, "bad number '%s' for %s",
				    shown(p, v, strlen(v)), name);
		n = n * 10 + (uint64_t)(*s - '0');
		if (n > max)
			return fail(p, -EINVAL, "%s out of range: %s (0..%"
				    PRIu32 ")", name, shown(p, v, strlen(v)),
				    max);
	}
	*out = (uint32_t)n;
	return 0;
}

/* wireguard-go takes "true" and nothing else, not even "false". */
static int
only_true(struct wg_uapi_parser *p, const char *name, const char *v)
{
	if (strcmp(v, "true") != 0)
		return fail(p, -EINVAL, "%s must be 'true', not '%s'", name,
			    shown(p, v, strlen(v)));
	return 0;
}

/* Device keys. */

static void
clamp(uint8_t key[WG_UAPI_KEY_LEN])
{
	key[0] &= 248;
	key[31] = (key[31] & 127) | 64;
}

static int
k_private_key(struct wg_uapi_parser *p, const char *v)
{
	struct wg_uapi_set *s = p->set;

	if (hex_key(p, "private_key", v, s->private_key) != 0)
		return p->rc;
	/* Stored clamped, as wireguard-go and the kernel do, so that get
	 * shows what they would; all zero removes the key. */
	if (!wg_crypto_is_zero(s->private_key, WG_UAPI_KEY_LEN))
		clamp(s->private_key);
	s->has_private_key = true;
	return 0;
}

static int
k_listen_port(struct wg_uapi_parser *p, const char *v)
{
	uint32_t port;

	if (number(p, "listen_port", v, UINT16_MAX, &port) != 0)
		return p->rc;
	p->set->listen_port = (uint16_t)port;
	p->set->has_listen_port = true;
	return 0;
}

static int
k_fwmark(struct wg_uapi_parser *p, const char *v)
{
	uint32_t mark;

	if (number(p, "fwmark", v, UINT32_MAX, &mark) != 0)
		return p->rc;
	p->set->fwmark = mark;
	p->set->has_fwmark = true;
	return 0;
}

static int
k_replace_peers(struct wg_uapi_parser *p, const char *v)
{
	if (only_true(p, "replace_peers", v) != 0)
		return p->rc;
	p->set->replace_peers = true;
	return 0;
}

/* Peer keys. */

static int
k_public_key(struct wg_uapi_parser *p, const char *v)
{
	uint8_t key[WG_UAPI_KEY_LEN];
	struct wg_uapi_set *s = p->set;

	if (hex_key(p, "public_key", v, key) != 0)
		return p->rc;
	if (grow(p, &s->peers, s->npeers, sizeof(*s->peers)) != 0)
		return p->rc;
	memset(&s->peers[s->npeers], 0, sizeof(*s->peers));
	memcpy(s->peers[s->npeers].public_key, key, WG_UAPI_KEY_LEN);
	s->npeers++;
	p->in_peer = true;
	p->dummy = false;
	return 0;
}

static int
k_remove(struct wg_uapi_parser *p, const char *v)
{
	struct wg_uapi_peer_set *pe = cur_peer(p);
	uint8_t key[WG_UAPI_KEY_LEN];

	if (only_true(p, "remove", v) != 0)
		return p->rc;
	if (p->dummy)
		return 0;
	/* What the lines before set dies with the peer. */
	memcpy(key, pe->public_key, sizeof(key));
	free(pe->allowed_ips);
	wg_memzero(pe, sizeof(*pe));
	memcpy(pe->public_key, key, sizeof(key));
	pe->remove = true;
	p->dummy = true;
	return 0;
}

static int
k_update_only(struct wg_uapi_parser *p, const char *v)
{
	if (only_true(p, "update_only", v) != 0)
		return p->rc;
	cur_peer(p)->update_only = true;
	return 0;
}

static int
k_preshared_key(struct wg_uapi_parser *p, const char *v)
{
	struct wg_uapi_peer_set *pe = cur_peer(p);

	if (hex_key(p, "preshared_key", v, pe->psk) != 0)
		return p->rc;
	pe->has_psk = true;
	return 0;
}

static int
k_endpoint(struct wg_uapi_parser *p, const char *v)
{
	struct wg_uapi_peer_set *pe = cur_peer(p);

	/* Literal addresses only, as netip.ParseAddrPort; no port 0. */
	if (wg_conf_parse_endpoint(v, &pe->endpoint) != 0)
		return fail(p, -EINVAL, "bad endpoint '%s' (IPv4:port or"
			    " [IPv6]:port)", shown(p, v, strlen(v)));
	pe->has_endpoint = true;
	return 0;
}

static int
k_keepalive(struct wg_uapi_parser *p, const char *v)
{
	struct wg_uapi_peer_set *pe = cur_peer(p);
	uint32_t secs;

	if (number(p, "persistent_keepalive_interval", v, UINT16_MAX,
		   &secs) != 0)
		return p->rc;
	pe->keepalive = (uint16_t)secs;
	pe->has_keepalive = true;
	return 0;
}

static int
k_replace_allowed_ips(struct wg_uapi_parser *p, const char *v)
{
	struct wg_uapi_peer_set *pe = cur_peer(p);

	if (only_true(p, "replace_allowed_ips", v) != 0)
		return p->rc;
	/* wireguard-go empties the peer's list here: the allowed_ip lines
	 * before this one are gone too. */
	pe->nallowed = 0;
	pe->replace_allowed_ips = true;
	return 0;
}

static int
k_allowed_ip(struct wg_uapi_parser *p, const char *v)
{
	struct wg_uapi_peer_set *pe = cur_peer(p);
	const char *slash = strchr(v, '/');
	struct wg_conf_prefix pfx;
	int rc = -EINVAL;

	/* As netip.ParsePrefix: the length is required and canonical ("/08"
	 * is refused), which wg_conf_parse_prefix() alone does not ask. */
	if (slash != NULL && !(slash[1] == '0' && slash[2] != '\0'))
		rc = wg_conf_parse_prefix(v, &pfx);
	if (rc == -ERANGE)
		return fail(p, -EINVAL, "prefix length out of range in"
			    " allowed_ip '%s'", shown(p, v, strlen(v)));
	if (rc != 0)
		return fail(p, -EINVAL, "bad allowed_ip '%s' (ADDRESS/LENGTH)",
			    shown(p, v, strlen(v)));
	wg_conf_prefix_mask(&pfx);
	if (grow(p, &pe->allowed_ips, pe->nallowed,
		 sizeof(*pe->allowed_ips)) != 0)
		return p->rc;
	pe->allowed_ips[pe->nallowed++] = pfx;
	return 0;
}

static int
k_protocol_version(struct wg_uapi_parser *p, const char *v)
{
	/* wireguard-go compares the text with "1" and answers -EINVAL. */
	if (strcmp(v, "1") != 0)
		return fail(p, -EINVAL, "protocol_version %s not supported"
			    " (only 1)", shown(p, v, strlen(v)));
	return 0;
}

enum wg_uapi_scope {
	WG_UAPI_DEVICE,                 /* before any public_key line */
	WG_UAPI_PEER,                   /* after one */
	WG_UAPI_ANY,                    /* public_key: starts a peer */
};

struct wg_uapi_key {
	const char *name;
	enum wg_uapi_scope scope;
	int (*set)(struct wg_uapi_parser *p, const char *v);
};

static const struct wg_uapi_key wg_uapi_keys[] = {
	{ "private_key", WG_UAPI_DEVICE, k_private_key },
	{ "listen_port", WG_UAPI_DEVICE, k_listen_port },
	{ "fwmark", WG_UAPI_DEVICE, k_fwmark },
	{ "replace_peers", WG_UAPI_DEVICE, k_replace_peers },
	{ "public_key", WG_UAPI_ANY, k_public_key },
	{ "remove", WG_UAPI_PEER, k_remove },
	{ "update_only", WG_UAPI_PEER, k_update_only },
	{ "preshared_key", WG_UAPI_PEER, k_preshared_key },
	{ "endpoint", WG_UAPI_PEER, k_endpoint },
	{ "persistent_keepalive_interval", WG_UAPI_PEER, k_keepalive },
	{ "replace_allowed_ips", WG_UAPI_PEER, k_replace_allowed_ips },
	{ "allowed_ip", WG_UAPI_PEER, k_allowed_ip },
	{ "protocol_version", WG_UAPI_PEER, k_protocol_version },
};

static const struct wg_uapi_key *
find_key(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(wg_uapi_keys) / sizeof(wg_uapi_keys[0]); i++)
		if (strlen(wg_uapi_keys[i].name) == len &&
		    memcmp(wg_uapi_keys[i].name, name, len) == 0)
			return &wg_uapi_keys[i];
	return NULL;
}

/* One line, without its newline; value is scratch space for its value. */
static int
parse_line(struct wg_uapi_parser *p, const char *s, size_t len, char *value)
{
	const char *eq = memchr(s, '=', len);
	const struct wg_uapi_key *k;
	size_t klen, vlen;

	if (len > WG_UAPI_MAX_LINE)
		return fail(p, -EINVAL, "line too long (over %u bytes)",
			    WG_UAPI_MAX_LINE);
	if (memchr(s, '\0', len) != NULL)
		return fail(p, -EINVAL, "NUL byte in line");
	/* wireguard-go: IpcErrorProtocol for a line it cannot split. */
	if (eq == NULL)
		/* Not echoed: it may be a key with its '=' lost. */
		return fail(p, -EPROTO, "expected key=value (%zu bytes)",
			    len);
	klen = (size_t)(eq - s);
	vlen = len - klen - 1;
	k = find_key(s, klen);
	if (k == NULL)
		return fail(p, -EINVAL, "unknown key '%s'",
			    shown(p, s, klen));
	if (k->scope == WG_UAPI_PEER && !p->in_peer)
		return fail(p, -EINVAL, "peer key '%s' before any public_key",
			    k->name);
	if (k->scope == WG_UAPI_DEVICE && p->in_peer)
		return fail(p, -EINVAL, "device key '%s' after a public_key",
			    k->name);
	memcpy(value, eq + 1, vlen);
	value[vlen] = '\0';
	k->set(p, value);
	wg_memzero(value, vlen);
	return p->rc;
}

static void
parse_lines(struct wg_uapi_parser *p, const char *body, size_t len)
{
	const char *pos = body, *end = body + len, *nl;
	char *value = malloc(WG_UAPI_MAX_LINE + 1);

	if (value == NULL) {
		fail(p, -ENOMEM, "out of memory");
		return;
	}
	while (pos < end && p->rc == 0) {
		nl = memchr(pos, '\n', (size_t)(end - pos));
		p->line++;
		parse_line(p, pos, (size_t)((nl != NULL ? nl : end) - pos),
			   value);
		pos = nl != NULL ? nl + 1 : end;
	}
	free(value);
}

int
wg_uapi_set_parse(const char *body, size_t len, struct wg_uapi_set **out,
		  char *err, size_t errlen)
{
	/* Line numbers count "set=1" as line 1: they match the request. */
	struct wg_uapi_parser p = {
		.line = 1,
		.err = err,
		.errlen = errlen,
	};

	*out = NULL;
	if (err != NULL && errlen != 0)
		err[0] = '\0';
	if (len > WG_UAPI_MAX_REQUEST)
		return fail(&p, -EINVAL, "transaction over %u bytes",
			    WG_UAPI_MAX_REQUEST);
	p.set = calloc(1, sizeof(*p.set));
	if (p.set == NULL)
		return fail(&p, -ENOMEM, "out of memory");
	if (len != 0)
		parse_lines(&p, body, len);
	free(p.scratch.allowed_ips);
	wg_memzero(&p.scratch, sizeof(p.scratch));
	if (p.rc != 0) {
		wg_uapi_set_free(p.set);
		return p.rc;
	}
	*out = p.set;
	return 0;
}

void
wg_uapi_set_free(struct wg_uapi_set *set)
{
	unsigned int i;

	if (set == NULL)
		return;
	for (i = 0; i < set->npeers; i++)
		free(set->peers[i].allowed_ips);
	if (set->peers != NULL)
		wg_memzero(set->peers, set->npeers * sizeof(*set->peers));
	free(set->peers);
	wg_memzero(set, sizeof(*set));
	free(set);
}

/* ---- get=1 ---- */

/* The longest line of each kind, newline included: the answer is sized
 * once, so no partial copy of a key is left behind by a realloc. */
#define WG_UAPI_KEY_LINE (sizeof("preshared_key=") + 2 * WG_UAPI_KEY_LEN)
#define WG_UAPI_NUM_LINE (sizeof("persistent_keepalive_interval=") + 20)
#define WG_UAPI_EP_LINE (sizeof("endpoint=") + WG_CONF_ENDPOINT_STRLEN)
#define WG_UAPI_AIP_LINE (sizeof("allowed_ip=") + WG_CONF_PREFIX_STRLEN)
#define WG_UAPI_DEVICE_SIZE (WG_UAPI_KEY_LINE + 3 * WG_UAPI_NUM_LINE)
#define WG_UAPI_PEER_SIZE (3 * WG_UAPI_KEY_LINE + WG_UAPI_EP_LINE + \
			   5 * WG_UAPI_NUM_LINE)

struct wg_uapi_out {
	char *buf;
	size_t len, cap;
	bool overflow;                  /* the sizing was wrong: a bug */
};

static void __attribute__((format(printf, 2, 3)))
put(struct wg_uapi_out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len)
		o->overflow = true;
	else
		o->len += (size_t)n;
}

/* Lowercase hex, as wireguard-go writes keys. */
static void
put_key(struct wg_uapi_out *o, const char *name, const uint8_t *key)
{
	char hex[2 * WG_UAPI_KEY_LEN + 1];

	wg_key_to_hex(hex, key);
	put(o, "%s=%s\n", name, hex);
	wg_memzero(hex, sizeof(hex));
}

static void
put_peer(struct wg_uapi_out *o, const struct wg_uapi_peer_info *pe)
{
	static const uint8_t zero[WG_UAPI_KEY_LEN];
	char buf[WG_CONF_ENDPOINT_STRLEN + WG_CONF_PREFIX_STRLEN];
	unsigned int i;

	put_key(o, "public_key", pe->public_key);
	/* Always there; all zero for none, as wg(8) expects. */
	put_key(o, "preshared_key", pe->has_psk ? pe->psk : zero);
	put(o, "protocol_version=1\n");
	if (pe->has_endpoint &&
	    wg_conf_format_endpoint(&pe->endpoint, buf, sizeof(buf)) != NULL)
		put(o, "endpoint=%s\n", buf);
	put(o, "last_handshake_time_sec=%" PRIu64 "\n",
	    pe->last_handshake_sec);
	put(o, "last_handshake_time_nsec=%" PRIu64 "\n",
	    pe->last_handshake_nsec);
	put(o, "tx_bytes=%" PRIu64 "\n", pe->tx_bytes);
	put(o, "rx_bytes=%" PRIu64 "\n", pe->rx_bytes);
	put(o, "persistent_keepalive_interval=%u\n", pe->keepalive);
	for (i = 0; i < pe->nallowed; i++)
		if (wg_conf_format_prefix(&pe->allowed_ips[i], buf,
					  sizeof(buf)) != NULL)
			put(o, "allowed_ip=%s\n", buf);
}

/* Bytes for the whole answer, with its NUL; 0 if that overflows. */
static size_t
get_size(const struct wg_uapi_device_info *info)
{
	size_t size = WG_UAPI_DEVICE_SIZE, n;
	unsigned int i;

	if (__builtin_mul_overflow((size_t)info->npeers, WG_UAPI_PEER_SIZE,
				   &n) ||
	    __builtin_add_overflow(size, n, &size))
		return 0;
	for (i = 0; i < info->npeers; i++)
		if (__builtin_mul_overflow((size_t)info->peers[i].nallowed,
					   WG_UAPI_AIP_LINE, &n) ||
		    __builtin_add_overflow(size, n, &size))
			return 0;
	return size;
}

char *
wg_uapi_format_get(const struct wg_uapi_device_info *info, size_t *len)
{
	struct wg_uapi_out o = { .cap = get_size(info) };
	unsigned int i;

	if (o.cap == 0 || (o.buf = malloc(o.cap)) == NULL)
		return NULL;
	if (info->has_private_key &&
	    !wg_crypto_is_zero(info->private_key, WG_UAPI_KEY_LEN))
		put_key(&o, "private_key", info->private_key);
	if (info->listen_port != 0)
		put(&o, "listen_port=%u\n", info->listen_port);
	if (info->fwmark != 0)
		put(&o, "fwmark=%" PRIu32 "\n", info->fwmark);
	for (i = 0; i < info->npeers; i++)
		put_peer(&o, &info->peers[i]);
	put(&o, "errno=0\n\n");
	if (o.overflow) {
		wg_memzero(o.buf, o.cap);
		free(o.buf);
		return NULL;
	}
	if (len != NULL)
		*len = o.len;
	return o.buf;
}

const char *
wg_uapi_errno_line(int result, char *buf, size_t len)
{
	/* wg(8) makes errno the negated number: it must be negative. */
	long long num = result > 0 ? -(long long)result : result;
	int n = snprintf(buf, len, "errno=%lld\n\n", num);

	return n < 0 || (size_t)n >= len ? NULL : buf;
}
