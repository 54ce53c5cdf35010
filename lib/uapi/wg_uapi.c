/* SPDX-License-Identifier: BSD-3-Clause */
/* Placeholder: implemented next. */
#include "wg_uapi.h"
