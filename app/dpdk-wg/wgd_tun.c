/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The exception interface: a kernel TUN device (DPDK's net_tun) named
 * after the interface, so the host's own stack uses the tunnel. Inner
 * packets the kernel routes to it are read by the workers and sealed;
 * opened packets are written to it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
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

/*
 * Add an address (rtnetlink RTM_NEWADDR, as `ip addr add` does): the
 * SIOCSIFADDR ioctl would replace the interface's IPv4 address, and an
 * interface may have several.
 */
static int
addr_add(const char *ifname, const struct wg_conf_prefix *p)
{
	size_t alen = p->family == WG_AF_INET ? 4 : 16;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct {
		struct nlmsghdr nh;
		struct ifaddrmsg ifa;
		char attrs[2 * RTA_SPACE(16)];
	} req;
	struct {
		struct nlmsghdr nh;
		struct nlmsgerr err;
	} ack;
	struct rtattr *rta;
	int fd, ret;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_type = RTM_NEWADDR;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE |
			     NLM_F_EXCL;
	req.nh.nlmsg_seq = 1;
	req.ifa.ifa_family = p->family == WG_AF_INET ? AF_INET : AF_INET6;
	req.ifa.ifa_prefixlen = p->len;
	req.ifa.ifa_index = if_nametoindex(ifname);
	if (req.ifa.ifa_index == 0)
		return -ENODEV;
	/* IFA_LOCAL is the address; IFA_ADDRESS the same on a non
	 * point-to-point link, which makes the kernel add the prefix route. */
	rta = (struct rtattr *)req.attrs;
	for (unsigned short type = IFA_ADDRESS; type <= IFA_LOCAL; type++) {
		rta->rta_type = type;
		rta->rta_len = (unsigned short)RTA_LENGTH(alen);
		memcpy(RTA_DATA(rta), p->addr, alen);
		rta = (struct rtattr *)((char *)rta + RTA_SPACE(alen));
	}
	req.nh.nlmsg_len = (uint32_t)((char *)rta - (char *)&req);

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (sendto(fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		ret = -errno;
	else if (recv(fd, &ack, sizeof(ack), 0) < (ssize_t)sizeof(ack))
		ret = -EIO;
	else
		ret = ack.nh.nlmsg_type == NLMSG_ERROR ? ack.err.error : -EIO;
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

		ret = addr_add(wgd.name, p);
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
