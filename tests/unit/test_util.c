/* Unit tests: version ordering, paths, names, the shell-variable
 * serialisation and the command line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "kernel.h"
#include "shellvars.h"
#include "util/util.h"

static void test_ver_pad(void **state)
{
	(void)state;
	char *p = ver_pad("2.6.9-1cvs200409091247");
	assert_string_equal(p, "002.006.009-001cvs200409091247");
	free(p);
	assert_true(ver_cmp("1.10", "1.9") > 0);
	assert_true(ver_cmp("1.0", "1.0") == 0);
	assert_true(ver_cmp("0.9", "1.0") < 0);
}

static void test_kernel_version_cmp(void **state)
{
	(void)state;
	assert_true(kernel_version_cmp("6.12.117+deb12-amd64", "6.1.0-56-amd64") > 0);
	assert_true(kernel_version_cmp("6.1.0-9-amd64", "6.1.0-56-amd64") < 0);
	assert_true(kernel_version_cmp("6.1.0-56-amd64", "6.1.0-56-amd64") == 0);
	assert_true(kernel_version_cmp("6.1", "6.1.0") < 0);
	assert_true(kernel_version_cmp("5.15~rc1", "5.15") < 0);
}

static void test_path_join(void **state)
{
	(void)state;
	char *p = path_join("/", "lib/modules");
	assert_string_equal(p, "/lib/modules");
	free(p);
	p = path_join("/a/b/", "/c");
	assert_string_equal(p, "/a/b/c");
	free(p);
	p = path_join("/a", "");
	assert_string_equal(p, "/a");
	free(p);
}

static void test_name_is_safe(void **state)
{
	(void)state;
	assert_true(name_is_safe("v4l2loopback"));
	assert_true(name_is_safe("1.0+dfsg-2"));
	assert_false(name_is_safe(".."));
	assert_false(name_is_safe("."));
	assert_false(name_is_safe(""));
	assert_false(name_is_safe("a/b"));
	assert_false(name_is_safe("a\nb"));
}

static void test_shvars_parse(void **state)
{
	(void)state;
	static const char buf[] = "MAKE\0" "0\0" "make all\0" "MAKE\0" "3\0" "make \"x\"\0"
				  "PACKAGE_NAME\0" "0\0" "foo\0" "\0END";
	struct shvars v;
	assert_int_equal(shvars_parse(buf, sizeof(buf), &v), 0);
	assert_string_equal(shvars_scalar(&v, "PACKAGE_NAME"), "foo");
	assert_int_equal(shvars_count(&v, "MAKE"), 2);
	assert_int_equal(shvars_size(&v, "MAKE"), 4);
	assert_null(shvars_at(&v, "MAKE", 1));
	assert_string_equal(shvars_at(&v, "MAKE", 3), "make \"x\"");
	assert_null(shvars_get(&v, "CLEAN"));
	shvars_free(&v);

	/* no end marker: malformed */
	static const char cut[] = "MAKE\0" "0\0" "make";
	assert_int_equal(shvars_parse(cut, sizeof(cut) - 1, &v), -EBADMSG);
}

static char **argv_of(const char *first, ...)
{
	char **v = NULL;
	va_list ap;
	va_start(ap, first);
	for (const char *s = first; s; s = va_arg(ap, const char *))
		strv_pushdup(&v, s);
	va_end(ap);
	return v;
}

static void test_cli_forms(void **state)
{
	(void)state;
	struct cli c;
	char **a = argv_of("dkms", "build", "foo/1.2", "-k", "6.1.0-56-amd64/x86_64", "-k", "6.12.1", "--no-depmod",
			   "-j", "3", "--kernelsourcedir=/ks", NULL);
	assert_int_equal(cli_parse(&c, (int)strv_len(a), a), 0);
	assert_string_equal(c.action, "build");
	assert_string_equal(c.module, "foo");
	assert_string_equal(c.module_version, "1.2");
	assert_int_equal(strv_len(c.kernelver), 2);
	assert_string_equal(c.kernelver[0], "6.1.0-56-amd64");
	assert_string_equal(c.arch[0], "x86_64");
	assert_string_equal(c.kernelver[1], "6.12.1");
	assert_true(c.no_depmod);
	assert_string_equal(c.jobs, "3");
	assert_string_equal(c.kernel_source_dir, "/ks");
	cli_free(&c);
	strv_free(a);

	a = argv_of("dkms", "-m", "foo", "-v", "2", "status", NULL);
	assert_int_equal(cli_parse(&c, (int)strv_len(a), a), 0);
	assert_string_equal(c.module, "foo");
	assert_string_equal(c.module_version, "2");
	cli_free(&c);
	strv_free(a);
}

static void test_cli_errors(void **state)
{
	(void)state;
	struct cli c;
	char **a = argv_of("dkms", "status", "--bogus", NULL);
	/* usage goes to stdout: keep the test output clean */
	FILE *saved = stdout;
	stdout = fopen("/dev/null", "w");
	assert_int_equal(cli_parse(&c, (int)strv_len(a), a), 2);
	fclose(stdout);
	stdout = saved;
	cli_free(&c);
	strv_free(a);

	a = argv_of("dkms", "build", "-k", "1.0", "--all", NULL);
	assert_int_equal(cli_parse(&c, (int)strv_len(a), a), 2);
	cli_free(&c);
	strv_free(a);

	a = argv_of("dkms", "build", "-a", "x86_64", "--all", NULL);
	assert_int_equal(cli_parse(&c, (int)strv_len(a), a), 3);
	cli_free(&c);
	strv_free(a);

	a = argv_of("dkms", "build", "-k", "1", "-a", "x", "-a", "y", "-k", "2", "-k", "3", NULL);
	assert_int_equal(cli_parse(&c, (int)strv_len(a), a), 1);
	cli_free(&c);
	strv_free(a);

	a = argv_of("dkms", "build", "install", NULL);
	assert_int_equal(cli_parse(&c, (int)strv_len(a), a), 4);
	cli_free(&c);
	strv_free(a);

	a = argv_of("dkms", "mktarball", "--binaries-only", "--source-only", NULL);
	assert_int_equal(cli_parse(&c, (int)strv_len(a), a), 8);
	cli_free(&c);
	strv_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ver_pad),
		cmocka_unit_test(test_kernel_version_cmp),
		cmocka_unit_test(test_path_join),
		cmocka_unit_test(test_name_is_safe),
		cmocka_unit_test(test_shvars_parse),
		cmocka_unit_test(test_cli_forms),
		cmocka_unit_test(test_cli_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
