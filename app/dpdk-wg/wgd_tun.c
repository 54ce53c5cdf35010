/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The exception interface: a kernel TUN device (DPDK's net_tun) named
 * after the interface, so the host's own stack uses the tunnel. Inner
 * packets the kernel routes to it are read by the workers and sealed;
 * opened packets are written to it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/ipv6.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_ethdev.h>

#include "wgd.h"
#include "wgd_port.h"

static int
ifreq_ioctl(int family, unsigned long req, struct ifreq *ifr)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int ret;

	if (fd < 0)
		return -errno;
	ret = ioctl(fd, req, ifr) < 0 ? -errno : 0;
	close(fd);
	return ret;
}

static int
set_ipv4(const char *ifname, const struct wg_conf_prefix *p)
{
	struct sockaddr_in *sin;
	struct ifreq ifr;
	uint32_t mask;
	int ret;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	sin = (struct sockaddr_in *)&ifr.ifr_addr;
	sin->sin_family = AF_INET;
	memcpy(&sin->sin_addr, p->addr, 4);
	ret = ifreq_ioctl(AF_INET, SIOCSIFADDR, &ifr);
	if (ret != 0)
		return ret;
	mask = p->len == 0 ? 0 : htonl(~0U << (32 - p->len));
	memcpy(&sin->sin_addr, &mask, 4);
	return ifreq_ioctl(AF_INET, SIOCSIFNETMASK, &ifr);
}

static int
set_ipv6(const char *ifname, const struct wg_conf_prefix *p)
{
	struct in6_ifreq ifr6;
	int fd, ret = 0;

	memset(&ifr6, 0, sizeof(ifr6));
	memcpy(&ifr6.ifr6_addr, p->addr, 16);
	ifr6.ifr6_prefixlen = p->len;
	ifr6.ifr6_ifindex = (int)if_nametoindex(ifname);
	if (ifr6.ifr6_ifindex == 0)
		return -ENODEV;
	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, SIOCSIFADDR, &ifr6) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static int
set_up(const char *ifname)
{
	struct ifreq ifr;
	int ret;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	ret = ifreq_ioctl(AF_INET, SIOCGIFFLAGS, &ifr);
	if (ret != 0)
		return ret;
	ifr.ifr_flags |= IFF_UP;
	return ifreq_ioctl(AF_INET, SIOCSIFFLAGS, &ifr);
}

int
wgd_tun_create(void)
{
	char devname[RTE_DEV_NAME_MAX_LEN], args[64];
	const struct wg_conf *conf = wgd.conf;
	unsigned int i;
	int ret;

	snprintf(devname, sizeof(devname), "net_tun_%s", wgd.name);
	snprintf(args, sizeof(args), "iface=%s", wgd.name);
	ret = rte_vdev_init(devname, args);
	if (ret != 0 || rte_eth_dev_get_port_by_name(devname, &wgd.tun_port)) {
		fprintf(stderr, "dpdk-wg: cannot create TUN interface %s: %s\n",
			wgd.name, rte_strerror(ret < 0 ? -ret : ENODEV));
		return -1;
	}
	ret = wgd_port_setup(wgd.tun_port, wgd.nb_workers, wgd.nb_workers,
			     NULL, NULL);
	if (ret != 0) {
		fprintf(stderr, "dpdk-wg: cannot start %s: %s\n", wgd.name,
			rte_strerror(-ret));
		return -1;
	}
	ret = rte_eth_dev_set_mtu(wgd.tun_port, conf->mtu);
	if (ret != 0)
		fprintf(stderr, "dpdk-wg: warning: MTU %u on %s: %s\n",
			conf->mtu, wgd.name, rte_strerror(-ret));
	for (i = 0; i < conf->naddrs; i++) {
		const struct wg_conf_prefix *p = &conf->addrs[i];
		char text[WG_CONF_PREFIX_STRLEN];

		ret = p->family == WG_AF_INET ? set_ipv4(wgd.name, p) :
						 set_ipv6(wgd.name, p);
		if (ret != 0) {
			fprintf(stderr, "dpdk-wg: cannot add %s to %s: %s\n",
				wg_conf_format_prefix(p, text, sizeof(text)),
				wgd.name, strerror(-ret));
			return -1;
		}
	}
	ret = set_up(wgd.name);
	if (ret != 0) {
		fprintf(stderr, "dpdk-wg: cannot bring %s up: %s\n", wgd.name,
			strerror(-ret));
		return -1;
	}
	return 0;
}
