/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration parser: every key of a full file, the defaults of a
 * minimal one, the lexical rules (case, comments, whitespace, lists), the
 * helpers, every error with its exact "NAME:LINE:" prefix, and a fuzz loop
 * of mutated files. Run under ASan, any leak on an error path fails it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wg_check.h"
#include "wg_conf.h"
#include "wg_crypto.h"

#ifndef WG_CONF_TEST_DIR
#define WG_CONF_TEST_DIR "."
#endif

#define CHECK_STR(a, b) do {						\
	const char *_a = (a), *_b = (b);				\
	wg_check_count++;							\
	if (_a == NULL || strcmp(_a, _b) != 0) {			\
		wg_check_failures++;						\
		fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", \
			__FILE__, __LINE__, #a, _a ? _a : "(null)", _b); \
	}								\
} while (0)

/* Keys whose bytes are n, n+1, ... n+31. */
#define K0 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="   /* 0x00 */
#define K1 "JSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4/QEFCQ0Q="   /* 0x25 */
#define K2 "SktMTU5PUFFSU1RVVldYWVpbXF1eX2BhYmNkZWZnaGk="   /* 0x4a */
#define K3 "b3BxcnN0dXZ3eHl6e3x9fn+AgYKDhIWGh4iJiouMjY4="   /* 0x6f */

/* Two lines, and four: the prologue of most test files. */
#define IFACE "[Interface]\nPrivateKey = " K0 "\n"
#define UPLINK "[Uplink]\nName = wan0\nPort = 0\nAddress = 192.0.2.1/24\n"

static bool
key_is_seq(const uint8_t *key, unsigned int first)
{
	unsigned int i;

	for (i = 0; i < 32; i++)
		if (key[i] != (uint8_t)(first + i))
			return false;
	return true;
}

static const char *
pfx_str(const struct wg_conf_prefix *p)
{
	static char buf[WG_CONF_PREFIX_STRLEN];

	return wg_conf_format_prefix(p, buf, sizeof(buf));
}

static const char *
ep_str(const struct wg_endpoint *ep)
{
	static char buf[WG_CONF_ENDPOINT_STRLEN];

	return wg_conf_format_endpoint(ep, buf, sizeof(buf));
}

static const char *
ip_str(uint8_t family, const void *addr)
{
	static char buf[64];

	return inet_ntop(family == WG_AF_INET ? AF_INET : AF_INET6, addr, buf,
			 sizeof(buf));
}

static bool
mac_is(const uint8_t *mac, const char *want)
{
	char buf[18];

	snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return strcmp(buf, want) == 0;
}

/* Parse text as "wg0.conf"; on failure print why and return NULL. */
static struct wg_conf *
parse_ok(int caller, const char *text)
{
	struct wg_conf *c = NULL;
	char err[256];
	int rc = wg_conf_parse_string("wg0.conf", text, &c, err, sizeof(err));

	wg_check_count++;
	if (rc != 0 || c == NULL) {
		wg_check_failures++;
		fprintf(stderr, "%s:%d: parse failed (%d): %s\n", __FILE__,
			caller, rc, err);
		return NULL;
	}
	return c;
}
#define PARSE_OK(text) parse_ok(__LINE__, text)

/* The text must fail with "wg0.conf:LINE: " and a message holding words. */
static void
expect_error(int caller, const char *text, unsigned int line,
	     const char *words)
{
	struct wg_conf *c = (struct wg_conf *)1;
	char err[512], prefix[32];
	int rc;

	rc = wg_conf_parse_string("wg0.conf", text, &c, err, sizeof(err));
	snprintf(prefix, sizeof(prefix), "wg0.conf:%u: ", line);
	wg_check_count++;
	if (rc != -EINVAL || c != NULL ||
	    strncmp(err, prefix, strlen(prefix)) != 0 ||
	    strstr(err + strlen(prefix), words) == NULL) {
		wg_check_failures++;
		fprintf(stderr, "%s:%d: rc %d, error \"%s\"; expected \"%s"
			"...%s...\"\n", __FILE__, caller, rc,
			rc != 0 ? err : "", prefix, words);
		if (rc == 0)
			wg_conf_free(c);
	}
}
#define EXPECT_ERROR(text, line, words) \
	expect_error(__LINE__, text, line, words)

static bool
has_warning(const struct wg_conf *c, const char *start, const char *words)
{
	unsigned int i;

	for (i = 0; i < c->nwarnings; i++)
		if (strncmp(c->warnings[i], start, strlen(start)) == 0 &&
		    strstr(c->warnings[i], words) != NULL)
			return true;
	return false;
}

static void
test_full(void)
{
	const char *path = WG_CONF_TEST_DIR "/full.conf";
	const struct wg_conf_uplink *u;
	const struct wg_conf_peer *p;
	struct wg_conf *c = NULL;
	uint8_t pub[32], priv[32];
	char err[256], w[300];
	unsigned int i;
	int rc;

	rc = wg_conf_parse_file(path, &c, err, sizeof(err));
	CHECK_EQ(rc, 0);
	if (rc != 0) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	CHECK_STR(c->name, "full");
	CHECK(key_is_seq(c->private_key, 0x00));
	memcpy(priv, c->private_key, 32);
	CHECK(wg_dh_public(pub, priv));
	CHECK(memcmp(c->public_key, pub, 32) == 0);
	CHECK_EQ(c->listen_port, 51821);
	CHECK_EQ(c->naddrs, 2);
	CHECK_STR(pfx_str(&c->addrs[0]), "10.9.0.1/24");
	CHECK_STR(pfx_str(&c->addrs[1]), "fd00:9::1/64");
	CHECK_EQ(c->mtu, 1380);
	CHECK_EQ(c->replay_window, 65536);
	CHECK_EQ(c->fwmark, 0x1234);

	/* FwMark, then the eight ignored wg-quick keys, in file order. */
	CHECK_EQ(c->nwarnings, 9);
	for (i = 0; i < c->nwarnings && i < 9; i++) {
		snprintf(w, sizeof(w), "%s:%u: ", path, 11 + i);
		CHECK(strncmp(c->warnings[i], w, strlen(w)) == 0);
	}
	CHECK(has_warning(c, "", "FwMark is stored but not applied"));
	CHECK(has_warning(c, "", "DNS is a wg-quick key; ignored"));
	CHECK(has_warning(c, "", "SaveConfig is a wg-quick key; ignored"));

	CHECK_EQ(c->nuplinks, 2);
	u = &c->uplinks[0];
	CHECK_STR(u->name, "wan0");
	CHECK_STR(u->port, "0000:01:00.0");
	CHECK_EQ(u->naddrs, 2);
	CHECK_STR(pfx_str(&u->addrs[0]), "192.0.2.1/24");
	CHECK_STR(pfx_str(&u->addrs[1]), "2001:db8:1::1/64");
	CHECK(u->has_gateway4);
	CHECK_STR(ip_str(WG_AF_INET, u->gateway4), "192.0.2.254");
	CHECK(u->has_gateway6);
	CHECK_STR(ip_str(WG_AF_INET6, u->gateway6), "fe80::1");
	CHECK_EQ(u->nneighbors, 3);
	CHECK_EQ(u->neighbors[0].family, WG_AF_INET);
	CHECK_STR(ip_str(WG_AF_INET, u->neighbors[0].addr), "192.0.2.2");
	CHECK(mac_is(u->neighbors[0].mac, "02:00:00:00:00:02"));
	CHECK_EQ(u->neighbors[1].family, WG_AF_INET6);
	CHECK_STR(ip_str(WG_AF_INET6, u->neighbors[1].addr), "2001:db8:1::2");
	CHECK(mac_is(u->neighbors[1].mac, "02:00:00:00:00:03"));
	CHECK_STR(ip_str(WG_AF_INET, u->neighbors[2].addr), "192.0.2.3");
	CHECK(mac_is(u->neighbors[2].mac, "0a:00:00:00:00:04"));
	CHECK_EQ(u->priority, 10);
	CHECK_EQ(u->vlan, 100);
	CHECK_EQ(u->line, 21);

	u = &c->uplinks[1];
	CHECK_STR(u->name, "lte0");
	CHECK_STR(u->port, "net_af_xdp0,iface=wwan0");
	CHECK_EQ(u->naddrs, 1);
	CHECK_STR(pfx_str(&u->addrs[0]), "198.51.100.7/24");
	CHECK(u->has_gateway4);
	CHECK_STR(ip_str(WG_AF_INET, u->gateway4), "198.51.100.1");
	CHECK(!u->has_gateway6);
	CHECK_EQ(u->nneighbors, 0);
	CHECK_EQ(u->priority, 20);
	CHECK_EQ(u->vlan, 0);
	CHECK_EQ(u->line, 32);

	CHECK_EQ(c->npeers, 2);
	p = &c->peers[0];
	CHECK(key_is_seq(p->public_key, 0x25));
	CHECK(p->has_psk);
	CHECK(key_is_seq(p->psk, 0x4a));
	CHECK_EQ(p->nallowed, 3);
	CHECK_STR(pfx_str(&p->allowed_ips[0]), "10.9.0.2/32");
	CHECK_STR(pfx_str(&p->allowed_ips[1]), "192.168.1.0/24");
	CHECK_STR(pfx_str(&p->allowed_ips[2]), "fd00:9::2/128");
	CHECK_EQ(p->nendpoints, 2);
	CHECK_EQ(p->endpoints[0].family, WG_AF_INET);
	CHECK_EQ(p->endpoints[0].port, htons(51820));
	CHECK_STR(ep_str(&p->endpoints[0]), "192.0.2.2:51820");
	CHECK_EQ(p->endpoints[1].family, WG_AF_INET6);
	CHECK_STR(ep_str(&p->endpoints[1]), "[2001:db8:1::2]:51820");
	CHECK_EQ(p->keepalive, 25);
	CHECK(!p->uplinks_all);
	CHECK_EQ(p->nuplinks, 2);
	CHECK_EQ(p->uplinks[0], 1);
	CHECK_EQ(p->uplinks[1], 0);
	CHECK_EQ(p->redundancy, WG_CONF_FAILOVER);
	CHECK_EQ(p->failback_hold_ms, 7500);
	CHECK_EQ(p->probe_interval_ms, 250);
	CHECK_EQ(p->line, 39);

	p = &c->peers[1];
	CHECK(key_is_seq(p->public_key, 0x6f));
	CHECK(!p->has_psk);
	CHECK_EQ(p->nallowed, 1);
	CHECK_STR(pfx_str(&p->allowed_ips[0]), "10.9.0.3/32");
	CHECK_EQ(p->nendpoints, 0);
	CHECK_EQ(p->keepalive, 0);
	CHECK(p->uplinks_all);
	CHECK_EQ(p->nuplinks, 2);
	CHECK_EQ(p->uplinks[0], 0);
	CHECK_EQ(p->uplinks[1], 1);
	CHECK_EQ(p->redundancy, WG_CONF_DUPLICATE);
	CHECK_EQ(p->failback_hold_ms, WG_CONF_DEFAULT_FAILBACK_HOLD_MS);
	CHECK_EQ(p->probe_interval_ms, WG_CONF_DEFAULT_PROBE_INTERVAL_MS);
	CHECK_EQ(p->line, 53);
	wg_conf_free(c);
}

static void
test_minimal(void)
{
	struct wg_conf *c = PARSE_OK(IFACE);
	const struct wg_conf_peer *p;

	if (c == NULL)
		return;
	CHECK_STR(c->name, "wg0");
	CHECK(key_is_seq(c->private_key, 0));
	CHECK_EQ(c->listen_port, WG_CONF_DEFAULT_LISTEN_PORT);
	CHECK_EQ(c->mtu, WG_CONF_DEFAULT_MTU);
	CHECK_EQ(c->replay_window, WG_CONF_DEFAULT_REPLAY_WINDOW);
	CHECK_EQ(c->fwmark, 0);
	CHECK_EQ(c->naddrs, 0);
	CHECK_EQ(c->nuplinks, 0);
	CHECK_EQ(c->npeers, 0);
	CHECK_EQ(c->nwarnings, 0);
	wg_conf_free(c);

	/* A peer with nothing but its key gets every default. */
	c = PARSE_OK(IFACE UPLINK "[Peer]\nPublicKey = " K1 "\n");
	if (c == NULL)
		return;
	CHECK_EQ(c->npeers, 1);
	p = &c->peers[0];
	CHECK(!p->has_psk);
	CHECK_EQ(p->nallowed, 0);
	CHECK_EQ(p->nendpoints, 0);
	CHECK_EQ(p->keepalive, 0);
	CHECK(p->uplinks_all);
	CHECK_EQ(p->nuplinks, 1);
	CHECK_EQ(p->uplinks[0], 0);
	CHECK_EQ(p->redundancy, WG_CONF_SINGLE);
	CHECK_EQ(p->failback_hold_ms, 5000);
	CHECK_EQ(p->probe_interval_ms, 1000);
	CHECK_EQ(c->nwarnings, 1);
	CHECK(has_warning(c, "wg0.conf:7: ", "without AllowedIPs"));
	wg_conf_free(c);

	/* No uplink: legal, but said. */
	c = PARSE_OK(IFACE "[Peer]\nPublicKey = " K1 "\nAllowedIPs = ::/0\n");
	if (c == NULL)
		return;
	CHECK_EQ(c->peers[0].nuplinks, 0);
	CHECK(c->peers[0].uplinks == NULL);
	CHECK(has_warning(c, "wg0.conf:5: ", "no [Uplink]"));
	wg_conf_free(c);

	/* The interface name needs a usable file name. */
	CHECK_EQ(wg_conf_parse_string("/etc/dpdk-wg/a-very-long-name.conf",
				      IFACE, &c, NULL, 0), 0);
	if (c != NULL)
		CHECK_STR(c->name, "");
	wg_conf_free(c);
	CHECK_EQ(wg_conf_parse_string("/etc/dpdk-wg/wg1", IFACE, &c, NULL, 0),
		 0);
	if (c != NULL)
		CHECK_STR(c->name, "wg1");
	wg_conf_free(c);
}

static void
test_case_insensitive(void)
{
	struct wg_conf *c = PARSE_OK(
		"[INTERFACE]\n"
		"privatekey = " K0 "\n"
		"LISTENPORT = 1000\n"
		"mtu = 1400\n"
		"replaywindow = 64\n"
		"fwmark = OFF\n"
		"dns = 1.1.1.1\n"
		"[uplink]\n"
		"NAME = wan0\n"
		"port = 0\n"
		"ADDRESS = 192.0.2.1/24\n"
		"gateway = 192.0.2.254\n"
		"neighbor = 192.0.2.2 02:AA:bb:Cc:00:01\n"
		"PRIORITY = 3\n"
		"vlan = 7\n"
		"[pEeR]\n"
		"publickey = " K1 "\n"
		"presharedkey = " K2 "\n"
		"allowedips = 10.0.0.0/8\n"
		"ENDPOINT = 192.0.2.9:1\n"
		"persistentkeepalive = OFF\n"
		"uplinks = wan0\n"
		"redundancy = DUPLICATE\n"
		"failbackhold = 1\n"
		"probeinterval = 2\n");

	if (c == NULL)
		return;
	CHECK_EQ(c->listen_port, 1000);
	CHECK_EQ(c->mtu, 1400);
	CHECK_EQ(c->replay_window, 64);
	CHECK_EQ(c->uplinks[0].priority, 3);
	CHECK_EQ(c->uplinks[0].vlan, 7);
	CHECK(mac_is(c->uplinks[0].neighbors[0].mac, "02:aa:bb:cc:00:01"));
	CHECK(c->peers[0].has_psk);
	CHECK_EQ(c->peers[0].redundancy, WG_CONF_DUPLICATE);
	CHECK_EQ(c->peers[0].failback_hold_ms, 1000);
	CHECK_EQ(c->peers[0].probe_interval_ms, 2000);
	CHECK(has_warning(c, "wg0.conf:7: ", "DNS is a wg-quick key"));
	wg_conf_free(c);

	/* Names are values, not keys: they stay case-sensitive. */
	EXPECT_ERROR(IFACE UPLINK "[Peer]\nPublicKey = " K1
		     "\nUplinks = WAN0\n", 9,
		     "unknown uplink 'WAN0' in Uplinks");
}

static void
test_lexical(void)
{
	struct wg_conf *c = PARSE_OK(
		"# leading comment\n"
		"\n"
		"   \t\n"
		"  [ Interface ]   # section comment\r\n"
		"PrivateKey=" K0 "#no space before the comment\r\n"
		"\tListenPort\t=\t4242\t\n"
		"MTU = 1280 # six\n"
		"#MTU = 9000\n"
		"Address = 10.0.0.1/24 ,fd00::1/64,  10.0.1.1/24\n"
		"Address =\n"
		"[Peer]\n"
		"PublicKey = " K1 "\n"
		"AllowedIPs =\n"
		"AllowedIPs = 10.0.0.2/32\n"
		"AllowedIPs = 10.0.3.0/24,10.0.4.0/24  # more\n"
		"[Uplink]\n"
		"Name = wan0\n"
		"Port = 0\n"
		"Address = 192.0.2.1/24\n"
		"Priority = 5");            /* no final newline */

	if (c == NULL)
		return;
	CHECK_EQ(c->listen_port, 4242);
	CHECK_EQ(c->mtu, 1280);
	CHECK_EQ(c->naddrs, 3);
	CHECK_STR(pfx_str(&c->addrs[2]), "10.0.1.1/24");
	CHECK_EQ(c->peers[0].nallowed, 3);
	CHECK_STR(pfx_str(&c->peers[0].allowed_ips[2]), "10.0.4.0/24");
	CHECK_EQ(c->uplinks[0].priority, 5);
	CHECK_EQ(c->nwarnings, 0);
	wg_conf_free(c);
}

static void
test_repeats(void)
{
	struct wg_conf *c;

	/* An empty Uplinks is refused; the file without it parses. */
	EXPECT_ERROR(
		IFACE
		"[Uplink]\n"
		"Name = u\n"
		"Port = 1\n"
		"Address = 192.0.2.1/24\n"
		"Address = 2001:db8::1/64\n"
		"Neighbor = 192.0.2.2 02:00:00:00:00:01\n"
		"Neighbor = 192.0.2.3 02:00:00:00:00:02\n"
		"Neighbor = 2001:db8::2 02:00:00:00:00:03,"
		" 2001:db8::3 02:00:00:00:00:04\n"
		"Gateway = 192.0.2.254, 2001:db8::fe\n"
		"[Peer]\n"
		"PublicKey = " K1 "\n"
		"Endpoint = 192.0.2.2:1\n"
		"Endpoint = [2001:db8::2]:65535, 192.0.2.3:51820\n"
		"Endpoint = [::ffff:192.0.2.4]:2\n"
		"AllowedIPs = 10.0.0.0/24\n"
		"AllowedIPs = 10.0.1.0/24, ::/0\n"
		"AllowedIPs = 10.0.0.9/24\n"      /* masked: a repeat */
		"AllowedIPs = 0.0.0.0/0\n"
		"Uplinks = u\n"
		"Uplinks = \n", 22, "empty value for Uplinks");
	c = PARSE_OK(
		IFACE
		"[Uplink]\n"
		"Name = u\n"
		"Port = 1\n"
		"Address = 192.0.2.1/24\n"
		"Address = 2001:db8::1/64\n"
		"Neighbor = 192.0.2.2 02:00:00:00:00:01\n"
		"Neighbor = 192.0.2.3 02:00:00:00:00:02\n"
		"Neighbor = 2001:db8::2 02:00:00:00:00:03,"
		" 2001:db8::3 02:00:00:00:00:04\n"
		"Gateway = 192.0.2.254, 2001:db8::fe\n"
		"[Peer]\n"
		"PublicKey = " K1 "\n"
		"Endpoint = 192.0.2.2:1\n"
		"Endpoint = [2001:db8::2]:65535, 192.0.2.3:51820\n"
		"Endpoint = [::ffff:192.0.2.4]:2\n"
		"AllowedIPs = 10.0.0.0/24\n"
		"AllowedIPs = 10.0.1.0/24, ::/0\n"
		"AllowedIPs = 10.0.0.9/24\n"
		"AllowedIPs = 0.0.0.0/0\n"
		"Uplinks = u\n");
	if (c == NULL)
		return;
	CHECK_EQ(c->uplinks[0].naddrs, 2);
	CHECK_EQ(c->uplinks[0].nneighbors, 4);
	CHECK_STR(ip_str(WG_AF_INET6, c->uplinks[0].neighbors[3].addr),
		  "2001:db8::3");
	CHECK(mac_is(c->uplinks[0].neighbors[3].mac, "02:00:00:00:00:04"));
	CHECK_STR(ip_str(WG_AF_INET6, c->uplinks[0].gateway6), "2001:db8::fe");
	CHECK_EQ(c->peers[0].nendpoints, 4);
	CHECK_STR(ep_str(&c->peers[0].endpoints[1]), "[2001:db8::2]:65535");
	CHECK_EQ(c->peers[0].endpoints[1].port, htons(65535));
	CHECK_STR(ep_str(&c->peers[0].endpoints[2]), "192.0.2.3:51820");
	CHECK_EQ(c->peers[0].endpoints[3].family, WG_AF_INET6);
	/* 10.0.0.9/24 is 10.0.0.0/24 again: kept once, with a warning. */
	CHECK_EQ(c->peers[0].nallowed, 4);
	CHECK_STR(pfx_str(&c->peers[0].allowed_ips[0]), "10.0.0.0/24");
	CHECK_STR(pfx_str(&c->peers[0].allowed_ips[1]), "10.0.1.0/24");
	CHECK_STR(pfx_str(&c->peers[0].allowed_ips[2]), "::/0");
	CHECK_STR(pfx_str(&c->peers[0].allowed_ips[3]), "0.0.0.0/0");
	CHECK(has_warning(c, "wg0.conf:19: ",
			  "host bits set; using 10.0.0.0/24"));
	CHECK_EQ(c->nwarnings, 1);
	wg_conf_free(c);
}

static void
test_masking(void)
{
	struct wg_conf *c = PARSE_OK(
		IFACE
		"Address = 10.9.0.1/24\n"          /* a host's: not masked */
		"[Peer]\n"
		"PublicKey = " K1 "\n"
		"AllowedIPs = 10.9.0.2/24, fd00::1:2:3/64, 255.255.255.255/1\n"
		"AllowedIPs = 10.1.2.3/0, 10.1.2.3/31, 10.1.2.3\n");

	if (c == NULL)
		return;
	CHECK_STR(pfx_str(&c->addrs[0]), "10.9.0.1/24");
	CHECK_EQ(c->peers[0].nallowed, 6);
	CHECK_STR(pfx_str(&c->peers[0].allowed_ips[0]), "10.9.0.0/24");
	CHECK_STR(pfx_str(&c->peers[0].allowed_ips[1]), "fd00::/64");
	CHECK_STR(pfx_str(&c->peers[0].allowed_ips[2]), "128.0.0.0/1");
	CHECK_STR(pfx_str(&c->peers[0].allowed_ips[3]), "0.0.0.0/0");
	CHECK_STR(pfx_str(&c->peers[0].allowed_ips[4]), "10.1.2.2/31");
	CHECK_STR(pfx_str(&c->peers[0].allowed_ips[5]), "10.1.2.3/32");
	CHECK(has_warning(c, "wg0.conf:6: ", "'10.9.0.2/24' has host bits"));
	CHECK(has_warning(c, "wg0.conf:7: ", "'10.1.2.3/31' has host bits"));
	wg_conf_free(c);
}

static void
test_values(void)
{
	struct wg_conf *c;

	c = PARSE_OK(IFACE "ListenPort = 65535\nMTU = 9000\n"
		     "ReplayWindow = 16777216\nFwMark = 4294967295\n");
	if (c != NULL) {
		CHECK_EQ(c->listen_port, 65535);
		CHECK_EQ(c->mtu, 9000);
		CHECK_EQ(c->replay_window, 16777216);
		CHECK_EQ(c->fwmark, 4294967295U);
	}
	wg_conf_free(c);
	c = PARSE_OK(IFACE "ListenPort = 1\nMTU = 576\nReplayWindow = 64\n"
		     "FwMark = 0XfF\n"
		     "[Uplink]\nName = a\nPort = 0\nAddress = 192.0.2.1/24\n"
		     "Priority = 4294967295\nVlan = 4094\n"
		     "[Peer]\nPublicKey = " K1 "\nAllowedIPs = 10.0.0.0/8\n"
		     "PersistentKeepalive = 65535\nFailbackHold = 0\n"
		     "ProbeInterval = 0.1\n"
		     "[Peer]\nPublicKey = " K2 "\nAllowedIPs = 10.1.0.0/16\n"
		     "PersistentKeepalive = 0\nFailbackHold = 3600\n"
		     "ProbeInterval = 3600.000\n");
	if (c != NULL) {
		CHECK_EQ(c->listen_port, 1);
		CHECK_EQ(c->mtu, 576);
		CHECK_EQ(c->fwmark, 255);
		CHECK_EQ(c->uplinks[0].priority, 4294967295U);
		CHECK_EQ(c->uplinks[0].vlan, 4094);
		CHECK_EQ(c->peers[0].keepalive, 65535);
		CHECK_EQ(c->peers[0].failback_hold_ms, 0);
		CHECK_EQ(c->peers[0].probe_interval_ms, 100);
		CHECK_EQ(c->peers[1].failback_hold_ms, 3600000);
		CHECK_EQ(c->peers[1].probe_interval_ms, 3600000);
	}
	wg_conf_free(c);
	c = PARSE_OK(IFACE "[Peer]\nPublicKey = " K1 "\nFailbackHold = 0.5\n"
		     "ProbeInterval = 1.25\n");
	if (c != NULL) {
		CHECK_EQ(c->peers[0].failback_hold_ms, 500);
		CHECK_EQ(c->peers[0].probe_interval_ms, 1250);
	}
	wg_conf_free(c);
}

static void
test_helpers(void)
{
	struct wg_conf_prefix pfx;
	struct wg_endpoint ep;
	char small[8];

	CHECK_EQ(wg_conf_parse_prefix("10.0.0.1", &pfx), 0);
	CHECK_EQ(pfx.family, WG_AF_INET);
	CHECK_EQ(pfx.len, 32);
	CHECK_EQ(wg_conf_parse_prefix("::1", &pfx), 0);
	CHECK_EQ(pfx.family, WG_AF_INET6);
	CHECK_EQ(pfx.len, 128);
	CHECK_EQ(wg_conf_parse_prefix("2001:db8::1/48", &pfx), 0);
	CHECK(wg_conf_prefix_mask(&pfx));
	CHECK_STR(pfx_str(&pfx), "2001:db8::/48");
	CHECK(!wg_conf_prefix_mask(&pfx));
	CHECK_EQ(wg_conf_parse_prefix("10.0.0.1/33", &pfx), -ERANGE);
	CHECK_EQ(wg_conf_parse_prefix("::/129", &pfx), -ERANGE);
	CHECK_EQ(wg_conf_parse_prefix("::/99999999999999999999999", &pfx),
		 -ERANGE);
	CHECK_EQ(wg_conf_parse_prefix("10.0.0.1/", &pfx), -EINVAL);
	CHECK_EQ(wg_conf_parse_prefix("10.0.0.1/-1", &pfx), -EINVAL);
	CHECK_EQ(wg_conf_parse_prefix("10.0.0.1/+8", &pfx), -EINVAL);
	CHECK_EQ(wg_conf_parse_prefix("10.0.0.1/ 8", &pfx), -EINVAL);
	CHECK_EQ(wg_conf_parse_prefix("10.0.0.1/8x", &pfx), -EINVAL);
	CHECK_EQ(wg_conf_parse_prefix("10.0.0.1/8/8", &pfx), -EINVAL);
	CHECK_EQ(wg_conf_parse_prefix("10.0.0/8", &pfx), -EINVAL);
	CHECK_EQ(wg_conf_parse_prefix("010.0.0.1/8", &pfx), -EINVAL);
	CHECK_EQ(wg_conf_parse_prefix("", &pfx), -EINVAL);
	CHECK_EQ(wg_conf_parse_prefix("/8", &pfx), -EINVAL);
	CHECK_EQ(wg_conf_parse_prefix("example.com/8", &pfx), -EINVAL);

	CHECK_EQ(wg_conf_parse_endpoint("192.0.2.1:51820", &ep), 0);
	CHECK_EQ(ep.family, WG_AF_INET);
	CHECK_EQ(ep.port, htons(51820));
	CHECK_EQ(ep.addr.v4[0], 192);
	CHECK_EQ(wg_conf_parse_endpoint("[2001:db8::1]:1", &ep), 0);
	CHECK_EQ(ep.family, WG_AF_INET6);
	CHECK_EQ(ep.port, htons(1));
	CHECK_STR(ep_str(&ep), "[2001:db8::1]:1");
	CHECK_EQ(wg_conf_parse_endpoint("192.0.2.1:0", &ep), -EINVAL);
	CHECK_EQ(wg_conf_parse_endpoint("192.0.2.1:65536", &ep), -EINVAL);
	CHECK_EQ(wg_conf_parse_endpoint("192.0.2.1:", &ep), -EINVAL);
	CHECK_EQ(wg_conf_parse_endpoint("192.0.2.1", &ep), -EINVAL);
	CHECK_EQ(wg_conf_parse_endpoint(":51820", &ep), -EINVAL);
	CHECK_EQ(wg_conf_parse_endpoint("192.0.2.1:+1", &ep), -EINVAL);
	CHECK_EQ(wg_conf_parse_endpoint("192.0.2.1:1x", &ep), -EINVAL);
	CHECK_EQ(wg_conf_parse_endpoint("2001:db8::1:51820", &ep), -EINVAL);
	CHECK_EQ(wg_conf_parse_endpoint("[2001:db8::1]", &ep), -EINVAL);
	CHECK_EQ(wg_conf_parse_endpoint("[2001:db8::1]51820", &ep), -EINVAL);
	CHECK_EQ(wg_conf_parse_endpoint("[192.0.2.1]:1", &ep), -EINVAL);
	CHECK_EQ(wg_conf_parse_endpoint("[fe80::1%eth0]:1", &ep), -EINVAL);
	CHECK_EQ(wg_conf_parse_endpoint("vpn.example.com:51820", &ep),
		 -EINVAL);
	CHECK_EQ(wg_conf_parse_endpoint("localhost:51820", &ep), -EINVAL);
	CHECK(ep.family == WG_AF_NONE);

	CHECK_EQ(wg_conf_parse_prefix("192.0.2.1/24", &pfx), 0);
	CHECK(wg_conf_format_prefix(&pfx, small, sizeof(small)) == NULL);
	pfx.family = WG_AF_NONE;
	CHECK(wg_conf_format_prefix(&pfx, small, sizeof(small)) == NULL);
	CHECK_EQ(wg_conf_parse_endpoint("192.0.2.1:1", &ep), 0);
	CHECK(wg_conf_format_endpoint(&ep, small, sizeof(small)) == NULL);
	CHECK_STR(wg_conf_redundancy_name(WG_CONF_FAILOVER), "failover");
}

static void
test_errors(void)
{
	char long_line[WG_CONF_LINE_MAX + 64];
	char self_key[45];
	uint8_t priv[32], pub[32];
	char text[WG_CONF_LINE_MAX + 256];
	unsigned int i;

	/* Lexical. */
	EXPECT_ERROR("PrivateKey = " K0 "\n", 1, "key outside of any section");
	EXPECT_ERROR("\n\nMTU = 1\n[Interface]\n", 3,
		     "key outside of any section: 'MTU'");
	EXPECT_ERROR(IFACE "[Peer\nPublicKey = " K1 "\n", 3,
		     "unterminated section header");
	EXPECT_ERROR(IFACE "[Peer] x\n", 3,
		     "trailing garbage after section header");
	EXPECT_ERROR(IFACE "[Peers]\n", 3, "unknown section [Peers]");
	EXPECT_ERROR(IFACE "[]\n", 3, "unknown section []");
	EXPECT_ERROR(IFACE "MTU 1420\n", 3, "expected 'Key = Value'");
	EXPECT_ERROR(IFACE "= 1420\n", 3, "expected 'Key = Value'");
	EXPECT_ERROR(IFACE "[Peer]\nPublicKey = " K1 "\nFoo = 1\n", 5,
		     "unknown key 'Foo' in [Peer]");
	EXPECT_ERROR(IFACE "PublicKey = " K1 "\n", 3,
		     "unknown key 'PublicKey' in [Interface]");
	EXPECT_ERROR(IFACE "[Uplink]\nEndpoint = 192.0.2.1:1\n", 4,
		     "unknown key 'Endpoint' in [Uplink]");
	memset(long_line, 'x', sizeof(long_line) - 1);
	long_line[sizeof(long_line) - 1] = '\0';
	snprintf(text, sizeof(text), IFACE "# %s\n", long_line);
	EXPECT_ERROR(text, 3, "line too long");
	/* The longest line that is not too long. */
	memset(long_line, ' ', WG_CONF_LINE_MAX - 1);
	long_line[WG_CONF_LINE_MAX - 1] = '\0';
	memcpy(long_line, "MTU=1400", 8);
	snprintf(text, sizeof(text), IFACE "%s\n", long_line);
	wg_conf_free(PARSE_OK(text));
	long_line[WG_CONF_LINE_MAX - 2] = '\0';
	snprintf(text, sizeof(text), IFACE "%s  \n", long_line);
	EXPECT_ERROR(text, 3, "line too long");

	/* Sections. */
	EXPECT_ERROR("", 1, "missing [Interface] section");
	EXPECT_ERROR("# nothing\n\n[Peer]\nPublicKey = " K1 "\n", 4,
		     "missing [Interface] section");
	EXPECT_ERROR("[Interface]\nListenPort = 1\n[Peer]\n", 1,
		     "missing PrivateKey in [Interface]");
	EXPECT_ERROR("[Interface]\n", 1, "missing PrivateKey in [Interface]");
	EXPECT_ERROR(IFACE "[Interface]\n", 3,
		     "duplicate [Interface] section (first on line 1)");
	EXPECT_ERROR(IFACE "[Peer]\nAllowedIPs = 10.0.0.1/32\n[Peer]\n", 3,
		     "[Peer] without PublicKey");
	EXPECT_ERROR(IFACE "[Peer]\n", 3, "[Peer] without PublicKey");
	EXPECT_ERROR(IFACE "[Uplink]\nPort = 0\nAddress = 192.0.2.1/24\n", 3,
		     "[Uplink] without Name");
	EXPECT_ERROR(IFACE "[Uplink]\nName = a\nAddress = 192.0.2.1/24\n", 3,
		     "[Uplink] 'a' without Port");
	EXPECT_ERROR(IFACE "[Uplink]\nName = a\nPort = 0\n[Peer]\n", 3,
		     "[Uplink] 'a' without Address");

	/* Duplicate keys and values. */
	EXPECT_ERROR(IFACE "PrivateKey = " K1 "\n", 3,
		     "duplicate key PrivateKey (first on line 2)");
	EXPECT_ERROR(IFACE "mtu = 1400\nMTU = 1400\n", 4,
		     "duplicate key MTU (first on line 3)");
	EXPECT_ERROR(IFACE "[Peer]\nPublicKey = " K1 "\nPersistentKeepalive = 1"
		     "\nPersistentKeepalive = 1\n", 6,
		     "duplicate key PersistentKeepalive");
	EXPECT_ERROR(IFACE "Address = 10.0.0.1/24\nAddress = 10.0.0.1/24\n", 4,
		     "duplicate Address '10.0.0.1/24'");
	EXPECT_ERROR(IFACE "[Peer]\nPublicKey = " K1 "\n[Peer]\nPublicKey = "
		     K2 "\n[Peer]\nPublicKey = " K1 "\n", 8,
		     "duplicate peer (same PublicKey as line 4)");
	/* The earliest repeat is the one reported. */
	EXPECT_ERROR(IFACE "[Peer]\nPublicKey = " K2 "\n[Peer]\nPublicKey = "
		     K1 "\n[Peer]\nPublicKey = " K1 "\n[Peer]\nPublicKey = "
		     K2 "\n", 8, "duplicate peer (same PublicKey as line 6)");
	EXPECT_ERROR(IFACE UPLINK "[Uplink]\nName = wan0\n", 8,
		     "duplicate uplink name 'wan0' (first on line 3)");
	EXPECT_ERROR(IFACE UPLINK "[Uplink]\nName = lte0\nPort = 0\n"
		     "Address = 198.51.100.1/24\n", 9,
		     "has the same Port and Vlan as uplink 'wan0' (line 3)");
	EXPECT_ERROR(IFACE "[Peer]\nPublicKey = " K1 "\nAllowedIPs = 10.0.0.0/8"
		     "\n[Peer]\nPublicKey = " K2 "\nAllowedIPs = 10.1.0.0/16, "
		     "10.0.0.0/8\n", 8,
		     "AllowedIPs 10.0.0.0/8 also belongs to the [Peer] on"
		     " line 3");
	EXPECT_ERROR(IFACE UPLINK "[Peer]\nPublicKey = " K1 "\nEndpoint = "
		     "192.0.2.2:1, 192.0.2.2:1\n", 9, "duplicate Endpoint");
	EXPECT_ERROR(IFACE UPLINK "Neighbor = 192.0.2.2 02:00:00:00:00:01\n"
		     "Neighbor = 192.0.2.2 02:00:00:00:00:02\n", 8,
		     "duplicate Neighbor '192.0.2.2'");
	EXPECT_ERROR(IFACE UPLINK "Gateway = 192.0.2.254, 192.0.2.253\n", 7,
		     "duplicate IPv4 Gateway");
	EXPECT_ERROR(IFACE UPLINK "Gateway = ::1\n", 7,
		     "IPv6 Gateway but no IPv6 Address on uplink 'wan0'");
	EXPECT_ERROR(IFACE "[Uplink]\nName = a\nPort = 0\nAddress = ::2/64\n"
		     "Gateway = 10.0.0.1\n", 7,
		     "IPv4 Gateway but no IPv4 Address");

	/* Keys. */
	EXPECT_ERROR("[Interface]\nPrivateKey = " K0 "x\n", 2,
		     "bad base64 key");
	EXPECT_ERROR("[Interface]\nPrivateKey = AAECAwQFBgcICQoLDA0ODxAREhMUFRY"
		     "XGBkaGxwdHh8\n", 2, "bad base64 key for PrivateKey");
	EXPECT_ERROR("[Interface]\nPrivateKey = hello\n", 2, "bad base64 key");
	EXPECT_ERROR(IFACE "[Peer]\nPublicKey = " K1 "==\n", 4,
		     "bad base64 key for PublicKey");
	EXPECT_ERROR(IFACE "[Peer]\nPublicKey = " K1 "\nPresharedKey = !\n", 5,
		     "bad base64 key for PresharedKey");
	EXPECT_ERROR(IFACE "[Peer]\nPublicKey =\n", 4, "empty value for "
		     "PublicKey");
	/* The interface's own key as a peer. */
	CHECK(wg_key_from_base64(priv, K0));
	CHECK(wg_dh_public(pub, priv));
	wg_key_to_base64(self_key, pub);
	snprintf(text, sizeof(text), IFACE "[Peer]\nPublicKey = %s\n",
		 self_key);
	EXPECT_ERROR(text, 4, "peer PublicKey is the interface's own");

	/* Addresses. */
	EXPECT_ERROR(IFACE "Address = 10.0.0.300/24\n", 3,
		     "bad address '10.0.0.300/24'");
	EXPECT_ERROR(IFACE "Address = 10.0.0.1/33\n", 3,
		     "prefix length 33 out of range");
	EXPECT_ERROR(IFACE "[Peer]\nPublicKey = " K1 "\nAllowedIPs = ::/129\n",
		     5, "prefix length 129 out of range");
	EXPECT_ERROR(IFACE "[Peer]\nPublicKey = " K1 "\nAllowedIPs = 10.0.0.1/"
		     "x\n", 5, "bad address '10.0.0.1/x'");
	EXPECT_ERROR(IFACE "[Peer]\nPublicKey = " K1 "\nAllowedIPs = 10.0.0.1/8"
		     ",,10.0.0.2\n", 5, "empty item in AllowedIPs");
	EXPECT_ERROR(IFACE "[Peer]\nPublicKey = " K1 "\nAllowedIPs = 10.0.0.0/8"
		     ",\n", 5, "empty item in AllowedIPs");
	EXPECT_ERROR(IFACE "[Uplink]\nName = a\nPort = 0\nAddress =\n", 6,
		     "empty value for Address");
	EXPECT_ERROR(IFACE UPLINK "Gateway = 192.0.2.254/32\n", 7,
		     "bad address '192.0.2.254/32' in Gateway");
	EXPECT_ERROR(IFACE UPLINK "Neighbor = 192.0.2.2\n", 7,
		     "bad Neighbor '192.0.2.2'");
	EXPECT_ERROR(IFACE UPLINK "Neighbor = 192.0.2.300 02:00:00:00:00:01\n",
		     7, "bad address '192.0.2.300' in Neighbor");
	EXPECT_ERROR(IFACE UPLINK "Neighbor = 192.0.2.2 02:00:00:00:00\n", 7,
		     "bad MAC '02:00:00:00:00'");
	EXPECT_ERROR(IFACE UPLINK "Neighbor = 192.0.2.2 02:00:00:00:00:0g\n", 7,
		     "bad MAC");
	EXPECT_ERROR(IFACE UPLINK "Neighbor = 192.0.2.2 02-00-00-00-00-01\n", 7,
		     "bad MAC");
	EXPECT_ERROR(IFACE UPLINK "Neighbor = 192.0.2.2 01:00:5e:00:00:01\n", 7,
		     "bad MAC");
	EXPECT_ERROR(IFACE UPLINK "Neighbor = 192.0.2.2 00:00:00:00:00:00\n", 7,
		     "bad MAC");
	EXPECT_ERROR(IFACE UPLINK "Neighbor = 192.0.2.2 02:00:00:00:00:01 x\n",
		     7, "bad MAC");

	/* Endpoints: literal addresses only. */
	EXPECT_ERROR(IFACE UPLINK "[Peer]\nPublicKey = " K1 "\nEndpoint = "
		     "vpn.example.com:51820\n", 9,
		     "bad endpoint 'vpn.example.com:51820'");
	EXPECT_ERROR(IFACE UPLINK "[Peer]\nPublicKey = " K1 "\nEndpoint = "
		     "2001:db8::1:51820\n", 9, "bad endpoint");
	EXPECT_ERROR(IFACE UPLINK "[Peer]\nPublicKey = " K1 "\nEndpoint = "
		     "192.0.2.1\n", 9, "bad endpoint");
	EXPECT_ERROR(IFACE UPLINK "[Peer]\nPublicKey = " K1 "\nEndpoint = "
		     "192.0.2.1:0\n", 9, "bad endpoint");
	EXPECT_ERROR(IFACE "[Peer]\nPublicKey = " K1 "\nEndpoint = 192.0.2.1:1"
		     "\n", 5, "peer has an Endpoint but there is no [Uplink]");

	/* Numbers. */
	EXPECT_ERROR(IFACE "ListenPort = 0\n", 3, "ListenPort out of range");
	EXPECT_ERROR(IFACE "ListenPort = 65536\n", 3,
		     "ListenPort out of range");
	EXPECT_ERROR(IFACE "ListenPort = 99999999999999999999999\n", 3,
		     "ListenPort out of range");
	EXPECT_ERROR(IFACE "ListenPort = abc\n", 3,
		     "bad number 'abc' for ListenPort");
	EXPECT_ERROR(IFACE "ListenPort = -1\n", 3, "bad number '-1'");
	EXPECT_ERROR(IFACE "ListenPort = +1\n", 3, "bad number '+1'");
	EXPECT_ERROR(IFACE "ListenPort = 0x10\n", 3, "bad number '0x10'");
	EXPECT_ERROR(IFACE "MTU = 1420x\n", 3, "bad number '1420x' for MTU");
	EXPECT_ERROR(IFACE "MTU = 14 20\n", 3, "bad number '14 20' for MTU");
	EXPECT_ERROR(IFACE "MTU = 1420.0\n", 3, "bad number");
	EXPECT_ERROR(IFACE "MTU = 575\n", 3,
		     "MTU out of range: 575 (576..9000)");
	EXPECT_ERROR(IFACE "MTU = 9001\n", 3, "MTU out of range");
	EXPECT_ERROR(IFACE "Address = 10.0.0.1/24, fd00::1/64\nMTU = 1279\n", 4,
		     "MTU 1279 too small for an IPv6 Address");
	EXPECT_ERROR(IFACE "MTU = 1000\nAddress = fd00::1/64\n", 3,
		     "too small for an IPv6 Address");
	EXPECT_ERROR(IFACE "ReplayWindow = 63\n", 3,
		     "ReplayWindow out of range");
	EXPECT_ERROR(IFACE "ReplayWindow = 16777217\n", 3,
		     "ReplayWindow out of range");
	EXPECT_ERROR(IFACE "FwMark = 0x100000000\n", 3, "FwMark out of range");
	EXPECT_ERROR(IFACE "FwMark = 0x\n", 3, "bad number '0x' for FwMark");
	EXPECT_ERROR(IFACE "FwMark = on\n", 3, "bad number 'on' for FwMark");
	EXPECT_ERROR(IFACE UPLINK "Vlan = 0\n", 7, "Vlan out of range");
	EXPECT_ERROR(IFACE UPLINK "Vlan = 4095\n", 7, "Vlan out of range");
	EXPECT_ERROR(IFACE UPLINK "Priority = 4294967296\n", 7,
		     "Priority out of range");
	EXPECT_ERROR(IFACE UPLINK "Priority = -1\n", 7, "bad number");
	EXPECT_ERROR(IFACE "[Peer]\nPublicKey = " K1 "\nPersistentKeepalive = "
		     "65536\n", 5, "PersistentKeepalive out of range");
	EXPECT_ERROR(IFACE "[Peer]\nPublicKey = " K1 "\nPersistentKeepalive = "
		     "no\n", 5, "bad number 'no' for PersistentKeepalive");
	{
		static const char *const bad[] = {
			"1.", ".5", "1.2345", "1e3", "-1", "0x10", "inf",
			"1,5", "1 s", "5s", "1..2", "",
		};

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			snprintf(text, sizeof(text), IFACE "[Peer]\nPublicKey "
				 "= " K1 "\nFailbackHold = %s\n", bad[i]);
			EXPECT_ERROR(text, 5, bad[i][0] == '\0' ?
				     "empty value" : "bad duration");
		}
	}
	EXPECT_ERROR(IFACE "[Peer]\nPublicKey = " K1 "\nFailbackHold = 3600.001"
		     "\n", 5, "FailbackHold out of range: 3600.001 (0..3600"
		     " seconds)");
	EXPECT_ERROR(IFACE "[Peer]\nPublicKey = " K1 "\nProbeInterval = 0.05\n",
		     5, "ProbeInterval out of range: 0.05 (0.1..3600 seconds)");
	EXPECT_ERROR(IFACE "[Peer]\nPublicKey = " K1 "\nProbeInterval = "
		     "99999999999999999999\n", 5, "ProbeInterval out of range");
	EXPECT_ERROR(IFACE "[Peer]\nPublicKey = " K1 "\nRedundancy = both\n", 5,
		     "bad Redundancy 'both'");

	/* Uplink names. */
	EXPECT_ERROR(IFACE UPLINK "[Peer]\nPublicKey = " K1 "\nUplinks = wan0,"
		     " lte9\n", 9, "unknown uplink 'lte9' in Uplinks");
	EXPECT_ERROR(IFACE "[Peer]\nPublicKey = " K1 "\nUplinks = lte0\n"
		     UPLINK, 5, "unknown uplink 'lte0' in Uplinks");
	EXPECT_ERROR(IFACE UPLINK "[Peer]\nPublicKey = " K1 "\nUplinks = wan0\n"
		     "Uplinks = wan0\n", 10, "uplink 'wan0' listed twice");
	EXPECT_ERROR(IFACE UPLINK "[Peer]\nPublicKey = " K1 "\nUplinks = w a\n",
		     9, "unknown uplink 'w a' in Uplinks");
	EXPECT_ERROR(IFACE UPLINK "[Peer]\nPublicKey = " K1 "\nUplinks =\n", 9,
		     "empty value for Uplinks");
	EXPECT_ERROR(IFACE "[Uplink]\nName = wan 0\n", 4, "bad uplink name");
	EXPECT_ERROR(IFACE "[Uplink]\nName = "
		     "abcdefghijabcdefghijabcdefghij12\n", 4,
		     "bad uplink name");
	memset(long_line, 'p', WG_CONF_PORT_LEN);
	long_line[WG_CONF_PORT_LEN] = '\0';
	snprintf(text, sizeof(text), IFACE "[Uplink]\nPort = %s\n", long_line);
	EXPECT_ERROR(text, 4, "Port too long");
}

static void
test_uplink_order(void)
{
	/* Uplinks may follow the peers that name them; an uplink on the
	 * same port with another VLAN is a different uplink. */
	struct wg_conf *c = PARSE_OK(
		IFACE
		"[Peer]\nPublicKey = " K1 "\nAllowedIPs = 10.0.0.0/8\n"
		"Endpoint = [2001:db8::1]:1\nUplinks = b\n"
		"Redundancy = duplicate\n"
		"[Uplink]\nName = a\nPort = 0\nAddress = 192.0.2.1/24\n"
		"[Uplink]\nName = b\nPort = 0\nVlan = 2\n"
		"Address = 198.51.100.1/24\n");

	if (c == NULL)
		return;
	CHECK_EQ(c->peers[0].nuplinks, 1);
	CHECK_EQ(c->peers[0].uplinks[0], 1);
	CHECK_EQ(c->uplinks[1].vlan, 2);
	/* A v6 endpoint over a v4-only uplink, and a redundancy mode that
	 * needs two uplinks: legal, but worth a warning each. */
	CHECK(has_warning(c, "wg0.conf:6: ", "unreachable"));
	CHECK(has_warning(c, "wg0.conf:3: ", "Redundancy = duplicate has no"
			  " effect with 1 uplink"));
	CHECK_EQ(c->nwarnings, 2);
	wg_conf_free(c);

	c = PARSE_OK(IFACE "MTU = 1200\n[Peer]\nPublicKey = " K1 "\n"
		     "AllowedIPs = ::/0\n" UPLINK);
	if (c == NULL)
		return;
	CHECK(has_warning(c, "wg0.conf:1: ", "MTU 1200 is below IPv6's 1280"));
	wg_conf_free(c);
}

static char *
read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, n + 1);
	if (buf != NULL && fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

static void
write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	CHECK(f != NULL);
	if (f == NULL)
		return;
	CHECK_EQ(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void
test_files(void)
{
	static const char nul_file[] = IFACE "MTU = 14\0" "00\n";
	struct wg_conf *c = (struct wg_conf *)1;
	char dir[] = "/tmp/wg-conf-test-XXXXXX";
	char path[64], err[256];
	int rc;

	rc = wg_conf_parse_file("/nonexistent/wg0.conf", &c, err, sizeof(err));
	CHECK_EQ(rc, -ENOENT);
	CHECK(c == NULL);
	CHECK(strncmp(err, "/nonexistent/wg0.conf: cannot open: ", 36) == 0);

	if (mkdtemp(dir) == NULL) {
		CHECK(!"mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/wg7.conf", dir);

	/* A NUL byte cannot end a value early: that would hide a typo. */
	write_file(path, nul_file, sizeof(nul_file) - 1);
	rc = wg_conf_parse_file(path, &c, err, sizeof(err));
	CHECK_EQ(rc, -EINVAL);
	CHECK(strstr(err, "wg7.conf:3: NUL byte") != NULL);

	write_file(path, IFACE "\r\nMTU = 1300\r\n", strlen(IFACE) + 14);
	rc = wg_conf_parse_file(path, &c, err, sizeof(err));
	CHECK_EQ(rc, 0);
	if (rc == 0) {
		CHECK_STR(c->name, "wg7");
		CHECK_EQ(c->mtu, 1300);
	}
	wg_conf_free(c);

	write_file(path, "", 0);
	rc = wg_conf_parse_file(path, &c, err, sizeof(err));
	CHECK_EQ(rc, -EINVAL);
	CHECK(strstr(err, "wg7.conf:1: missing [Interface] section") != NULL);

	/* No err buffer at all is fine. */
	CHECK_EQ(wg_conf_parse_file(path, &c, NULL, 0), -EINVAL);
	CHECK_EQ(wg_conf_parse_string("x", "[", &c, err, 1), -EINVAL);
	CHECK_EQ(err[0], '\0');
	wg_conf_free(NULL);

	unlink(path);
	rmdir(dir);
}

/* ---- fuzz ---- */

static uint64_t fuzz_state;

static uint32_t
fuzz_rand(void)
{
	/* xorshift64*: reproducible from the seed printed on failure. */
	fuzz_state ^= fuzz_state >> 12;
	fuzz_state ^= fuzz_state << 25;
	fuzz_state ^= fuzz_state >> 27;
	return (uint32_t)((fuzz_state * 2685821657736338717ULL) >> 32);
}

/* Start of line n (0-based) of s, or its end. */
static size_t
line_start(const char *s, size_t len, unsigned int n)
{
	size_t i = 0;

	while (n > 0 && i < len) {
		if (s[i++] == '\n')
			n--;
	}
	return i;
}

static unsigned int
count_lines(const char *s, size_t len)
{
	unsigned int n = 1;
	size_t i;

	for (i = 0; i < len; i++)
		n += s[i] == '\n';
	return n;
}

/* One random change to buf (len bytes, room for cap with the NUL). */
static size_t
mutate(char *buf, size_t len, size_t cap)
{
	static const char *const tokens[] = {
		"[Peer]\n", "[Interface]\n", "[Uplink]\n", "=", ",", "#", "/",
		"[", "]", ":", " ", "\n", "\r\n", "0", "99999999999", "::",
		"AllowedIPs = ::/0\n", "Endpoint = [::1]:1\n", "Uplinks = x\n",
		"PublicKey = " K3 "\n", "Name = wan0\n", "Vlan = 1\n",
		"Redundancy = failover\n", "ProbeInterval = 0.001\n",
	};
	unsigned int nlines = count_lines(buf, len);
	size_t a, b, n, pos;
	const char *t;

	switch (fuzz_rand() % 6) {
	case 0: /* truncate */
		return len == 0 ? 0 : fuzz_rand() % len;
	case 1: /* flip a byte (not to NUL: the string would just end) */
		if (len != 0)
			buf[fuzz_rand() % len] = 1 + fuzz_rand() % 255;
		return len;
	case 2: /* duplicate a line */
		a = line_start(buf, len, fuzz_rand() % nlines);
		b = line_start(buf, len, count_lines(buf, a));
		n = b - a;
		if (len + n >= cap)
			return len;
		memmove(buf + b + n, buf + b, len - b);
		memcpy(buf + b, buf + a, n);
		return len + n;
	case 3: /* delete a line */
		a = line_start(buf, len, fuzz_rand() % nlines);
		b = line_start(buf, len, count_lines(buf, a));
		memmove(buf + a, buf + b, len - b);
		return len - (b - a);
	default: /* insert a token */
		t = tokens[fuzz_rand() % (sizeof(tokens) / sizeof(tokens[0]))];
		n = strlen(t);
		pos = len == 0 ? 0 : fuzz_rand() % (len + 1);
		if (len + n >= cap)
			return len;
		memmove(buf + pos + n, buf + pos, len - pos);
		memcpy(buf + pos, t, n);
		return len + n;
	}
}

/* Every failure must name a line of the text; success must hold up. */
static bool
fuzz_one(const char *text, size_t len, unsigned int *parsed)
{
	struct wg_conf *c = NULL;
	unsigned int line = 0, i, j;
	char err[512];
	char *end;
	bool ok = true;
	int rc;

	rc = wg_conf_parse_string("fuzz.conf", text, &c, err, sizeof(err));
	if (rc != 0) {
		if (c != NULL || rc != -EINVAL ||
		    strncmp(err, "fuzz.conf:", 10) != 0)
			return false;
		line = strtoul(err + 10, &end, 10);
		return end != err + 10 && *end == ':' && line >= 1 &&
		       line <= count_lines(text, len);
	}
	if (c == NULL)
		return false;
	(*parsed)++;
	for (i = 0; i < c->npeers; i++)
		for (j = 0; j < c->peers[i].nuplinks; j++)
			ok = ok && c->peers[i].uplinks[j] < c->nuplinks;
	for (i = 0; i < c->nwarnings; i++)
		ok = ok && strncmp(c->warnings[i], "fuzz.conf:", 10) == 0;
	wg_conf_free(c);
	return ok;
}

static void
test_fuzz(const char *seed_text, size_t seed_len)
{
	const unsigned int iterations = 5000;
	size_t cap = seed_len * 3 + 1024, len;
	unsigned int i, m, bad = 0, parsed = 0;
	uint64_t seed = 0x5eed2024;
	const char *env = getenv("WG_CONF_FUZZ_SEED");
	char *buf = malloc(cap);

	if (buf == NULL) {
		CHECK(buf != NULL);
		return;
	}
	if (env != NULL)
		seed = strtoull(env, NULL, 0);
	fuzz_state = seed | 1;
	for (i = 0; i < iterations; i++) {
		memcpy(buf, seed_text, seed_len);
		len = seed_len;
		for (m = 1 + fuzz_rand() % 4; m > 0; m--)
			len = mutate(buf, len, cap);
		buf[len] = '\0';
		if (!fuzz_one(buf, len, &parsed)) {
			if (bad++ < 3)
				fprintf(stderr, "fuzz: iteration %u (seed"
					" %#llx) misbehaved on:\n%s\n", i,
					(unsigned long long)seed, buf);
		}
	}
	free(buf);
	/* How many mutants parsed: shows the mix, not a verdict. */
	printf("fuzz: %u iterations, %u parsed, %u misbehaved\n", iterations,
	       parsed, bad);
	CHECK_EQ(bad, 0);
}

/* Peers the UAPI adds, and the copies it changes. */
static void
test_peer_copy(void)
{
	const char *path = WG_CONF_TEST_DIR "/full.conf";
	struct wg_conf_peer a, b;
	struct wg_conf *c = NULL;
	uint8_t key[32];
	char err[256];

	CHECK_EQ(wg_conf_parse_file(path, &c, err, sizeof(err)), 0);
	if (c == NULL)
		return;
	memset(key, 0x5a, sizeof(key));
	CHECK_EQ(wg_conf_peer_init(&a, c, key), 0);
	CHECK(memcmp(a.public_key, key, 32) == 0);
	CHECK_EQ(a.redundancy, WG_CONF_SINGLE);
	CHECK(a.uplinks_all);
	CHECK_EQ(a.nuplinks, c->nuplinks);
	for (unsigned int i = 0; i < a.nuplinks; i++)
		CHECK_EQ(a.uplinks[i], i);
	CHECK_EQ(a.nallowed, 0);
	CHECK_EQ(a.nendpoints, 0);
	CHECK_EQ(a.keepalive, 0);
	CHECK(!a.has_psk);
	CHECK_EQ(a.failback_hold_ms, WG_CONF_DEFAULT_FAILBACK_HOLD_MS);
	CHECK_EQ(a.probe_interval_ms, WG_CONF_DEFAULT_PROBE_INTERVAL_MS);
	wg_conf_peer_clear(&a);
	CHECK_EQ(a.nuplinks, 0);
	CHECK(a.uplinks == NULL);

	/* A deep copy: changing it leaves the original alone. */
	for (unsigned int i = 0; i < c->npeers; i++) {
		const struct wg_conf_peer *o = &c->peers[i];

		CHECK_EQ(wg_conf_peer_copy(&b, o), 0);
		CHECK_EQ(b.nallowed, o->nallowed);
		CHECK_EQ(b.nendpoints, o->nendpoints);
		CHECK_EQ(b.nuplinks, o->nuplinks);
		CHECK(b.nallowed == 0 || b.allowed_ips != o->allowed_ips);
		CHECK(b.nendpoints == 0 || b.endpoints != o->endpoints);
		CHECK(b.nallowed == 0 ||
		      memcmp(b.allowed_ips, o->allowed_ips,
			     o->nallowed * sizeof(*o->allowed_ips)) == 0);
		CHECK(b.nendpoints == 0 ||
		      memcmp(b.endpoints, o->endpoints,
			     o->nendpoints * sizeof(*o->endpoints)) == 0);
		CHECK_EQ(b.has_psk, o->has_psk);
		CHECK(memcmp(b.psk, o->psk, 32) == 0);
		if (b.nallowed > 0)
			b.allowed_ips[0].len = 0;
		CHECK(o->nallowed == 0 || o->allowed_ips[0].len != 0);
		wg_conf_peer_clear(&b);
		CHECK(!b.has_psk);
	}
	wg_conf_free(c);
}

int
main(void)
{
	char *full;
	size_t len = 0;

	test_full();
	test_minimal();
	test_case_insensitive();
	test_lexical();
	test_repeats();
	test_masking();
	test_values();
	test_helpers();
	test_errors();
	test_uplink_order();
	test_files();
	test_peer_copy();
	full = read_all(WG_CONF_TEST_DIR "/full.conf", &len);
	CHECK(full != NULL);
	if (full != NULL)
		test_fuzz(full, len);
	free(full);
	return wg_check_done("conf");
}
