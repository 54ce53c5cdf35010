/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef WG_ENDPOINT_H
#define WG_ENDPOINT_H

/**
 * @file
 * A UDP endpoint as the protocol core sees it: address family, address and
 * port. Kept free of socket headers so the core runs anywhere.
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define WG_AF_NONE 0
#define WG_AF_INET 4
#define WG_AF_INET6 6

struct wg_endpoint {
	uint8_t family;          /**< WG_AF_NONE, WG_AF_INET or WG_AF_INET6 */
	uint16_t port;           /**< network byte order */
	union {
		uint8_t v4[4];
		uint8_t v6[16];
	} addr;
};

static inline bool
wg_endpoint_equal(const struct wg_endpoint *a, const struct wg_endpoint *b)
{
	if (a->family != b->family || a->port != b->port)
		return false;
	/* Constant sizes: compared inline (the data path matches every
	 * packet's source to a path), not by a call to memcmp(). */
	if (a->family == WG_AF_INET)
		return memcmp(a->addr.v4, b->addr.v4, 4) == 0;
	return memcmp(a->addr.v6, b->addr.v6, 16) == 0;
}

/**
 * The bytes a cookie binds to (address then port), as the whitepaper's
 * "source IP address and port"; returns their length.
 */
static inline size_t
wg_endpoint_cookie_bytes(const struct wg_endpoint *ep, uint8_t out[18])
{
	size_t alen = ep->family == WG_AF_INET ? 4 : 16;

	memcpy(out, &ep->addr, alen);
	memcpy(out + alen, &ep->port, 2);
	return alen + 2;
}

#endif /* WG_ENDPOINT_H */
