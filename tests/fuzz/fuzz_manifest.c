/* fuzz_manifest.c - sb_manifest_read() on DIR/manifest.json (what verify reads) */
#include "fuzz.h"

#include <string.h>

#include "../../engine/manifest.h"

static void check_files(const struct sb_manifest_file *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		FZ_CHECK(f[i].path && strlen(f[i].sha256) == SB_SHA256_HEX - 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sb_errbuf err = { { 0 } };
	struct sb_manifest m;
	enum sb_err rc;

	fz_file(SB_MANIFEST_NAME, NULL, 0, data, size);
	rc = sb_manifest_read(fz_dir(), &m, &err);
	FZ_CHECK_ERR(rc, err);
	if (rc == SB_OK) {
		FZ_CHECK(m.argc >= 1 && m.argv && !m.argv[m.argc] && m.command &&
			 !strcmp(m.command, m.argv[0]));
		for (int i = 0; i < m.argc; i++)
			FZ_CHECK(m.argv[i] != NULL);
		for (int k = 0; k < SB_N_AXES; k++)
			FZ_CHECK(m.axis[k] != NULL);
		check_files(m.inputs, m.n_inputs);
		check_files(m.outputs, m.n_outputs);
	} else {
		FZ_CHECK(!m.argv && !m.command && !m.inputs && !m.outputs && m.argc == 0);
	}
	sb_manifest_release(&m);
	sb_manifest_release(&m);   /* safe twice, as manifest.h says */
	return 0;
}
