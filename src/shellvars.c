#include "shellvars.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/spawn.h"

/* $1: names to read back; $2: count of assignments; then the assignments,
 * then the deprecated names (after a "--"), then the files. */
static const char driver[] =
	"__dkms_names=$1; __dkms_na=$2; shift 2\n"
	"while [ \"$__dkms_na\" -gt 0 ]; do declare -- \"$1\"; shift; __dkms_na=$((__dkms_na-1)); done\n"
	"__dkms_dep=()\n"
	"while [ \"$1\" != -- ]; do __dkms_dep+=(\"$1\"); shift; done; shift\n"
	"for __dkms_v in $__dkms_names; do unset \"$__dkms_v\"; done\n"
	"for __dkms_f in \"$@\"; do\n"
	"  [ -e \"$__dkms_f\" ] || continue\n"
	"  . \"$__dkms_f\" >/dev/null\n"
	"  for __dkms_v in \"${__dkms_dep[@]}\"; do\n"
	"    eval \"__dkms_c=\\${#${__dkms_v}[@]}\"\n"
	"    [ \"$__dkms_c\" -gt 0 ] && echo \"Deprecated feature: $__dkms_v ($__dkms_f)\" >&2\n"
	"  done\n"
	"done\n"
	"for __dkms_v in $__dkms_names; do\n"
	"  eval \"__dkms_k=(\\\"\\${!${__dkms_v}[@]}\\\")\"\n"
	"  for __dkms_i in \"${__dkms_k[@]}\"; do\n"
	"    eval \"__dkms_x=\\${${__dkms_v}[\\$__dkms_i]}\"\n"
	"    printf '%s\\0%s\\0%s\\0' \"$__dkms_v\" \"$__dkms_i\" \"$__dkms_x\" >&3\n"
	"  done\n"
	"done\n"
	"printf '\\0END\\0' >&3\n";

static struct shvar *shvars_add(struct shvars *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (streq(s->v[i].name, name))
			return &s->v[i];
	s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
	struct shvar *v = &s->v[s->n++];
	*v = (struct shvar){.name = xstrdup(name)};
	return v;
}

void shvars_set(struct shvars *s, const char *name, size_t idx, const char *value)
{
	struct shvar *v = shvars_add(s, name);
	if (idx >= v->n) {
		v->vals = xrealloc(v->vals, (idx + 1) * sizeof(char *));
		for (size_t i = v->n; i <= idx; i++)
			v->vals[i] = NULL;
		v->n = idx + 1;
	}
	free(v->vals[idx]);
	v->vals[idx] = xstrdup(value);
}

int shvars_parse(const char *buf, size_t len, struct shvars *out)
{
	const char *p = buf, *end = buf + len;
	*out = (struct shvars){0};
	for (;;) {
		const char *f[3];
		for (int k = 0; k < 3; k++) {
			const char *z = memchr(p, '\0', (size_t)(end - p));
			if (!z) {
				shvars_free(out);
				return -EBADMSG;
			}
			f[k] = p;
			p = z + 1;
			if (k == 0 && *f[0] == '\0') {
				/* the end marker: "\0END\0" */
				if ((size_t)(end - p) >= 4 && memcmp(p, "END", 4) == 0)
					return 0;
				shvars_free(out);
				return -EBADMSG;
			}
		}
		char *e;
		errno = 0;
		unsigned long idx = strtoul(f[1], &e, 10);
		if (*e || errno || idx > 1u << 20) {
			shvars_free(out);
			return -EBADMSG;
		}
		shvars_set(out, f[0], idx, f[2]);
	}
}

int shell_eval(const struct shell_eval *e, struct shvars *out)
{
	struct strbuf names = {0};
	for (size_t i = 0; e->names && e->names[i]; i++) {
		if (i)
			strbuf_append(&names, " ");
		strbuf_append(&names, e->names[i]);
	}
	char **argv = NULL;
	strv_pushdup(&argv, "bash");
	strv_pushdup(&argv, "-c");
	strv_pushdup(&argv, driver);
	strv_pushdup(&argv, "dkms");
	strv_push(&argv, strbuf_steal(&names));
	strv_push(&argv, xasprintf("%zu", strv_len(e->assign)));
	for (size_t i = 0; e->assign && e->assign[i]; i++)
		strv_pushdup(&argv, e->assign[i]);
	for (size_t i = 0; e->deprecated && e->deprecated[i]; i++)
		strv_pushdup(&argv, e->deprecated[i]);
	strv_pushdup(&argv, "--");
	for (size_t i = 0; e->files && e->files[i]; i++)
		strv_pushdup(&argv, e->files[i]);

	struct strbuf cap = {0};
	struct spawn_opts o = {
		.env = e->env, .out_fd = -1, .err_fd = -1, .null_stdin = true,
		.capture_child_fd = 3, .capture = &cap,
	};
	fflush(stdout);
	fflush(stderr);
	int r = spawn_run(argv, &o);
	strv_free(argv);
	if (r < 0) {
		strbuf_release(&cap);
		return r;
	}
	/* A file that exits or breaks the driver leaves no end marker: the
	 * reference then sees no variables at all, and so do we. */
	r = shvars_parse(cap.buf ? cap.buf : "", cap.len, out);
	strbuf_release(&cap);
	if (r == -EBADMSG) {
		*out = (struct shvars){0};
		return 0;
	}
	return r;
}

void shvars_free(struct shvars *s)
{
	for (size_t i = 0; i < s->n; i++) {
		for (size_t j = 0; j < s->v[i].n; j++)
			free(s->v[i].vals[j]);
		free(s->v[i].vals);
		free(s->v[i].name);
	}
	free(s->v);
	*s = (struct shvars){0};
}

const struct shvar *shvars_get(const struct shvars *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (streq(s->v[i].name, name))
			return &s->v[i];
	return NULL;
}

const char *shvars_at(const struct shvars *s, const char *name, size_t i)
{
	const struct shvar *v = shvars_get(s, name);
	return v && i < v->n ? v->vals[i] : NULL;
}

const char *shvars_scalar(const struct shvars *s, const char *name)
{
	return shvars_at(s, name, 0);
}

size_t shvars_count(const struct shvars *s, const char *name)
{
	const struct shvar *v = shvars_get(s, name);
	size_t c = 0;
	for (size_t i = 0; v && i < v->n; i++)
		if (v->vals[i])
			c++;
	return c;
}

size_t shvars_size(const struct shvars *s, const char *name)
{
	const struct shvar *v = shvars_get(s, name);
	return v ? v->n : 0;
}
