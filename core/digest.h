/* digest.h - SHA-256 of files and buffers (OpenSSL's EVP, which uses SHA-NI where present) */
#ifndef SB_DIGEST_H
#define SB_DIGEST_H

#include "common.h"

#define SB_SHA256_HEX 65   /* 64 hex digits + NUL */

struct sb_sha256 {
	void *ctx;            /* EVP_MD_CTX */
};

enum sb_err sb_sha256_begin(struct sb_sha256 *h, struct sb_errbuf *err);
void sb_sha256_update(struct sb_sha256 *h, const void *data, size_t len);
/* Writes the lowercase hex digest and frees the context. */
void sb_sha256_end(struct sb_sha256 *h, char hex[SB_SHA256_HEX]);

/*
 * SHA-256 of a whole regular file, streamed; *size (may be NULL) receives its length.
 * Anything but a regular file (a pipe, /dev/zero, a directory) is refused with
 * "PATH: expected a regular file, got ..." before a byte is read.
 */
enum sb_err sb_sha256_file(const char *path, char hex[SB_SHA256_HEX], uint64_t *size,
			   struct sb_errbuf *err);

#endif
