/* fuzz.h - what the fuzz harnesses share: the entry point, input files, invariant checks
 *
 * Each tests/fuzz/fuzz_<target>.c defines LLVMFuzzerTestOneInput().  `make fuzz` links
 * it with libFuzzer (clang, ASan + UBSan); the normal build links it with replay.c,
 * which feeds it the checked-in corpus and crash inputs as regression cases.
 * A harness releases everything it got, returns 0 on errors (bad input is expected),
 * and aborts through FZ_CHECK when a result breaks a promise of the API.
 */
#ifndef SB_FUZZ_H
#define SB_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "../../loaders/candles.h"
#include "../../loaders/events.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A folder of this process, removed at exit: /dev/shm when there is one, else $TMPDIR. */
const char *fz_dir(void);

/*
 * fz_file() writes 'pre' (plen bytes, may be 0) then the input to fz_dir()/'name' and
 * returns its path.  The file is created once per name and rewritten in place on
 * every call (ftruncate + pwrite), so a run costs no open() of our own.
 */
const char *fz_file(const char *name, const void *pre, size_t plen, const void *data,
		    size_t size);

/* The input as a NUL-terminated string (a copy, valid until the next call). */
const char *fz_str(const uint8_t *data, size_t size);

void fz_fail(const char *what, const char *file, int line) __attribute__((noreturn));
#define FZ_CHECK(cond) ((cond) ? (void)0 : fz_fail(#cond, __FILE__, __LINE__))

/*
 * On failure a loader says why: a non-empty message.  With FUZZ_VERBOSE set in the
 * environment, each result is printed (to see what a corpus input reaches).
 */
#define FZ_CHECK_ERR(rc, err) fz_result((rc), &(err), __FILE__, __LINE__)
void fz_result(enum sb_err rc, const struct sb_errbuf *err, const char *file, int line);

/*
 * fz_candles() loads the input as one or two candle files ("a.csv", "b.csv": an input
 * that is not gzip is cut at its first form feed), each with 'header' in front (may be
 * NULL), at a 1-day interval, and checks what sb_candles_load() promises.
 */
void fz_candles(const char *header, const uint8_t *data, size_t size);

/* fz_events() loads the input as 'name' once with each of opts[0..nopts) and checks. */
void fz_events(const char *name, const struct sb_events_opts *opts, size_t nopts,
	       const uint8_t *data, size_t size);

/*
 * False when the MessagePack objects in the input declare over 2^20 more array or map
 * elements than there are bytes left.  msgpack-c reserves count * 24 (array) or
 * count * 48 (map) bytes as soon as it reads such a header, so a 6-byte input can ask
 * for 200 GiB: harmless virtual memory with Linux overcommit, but an out-of-memory
 * abort under ASan.  The harnesses skip those inputs (docs/fuzzing.md).
 */
bool fz_msgpack_sane(const uint8_t *p, size_t n);

/* Checks a loaded article array (from a loader or the cache); 'o' NULL: mode unknown. */
void fz_check_events(const struct sb_events *ev, const struct sb_events_opts *o,
		     const struct sb_input_info *info);

#endif
