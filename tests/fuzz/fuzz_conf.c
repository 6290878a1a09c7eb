/* libFuzzer harness: the in-process reader of dkms.conf (the fast path of
 * shell_eval: shvars_parse_simple) on any text, after the variables dkms
 * gives every dkms.conf.  Besides ASan and UBSan, for a text it accepts:
 *  - no name bash gives a meaning of its own is set, and no value holds a
 *    newline (a plain assignment ends with its line);
 *  - reading it again gives the same variables, and its part up to its
 *    last newline is accepted too;
 *  - its variables, written back as a file of single-quoted assignments,
 *    read back to the same variables;
 *  - with FUZZ_BASH_EVERY=N in the environment (N > 0), every Nth text
 *    accepted is also read by bash (shell_eval_bash), which must give the
 *    same values: the fast path may only accept what means to bash what
 *    it means to the fast path.
 * A text refused is refused again. */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "shellvars.h"
#include "util/util.h"

/* what module_conf_load gives every dkms.conf */
static char *const assign[] = {
	"kernelver=6.1.0-56-amd64", "arch=x86_64", "kernel_source_dir=/lib/modules/6.1.0-56-amd64/build",
	"kernel_config=/lib/modules/6.1.0-56-amd64/build/.config", "dkms_tree=/var/lib/dkms",
	"source_tree=/usr/src", "install_tree=/lib/modules", "tmp_location=/tmp", "module=m",
	"module_version=1.0", "dkms_conf_dir=/usr/src/m-1.0", "current_kernel=6.1.0-56-amd64",
	"current_os=Linux", "running_distribution=debian", NULL,
};

static unsigned long bash_every; /* FUZZ_BASH_EVERY */
static char *scratch;           /* a directory for the file bash reads */
static unsigned long runs, accepted, compared;

static void cleanup(void)
{
	fprintf(stderr, "fuzz_conf: %lu texts, %lu read in-process, %lu of them compared with bash\n", runs, accepted,
		compared);
	if (scratch)
		rm_rf(scratch);
	free(scratch);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *every = getenv("FUZZ_BASH_EVERY");
	bash_every = every ? strtoul(every, NULL, 10) : 0;
	if (bash_every) {
		char tmpl[] = "/tmp/fuzz-conf.XXXXXX";
		CHECK(mkdtemp(tmpl));
		scratch = xstrdup(tmpl);
	}
	atexit(cleanup);
	return 0;
}

static bool is_preset(const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; assign[i]; i++)
		if (strncmp(assign[i], name, n) == 0 && assign[i][n] == '=')
			return true;
	return false;
}

static void preset(struct shvars *v)
{
	*v = (struct shvars){0};
	for (size_t i = 0; assign[i]; i++) {
		const char *eq = strchr(assign[i], '=');
		_cleanup_free_ char *name = xstrndup(assign[i], (size_t)(eq - assign[i]));
		shvars_set(v, name, 0, eq + 1);
	}
}

/* The same names, each with the same values at the same indices. */
static bool equal(const struct shvars *a, const struct shvars *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct shvar *x = &a->v[i], *y = shvars_get(b, x->name);
		if (!y || x->n != y->n)
			return false;
		for (size_t j = 0; j < x->n; j++)
			if ((x->vals[j] == NULL) != (y->vals[j] == NULL) || (x->vals[j] && strcmp(x->vals[j], y->vals[j])))
				return false;
	}
	return true;
}

/* The variables as NAME[i]='value' lines, ' written as '"'"'. */
static char *canonical(const struct shvars *v, size_t *bytes)
{
	struct strbuf sb = {0};
	*bytes = 0;
	for (size_t i = 0; i < v->n; i++) {
		for (size_t j = 0; j < v->v[i].n; j++) {
			const char *val = v->v[i].vals[j];
			if (!val)
				continue;
			*bytes += strlen(val);
			strbuf_appendf(&sb, "%s[%zu]='", v->v[i].name, j);
			for (const char *p = val; *p; p++) {
				if (*p == '\'')
					strbuf_append(&sb, "'\"'\"'");
				else
					strbuf_appendn(&sb, p, 1);
			}
			strbuf_append(&sb, "'\n");
		}
	}
	return strbuf_steal(&sb);
}

static void check_accepted(const struct shvars *v)
{
	for (size_t i = 0; i < v->n; i++) {
		CHECK(!shell_name_is_special(v->v[i].name) || is_preset(v->v[i].name));
		for (size_t j = 0; j < v->v[i].n; j++)
			CHECK(!v->v[i].vals[j] || !strchr(v->v[i].vals[j], '\n'));
	}
	size_t bytes;
	_cleanup_free_ char *text = canonical(v, &bytes);
	/* within the reader's bounds with room to spare */
	if (bytes > SHELL_FILE_MAX)
		return;
	struct shvars again = {0};
	CHECK(shvars_parse_simple(&again, text, strlen(text)) == 0);
	CHECK(equal(v, &again));
	shvars_free(&again);
}

/* bash reads the text as the fast path did (the preset variables set, not
 * read back): the values must be the same. */
static void check_with_bash(const uint8_t *data, size_t size, const struct shvars *v)
{
	_cleanup_free_ char *file = path_join(scratch, "dkms.conf");
	FILE *f = fopen(file, "w");
	CHECK(f && fwrite(data, 1, size, f) == size && fclose(f) == 0);
	_cleanup_strv_ char **names = NULL;
	for (size_t i = 0; i < v->n; i++)
		if (!is_preset(v->v[i].name))
			strv_pushdup(&names, v->v[i].name);
	if (!names)
		return;
	char *files[] = {file, NULL};
	struct shell_eval e = {.files = files, .names = names, .assign = assign};
	struct shvars fast = {0}, bash = {0};
	CHECK(shell_eval_fast(&e, &fast) == 0);
	CHECK(shell_eval_bash(&e, &bash) == 0);
	compared++;
	if (!equal(&fast, &bash)) {
		fprintf(stderr, "the fast path and bash differ on:\n%.*s\n", (int)size, (const char *)data);
		for (size_t i = 0; i < fast.n; i++)
			for (size_t j = 0; j < fast.v[i].n; j++)
				fprintf(stderr, "  %s[%zu]: fast '%s' bash '%s'\n", fast.v[i].name, j,
					fast.v[i].vals[j] ? fast.v[i].vals[j] : "(unset)",
					shvars_at(&bash, fast.v[i].name, j) ? shvars_at(&bash, fast.v[i].name, j) : "(unset)");
		abort();
	}
	shvars_free(&fast);
	shvars_free(&bash);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct shvars v, w;
	runs++;
	preset(&v);
	preset(&w);
	int r = shvars_parse_simple(&v, text, size);
	CHECK(r == 0 || r == -ENOTSUP);
	CHECK(shvars_parse_simple(&w, text, size) == r);
	if (r == 0) {
		CHECK(equal(&v, &w));
		check_accepted(&v);
		const char *nl = size ? memrchr(text, '\n', size) : NULL;
		struct shvars part;
		preset(&part);
		CHECK(!nl || shvars_parse_simple(&part, text, (size_t)(nl - text)) == 0);
		shvars_free(&part);
		if (bash_every && ++accepted % bash_every == 0)
			check_with_bash(data, size, &v);
	}
	shvars_free(&v);
	shvars_free(&w);
	return 0;
}
