/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Backend on intel-ipsec-mb (1.3 or later) through its job API.
 *
 * Each context owns one IMB_MGR, initialised for the widest instruction
 * set the CPU has, so nothing of ours is shared between lcores. A batch
 * becomes a run of jobs. The job API may return a job at any later submit
 * or flush, not necessarily in order (1.3 happens to finish ChaCha20-
 * Poly1305 jobs inside their own submit; other versions and algorithms
 * queue them), so a job finds its op through user_data, and everything a
 * job points to (nonce, computed tag) lives in the context, indexed by the
 * op's position in the batch, until the batch is flushed.
 */

#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include <intel-ipsec-mb.h>
#include <sodium.h>

#include "wg_aead.h"
#include "wg_aead_ipsec_mb.h"

#define WG_AEAD_IPSEC_MB_IV_LEN 12
#define WG_AEAD_IPSEC_MB_ARCH_ENV "WG_AEAD_IPSEC_MB_ARCH"

/* A batch must fit in the manager's job queue without a forced flush. */
_Static_assert(WG_AEAD_BATCH_MAX <= IMB_MAX_JOBS, "batch larger than queue");

struct wg_aead_ipsec_mb_arch {
	const char *name;
	uint64_t cpuflags;       /* what init_mb_mgr_<name>() requires */
	void (*init)(IMB_MGR *mgr);
};

/* Best first: ctx_create() falls back down this list. */
static const struct wg_aead_ipsec_mb_arch wg_aead_ipsec_mb_archs[] = {
	{ "avx512", IMB_CPUFLAGS_AVX512, init_mb_mgr_avx512 },
	{ "avx2", IMB_CPUFLAGS_AVX2, init_mb_mgr_avx2 },
	{ "avx", IMB_CPUFLAGS_AVX, init_mb_mgr_avx },
	{ "sse", IMB_CPUFLAGS_SSE, init_mb_mgr_sse },
};

#define WG_AEAD_IPSEC_MB_NB_ARCH \
	(sizeof(wg_aead_ipsec_mb_archs) / sizeof(wg_aead_ipsec_mb_archs[0]))

static const char *const wg_aead_ipsec_mb_arch_names[] = {
	"avx512", "avx2", "avx", "sse", NULL,
};

_Static_assert(sizeof(wg_aead_ipsec_mb_arch_names) /
	       sizeof(wg_aead_ipsec_mb_arch_names[0]) ==
	       WG_AEAD_IPSEC_MB_NB_ARCH + 1, "arch name list out of date");

struct wg_aead_ctx {
	IMB_MGR *mgr;
	const char *arch;
	/*
	 * Per-op nonces. Bytes 0-3 are zeroed at creation and never
	 * written again: only the counter half changes.
	 */
	uint8_t iv[WG_AEAD_BATCH_MAX][WG_AEAD_IPSEC_MB_IV_LEN];
	/* open: the tag the library computed, compared after the flush */
	uint8_t tag[WG_AEAD_BATCH_MAX][WG_AEAD_TAG_LEN];
	/* 1 once the op's job came back IMB_STATUS_COMPLETED */
	uint8_t done[WG_AEAD_BATCH_MAX];
};

const char *const *
wg_aead_ipsec_mb_arch_list(void)
{
	return wg_aead_ipsec_mb_arch_names;
}

/*
 * Set up a manager for one code path.
 *
 * The CPU feature test is ours to do: in 1.3, init_mb_mgr_avx512() and
 * friends only check for AES-NI, so on a CPU without AVX-512 they report
 * no error and the first AVX-512 instruction (self-test or first job)
 * dies of SIGILL.
 *
 * The manager's own error field is read rather than imb_get_errno(mgr):
 * in 1.3 that falls back to a process-wide error variable whenever the
 * manager's is 0, so another thread's failed job could fail our init.
 *
 * A manager whose init failed is discarded rather than re-initialised,
 * as its state is undocumented.
 */
static IMB_MGR *
wg_aead_ipsec_mb_mgr_create(const struct wg_aead_ipsec_mb_arch *a)
{
	IMB_MGR *mgr;

	mgr = alloc_mb_mgr(0);
	if (mgr == NULL)
		return NULL;
	if ((mgr->features & a->cpuflags) != a->cpuflags)
		goto fail;
	a->init(mgr);
	if (mgr->imb_errno != 0)
		goto fail;
	/* Builds with the self-test run it in init; never use a failed one. */
	if ((mgr->features & IMB_FEATURE_SELF_TEST) &&
	    !(mgr->features & IMB_FEATURE_SELF_TEST_PASS))
		goto fail;
	return mgr;
fail:
	free_mb_mgr(mgr);
	return NULL;
}

struct wg_aead_ctx *
wg_aead_ipsec_mb_ctx_create_arch(const char *arch)
{
	struct wg_aead_ctx *ctx;
	unsigned int i;

	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		return NULL;

	for (i = 0; i < WG_AEAD_IPSEC_MB_NB_ARCH; i++) {
		const struct wg_aead_ipsec_mb_arch *a = &wg_aead_ipsec_mb_archs[i];

		/* A named path is that path or nothing, so tests mean it. */
		if (arch != NULL && strcmp(arch, a->name) != 0)
			continue;
		ctx->mgr = wg_aead_ipsec_mb_mgr_create(a);
		if (ctx->mgr != NULL) {
			ctx->arch = a->name;
			return ctx;
		}
	}
	free(ctx);
	return NULL;
}

static struct wg_aead_ctx *
wg_aead_ipsec_mb_ctx_create(void)
{
	const char *arch = getenv(WG_AEAD_IPSEC_MB_ARCH_ENV);

	if (arch != NULL && arch[0] == '\0')
		arch = NULL;
	return wg_aead_ipsec_mb_ctx_create_arch(arch);
}

static void
wg_aead_ipsec_mb_ctx_free(struct wg_aead_ctx *ctx)
{
	if (ctx == NULL)
		return;
	free_mb_mgr(ctx->mgr);
	sodium_memzero(ctx->tag, sizeof(ctx->tag));
	free(ctx);
}

static const char *
wg_aead_ipsec_mb_ctx_arch(const struct wg_aead_ctx *ctx)
{
	return ctx->arch;
}

/* Probing creates a real manager: it is the only reliable answer. */
static bool
wg_aead_ipsec_mb_probe(void)
{
	struct wg_aead_ctx *ctx = wg_aead_ipsec_mb_ctx_create_arch(NULL);

	wg_aead_ipsec_mb_ctx_free(ctx);
	return ctx != NULL;
}

static inline void
wg_aead_ipsec_mb_job_fill(struct wg_aead_ctx *ctx, IMB_JOB *job,
			  struct wg_aead_op *op, unsigned int i,
			  IMB_CIPHER_DIRECTION dir)
{
	uint64_t le = htole64(op->counter);

	memcpy(&ctx->iv[i][4], &le, sizeof(le));

	job->cipher_mode = IMB_CIPHER_CHACHA20_POLY1305;
	job->hash_alg = IMB_AUTH_CHACHA20_POLY1305;
	job->cipher_direction = dir;
	/* encrypt-then-MAC on seal, MAC-then-decrypt on open */
	job->chain_order = dir == IMB_DIR_ENCRYPT ?
		IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
	/* ChaCha20 takes the raw key, for both directions */
	job->enc_keys = op->key;
	job->dec_keys = op->key;
	job->key_len_in_bytes = WG_AEAD_KEY_LEN;
	job->src = op->data;
	job->dst = op->data;
	job->cipher_start_src_offset_in_bytes = 0;
	job->msg_len_to_cipher_in_bytes = op->len;
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = op->len;
	job->iv = ctx->iv[i];
	job->iv_len_in_bytes = WG_AEAD_IPSEC_MB_IV_LEN;
	/* Transport data has no additional data. */
	job->u.CHACHA20_POLY1305.aad = NULL;
	job->u.CHACHA20_POLY1305.aad_len_in_bytes = 0;
	job->u.CHACHA20_POLY1305.ctx = NULL;
	/*
	 * Seal writes the tag straight into the packet. Open also makes the
	 * library *compute* a tag (it does not verify), so that one goes to
	 * scratch space and is compared with the received tag afterwards.
	 */
	job->auth_tag_output = dir == IMB_DIR_ENCRYPT ? op->tag : ctx->tag[i];
	job->auth_tag_output_len_in_bytes = WG_AEAD_TAG_LEN;
	job->user_data = op;
}

static inline void
wg_aead_ipsec_mb_job_done(struct wg_aead_ctx *ctx, const struct wg_aead_op *ops,
			  const IMB_JOB *job)
{
	const struct wg_aead_op *op = job->user_data;

	ctx->done[op - ops] = job->status == IMB_STATUS_COMPLETED;
}

/* Push the whole batch through the manager and drain it. */
static void
wg_aead_ipsec_mb_run(struct wg_aead_ctx *ctx, struct wg_aead_op *ops,
		     unsigned int n, IMB_CIPHER_DIRECTION dir)
{
	IMB_MGR *mgr = ctx->mgr;
	IMB_JOB *job;
	unsigned int i;

	for (i = 0; i < n; i++) {
		ctx->done[i] = 0;
		job = IMB_GET_NEXT_JOB(mgr);
		wg_aead_ipsec_mb_job_fill(ctx, job, &ops[i], i, dir);
		/* Validated submit: a bad op fails alone instead of crashing. */
		job = IMB_SUBMIT_JOB(mgr);
		while (job != NULL) {
			wg_aead_ipsec_mb_job_done(ctx, ops, job);
			job = IMB_GET_COMPLETED_JOB(mgr);
		}
	}
	while ((job = IMB_FLUSH_JOB(mgr)) != NULL)
		wg_aead_ipsec_mb_job_done(ctx, ops, job);
}

static void
wg_aead_ipsec_mb_seal(struct wg_aead_ctx *ctx, struct wg_aead_op *ops,
		      unsigned int n)
{
	unsigned int i;

	wg_aead_ipsec_mb_run(ctx, ops, n, IMB_DIR_ENCRYPT);
	for (i = 0; i < n; i++)
		ops[i].status = ctx->done[i] ? 0 : -1;
}

static unsigned int
wg_aead_ipsec_mb_open(struct wg_aead_ctx *ctx, struct wg_aead_op *ops,
		      unsigned int n)
{
	unsigned int i, good = 0;

	wg_aead_ipsec_mb_run(ctx, ops, n, IMB_DIR_DECRYPT);
	for (i = 0; i < n; i++) {
		struct wg_aead_op *op = &ops[i];

		/* Constant time: timing must not tell a forger how close. */
		if (ctx->done[i] &&
		    sodium_memcmp(ctx->tag[i], op->tag, WG_AEAD_TAG_LEN) == 0) {
			op->status = 0;
			good++;
			continue;
		}
		/*
		 * The library decrypted before we could verify. Wipe the
		 * unauthenticated plaintext, as libsodium does, so nothing
		 * downstream can mistake it for data.
		 */
		op->status = -1;
		if (op->data != NULL && op->len != 0)
			memset(op->data, 0, op->len);
	}
	return good;
}

const struct wg_aead_driver wg_aead_ipsec_mb_driver = {
	.name = "ipsec_mb",
	.probe = wg_aead_ipsec_mb_probe,
	.ctx_create = wg_aead_ipsec_mb_ctx_create,
	.ctx_free = wg_aead_ipsec_mb_ctx_free,
	.ctx_arch = wg_aead_ipsec_mb_ctx_arch,
	.seal = wg_aead_ipsec_mb_seal,
	.open = wg_aead_ipsec_mb_open,
};
