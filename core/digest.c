/* digest.c - SHA-256 through OpenSSL */
#include "digest.h"
#include "filetype.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum sb_err sb_sha256_begin(struct sb_sha256 *h, struct sb_errbuf *err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		h->ctx = NULL;
		return sb_errf(err, SB_ENOMEM, "cannot start SHA-256");
	}
	h->ctx = ctx;
	return SB_OK;
}

void sb_sha256_update(struct sb_sha256 *h, const void *data, size_t len)
{
	EVP_DigestUpdate(h->ctx, data, len);
}

void sb_sha256_end(struct sb_sha256 *h, char hex[SB_SHA256_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	EVP_DigestFinal_ex(h->ctx, md, &len);
	for (unsigned int i = 0; i < len && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[64] = '\0';
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

enum sb_err sb_sha256_file(const char *path, char hex[SB_SHA256_HEX], uint64_t *size,
			   struct sb_errbuf *err)
{
	enum { CHUNK = 1 << 20 };
	struct sb_sha256 h;
	unsigned char *buf;
	uint64_t total = 0;
	struct stat st;
	enum sb_err rc;
	size_t got;
	FILE *f;

	/*
	 * Regular files only, checked before opening: /dev/zero would be hashed forever,
	 * and a pipe would be drained here, leaving nothing for its reader (sb_input_open()
	 * copies pipes to a regular file first).
	 */
	if (stat(path, &st) == 0 && (rc = sb_check_file_type(path, &st, false, err)))
		return rc;
	f = fopen(path, "rb");
	if (!f)
		return sb_errf(err, SB_EIO, "%s: cannot open: %s", path, strerror(errno));
	if (fstat(fileno(f), &st) == 0 && (rc = sb_check_file_type(path, &st, false, err))) {
		fclose(f);
		return rc;
	}
	buf = malloc(CHUNK);
	rc = buf ? sb_sha256_begin(&h, err) : sb_errf(err, SB_ENOMEM, "out of memory");
	if (rc)
		goto out_close;
	while ((got = fread(buf, 1, CHUNK, f)) > 0) {
		sb_sha256_update(&h, buf, got);
		total += got;
	}
	if (ferror(f)) {
		rc = sb_errf(err, SB_EIO, "%s: read error: %s", path, strerror(errno));
		sb_sha256_end(&h, hex);
		goto out_close;
	}
	sb_sha256_end(&h, hex);
	if (size)
		*size = total;
out_close:
	free(buf);
	fclose(f);
	return rc;
}
