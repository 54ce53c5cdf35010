/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef WGD_PORT_H
#define WGD_PORT_H

#include <stdbool.h>
#include <stdint.h>

/** Configure and start a port with nb_rxq RX (RSS when more than one) and
 * nb_txq TX queues from the daemon's mbuf pool. */
int wgd_port_setup(uint16_t port_id, uint16_t nb_rxq, uint16_t nb_txq,
		   bool *tx_cksum_offload, bool *tx_multi_seg);

#endif /* WGD_PORT_H */
