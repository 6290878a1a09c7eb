/* status rows and how they are written: the reference's lines, which
 * scripts split with IFS=",:/ ",
 *   name/version: added
 *   name/version, kernel, arch: built|installed[ (warnings)]
 * or, with --json, one JSON object per row, and also a row "failed" for
 * each kernel whose last build of the module failed, "incomplete" for a
 * kernel whose built modules are partly missing, and "broken" for a
 * version whose source is gone. */
#pragma once

#include <stdbool.h>

#include "util/util.h"

struct status_row {
	char *m, *v;
	char *k, *a;    /* NULL for "added" */
	char *state;    /* "added", "built" or "installed" */
	char *extra;    /* "" or " (warning)..." as the reference appends them */
	/* state "failed", in --json only: the last build for k/a failed
	 * (failure.h); text lines never show it, as the reference's do not */
	int exit_code;
	char *reason, *first_error, *log, *time;
	/* --json only, as newer releases name them: "broken" (m/v: the
	 * source or the link to it is gone; reason) and "incomplete" (k/a:
	 * built modules missing; reason, and whether it is marked installed) */
	bool marked_installed;
};

/* Appends the row's line (with its newline) to out. */
void status_row_text(struct strbuf *out, const struct status_row *r);
/* Appends the row as a JSON object (no separator, no newline). */
void status_row_json(struct strbuf *out, const struct status_row *r);
void status_row_free(struct status_row *r);

/* s as a JSON string, quoted and escaped (NULL gives ""). */
void json_str(struct strbuf *out, const char *s);
