/* SPDX-License-Identifier: BSD-3-Clause */
/* Uplink ports: resolve what the config names, configure and start. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_devargs.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "wgd.h"
#include "wgd_port.h"

#define RX_DESC 1024
#define TX_DESC 1024
#define POOL_MBUFS 16383
#define POOL_CACHE 256

/* A port by device name ("net_af_xdp0", "0000:3b:00.0") or by id. */
static int
resolve_port(const char *spec, uint16_t *port_id)
{
	char *end;
	unsigned long id;

	if (rte_eth_dev_get_port_by_name(spec, port_id) == 0)
		return 0;
	errno = 0;
	id = strtoul(spec, &end, 10);
	if (errno == 0 && end != spec && *end == '\0' && id < RTE_MAX_ETHPORTS &&
	    rte_eth_dev_is_valid_port((uint16_t)id)) {
		*port_id = (uint16_t)id;
		return 0;
	}
	return -ENODEV;
}

int
wgd_port_setup(uint16_t port_id, uint16_t nb_rxq, uint16_t nb_txq,
	       bool *tx_cksum_offload, bool *tx_multi_seg)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	uint16_t q, nb_rxd = RX_DESC, nb_txd = TX_DESC;
	int socket = rte_eth_dev_socket_id(port_id);
	int ret;

	ret = rte_eth_dev_info_get(port_id, &info);
	if (ret != 0)
		return ret;
	if (nb_rxq > info.max_rx_queues || nb_txq > info.max_tx_queues)
		return -ENOTSUP;
	if (nb_rxq > 1) {
		/* Spread flows over the workers' queues. */
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads &
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP);
	}
	if (tx_cksum_offload != NULL)
		*tx_cksum_offload = false;
	/* Duplicate copies are a header mbuf chained to the shared
	 * payload: ports that take chains save a copy per path. */
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	if (tx_multi_seg != NULL)
		*tx_multi_seg = (conf.txmode.offloads &
				 RTE_ETH_TX_OFFLOAD_MULTI_SEGS) != 0;
	ret = rte_eth_dev_configure(port_id, nb_rxq, nb_txq, &conf);
	if (ret != 0)
		return ret;
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &nb_rxd, &nb_txd);
	if (ret != 0)
		return ret;
	for (q = 0; q < nb_rxq; q++) {
		ret = rte_eth_rx_queue_setup(port_id, q, nb_rxd,
					     socket < 0 ? 0 : socket, NULL,
					     wgd.pool);
		if (ret != 0)
			return ret;
	}
	for (q = 0; q < nb_txq; q++) {
		ret = rte_eth_tx_queue_setup(port_id, q, nb_txd,
					     socket < 0 ? 0 : socket, NULL);
		if (ret != 0)
			return ret;
	}
	return rte_eth_dev_start(port_id);
}

static void
uplink_addresses(struct wgd_uplink *up)
{
	for (unsigned int i = 0; i < up->conf->naddrs; i++) {
		const struct wg_conf_prefix *p = &up->conf->addrs[i];

		if (p->family == WG_AF_INET && !up->has4) {
			memcpy(up->addr4, p->addr, 4);
			up->has4 = true;
		} else if (p->family == WG_AF_INET6 && !up->has6) {
			memcpy(up->addr6, p->addr, 16);
			up->has6 = true;
		}
	}
}

/* Every uplink's port exists and is named once: checked before anything
 * is started, so a bad file starts nothing. */
static int
ports_resolve(void)
{
	for (unsigned int i = 0; i < wgd.conf->nuplinks; i++) {
		struct wgd_uplink *up = &wgd.uplinks[i];

		up->conf = &wgd.conf->uplinks[i];
		if (resolve_port(up->conf->port, &up->port_id) != 0) {
			fprintf(stderr, "%s:%u: port '%s' does not exist "
				"(DPDK device name, PCI address or port id)\n",
				wgd.conf_path, up->conf->line, up->conf->port);
			return -1;
		}
		for (unsigned int j = 0; j < i; j++) {
			if (wgd.uplinks[j].port_id == up->port_id) {
				fprintf(stderr, "%s:%u: port '%s' already used "
					"by uplink %s\n", wgd.conf_path,
					up->conf->line, up->conf->port,
					wgd.uplinks[j].conf->name);
				return -1;
			}
		}
	}
	return 0;
}

/* The kernel interface under a net_af_packet or net_af_xdp port (its
 * "iface=" devarg), or "" for other ports. */
static void
port_kernel_iface(uint16_t port_id, char *name, size_t len)
{
	struct rte_eth_dev_info info;
	const struct rte_devargs *da;
	const char *s;

	name[0] = '\0';
	if (rte_eth_dev_info_get(port_id, &info) != 0 || info.device == NULL)
		return;
	da = rte_dev_devargs(info.device);
	if (da == NULL || da->args == NULL)
		return;
	s = strstr(da->args, "iface=");
	if (s == NULL)
		return;
	s += strlen("iface=");
	snprintf(name, len, "%.*s", (int)strcspn(s, ","), s);
}

bool
wgd_port_link_down(const struct wgd_uplink *up)
{
	struct rte_eth_link link;
	struct ifreq ifr;
	int fd, ret;

	if (rte_eth_link_get_nowait(up->port_id, &link) == 0 &&
	    link.link_status == RTE_ETH_LINK_DOWN)
		return true;
	/* Software ports report their link up from start to stop: ask
	 * the kernel whether the interface under them has a carrier. */
	if (up->kernel_iface[0] == '\0')
		return false;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", up->kernel_iface);
	ret = ioctl(fd, SIOCGIFFLAGS, &ifr);
	close(fd);
	return ret == 0 && (ifr.ifr_flags & (IFF_UP | IFF_RUNNING)) !=
			   (IFF_UP | IFF_RUNNING);
}

int
wgd_ports_init(void)
{
	const struct wg_conf *conf = wgd.conf;
	unsigned int i;
	int ret;

	if (conf->nuplinks > WGD_MAX_UPLINKS) {
		fprintf(stderr, "dpdk-wg: at most %u uplinks\n",
			WGD_MAX_UPLINKS);
		return -1;
	}
	if (ports_resolve() != 0)
		return -1;
	wgd.pool = rte_pktmbuf_pool_create("wgd_mbufs", POOL_MBUFS, POOL_CACHE,
					   0, RTE_MBUF_DEFAULT_BUF_SIZE,
					   rte_socket_id());
	if (wgd.pool == NULL) {
		fprintf(stderr, "dpdk-wg: cannot create mbuf pool: %s\n",
			rte_strerror(rte_errno));
		return -1;
	}
	for (i = 0; i < conf->nuplinks; i++) {
		struct wgd_uplink *up = &wgd.uplinks[i];

		up->nb_rxq = wgd.nb_workers;
		up->nb_txq = wgd.nb_workers;
		ret = wgd_port_setup(up->port_id, up->nb_rxq, up->nb_txq,
				     &up->tx_cksum_offload,
				     &up->tx_multi_seg);
		if (ret != 0) {
			fprintf(stderr, "%s:%u: cannot start port '%s' with %u "
				"queue(s), one per worker (net_af_packet: "
				"qpairs=%u): %s\n", wgd.conf_path,
				up->conf->line, up->conf->port, up->nb_rxq,
				up->nb_rxq, rte_strerror(-ret));
			return -1;
		}
		rte_eth_macaddr_get(up->port_id, &up->mac);
		port_kernel_iface(up->port_id, up->kernel_iface,
				  sizeof(up->kernel_iface));
		/* ARP uses broadcast; ND the solicited-node multicast
		 * groups of our addresses. */
		rte_eth_allmulticast_enable(up->port_id);
		uplink_addresses(up);
		wgd.nb_uplinks++;
	}
	return 0;
}

void
wgd_ports_close(void)
{
	uint16_t port_id;

	RTE_ETH_FOREACH_DEV(port_id) {
		rte_eth_dev_stop(port_id);
		rte_eth_dev_close(port_id);
	}
}
