/* Unit tests: version ordering, paths, names, the shell-variable
 * serialisation (the command line: test_cli.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

/* Links inside a root are followed as the root sees them, never out. */
static void test_path_in_root(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/test-root.XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	_cleanup_free_ char *usrlib = xasprintf("%s/usr/lib/modules/6.1/x", tmpl);
	_cleanup_free_ char *src = xasprintf("%s/usr/src/linux-headers-6.1", tmpl);
	assert_int_equal(mkdir_p(usrlib, 0755), 0);
	assert_int_equal(mkdir_p(src, 0755), 0);
	_cleanup_free_ char *lib = xasprintf("%s/lib", tmpl);
	_cleanup_free_ char *build = xasprintf("%s/usr/lib/modules/6.1/build", tmpl);
	_cleanup_free_ char *out = xasprintf("%s/usr/lib/modules/6.1/out", tmpl);
	assert_int_equal(symlink("/usr/lib", lib), 0);
	assert_int_equal(symlink("/usr/src/linux-headers-6.1", build), 0);
	assert_int_equal(symlink("../../../../../../../etc", out), 0);
	struct {
		const char *in, *want;
	} cases[] = {
		{"/lib/modules/6.1/build", "/usr/src/linux-headers-6.1"},
		{"/lib/modules/6.1/build/include/x.h", "/usr/src/linux-headers-6.1/include/x.h"},
		{"lib/modules/6.1/out/passwd", "/etc/passwd"},
		{"/../../usr/./src", "/usr/src"},
		{"/lib/modules/7.0/build", "/usr/lib/modules/7.0/build"},
		{"/", ""},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *got = path_in_root(tmpl, cases[i].in);
		_cleanup_free_ char *want = xasprintf("%s%s", tmpl, cases[i].want);
		assert_string_equal(got, want);
	}
	struct {
		const char *from, *to, *want;
	} rel[] = {
		{"/r/var/lib/dkms/m/1", "/r/usr/src/m-1", "../../../../../usr/src/m-1"},
		{"/r/a", "/r/a/b", "b"},
		{"/r/ab", "/r/a/b", "../a/b"},
		{"/r/a/", "/r/a", "."},
		{"/", "/usr/src", "usr/src"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(rel); i++) {
		_cleanup_free_ char *got = path_relative(rel[i].from, rel[i].to);
		assert_string_equal(got, rel[i].want);
	}
	_cleanup_free_ char *host = path_in_root("/", "/usr/./lib/../src");
	assert_string_equal(host, "/usr/src");
	assert_int_equal(rm_rf(tmpl), 0);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ver_pad),
		cmocka_unit_test(test_kernel_version_cmp),
		cmocka_unit_test(test_path_join),
		cmocka_unit_test(test_path_in_root),
		cmocka_unit_test(test_name_is_safe),
		cmocka_unit_test(test_shvars_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
