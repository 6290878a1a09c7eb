/* Unit tests: the in-process reader of plain dkms.conf files (the fast
 * path of shell_eval) against bash.  A file that assigns or expands a
 * variable bash treats specially (RANDOM, LINENO, UID, IFS, _, ...) must
 * be left to bash, so that shell_eval gives what bash gives; plain files
 * must still be read in-process, with bash's result; and the reader keeps
 * within its memory bounds whatever the text. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkmsconf.h"
#include "shellvars.h"
#include "util/util.h"

static char root[] = "/tmp/dkms-fastpath.XXXXXX";
static char *conf;

/* the variables dkms gives dkms.conf (see module_conf_load) */
static char *const assign[] = {
	"kernelver=6.1.0-56-amd64", "arch=x86_64", "kernel_source_dir=/lib/modules/6.1.0-56-amd64/build",
	"dkms_tree=/var/lib/dkms", "source_tree=/usr/src", "install_tree=/lib/modules", "module=m",
	"module_version=1.0", NULL,
};

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(root))
		return -1;
	conf = path_join(root, "dkms.conf");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rm_rf(root);
	free(conf);
	return 0;
}

/* Every dkms.conf variable equal in a and b; the first difference is
 * said when text (what was read) is given. */
static bool same(const struct shvars *a, const struct shvars *b, const char *text)
{
	for (size_t i = 0; dkms_conf_vars[i]; i++) {
		const char *n = dkms_conf_vars[i];
		size_t size = shvars_size(a, n) > shvars_size(b, n) ? shvars_size(a, n) : shvars_size(b, n);
		for (size_t j = 0; j < size; j++) {
			const char *x = shvars_at(a, n, j), *y = shvars_at(b, n, j);
			if ((x == NULL) != (y == NULL) || (x && strcmp(x, y) != 0)) {
				if (text)
					print_message("%s[%zu]: '%s' against '%s' for:\n%s", n, j, x ? x : "(unset)",
						      y ? y : "(unset)", text);
				return false;
			}
		}
	}
	return true;
}

/* text as the dkms.conf (a scratch file: no need for fsync). */
static void put(const char *text)
{
	FILE *f = fopen(conf, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* shell_eval on the dkms.conf, with bash forced or not. */
static int eval(bool force_bash, struct shvars *out)
{
	char *files[] = {conf, NULL};
	struct shell_eval e = {.files = files, .names = (char *const *)dkms_conf_vars, .assign = assign};
	if (force_bash)
		setenv("DKMS_SHELL_EVAL", "bash", 1);
	int r = shell_eval(&e, out);
	unsetenv("DKMS_SHELL_EVAL");
	return r;
}

/* Whether the fast path alone reads the dkms.conf. */
static bool fast_reads(void)
{
	char *files[] = {conf, NULL};
	struct shell_eval e = {.files = files, .names = (char *const *)dkms_conf_vars, .assign = assign};
	struct shvars v = {0};
	int r = shell_eval_fast(&e, &v);
	shvars_free(&v);
	return r == 0;
}

/* text gives through shell_eval what bash gives.  Values bash makes anew
 * on every run ($RANDOM, $BASHPID, $EPOCHREALTIME) cannot be compared:
 * when a second run of bash disagrees with the first, only the fast
 * path's refusal is asked.  A value of the clock's second
 * ($EPOCHSECONDS) agrees with a second run and may still differ from a
 * run a moment before, across the second's end: the comparison is made
 * again (three times across a second's end cannot happen in a few
 * milliseconds). */
static void check_as_bash(const char *text, bool fast_expected)
{
	put(text);
	bool agreed = false;
	for (int attempt = 0; attempt < 3 && !agreed; attempt++) {
		struct shvars dflt = {0}, bash1 = {0}, bash2 = {0};
		assert_int_equal(eval(false, &dflt), 0);
		assert_int_equal(eval(true, &bash1), 0);
		agreed = same(&dflt, &bash1, NULL);
		if (!agreed) {
			assert_int_equal(eval(true, &bash2), 0);
			agreed = !same(&bash1, &bash2, NULL);
			if (!agreed && attempt == 2)
				assert_true(same(&dflt, &bash1, text));
		}
		shvars_free(&dflt);
		shvars_free(&bash1);
		shvars_free(&bash2);
	}
	if (fast_reads() != fast_expected)
		fail_msg("the fast path %s:\n%s", fast_expected ? "refused" : "read", text);
}

/* form with every '@' replaced by name. */
static char *fill(const char *form, const char *name)
{
	struct strbuf sb = {0};
	for (const char *p = form; *p; p++) {
		if (*p == '@')
			strbuf_append(&sb, name);
		else
			strbuf_appendn(&sb, p, 1);
	}
	return strbuf_steal(&sb);
}

/* A dkms.conf that assigns name, expands it, or both. */
static void check_name(const char *name)
{
	static const char *const forms[] = {
		"PACKAGE_VERSION=1\n@=0\nPACKAGE_NAME=p\n",
		"PACKAGE_NAME=$@\n",
		"@=5\nPACKAGE_NAME=$@\nPACKAGE_VERSION=\"${@}\"\n",
		"@[1]=x\nPACKAGE_NAME=a${@}b\n",
	};
	for (size_t i = 0; i < ARRAY_SIZE(forms); i++) {
		_cleanup_free_ char *text = fill(forms[i], name);
		check_as_bash(text, false);
	}
}

/* Every name of the table: left to bash, with bash's result.  Every
 * variable a bash started with an empty environment sets is in the table
 * (so that a newer bash's new variables are noticed). */
static void test_specials(void **state)
{
	(void)state;
	size_t n = 0;
	for (; shell_special_vars[n]; n++) {
		if (n > 0)
			assert_true(strcmp(shell_special_vars[n - 1], shell_special_vars[n]) < 0);
		assert_true(shell_name_is_special(shell_special_vars[n]));
		check_name(shell_special_vars[n]);
	}
	assert_true(n > 100);
	FILE *p = popen("env -i bash -c 'compgen -v'", "r");
	assert_non_null(p);
	char line[256];
	size_t seen = 0;
	while (fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = '\0';
		if (!shell_name_is_special(line))
			fail_msg("bash sets %s, which the fast path does not leave to bash", line);
		seen++;
	}
	assert_int_equal(pclose(p), 0);
	assert_true(seen > 20);
	assert_true(shell_name_is_special("__dkms_names"));
	check_name("__dkms_names");
	check_name("__dkms_f");
}

/* Names bash gives no meaning stay on the fast path, with bash's result:
 * the check above would see a difference. */
static void test_plain(void **state)
{
	(void)state;
	static const char *const texts[] = {
		"PACKAGE_NAME=a\nPACKAGE_VERSION=$PACKAGE_NAME-$kernelver\n",
		"X=5\nPACKAGE_NAME=$X\nPACKAGE_VERSION=\"${X}\"\n",
		"X[1]=x\nPACKAGE_NAME=a${X}b\n",
		"if=3\ntime=4\nPACKAGE_NAME=$if$time\n",
		"random=1\nPATHS=2\nUIDS=3\nPACKAGE_NAME=$random$PATHS$UIDS\n",
		"MAKE[0]='make \"x\"' # c\nBUILT_MODULE_NAME[10]=\"a\\\\b\\$c\\d\"\n",
	};
	for (size_t i = 0; i < ARRAY_SIZE(texts); i++)
		check_as_bash(texts[i], true);
}

static int parse(const char *text, size_t len, struct shvars *v)
{
	*v = (struct shvars){0};
	return shvars_parse_simple(v, text, len);
}

/* The buffer reader: lengths rather than NULs, and its bounds. */
static void test_parse_simple(void **state)
{
	(void)state;
	struct shvars v;
	/* the length ends the text: "B=2" is not part of it */
	assert_int_equal(parse("A=1\nB=2", 4, &v), 0);
	assert_string_equal(shvars_scalar(&v, "A"), "1");
	assert_null(shvars_get(&v, "B"));
	shvars_free(&v);
	assert_int_equal(parse("A=1\nB='x", 8, &v), -ENOTSUP);
	shvars_free(&v);
	assert_int_equal(parse("A=1\0B=2\n", 8, &v), -ENOTSUP);
	shvars_free(&v);
	assert_int_equal(parse("A=\"x\\", 5, &v), -ENOTSUP);
	shvars_free(&v);
	/* a huge sparse array: bash keeps it, the fast path does not */
	assert_int_equal(parse("A[4095]=x\n", 10, &v), 0);
	assert_int_equal(shvars_size(&v, "A"), 4096);
	shvars_free(&v);
	assert_int_equal(parse("A[4096]=x\n", 10, &v), -ENOTSUP);
	shvars_free(&v);
	assert_int_equal(parse("A[10000]=x\n", 11, &v), -ENOTSUP);
	shvars_free(&v);
	/* a value doubled line after line */
	struct strbuf sb = {0};
	strbuf_append(&sb, "A=0123456789abcdef\n");
	for (int i = 0; i < 40; i++)
		strbuf_append(&sb, "A=$A$A\n");
	assert_int_equal(parse(sb.buf, sb.len, &v), -ENOTSUP);
	shvars_free(&v);
	strbuf_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_specials),
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_parse_simple),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
