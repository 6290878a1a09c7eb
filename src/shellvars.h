/* Evaluating shell configuration files (framework.conf, dkms.conf) the way
 * the reference does: bash sources them in a clean child process, and a
 * fixed driver script writes every requested variable back to us as
 * NUL-separated (name, index, value) triples on a private pipe, so nothing
 * the files print can leak into the result. */
#pragma once

#include "util/util.h"

struct sandbox;

/* One variable: a bash array (a scalar is index 0).  vals has n slots,
 * NULL where an index is unset. */
struct shvar {
	char *name;
	size_t n;
	char **vals;
};

struct shvars {
	struct shvar *v;
	size_t n;
	/* private: room in v, and an open-addressing index of the names
	 * (slot = position in v + 1; 0 is empty) */
	size_t alloc, cap;
	size_t *slots;
};

struct shell_eval {
	char *const *files;     /* sourced in order; missing ones skipped */
	char *const *names;     /* variables to read back */
	char *const *assign;    /* "name=value" set as shell variables first */
	char *const *deprecated; /* warn "Deprecated feature: NAME (file)" when set */
	char *const *env;       /* environment of bash; NULL inherits */
	const struct sandbox *sandbox; /* how bash is confined (sandbox.h); NULL: not */
};

/* The largest file shell_eval() reads. */
#define SHELL_FILE_MAX (1 << 20)

/* Returns 0, or a negative errno when a file is not a regular file of at
 * most SHELL_FILE_MAX bytes (said on stderr), when bash could not be run,
 * or when the serialisation was malformed.  Whatever the files print on stderr reaches
 * the user; their stdout is discarded, as in the reference. */
int shell_eval(const struct shell_eval *e, struct shvars *out);
/* The two ways shell_eval() reads files: in-process for files of plain
 * assignments only (-ENOTSUP otherwise), and bash.  DKMS_SHELL_EVAL=bash
 * in the environment forces bash. */
int shell_eval_fast(const struct shell_eval *e, struct shvars *out);
int shell_eval_bash(const struct shell_eval *e, struct shvars *out);

/* The fast path's reader of one file's text, exposed for the fuzzer and
 * unit tests: adds the text's assignments to vars, which holds what is set
 * before it.  Returns 0, or -ENOTSUP (vars then partly updated) when the
 * text is anything but comments, blank lines and plain assignments, when
 * it assigns or expands a name bash gives a meaning of its own, or when it
 * needs more memory than the fast path allows: bash must read it. */
int shvars_parse_simple(struct shvars *vars, const char *text, size_t len);
/* True for the names the fast path leaves to bash: bash's own variables
 * (shell_special_vars: RANDOM, LINENO, UID, IFS, _, ...) and the
 * driver's (__dkms_*). */
bool shell_name_is_special(const char *name);
extern const char *const shell_special_vars[]; /* sorted, NULL-terminated */
void shvars_free(struct shvars *s);

/* Lookups: NULL when unset. */
const struct shvar *shvars_get(const struct shvars *s, const char *name);
const char *shvars_scalar(const struct shvars *s, const char *name);
const char *shvars_at(const struct shvars *s, const char *name, size_t i);
size_t shvars_count(const struct shvars *s, const char *name); /* ${#NAME[@]} */
size_t shvars_size(const struct shvars *s, const char *name);  /* highest index + 1 */

void shvars_set(struct shvars *s, const char *name, size_t idx, const char *value);

/* shell_eval()'s checks and in-process reader alone: -ENOTSUP when the
 * files need bash. */
int shell_eval_checked_fast(const struct shell_eval *e, struct shvars *out);
/* The driver's format, "NAME\0INDEX\0VALUE\0...\0END\0", from vars. */
void shvars_serialize(const struct shvars *vars, struct strbuf *out);

/* Parse the driver's output; exposed for unit tests. */
int shvars_parse(const char *buf, size_t len, struct shvars *out);
