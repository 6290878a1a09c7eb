/* Failed builds, remembered: when the build of a module/version for a
 * kernel fails, the facts are kept in the dkms tree, in a directory of
 * the version that is not a kernel's,
 *   <dkms_tree>/<m>/<v>/failures/<kernel>-<arch>       key=value lines
 *   <dkms_tree>/<m>/<v>/failures/<kernel>-<arch>.log   a copy of make.log
 * so that the reference's layout, `dkms status` lines and verify's idea
 * of a kernel directory are unchanged.  A later successful build for that
 * kernel and arch clears its record; remove takes the directory (it holds
 * no build, so remove deletes it as it deletes a kernel directory without
 * one).  `dkms check` and `status --json` read them. */
#pragma once

#include "digest.h"

#include "framework.h"
#include "target.h"
#include "util/util.h"

struct build_failure {
	char *m, *v, *k, *a;
	int exit_code;       /* what the build exited with */
	char *reason;        /* what the build said: "make exited with status 2" */
	char *first_error;   /* the log's first error line, or NULL */
	char *log;           /* the kept copy of make.log, or NULL */
	long long time;      /* when, in seconds since the epoch */
	char *conf_sha256;   /* of the dkms.conf the build read, or NULL */
	char *source_sha256; /* of the source tree it built (source_digest), or NULL */
};

/* Remembers that m/v failed to build for t with exit code `code`; `why`
 * is the build's own words, `log` its make.log (NULL: none), copied
 * without following links.  Errors are not fatal to the caller: a record
 * that cannot be written is warned about and the build's result stands.
 * Returns 0 or -errno. */
int failure_record(const struct settings *s, const char *m, const char *v, const struct kernel_target *t, int code,
		   const char *why, const char *log);
/* Forgets the failure of m/v for kernel k on arch a (a successful build). */
void failure_clear(const struct settings *s, const char *m, const char *v, const char *k, const char *a);
/* Reads the record of m/v for k/a.  0, or -ENOENT when there is none. */
int failure_load(const struct settings *s, const char *m, const char *v, const char *k, const char *a,
		 struct build_failure *f);
void failure_free(struct build_failure *f);
/* "<kernel>/<arch>" of every record of m/v, matching the filters (NULL:
 * any), sorted. */
char **failure_kernel_arches(const struct settings *s, const char *m, const char *v, const char *kfilter,
			     const char *afilter);

/* The record as text, and back (the pure part, unit-tested): key=value
 * lines, a value's backslashes and newlines escaped. */
char *failure_format(const struct build_failure *f);
int failure_parse(const char *text, struct build_failure *f);
/* "2024-05-01 12:00:00 UTC" for the record's time. */
char *failure_time_text(long long t);

/* The digests a record keeps: file_sha256() and source_digest(), digest.h. */
