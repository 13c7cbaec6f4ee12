/* buildinfo.h - what built this binary, for result manifests */
#ifndef SB_BUILDINFO_H
#define SB_BUILDINFO_H

extern const char sb_build_commit[];    /* "abc123def456", "+dirty" appended, or "unknown" */
extern const char sb_build_compiler[];  /* e.g. "gcc 12.2.0" */
extern const char sb_build_flags[];     /* CFLAGS as given to the compiler */

#endif
