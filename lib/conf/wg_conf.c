/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration file, read in two passes.
 *
 * The first reads the file top to bottom, one line at a time, and stops
 * at the first line it cannot take; each section is checked as it ends
 * (required keys, names already used). The second checks what only the
 * whole file can tell: duplicate peers, AllowedIPs claimed twice, the
 * uplink names a peer refers to. Lines and values are copied into one
 * buffer that is wiped afterwards, as it held the private key's text.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "wg_conf.h"
#include "wg_crypto.h"

#define WG_CONF_DIM(a) (sizeof(a) / sizeof((a)[0]))

/* Bound of every list and of the file, so no size computation overflows
 * and a runaway file fails cleanly rather than eating memory. */
#define WG_CONF_MAX_ITEMS (1U << 24)
#define WG_CONF_MAX_FILE (64UL << 20)

enum wg_conf_section {
	WG_CONF_SECT_NONE,
	WG_CONF_SECT_INTERFACE,
	WG_CONF_SECT_UPLINK,
	WG_CONF_SECT_PEER,
};

static const char *const wg_conf_section_names[] = {
	[WG_CONF_SECT_NONE] = "",
	[WG_CONF_SECT_INTERFACE] = "Interface",
	[WG_CONF_SECT_UPLINK] = "Uplink",
	[WG_CONF_SECT_PEER] = "Peer",
};

/* A name in a peer's Uplinks, resolved once every [Uplink] is known. */
struct wg_conf_uplink_ref {
	char name[WG_CONF_UPLINK_NAME_LEN];
	unsigned int line;
};

/* What the whole-file checks need to know of a peer beyond wg_conf_peer. */
struct wg_conf_peer_extra {
	unsigned int key_line;          /* of PublicKey */
	unsigned int endpoint_line;     /* of the first Endpoint */
	struct wg_conf_uplink_ref *refs;
	unsigned int nrefs;
};

/* One AllowedIPs entry, for finding prefixes given twice. */
struct wg_conf_aip_ref {
	struct wg_conf_prefix pfx;
	unsigned int peer;
	unsigned int idx;               /* in the peer's allowed_ips */
	unsigned int line;
};

enum wg_conf_key_id {
	/* [Interface] */
	WG_CONF_K_PRIVATE_KEY,
	WG_CONF_K_LISTEN_PORT,
	WG_CONF_K_IF_ADDRESS,
	WG_CONF_K_MTU,
	WG_CONF_K_REPLAY_WINDOW,
	WG_CONF_K_FWMARK,
	WG_CONF_K_DNS,
	WG_CONF_K_TABLE,
	WG_CONF_K_PRE_UP,
	WG_CONF_K_POST_UP,
	WG_CONF_K_PRE_DOWN,
	WG_CONF_K_POST_DOWN,
	WG_CONF_K_SAVE_CONFIG,
	/* [Uplink] */
	WG_CONF_K_NAME,
	WG_CONF_K_PORT,
	WG_CONF_K_UP_ADDRESS,
	WG_CONF_K_GATEWAY,
	WG_CONF_K_NEIGHBOR,
	WG_CONF_K_PRIORITY,
	WG_CONF_K_VLAN,
	/* [Peer] */
	WG_CONF_K_PUBLIC_KEY,
	WG_CONF_K_PRESHARED_KEY,
	WG_CONF_K_ALLOWED_IPS,
	WG_CONF_K_ENDPOINT,
	WG_CONF_K_KEEPALIVE,
	WG_CONF_K_UPLINKS,
	WG_CONF_K_REDUNDANCY,
	WG_CONF_K_FAILBACK_HOLD,
	WG_CONF_K_PROBE_INTERVAL,
	WG_CONF_K_MAX,
};

struct wg_conf_parser {
	const char *name;               /* for messages */
	char *err;
	size_t errlen;
	int rc;                         /* of the first failure */
	struct wg_conf *conf;
	unsigned int line;
	enum wg_conf_section sect;
	unsigned int sect_line;
	unsigned int interface_line;
	/* Where each key of the current section was first set; 0: not set. */
	unsigned int key_line[WG_CONF_K_MAX];
	struct wg_conf_peer_extra *extra;       /* parallel to conf->peers */
	unsigned int nextra;
	struct wg_conf_aip_ref *aips;
	unsigned int naips;
};

static int __attribute__((format(printf, 3, 4)))
fail(struct wg_conf_parser *p, unsigned int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	p->rc = -EINVAL;
	if (p->err == NULL || p->errlen == 0)
		return p->rc;
	n = snprintf(p->err, p->errlen, "%s:%u: ", p->name, line);
	if (n < 0 || (size_t)n >= p->errlen)
		return p->rc;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - n, fmt, ap);
	va_end(ap);
	return p->rc;
}

static int
fail_nomem(struct wg_conf_parser *p)
{
	fail(p, p->line, "out of memory");
	p->rc = -ENOMEM;
	return p->rc;
}

/*
 * Make room for element n of the array *arrp (the address of any pointer).
 * The capacity is implicit: the next power of two of the count, so the
 * array is reallocated only when n is zero or a power of two.
 */
static int
grow(struct wg_conf_parser *p, void *arrp, unsigned int n, size_t size)
{
	void *arr, *bigger;
	size_t cap;

	if (n >= WG_CONF_MAX_ITEMS)
		return fail(p, p->line, "too many entries");
	if ((n & (n - 1)) != 0)
		return 0;
	memcpy(&arr, arrp, sizeof(arr));
	cap = n == 0 ? 1 : 2 * (size_t)n;
	bigger = realloc(arr, cap * size);
	if (bigger == NULL)
		return fail_nomem(p);
	memcpy(arrp, &bigger, sizeof(bigger));
	return 0;
}

/* A zeroed new last element of arr (count n), or NULL (p->rc is set). */
#define WG_CONF_APPEND(p, arr, n)					\
	(grow((p), &(arr), (n), sizeof(*(arr))) == 0 ?			\
	 memset(&(arr)[(n)++], 0, sizeof(*(arr))) : NULL)

static int __attribute__((format(printf, 3, 4)))
warn(struct wg_conf_parser *p, unsigned int line, const char *fmt, ...)
{
	struct wg_conf *c = p->conf;
	char msg[512];
	char **w;
	va_list ap;
	int n;

	n = snprintf(msg, sizeof(msg), "%s:%u: ", p->name, line);
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	va_end(ap);

	w = WG_CONF_APPEND(p, c->warnings, c->nwarnings);
	if (w == NULL)
		return p->rc;
	*w = strdup(msg);
	if (*w == NULL)
		return fail_nomem(p);
	return 0;
}

static char *
trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	*end = '\0';
	return s;
}

/* ---- values ---- */

static int
parse_ip(const char *s, uint8_t *family, uint8_t addr[16])
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = WG_AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*family = WG_AF_INET6;
		return 0;
	}
	return -EINVAL;
}

/* Only digits, then strtoull: strtoul alone takes signs and spaces. */
static int
parse_digits(const char *s, int base, unsigned long long *out)
{
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, base);
	if (*end != '\0')
		return -EINVAL;
	return errno == ERANGE ? -ERANGE : 0;
}

int
wg_conf_parse_prefix(const char *s, struct wg_conf_prefix *out)
{
	const char *slash = strchr(s, '/');
	size_t alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	unsigned long long len;
	unsigned int max;
	char buf[64];
	int rc;

	memset(out, 0, sizeof(*out));
	if (alen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (parse_ip(buf, &out->family, out->addr) != 0)
		return -EINVAL;
	max = out->family == WG_AF_INET ? 32 : 128;
	if (slash == NULL) {
		out->len = max;
		return 0;
	}
	rc = parse_digits(slash + 1, 10, &len);
	if (rc == -EINVAL)
		return rc;
	if (rc != 0 || len > max)
		return -ERANGE;
	out->len = len;
	return 0;
}

bool
wg_conf_prefix_mask(struct wg_conf_prefix *p)
{
	unsigned int bytes = p->family == WG_AF_INET ? 4 : 16;
	bool changed = false;
	unsigned int i, bits;
	uint8_t mask;

	for (i = 0; i < bytes; i++) {
		bits = p->len > i * 8 ? p->len - i * 8 : 0;
		mask = bits >= 8 ? 0xff : (uint8_t)(0xff00 >> bits);
		if (p->addr[i] & ~mask)
			changed = true;
		p->addr[i] &= mask;
	}
	return changed;
}

int
wg_conf_parse_endpoint(const char *s, struct wg_endpoint *out)
{
	const char *host = s, *port, *close;
	unsigned long long num;
	size_t hlen;
	char buf[64];
	int af;

	memset(out, 0, sizeof(*out));
	if (s[0] == '[') {
		/* Brackets keep the port apart from the address's colons. */
		close = strchr(s, ']');
		if (close == NULL || close[1] != ':')
			return -EINVAL;
		host = s + 1;
		hlen = close - host;
		port = close + 2;
		af = AF_INET6;
	} else {
		port = strrchr(s, ':');
		if (port == NULL)
			return -EINVAL;
		hlen = port - s;
		port++;
		af = AF_INET;
	}
	if (hlen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, host, hlen);
	buf[hlen] = '\0';
	if (inet_pton(af, buf, &out->addr) != 1)
		return -EINVAL;
	if (parse_digits(port, 10, &num) != 0 || num == 0 || num > 65535)
		return -EINVAL;
	out->family = af == AF_INET ? WG_AF_INET : WG_AF_INET6;
	out->port = htons((uint16_t)num);
	return 0;
}

const char *
wg_conf_format_prefix(const struct wg_conf_prefix *p, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];
	int af = p->family == WG_AF_INET ? AF_INET : AF_INET6;
	int n;

	if ((p->family != WG_AF_INET && p->family != WG_AF_INET6) ||
	    inet_ntop(af, p->addr, addr, sizeof(addr)) == NULL)
		return NULL;
	n = snprintf(buf, len, "%s/%u", addr, p->len);
	return n < 0 || (size_t)n >= len ? NULL : buf;
}

const char *
wg_conf_format_endpoint(const struct wg_endpoint *ep, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];
	int n;

	if (ep->family == WG_AF_INET &&
	    inet_ntop(AF_INET, &ep->addr, addr, sizeof(addr)) != NULL)
		n = snprintf(buf, len, "%s:%u", addr, ntohs(ep->port));
	else if (ep->family == WG_AF_INET6 &&
		 inet_ntop(AF_INET6, &ep->addr, addr, sizeof(addr)) != NULL)
		n = snprintf(buf, len, "[%s]:%u", addr, ntohs(ep->port));
	else
		return NULL;
	return n < 0 || (size_t)n >= len ? NULL : buf;
}

const char *
wg_conf_redundancy_name(enum wg_conf_redundancy r)
{
	switch (r) {
	case WG_CONF_SINGLE:
		return "single";
	case WG_CONF_DUPLICATE:
		return "duplicate";
	case WG_CONF_FAILOVER:
		return "failover";
	}
	return "?";
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Exactly "xx:xx:xx:xx:xx:xx". */
static int
parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int i;
	int hi, lo;

	if (strlen(s) != 17)
		return -EINVAL;
	for (i = 0; i < 6; i++, s += 3) {
		hi = hex_value(s[0]);
		lo = hex_value(s[1]);
		if (hi < 0 || lo < 0 || (i < 5 && s[2] != ':'))
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* wg-quick's rule for interface names: ^[a-zA-Z0-9_=+.-]{1,15}$ */
static bool
valid_name(const char *s, size_t max, const char *extra)
{
	size_t len = strlen(s), i;

	if (len == 0 || len > max)
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) &&
		    strchr(extra, s[i]) == NULL)
			return false;
	return true;
}

static bool
valid_uplink_name(const char *s)
{
	return valid_name(s, WG_CONF_UPLINK_NAME_LEN - 1, "_.-");
}

/* "wg0" from ".../wg0.conf", if wg-quick would take it as a name. */
static void
name_from_path(char out[WG_CONF_IFNAME_LEN], const char *path)
{
	const char *base = strrchr(path, '/');
	char buf[WG_CONF_IFNAME_LEN + 5];
	size_t len;

	base = base != NULL ? base + 1 : path;
	len = strlen(base);
	if (len > 5 && strcmp(base + len - 5, ".conf") == 0)
		len -= 5;
	out[0] = '\0';
	if (len >= WG_CONF_IFNAME_LEN)
		return;
	memcpy(buf, base, len);
	buf[len] = '\0';
	if (valid_name(buf, WG_CONF_IFNAME_LEN - 1, "_=+.-"))
		memcpy(out, buf, len + 1);
}

/* ---- keys ---- */

static struct wg_conf_uplink *
cur_uplink(struct wg_conf_parser *p)
{
	return &p->conf->uplinks[p->conf->nuplinks - 1];
}

static struct wg_conf_peer *
cur_peer(struct wg_conf_parser *p)
{
	return &p->conf->peers[p->conf->npeers - 1];
}

static struct wg_conf_peer_extra *
cur_extra(struct wg_conf_parser *p)
{
	return &p->extra[p->nextra - 1];
}

static int
number_base(struct wg_conf_parser *p, const char *key, const char *v,
	    int base, unsigned long long min, unsigned long long max,
	    unsigned long long *out)
{
	int rc = parse_digits(v, base, out);

	if (rc == -EINVAL)
		return fail(p, p->line, "bad number '%s' for %s", v, key);
	if (rc != 0 || *out < min || *out > max)
		return fail(p, p->line, "%s out of range: %s (%llu..%llu)",
			    key, v, min, max);
	return 0;
}

static int
number(struct wg_conf_parser *p, const char *key, const char *v,
       unsigned long long min, unsigned long long max,
       unsigned long long *out)
{
	return number_base(p, key, v, 10, min, max, out);
}

static void
format_ms(char *buf, size_t len, uint32_t ms)
{
	if (ms % 1000 == 0)
		snprintf(buf, len, "%u", ms / 1000);
	else if (ms % 100 == 0)
		snprintf(buf, len, "%u.%u", ms / 1000, ms % 1000 / 100);
	else
		snprintf(buf, len, "%u.%03u", ms / 1000, ms % 1000);
}

/* Seconds with up to three decimals ("0.5"), into milliseconds. Parsed
 * by hand: strtod would follow the locale and take "1e3" or "inf". */
static int
seconds(struct wg_conf_parser *p, const char *key, const char *v,
	uint32_t min_ms, uint32_t max_ms, uint32_t *out)
{
	static const char digits[] = "0123456789";
	size_t ilen = strspn(v, digits), flen, i;
	bool dot = v[ilen] == '.';
	const char *frac = v + ilen + dot;
	unsigned int scale;
	uint64_t sec = 0, ms;
	char lo[16], hi[16];

	flen = strspn(frac, digits);
	if (ilen == 0 || (dot && (flen == 0 || flen > 3)) ||
	    frac[flen] != '\0')
		return fail(p, p->line, "bad duration '%s' for %s (seconds,"
			    " up to 3 decimals)", v, key);
	/* Stop early: past UINT32_MAX seconds it is out of range anyway. */
	for (i = 0; i < ilen && sec <= UINT32_MAX; i++)
		sec = sec * 10 + (v[i] - '0');
	ms = sec * 1000;
	for (i = 0, scale = 100; i < flen; i++, scale /= 10)
		ms += (uint64_t)(frac[i] - '0') * scale;
	if (ms < min_ms || ms > max_ms) {
		format_ms(lo, sizeof(lo), min_ms);
		format_ms(hi, sizeof(hi), max_ms);
		return fail(p, p->line, "%s out of range: %s (%s..%s seconds)",
			    key, v, lo, hi);
	}
	*out = (uint32_t)ms;
	return 0;
}

static int
key_base64(struct wg_conf_parser *p, const char *key, const char *v,
	   uint8_t out[WG_CONF_KEY_LEN])
{
	/* The value is not echoed: it may be a secret. */
	if (!wg_key_from_base64(out, v))
		return fail(p, p->line, "bad base64 key for %s", key);
	return 0;
}

static int
prefix(struct wg_conf_parser *p, const char *key, const char *v,
       struct wg_conf_prefix *out)
{
	int rc = wg_conf_parse_prefix(v, out);

	if (rc == -ERANGE)
		return fail(p, p->line, "prefix length %s out of range (0..%u)"
			    " in %s '%s'", strchr(v, '/') + 1,
			    out->family == WG_AF_INET ? 32 : 128, key, v);
	if (rc != 0)
		return fail(p, p->line, "bad address '%s' in %s", v, key);
	return 0;
}

/* An Address of [Interface] or [Uplink]: host bits are the host's. */
static int
add_address(struct wg_conf_parser *p, const char *v,
	    struct wg_conf_prefix **arr, unsigned int *n)
{
	struct wg_conf_prefix pfx, *e;
	unsigned int i;

	if (prefix(p, "Address", v, &pfx) != 0)
		return p->rc;
	for (i = 0; i < *n; i++)
		if (memcmp(&(*arr)[i], &pfx, sizeof(pfx)) == 0)
			return fail(p, p->line, "duplicate Address '%s'", v);
	e = WG_CONF_APPEND(p, *arr, *n);
	if (e == NULL)
		return p->rc;
	*e = pfx;
	return 0;
}

static int
k_private_key(struct wg_conf_parser *p, const char *v)
{
	return key_base64(p, "PrivateKey", v, p->conf->private_key);
}

static int
k_listen_port(struct wg_conf_parser *p, const char *v)
{
	unsigned long long n = 0;

	/* No 0 ("pick one"): peers must know where the concentrator is. */
	if (number(p, "ListenPort", v, 1, 65535, &n) != 0)
		return p->rc;
	p->conf->listen_port = n;
	return 0;
}

static int
k_if_address(struct wg_conf_parser *p, const char *v)
{
	return add_address(p, v, &p->conf->addrs, &p->conf->naddrs);
}

static int
k_mtu(struct wg_conf_parser *p, const char *v)
{
	unsigned long long n = 0;

	if (number(p, "MTU", v, WG_CONF_MIN_MTU, WG_CONF_MAX_MTU, &n) != 0)
		return p->rc;
	p->conf->mtu = n;
	return 0;
}

static int
k_replay_window(struct wg_conf_parser *p, const char *v)
{
	unsigned long long n = 0;

	if (number(p, "ReplayWindow", v, WG_CONF_MIN_REPLAY_WINDOW,
		   WG_CONF_MAX_REPLAY_WINDOW, &n) != 0)
		return p->rc;
	p->conf->replay_window = n;
	return 0;
}

static int
k_fwmark(struct wg_conf_parser *p, const char *v)
{
	unsigned long long n = 0;

	/* As wg(8): "off", decimal, or hex with 0x. */
	if (strcasecmp(v, "off") != 0 &&
	    number_base(p, "FwMark", v, strncasecmp(v, "0x", 2) == 0 ? 16 : 10,
			0, UINT32_MAX, &n) != 0)
		return p->rc;
	p->conf->fwmark = n;
	return warn(p, p->line, "FwMark is stored but not applied:"
		    " DPDK ports have no sockets to mark");
}

static int
k_ignored(struct wg_conf_parser *p, const char *key)
{
	return warn(p, p->line, "%s is a wg-quick key; ignored", key);
}

static int
k_name(struct wg_conf_parser *p, const char *v)
{
	struct wg_conf_uplink *u = cur_uplink(p);
	unsigned int i;

	if (!valid_uplink_name(v))
		return fail(p, p->line, "bad uplink name '%s' (1 to %u of"
			    " A-Z a-z 0-9 _ . -)", v,
			    WG_CONF_UPLINK_NAME_LEN - 1);
	for (i = 0; i + 1 < p->conf->nuplinks; i++)
		if (strcmp(p->conf->uplinks[i].name, v) == 0)
			return fail(p, p->line, "duplicate uplink name '%s'"
				    " (first on line %u)", v,
				    p->conf->uplinks[i].line);
	strcpy(u->name, v);
	return 0;
}

static int
k_port(struct wg_conf_parser *p, const char *v)
{
	if (strlen(v) >= WG_CONF_PORT_LEN)
		return fail(p, p->line, "Port too long (over %u characters)",
			    WG_CONF_PORT_LEN - 1);
	strcpy(cur_uplink(p)->port, v);
	return 0;
}

static int
k_up_address(struct wg_conf_parser *p, const char *v)
{
	struct wg_conf_uplink *u = cur_uplink(p);

	return add_address(p, v, &u->addrs, &u->naddrs);
}

static int
k_gateway(struct wg_conf_parser *p, const char *v)
{
	struct wg_conf_uplink *u = cur_uplink(p);
	uint8_t family, addr[16];

	if (parse_ip(v, &family, addr) != 0)
		return fail(p, p->line, "bad address '%s' in Gateway", v);
	if (family == WG_AF_INET) {
		if (u->has_gateway4)
			return fail(p, p->line, "duplicate IPv4 Gateway");
		u->has_gateway4 = true;
		memcpy(u->gateway4, addr, 4);
	} else {
		if (u->has_gateway6)
			return fail(p, p->line, "duplicate IPv6 Gateway");
		u->has_gateway6 = true;
		memcpy(u->gateway6, addr, 16);
	}
	return 0;
}

static int
k_neighbor(struct wg_conf_parser *p, const char *v)
{
	struct wg_conf_uplink *u = cur_uplink(p);
	struct wg_conf_neighbor nb, *e;
	char buf[128], *mac;
	unsigned int i;

	if (strlen(v) >= sizeof(buf))
		return fail(p, p->line, "bad Neighbor '%s'", v);
	strcpy(buf, v);
	mac = buf + strcspn(buf, " \t");
	if (*mac == '\0')
		return fail(p, p->line, "bad Neighbor '%s' (want"
			    " 'ADDRESS MAC')", v);
	*mac++ = '\0';
	mac = trim(mac);
	memset(&nb, 0, sizeof(nb));
	if (parse_ip(buf, &nb.family, nb.addr) != 0)
		return fail(p, p->line, "bad address '%s' in Neighbor", buf);
	/* A group or all-zero address cannot be a host's. */
	if (parse_mac(mac, nb.mac) != 0 || (nb.mac[0] & 1) ||
	    memcmp(nb.mac, (uint8_t[6]){0}, 6) == 0)
		return fail(p, p->line, "bad MAC '%s' in Neighbor (want a"
			    " unicast xx:xx:xx:xx:xx:xx)", mac);
	for (i = 0; i < u->nneighbors; i++)
		if (u->neighbors[i].family == nb.family &&
		    memcmp(u->neighbors[i].addr, nb.addr, 16) == 0)
			return fail(p, p->line, "duplicate Neighbor '%s'", buf);
	e = WG_CONF_APPEND(p, u->neighbors, u->nneighbors);
	if (e == NULL)
		return p->rc;
	*e = nb;
	return 0;
}

static int
k_priority(struct wg_conf_parser *p, const char *v)
{
	unsigned long long n = 0;

	if (number(p, "Priority", v, 0, UINT32_MAX, &n) != 0)
		return p->rc;
	cur_uplink(p)->priority = n;
	return 0;
}

static int
k_vlan(struct wg_conf_parser *p, const char *v)
{
	unsigned long long n = 0;

	if (number(p, "Vlan", v, 1, 4094, &n) != 0)
		return p->rc;
	cur_uplink(p)->vlan = n;
	return 0;
}

static int
k_public_key(struct wg_conf_parser *p, const char *v)
{
	cur_extra(p)->key_line = p->line;
	return key_base64(p, "PublicKey", v, cur_peer(p)->public_key);
}

static int
k_preshared_key(struct wg_conf_parser *p, const char *v)
{
	cur_peer(p)->has_psk = true;
	return key_base64(p, "PresharedKey", v, cur_peer(p)->psk);
}

static int
k_allowed_ips(struct wg_conf_parser *p, const char *v)
{
	struct wg_conf_peer *peer = cur_peer(p);
	struct wg_conf_prefix pfx, *e;
	struct wg_conf_aip_ref *ref;
	char buf[WG_CONF_PREFIX_STRLEN];

	if (prefix(p, "AllowedIPs", v, &pfx) != 0)
		return p->rc;
	/* As wg(8) does; but "10.9.0.2/24" is more often a typo than not. */
	if (wg_conf_prefix_mask(&pfx) &&
	    warn(p, p->line, "AllowedIPs '%s' has host bits set; using %s", v,
		 wg_conf_format_prefix(&pfx, buf, sizeof(buf))) != 0)
		return p->rc;
	e = WG_CONF_APPEND(p, peer->allowed_ips, peer->nallowed);
	if (e == NULL)
		return p->rc;
	*e = pfx;
	ref = WG_CONF_APPEND(p, p->aips, p->naips);
	if (ref == NULL)
		return p->rc;
	ref->pfx = pfx;
	ref->peer = p->conf->npeers - 1;
	ref->idx = peer->nallowed - 1;
	ref->line = p->line;
	return 0;
}

static int
k_endpoint(struct wg_conf_parser *p, const char *v)
{
	struct wg_conf_peer *peer = cur_peer(p);
	struct wg_endpoint ep, *e;
	unsigned int i;

	if (wg_conf_parse_endpoint(v, &ep) != 0)
		return fail(p, p->line, "bad endpoint '%s' (want IPv4:PORT or"
			    " [IPv6]:PORT; host names are not resolved)", v);
	for (i = 0; i < peer->nendpoints; i++)
		if (wg_endpoint_equal(&peer->endpoints[i], &ep))
			return fail(p, p->line, "duplicate Endpoint '%s'", v);
	e = WG_CONF_APPEND(p, peer->endpoints, peer->nendpoints);
	if (e == NULL)
		return p->rc;
	*e = ep;
	if (cur_extra(p)->endpoint_line == 0)
		cur_extra(p)->endpoint_line = p->line;
	return 0;
}

static int
k_keepalive(struct wg_conf_parser *p, const char *v)
{
	unsigned long long n = 0;

	if (strcasecmp(v, "off") != 0 &&
	    number(p, "PersistentKeepalive", v, 0, 65535, &n) != 0)
		return p->rc;
	cur_peer(p)->keepalive = n;
	return 0;
}

static int
k_uplinks(struct wg_conf_parser *p, const char *v)
{
	struct wg_conf_peer_extra *x = cur_extra(p);
	struct wg_conf_uplink_ref *ref;
	unsigned int i;

	/* No [Uplink] can have a name that is not valid. */
	if (!valid_uplink_name(v))
		return fail(p, p->line, "unknown uplink '%s' in Uplinks", v);
	for (i = 0; i < x->nrefs; i++)
		if (strcmp(x->refs[i].name, v) == 0)
			return fail(p, p->line, "uplink '%s' listed twice in"
				    " Uplinks", v);
	ref = WG_CONF_APPEND(p, x->refs, x->nrefs);
	if (ref == NULL)
		return p->rc;
	strcpy(ref->name, v);
	ref->line = p->line;
	return 0;
}

static int
k_redundancy(struct wg_conf_parser *p, const char *v)
{
	static const enum wg_conf_redundancy modes[] = {
		WG_CONF_SINGLE, WG_CONF_DUPLICATE, WG_CONF_FAILOVER,
	};
	unsigned int i;

	for (i = 0; i < WG_CONF_DIM(modes); i++)
		if (strcasecmp(v, wg_conf_redundancy_name(modes[i])) == 0) {
			cur_peer(p)->redundancy = modes[i];
			return 0;
		}
	return fail(p, p->line, "bad Redundancy '%s' (want duplicate,"
		    " failover or single)", v);
}

static int
k_failback_hold(struct wg_conf_parser *p, const char *v)
{
	return seconds(p, "FailbackHold", v, 0, 3600 * 1000,
		       &cur_peer(p)->failback_hold_ms);
}

static int
k_probe_interval(struct wg_conf_parser *p, const char *v)
{
	/* Below 0.1 s probes would cost more than the paths they watch. */
	return seconds(p, "ProbeInterval", v, 100, 3600 * 1000,
		       &cur_peer(p)->probe_interval_ms);
}

/* A list key's value is split at commas and the key may repeat. */
#define WG_CONF_KEY_LIST 0x1
#define WG_CONF_KEY_REPEAT 0x2
#define WG_CONF_KEY_EMPTY_OK 0x4     /* "AllowedIPs =" is wg-quick's "none" */
#define WG_CONF_KEY_IGNORED 0x8

struct wg_conf_key {
	const char *name;
	enum wg_conf_section sect;
	unsigned int flags;
	int (*set)(struct wg_conf_parser *p, const char *value);
};

#define WG_CONF_LIST (WG_CONF_KEY_LIST | WG_CONF_KEY_REPEAT)
#define WG_CONF_IGN (WG_CONF_KEY_IGNORED | WG_CONF_KEY_REPEAT |	\
		     WG_CONF_KEY_EMPTY_OK)
#define WG_CONF_I WG_CONF_SECT_INTERFACE
#define WG_CONF_U WG_CONF_SECT_UPLINK
#define WG_CONF_P WG_CONF_SECT_PEER

static const struct wg_conf_key wg_conf_keys[WG_CONF_K_MAX] = {
	[WG_CONF_K_PRIVATE_KEY] = {"PrivateKey", WG_CONF_I, 0, k_private_key},
	[WG_CONF_K_LISTEN_PORT] = {"ListenPort", WG_CONF_I, 0, k_listen_port},
	[WG_CONF_K_IF_ADDRESS] = {"Address", WG_CONF_I,
				  WG_CONF_LIST | WG_CONF_KEY_EMPTY_OK,
				  k_if_address},
	[WG_CONF_K_MTU] = {"MTU", WG_CONF_I, 0, k_mtu},
	[WG_CONF_K_REPLAY_WINDOW] = {"ReplayWindow", WG_CONF_I, 0,
				     k_replay_window},
	[WG_CONF_K_FWMARK] = {"FwMark", WG_CONF_I, 0, k_fwmark},
	[WG_CONF_K_DNS] = {"DNS", WG_CONF_I, WG_CONF_IGN, NULL},
	[WG_CONF_K_TABLE] = {"Table", WG_CONF_I, WG_CONF_IGN, NULL},
	[WG_CONF_K_PRE_UP] = {"PreUp", WG_CONF_I, WG_CONF_IGN, NULL},
	[WG_CONF_K_POST_UP] = {"PostUp", WG_CONF_I, WG_CONF_IGN, NULL},
	[WG_CONF_K_PRE_DOWN] = {"PreDown", WG_CONF_I, WG_CONF_IGN, NULL},
	[WG_CONF_K_POST_DOWN] = {"PostDown", WG_CONF_I, WG_CONF_IGN, NULL},
	[WG_CONF_K_SAVE_CONFIG] = {"SaveConfig", WG_CONF_I, WG_CONF_IGN, NULL},
	[WG_CONF_K_NAME] = {"Name", WG_CONF_U, 0, k_name},
	[WG_CONF_K_PORT] = {"Port", WG_CONF_U, 0, k_port},
	[WG_CONF_K_UP_ADDRESS] = {"Address", WG_CONF_U, WG_CONF_LIST,
				  k_up_address},
	[WG_CONF_K_GATEWAY] = {"Gateway", WG_CONF_U, WG_CONF_LIST, k_gateway},
	[WG_CONF_K_NEIGHBOR] = {"Neighbor", WG_CONF_U, WG_CONF_LIST,
				k_neighbor},
	[WG_CONF_K_PRIORITY] = {"Priority", WG_CONF_U, 0, k_priority},
	[WG_CONF_K_VLAN] = {"Vlan", WG_CONF_U, 0, k_vlan},
	[WG_CONF_K_PUBLIC_KEY] = {"PublicKey", WG_CONF_P, 0, k_public_key},
	[WG_CONF_K_PRESHARED_KEY] = {"PresharedKey", WG_CONF_P, 0,
				     k_preshared_key},
	[WG_CONF_K_ALLOWED_IPS] = {"AllowedIPs", WG_CONF_P,
				   WG_CONF_LIST | WG_CONF_KEY_EMPTY_OK,
				   k_allowed_ips},
	[WG_CONF_K_ENDPOINT] = {"Endpoint", WG_CONF_P, WG_CONF_LIST,
				k_endpoint},
	[WG_CONF_K_KEEPALIVE] = {"PersistentKeepalive", WG_CONF_P, 0,
				 k_keepalive},
	[WG_CONF_K_UPLINKS] = {"Uplinks", WG_CONF_P, WG_CONF_LIST, k_uplinks},
	[WG_CONF_K_REDUNDANCY] = {"Redundancy", WG_CONF_P, 0, k_redundancy},
	[WG_CONF_K_FAILBACK_HOLD] = {"FailbackHold", WG_CONF_P, 0,
				     k_failback_hold},
	[WG_CONF_K_PROBE_INTERVAL] = {"ProbeInterval", WG_CONF_P, 0,
				      k_probe_interval},
};

static int
parse_list(struct wg_conf_parser *p, const struct wg_conf_key *k, char *v)
{
	char *item, *next;

	for (item = v; item != NULL; item = next) {
		next = strchr(item, ',');
		if (next != NULL)
			*next++ = '\0';
		item = trim(item);
		if (*item == '\0')
			return fail(p, p->line, "empty item in %s", k->name);
		if (k->set(p, item) != 0)
			return p->rc;
	}
	return 0;
}

static int
parse_key(struct wg_conf_parser *p, const char *name, char *v)
{
	const struct wg_conf_key *k = NULL;
	unsigned int i;

	for (i = 0; i < WG_CONF_K_MAX && k == NULL; i++)
		if (wg_conf_keys[i].sect == p->sect &&
		    strcasecmp(wg_conf_keys[i].name, name) == 0)
			k = &wg_conf_keys[i];
	if (k == NULL)
		return fail(p, p->line, "unknown key '%s' in [%s]", name,
			    wg_conf_section_names[p->sect]);
	i = k - wg_conf_keys;
	/* A second PrivateKey or MTU is a mistake, not an override. */
	if (p->key_line[i] != 0 && !(k->flags & WG_CONF_KEY_REPEAT))
		return fail(p, p->line, "duplicate key %s (first on line %u)",
			    k->name, p->key_line[i]);
	if (p->key_line[i] == 0)
		p->key_line[i] = p->line;
	if (k->flags & WG_CONF_KEY_IGNORED)
		return k_ignored(p, k->name);
	if (*v == '\0')
		return (k->flags & WG_CONF_KEY_EMPTY_OK) ? 0 :
			fail(p, p->line, "empty value for %s", k->name);
	if (k->flags & WG_CONF_KEY_LIST)
		return parse_list(p, k, v);
	return k->set(p, v);
}

/* ---- sections ---- */

static bool
has_family(const struct wg_conf_prefix *pfx, unsigned int n, uint8_t family)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (pfx[i].family == family)
			return true;
	return false;
}

static int
end_interface(struct wg_conf_parser *p)
{
	struct wg_conf *c = p->conf;

	if (p->key_line[WG_CONF_K_PRIVATE_KEY] == 0)
		return fail(p, p->sect_line,
			    "missing PrivateKey in [Interface]");
	if (!wg_dh_public(c->public_key, c->private_key))
		return fail(p, p->key_line[WG_CONF_K_PRIVATE_KEY],
			    "PrivateKey has no public key");
	/* An IPv6 link must carry 1280 bytes (RFC 8200): refuse rather
	 * than bring up a TUN that drops IPv6 at random. */
	if (c->mtu < WG_CONF_MIN_MTU_IPV6 &&
	    has_family(c->addrs, c->naddrs, WG_AF_INET6))
		return fail(p, p->key_line[WG_CONF_K_MTU], "MTU %u too small"
			    " for an IPv6 Address (IPv6 needs %u)", c->mtu,
			    WG_CONF_MIN_MTU_IPV6);
	return 0;
}

static int
end_uplink(struct wg_conf_parser *p)
{
	struct wg_conf_uplink *u = cur_uplink(p), *o;
	unsigned int i;

	if (u->name[0] == '\0')
		return fail(p, p->sect_line, "[Uplink] without Name");
	if (u->port[0] == '\0')
		return fail(p, p->sect_line, "[Uplink] '%s' without Port",
			    u->name);
	if (u->naddrs == 0)
		return fail(p, p->sect_line, "[Uplink] '%s' without Address",
			    u->name);
	if (u->has_gateway4 && !has_family(u->addrs, u->naddrs, WG_AF_INET))
		return fail(p, p->key_line[WG_CONF_K_GATEWAY], "IPv4 Gateway"
			    " but no IPv4 Address on uplink '%s'", u->name);
	if (u->has_gateway6 && !has_family(u->addrs, u->naddrs, WG_AF_INET6))
		return fail(p, p->key_line[WG_CONF_K_GATEWAY], "IPv6 Gateway"
			    " but no IPv6 Address on uplink '%s'", u->name);
	/* Only the text can be compared: the app resolves ports later. */
	for (i = 0; i + 1 < p->conf->nuplinks; i++) {
		o = &p->conf->uplinks[i];
		if (strcmp(o->port, u->port) == 0 && o->vlan == u->vlan)
			return fail(p, p->key_line[WG_CONF_K_PORT],
				    "uplink '%s' has the same Port and Vlan as"
				    " uplink '%s' (line %u)", u->name, o->name,
				    o->line);
	}
	return 0;
}

static int
end_section(struct wg_conf_parser *p)
{
	switch (p->sect) {
	case WG_CONF_SECT_INTERFACE:
		return end_interface(p);
	case WG_CONF_SECT_UPLINK:
		return end_uplink(p);
	case WG_CONF_SECT_PEER:
		if (cur_extra(p)->key_line == 0)
			return fail(p, p->sect_line,
				    "[Peer] without PublicKey");
		return 0;
	case WG_CONF_SECT_NONE:
		break;
	}
	return 0;
}

static int
begin_peer(struct wg_conf_parser *p)
{
	struct wg_conf_peer *peer;

	if (WG_CONF_APPEND(p, p->extra, p->nextra) == NULL)
		return p->rc;
	peer = WG_CONF_APPEND(p, p->conf->peers, p->conf->npeers);
	if (peer == NULL)
		return p->rc;
	peer->redundancy = WG_CONF_SINGLE;
	peer->failback_hold_ms = WG_CONF_DEFAULT_FAILBACK_HOLD_MS;
	peer->probe_interval_ms = WG_CONF_DEFAULT_PROBE_INTERVAL_MS;
	peer->line = p->line;
	return 0;
}

static int
parse_header(struct wg_conf_parser *p, char *s)
{
	char *close = strchr(s, ']'), *name;
	struct wg_conf_uplink *u;

	if (close == NULL)
		return fail(p, p->line, "unterminated section header");
	if (*trim(close + 1) != '\0')
		return fail(p, p->line,
			    "trailing garbage after section header");
	*close = '\0';
	name = trim(s + 1);
	if (end_section(p) != 0)
		return p->rc;
	p->sect = WG_CONF_SECT_NONE;
	memset(p->key_line, 0, sizeof(p->key_line));
	if (strcasecmp(name, "Interface") == 0) {
		if (p->interface_line != 0)
			return fail(p, p->line, "duplicate [Interface] section"
				    " (first on line %u)", p->interface_line);
		p->interface_line = p->line;
		p->sect = WG_CONF_SECT_INTERFACE;
	} else if (strcasecmp(name, "Uplink") == 0) {
		u = WG_CONF_APPEND(p, p->conf->uplinks, p->conf->nuplinks);
		if (u == NULL)
			return p->rc;
		u->line = p->line;
		p->sect = WG_CONF_SECT_UPLINK;
	} else if (strcasecmp(name, "Peer") == 0) {
		if (begin_peer(p) != 0)
			return p->rc;
		p->sect = WG_CONF_SECT_PEER;
	} else {
		return fail(p, p->line, "unknown section [%s]", name);
	}
	p->sect_line = p->line;
	return 0;
}

static int
parse_line(struct wg_conf_parser *p, char *s)
{
	char *eq, *key;

	s[strcspn(s, "#")] = '\0';
	s = trim(s);
	if (*s == '\0')
		return 0;
	if (*s == '[')
		return parse_header(p, s);
	eq = strchr(s, '=');
	if (eq == NULL || eq == s)
		return fail(p, p->line, "expected 'Key = Value'");
	*eq = '\0';
	key = trim(s);
	if (p->sect == WG_CONF_SECT_NONE)
		return fail(p, p->line, "key outside of any section: '%s'",
			    key);
	return parse_key(p, key, trim(eq + 1));
}

/* ---- whole-file checks ---- */

struct wg_conf_key_ref {
	uint8_t key[WG_CONF_KEY_LEN];
	unsigned int line;
};

static int
cmp_key_ref(const void *a, const void *b)
{
	const struct wg_conf_key_ref *x = a, *y = b;
	int c = memcmp(x->key, y->key, WG_CONF_KEY_LEN);

	return c != 0 ? c : (x->line > y->line) - (x->line < y->line);
}

static int
check_peer_keys(struct wg_conf_parser *p)
{
	struct wg_conf *c = p->conf;
	struct wg_conf_key_ref *refs;
	unsigned int i, first = 0, bad = 0, bad_first = 0;

	for (i = 0; i < c->npeers; i++)
		if (memcmp(c->peers[i].public_key, c->public_key,
			   WG_CONF_KEY_LEN) == 0)
			return fail(p, p->extra[i].key_line, "peer PublicKey is"
				    " the interface's own public key");
	if (c->npeers < 2)
		return 0;
	refs = calloc(c->npeers, sizeof(*refs));
	if (refs == NULL)
		return fail_nomem(p);
	for (i = 0; i < c->npeers; i++) {
		memcpy(refs[i].key, c->peers[i].public_key, WG_CONF_KEY_LEN);
		refs[i].line = p->extra[i].key_line;
	}
	/* Sorted, duplicates are neighbours; report the earliest. */
	qsort(refs, c->npeers, sizeof(*refs), cmp_key_ref);
	for (i = 1; i < c->npeers; i++) {
		if (memcmp(refs[i].key, refs[first].key, WG_CONF_KEY_LEN) != 0)
			first = i;
		else if (bad == 0 || refs[i].line < bad) {
			bad = refs[i].line;
			bad_first = refs[first].line;
		}
	}
	free(refs);
	if (bad != 0)
		return fail(p, bad, "duplicate peer (same PublicKey as line"
			    " %u)", bad_first);
	return 0;
}

static int
cmp_aip_ref(const void *a, const void *b)
{
	const struct wg_conf_aip_ref *x = a, *y = b;
	int c = memcmp(&x->pfx, &y->pfx, sizeof(x->pfx));

	return c != 0 ? c : (x->line > y->line) - (x->line < y->line);
}

/* Drop the entries marked (len 0xff) as repeats within one peer. */
static void
compact_allowed_ips(struct wg_conf_peer *peer)
{
	unsigned int i, n = 0;

	for (i = 0; i < peer->nallowed; i++)
		if (peer->allowed_ips[i].len != 0xff)
			peer->allowed_ips[n++] = peer->allowed_ips[i];
	peer->nallowed = n;
}

/*
 * A prefix twice in one peer is harmless and kept once, as wg does; in
 * two peers it is refused: wg would silently move it to the later one.
 */
static int
check_allowed_ips(struct wg_conf_parser *p)
{
	struct wg_conf *c = p->conf;
	struct wg_conf_aip_ref *r = p->aips, *bad = NULL, *owner = NULL;
	char buf[WG_CONF_PREFIX_STRLEN];
	unsigned int i, first = 0;

	if (p->naips == 0)
		return 0;
	qsort(r, p->naips, sizeof(*r), cmp_aip_ref);
	for (i = 1; i < p->naips; i++) {
		if (memcmp(&r[i].pfx, &r[first].pfx, sizeof(r[i].pfx)) != 0) {
			first = i;
		} else if (r[i].peer == r[first].peer) {
			c->peers[r[i].peer].allowed_ips[r[i].idx].len = 0xff;
		} else if (bad == NULL || r[i].line < bad->line) {
			bad = &r[i];
			owner = &r[first];
		}
	}
	if (bad != NULL)
		return fail(p, bad->line, "AllowedIPs %s also belongs to the"
			    " [Peer] on line %u",
			    wg_conf_format_prefix(&bad->pfx, buf, sizeof(buf)),
			    c->peers[owner->peer].line);
	for (i = 0; i < c->npeers; i++)
		compact_allowed_ips(&c->peers[i]);
	return 0;
}

static int
find_uplink(const struct wg_conf *c, const char *name)
{
	unsigned int i;

	for (i = 0; i < c->nuplinks; i++)
		if (strcmp(c->uplinks[i].name, name) == 0)
			return i;
	return -1;
}

static int
resolve_uplinks(struct wg_conf_parser *p, struct wg_conf_peer *peer,
		const struct wg_conf_peer_extra *x)
{
	struct wg_conf *c = p->conf;
	unsigned int i, n = x->nrefs != 0 ? x->nrefs : c->nuplinks;
	int idx;

	peer->uplinks_all = x->nrefs == 0;
	if (n == 0)
		return 0;
	peer->uplinks = calloc(n, sizeof(*peer->uplinks));
	if (peer->uplinks == NULL)
		return fail_nomem(p);
	for (i = 0; i < n; i++) {
		idx = peer->uplinks_all ? (int)i :
		      find_uplink(c, x->refs[i].name);
		if (idx < 0)
			return fail(p, x->refs[i].line, "unknown uplink '%s' in"
				    " Uplinks", x->refs[i].name);
		peer->uplinks[peer->nuplinks++] = idx;
	}
	return 0;
}

/* Warn of an endpoint that none of the peer's uplinks has a family for. */
static int
check_endpoint_families(struct wg_conf_parser *p,
			const struct wg_conf_peer *peer, unsigned int line)
{
	const struct wg_conf_uplink *u;
	char buf[WG_CONF_ENDPOINT_STRLEN];
	unsigned int i, j;
	bool ok;

	for (i = 0; i < peer->nendpoints; i++) {
		ok = false;
		for (j = 0; j < peer->nuplinks && !ok; j++) {
			u = &p->conf->uplinks[peer->uplinks[j]];
			ok = has_family(u->addrs, u->naddrs,
					peer->endpoints[i].family);
		}
		if (!ok && warn(p, line, "Endpoint %s unreachable: no uplink of"
				" the peer has an IPv%u Address",
				wg_conf_format_endpoint(&peer->endpoints[i],
							buf, sizeof(buf)),
				peer->endpoints[i].family) != 0)
			return p->rc;
	}
	return 0;
}

static int
check_peer(struct wg_conf_parser *p, struct wg_conf_peer *peer,
	   const struct wg_conf_peer_extra *x)
{
	if (resolve_uplinks(p, peer, x) != 0)
		return p->rc;
	if (peer->nendpoints != 0 && p->conf->nuplinks == 0)
		return fail(p, x->endpoint_line, "peer has an Endpoint but"
			    " there is no [Uplink] to reach it");
	if (check_endpoint_families(p, peer, x->endpoint_line) != 0)
		return p->rc;
	if (peer->redundancy != WG_CONF_SINGLE && peer->nuplinks < 2 &&
	    warn(p, peer->line, "Redundancy = %s has no effect with %u"
		 " uplink(s)", wg_conf_redundancy_name(peer->redundancy),
		 peer->nuplinks) != 0)
		return p->rc;
	if (peer->nallowed == 0 &&
	    warn(p, peer->line, "[Peer] without AllowedIPs: no traffic is"
		 " routed to it") != 0)
		return p->rc;
	return 0;
}

static int
check_file(struct wg_conf_parser *p)
{
	struct wg_conf *c = p->conf;
	unsigned int eof = p->line != 0 ? p->line : 1, i;
	bool v6 = false;

	if (p->interface_line == 0)
		return fail(p, eof, "missing [Interface] section");
	if (check_peer_keys(p) != 0 || check_allowed_ips(p) != 0)
		return p->rc;
	for (i = 0; i < c->npeers; i++) {
		if (check_peer(p, &c->peers[i], &p->extra[i]) != 0)
			return p->rc;
		v6 = v6 || has_family(c->peers[i].allowed_ips,
				      c->peers[i].nallowed, WG_AF_INET6);
	}
	if (v6 && c->mtu < WG_CONF_MIN_MTU_IPV6 &&
	    warn(p, p->interface_line, "MTU %u is below IPv6's %u but peers"
		 " have IPv6 AllowedIPs", c->mtu, WG_CONF_MIN_MTU_IPV6) != 0)
		return p->rc;
	if (c->npeers != 0 && c->nuplinks == 0 &&
	    warn(p, eof, "no [Uplink] section: peers cannot be reached") != 0)
		return p->rc;
	return 0;
}

/* ---- entry points ---- */

static int
parse_text(struct wg_conf_parser *p, const char *text, size_t size)
{
	const char *pos = text, *end = text + size, *nl;
	char line[WG_CONF_LINE_MAX];
	size_t len;

	while (pos < end && p->rc == 0) {
		nl = memchr(pos, '\n', end - pos);
		len = (nl != NULL ? nl : end) - pos;
		p->line++;
		if (len >= WG_CONF_LINE_MAX) {
			fail(p, p->line, "line too long (over %u bytes)",
			     WG_CONF_LINE_MAX - 1);
		} else if (memchr(pos, '\0', len) != NULL) {
			fail(p, p->line, "NUL byte in line");
		} else {
			memcpy(line, pos, len);
			line[len] = '\0';
			parse_line(p, line);
		}
		pos = nl != NULL ? nl + 1 : end;
	}
	wg_memzero(line, sizeof(line));
	if (p->rc == 0)
		end_section(p);
	if (p->rc == 0)
		check_file(p);
	return p->rc;
}

static void
parser_free(struct wg_conf_parser *p)
{
	unsigned int i;

	for (i = 0; i < p->nextra; i++)
		free(p->extra[i].refs);
	free(p->extra);
	free(p->aips);
}

static int
parse(const char *name, const char *text, size_t size,
      struct wg_conf **out, char *err, size_t errlen)
{
	struct wg_conf_parser p = {
		.name = name != NULL ? name : "(config)",
		.err = err,
		.errlen = errlen,
	};
	struct wg_conf *c;

	if (err != NULL && errlen != 0)
		err[0] = '\0';
	*out = NULL;
	/* wg_dh_public() needs libsodium; initialising twice is harmless. */
	if (!wg_crypto_init())
		return fail(&p, 1, "cannot initialise libsodium");
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return fail_nomem(&p);
	name_from_path(c->name, p.name);
	c->listen_port = WG_CONF_DEFAULT_LISTEN_PORT;
	c->mtu = WG_CONF_DEFAULT_MTU;
	c->replay_window = WG_CONF_DEFAULT_REPLAY_WINDOW;
	p.conf = c;
	parse_text(&p, text, size);
	parser_free(&p);
	if (p.rc != 0) {
		wg_conf_free(c);
		return p.rc;
	}
	*out = c;
	return 0;
}

int
wg_conf_parse_string(const char *name, const char *text,
		     struct wg_conf **out, char *err, size_t errlen)
{
	return parse(name, text, strlen(text), out, err, errlen);
}

static void
free_secret(char *b, size_t len)
{
	if (b != NULL)
		wg_memzero(b, len);
	free(b);
}

static int
read_file(FILE *f, char **buf, size_t *size)
{
	size_t cap = 0, len = 0, n = 0;
	char *b = NULL, *bigger;
	int rc = 0;

	errno = 0;
	do {
		if (len == cap) {
			cap = cap == 0 ? 4096 : 2 * cap;
			if (cap > WG_CONF_MAX_FILE) {
				rc = -EFBIG;
				break;
			}
			/* Not realloc: the old copy holds the private key. */
			bigger = malloc(cap);
			if (bigger == NULL) {
				rc = -ENOMEM;
				break;
			}
			if (b != NULL)
				memcpy(bigger, b, len);
			free_secret(b, len);
			b = bigger;
		}
		n = fread(b + len, 1, cap - len, f);
		len += n;
	} while (n != 0);
	if (rc == 0 && ferror(f))
		rc = errno != 0 ? -errno : -EIO;
	if (rc != 0) {
		free_secret(b, len);
		return rc;
	}
	*buf = b;
	*size = len;
	return 0;
}

int
wg_conf_parse_file(const char *path, struct wg_conf **out,
		   char *err, size_t errlen)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f;
	int rc;

	*out = NULL;
	f = fopen(path, "rb");
	if (f == NULL) {
		rc = -errno;
		if (err != NULL && errlen != 0)
			snprintf(err, errlen, "%s: cannot open: %s", path,
				 strerror(-rc));
		return rc;
	}
	rc = read_file(f, &buf, &size);
	fclose(f);
	if (rc != 0) {
		if (err != NULL && errlen != 0)
			snprintf(err, errlen, "%s: cannot read: %s", path,
				 strerror(-rc));
		return rc;
	}
	rc = parse(path, buf, size, out, err, errlen);
	free_secret(buf, size);
	return rc;
}

int
wg_conf_peer_init(struct wg_conf_peer *peer, const struct wg_conf *conf,
		  const uint8_t public_key[WG_CONF_KEY_LEN])
{
	memset(peer, 0, sizeof(*peer));
	memcpy(peer->public_key, public_key, WG_CONF_KEY_LEN);
	peer->redundancy = WG_CONF_SINGLE;
	peer->failback_hold_ms = WG_CONF_DEFAULT_FAILBACK_HOLD_MS;
	peer->probe_interval_ms = WG_CONF_DEFAULT_PROBE_INTERVAL_MS;
	peer->uplinks_all = true;
	if (conf->nuplinks == 0)
		return 0;
	peer->uplinks = calloc(conf->nuplinks, sizeof(*peer->uplinks));
	if (peer->uplinks == NULL)
		return -ENOMEM;
	for (unsigned int i = 0; i < conf->nuplinks; i++)
		peer->uplinks[i] = i;
	peer->nuplinks = conf->nuplinks;
	return 0;
}

static void *
dup_array(const void *src, size_t n, size_t size, bool *failed)
{
	void *dst;

	if (n == 0)
		return NULL;
	dst = malloc(n * size);
	if (dst == NULL) {
		*failed = true;
		return NULL;
	}
	return memcpy(dst, src, n * size);
}

int
wg_conf_peer_copy(struct wg_conf_peer *dst, const struct wg_conf_peer *src)
{
	struct wg_conf_peer tmp = *src;
	bool failed = false;

	tmp.allowed_ips = dup_array(src->allowed_ips, src->nallowed,
				    sizeof(*src->allowed_ips), &failed);
	tmp.endpoints = dup_array(src->endpoints, src->nendpoints,
				  sizeof(*src->endpoints), &failed);
	tmp.uplinks = dup_array(src->uplinks, src->nuplinks,
				sizeof(*src->uplinks), &failed);
	if (failed) {
		wg_conf_peer_clear(&tmp);
		return -ENOMEM;
	}
	*dst = tmp;
	return 0;
}

void
wg_conf_peer_clear(struct wg_conf_peer *peer)
{
	free(peer->allowed_ips);
	free(peer->endpoints);
	free(peer->uplinks);
	wg_memzero(peer, sizeof(*peer));
}

void
wg_conf_free(struct wg_conf *c)
{
	unsigned int i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nuplinks; i++) {
		free(c->uplinks[i].addrs);
		free(c->uplinks[i].neighbors);
	}
	for (i = 0; i < c->npeers; i++) {
		wg_memzero(c->peers[i].psk, sizeof(c->peers[i].psk));
		free(c->peers[i].allowed_ips);
		free(c->peers[i].endpoints);
		free(c->peers[i].uplinks);
	}
	for (i = 0; i < c->nwarnings; i++)
		free(c->warnings[i]);
	free(c->addrs);
	free(c->uplinks);
	free(c->peers);
	free(c->warnings);
	/* The private key, and whatever else: one wipe covers all. */
	wg_memzero(c, sizeof(*c));
	free(c);
}
