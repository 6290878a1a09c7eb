/* libFuzzer harness: the option parser (cli_parse, then
 * cli_resolve_positionals in an empty directory), on an argv made of the
 * input split at its NUL bytes.  Besides ASan and UBSan (a leak after
 * cli_free is a crash too):
 *  - cli_parse returns 0 or one of the reference's exit codes for a bad
 *    command line, with an error message exactly when it is not 0;
 *  - it changes nothing in argv, and parsing again gives the same result;
 *  - the action is an entry of the table, found by its name;
 *  - -q is noted where it came; messages are in command-line order;
 *  - -m, -v, --archive and the positional arguments are kept in order,
 *    each positional argument as given, never an option or an action;
 *  - a success means the reference's final checks hold (--binaries-only
 *    and --source-only not both, kernels and arches paired, --all alone);
 *  - a kernel never holds the '/' that separates its arch, nor a module
 *    the '/' of its version. */
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "fuzz.h"
#include "util/util.h"

/* The action names of main.c's table; the parser reads only the names. */
static const struct cli_action actions[] = {
	{"add", NULL, 0},     {"remove", NULL, 0}, {"build", NULL, 0},       {"unbuild", NULL, 0},
	{"install", NULL, 0}, {"uninstall", NULL, 0}, {"match", NULL, 0},   {"autoinstall", NULL, 0},
	{"mktarball", NULL, 0}, {"ldtarball", NULL, 0}, {"status", NULL, 0}, {"generate_mok", NULL, 0},
};

#define MAX_ARGS 64

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* positional arguments are looked at as paths: relative ones find
	 * nothing in an empty directory */
	char tmpl[] = "/tmp/fuzz-cli.XXXXXX";
	CHECK(mkdtemp(tmpl) && chdir(tmpl) == 0 && rmdir(tmpl) == 0);
	return 0;
}

static bool is_action(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
		if (streq(actions[i].name, s))
			return true;
	return false;
}

static bool strv_equal(char **a, char **b)
{
	size_t n = strv_len(a);
	if (n != strv_len(b))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!streq(a[i], b[i]))
			return false;
	return true;
}

static bool str_equal(const char *a, const char *b)
{
	return (!a && !b) || (a && b && streq(a, b));
}

/* The same parse result: what the caller reads of struct cli. */
static bool same(const struct cli *a, const struct cli *b)
{
	if (a->act != b->act || !str_equal(a->module, b->module) ||
	    !str_equal(a->module_version, b->module_version) || !str_equal(a->archive, b->archive) ||
	    !str_equal(a->jobs, b->jobs) || !str_equal(a->conf, b->conf) || !strv_equal(a->kernelver, b->kernelver) ||
	    !strv_equal(a->arch, b->arch) || !strv_equal(a->directives, b->directives) ||
	    a->n_args != b->n_args || a->n_msgs != b->n_msgs || a->quiet_at != b->quiet_at ||
	    a->all != b->all || a->force != b->force || a->help != b->help || a->version != b->version)
		return false;
	for (size_t i = 0; i < a->n_msgs; i++)
		if (a->msgs[i].kind != b->msgs[i].kind || a->msgs[i].argi != b->msgs[i].argi ||
		    !streq(a->msgs[i].text, b->msgs[i].text))
			return false;
	return true;
}

static void check_parsed(const struct cli *c, int r, int argc, char **argv)
{
	CHECK(r == 0 || r == 1 || r == 2 || r == 3 || r == 4 || r == 8);
	CHECK(c->act ? c->act >= actions && c->act < actions + ARRAY_SIZE(actions) && c->action == c->act->name
		     : !c->action);
	CHECK(c->quiet == (c->quiet_at > 0) && c->quiet_at < argc);
	bool errors = false;
	for (size_t i = 0; i < c->n_msgs; i++) {
		CHECK(c->msgs[i].text && c->msgs[i].argi >= 1 && c->msgs[i].argi <= argc);
		CHECK(i == 0 || c->msgs[i - 1].argi <= c->msgs[i].argi);
		errors |= c->msgs[i].kind == CLI_MSG_ERROR || c->msgs[i].kind == CLI_MSG_USAGE_ERROR;
	}
	CHECK(errors == (r != 0));
	for (size_t i = 0; i < c->n_args; i++) {
		const struct cli_arg *a = &c->args[i];
		CHECK(a->value && a->argi >= 1 && a->argi < argc);
		CHECK(i == 0 || c->args[i - 1].argi < a->argi);
		if (a->opt)
			CHECK(argv[a->argi][0] == '-');
		else
			CHECK(streq(a->value, argv[a->argi]) && argv[a->argi][0] != '-' && !is_action(a->value));
	}
	for (size_t i = 0; c->kernelver && c->kernelver[i]; i++)
		CHECK(!strchr(c->kernelver[i], '/'));
	CHECK(!c->module || !strchr(c->module, '/'));
	size_t nk = strv_len(c->kernelver), na = strv_len(c->arch);
	if (r == 0 && !c->help && !c->version) {
		CHECK(!(c->binaries_only && c->source_only));
		CHECK(na <= 1 || na == nk);
		CHECK(!c->all || (nk == 0 && na == 0));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* NUL-terminated arguments (the last one may lack its NUL), each in
	 * a buffer of its own, so that ASan sees any read past its end */
	char *argv[MAX_ARGS + 1], *copy[MAX_ARGS + 1];
	int argc = 0;
	argv[argc++] = xstrdup("dkms");
	for (size_t at = 0; at < size && argc < MAX_ARGS;) {
		const char *z = memchr(data + at, '\0', size - at);
		size_t n = z ? (size_t)(z - (const char *)data) - at : size - at;
		argv[argc++] = xstrndup((const char *)data + at, n);
		at += n + 1;
	}
	argv[argc] = NULL;
	for (int i = 0; i < argc; i++)
		copy[i] = xstrdup(argv[i]);

	struct cli c, d;
	int r = cli_parse(&c, actions, ARRAY_SIZE(actions), argc, argv);
	for (int i = 0; i < argc; i++)
		CHECK(streq(argv[i], copy[i]));
	check_parsed(&c, r, argc, argv);
	CHECK(cli_parse(&d, actions, ARRAY_SIZE(actions), argc, argv) == r);
	CHECK(same(&c, &d));
	if (r == 0) {
		cli_resolve_positionals(&c);
		CHECK(!c.module || !strchr(c.module, '/'));
		for (size_t i = 0; i < c.n_msgs; i++)
			CHECK(c.msgs[i].kind == CLI_MSG_WARNING || c.msgs[i].kind == CLI_MSG_DEPRECATED);
	}
	cli_free(&c);
	cli_free(&d);
	CHECK(!c.module && !c.kernelver && !c.args && !c.msgs && !c.n_args);
	for (int i = 0; i < argc; i++) {
		free(argv[i]);
		free(copy[i]);
	}
	return 0;
}
