/* Unit tests of the compiler choice (compiler.h): which compiler and
 * version a kernel's .config names, the version in compilers' texts, what
 * make gets (with fake compilers in PATH that answer -dumpversion), and
 * the compiler_launcher values. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compiler.h"
#include "framework.h"
#include "target.h"
#include "util/util.h"

static char root[] = "/tmp/dkms-unit-compiler.XXXXXX";

/* A compiler in root/bin whose -dumpversion answers version. */
static void fake_compiler(const char *name, const char *version)
{
	_cleanup_free_ char *bin = path_join(root, "bin");
	_cleanup_free_ char *p = path_join(bin, name);
	_cleanup_free_ char *script = xasprintf("#!/bin/sh\necho %s\n", version);
	assert_int_equal(mkdir_p(bin, 0755), 0);
	assert_int_equal(write_file_atomic(p, script, strlen(script), 0755), 0);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(root))
		return -1;
	fake_compiler("gcc", "11");
	fake_compiler("gcc-12", "12");
	fake_compiler("clang", "14.0.6");
	fake_compiler("clang-16", "16.0.6");
	fake_compiler("ccache", "4.7.5");
	_cleanup_free_ char *bin = path_join(root, "bin");
	setenv("PATH", bin, 1);
	unsetenv("CC");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rm_rf(root);
	return 0;
}

static const char debian61[] = "CONFIG_CC_VERSION_TEXT=\"gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0\"\n"
			       "CONFIG_CC_IS_GCC=y\nCONFIG_GCC_VERSION=120200\nCONFIG_CLANG_VERSION=0\n";
static const char debian612[] = "CONFIG_CC_VERSION_TEXT=\"x86_64-linux-gnu-gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0\"\n"
				"CONFIG_CC_IS_GCC=y\nCONFIG_GCC_VERSION=120200\n";
static const char clang16[] = "CONFIG_CC_VERSION_TEXT=\"Debian clang version 16.0.6 (15~deb12u1)\"\n"
			      "CONFIG_GCC_VERSION=0\nCONFIG_CC_IS_CLANG=y\nCONFIG_CLANG_VERSION=160006\n"
			      "CONFIG_LD_IS_LLD=y\n";

static void test_text_major(void **state)
{
	(void)state;
	assert_int_equal(compiler_text_major("gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0"), 12);
	assert_int_equal(compiler_text_major("gcc (Ubuntu 11.4.0-1ubuntu1~22.04) 11.4.0"), 11);
	assert_int_equal(compiler_text_major("gcc (GCC) 13.2.1 20230801"), 13);
	assert_int_equal(compiler_text_major("Debian clang version 14.0.6"), 14);
	assert_int_equal(compiler_text_major("clang version 16.0.6 (Fedora 16.0.6-3.fc38)"), 16);
	assert_int_equal(compiler_text_major("gcc 9.4.0"), 9);
	assert_int_equal(compiler_text_major("some compiler"), 0);
	assert_int_equal(compiler_text_major(NULL), 0);
	assert_int_equal(compiler_dumpversion_major("12\n"), 12);
	assert_int_equal(compiler_dumpversion_major("14.0.6\n"), 14);
	assert_int_equal(compiler_dumpversion_major(""), 0);
	assert_int_equal(compiler_dumpversion_major(NULL), 0);
}

static void test_of_kernel(void **state)
{
	(void)state;
	struct cc_info c;
	assert_int_equal(compiler_of_kernel(debian61, &c), 0);
	assert_false(c.clang);
	assert_int_equal(c.major, 12);
	assert_string_equal(c.name, "gcc-12");
	cc_info_free(&c);
	assert_int_equal(compiler_of_kernel(debian612, &c), 0);
	assert_string_equal(c.name, "x86_64-linux-gnu-gcc-12");
	assert_int_equal(c.major, 12);
	cc_info_free(&c);
	assert_int_equal(compiler_of_kernel(clang16, &c), 0);
	assert_true(c.clang);
	assert_int_equal(c.major, 16);
	assert_null(c.name);
	cc_info_free(&c);
	/* no CONFIG_GCC_VERSION: the text says */
	assert_int_equal(compiler_of_kernel("CONFIG_CC_VERSION_TEXT=\"gcc (GCC) 13.2.1 20230801\"\n", &c), 0);
	assert_int_equal(c.major, 13);
	cc_info_free(&c);
	assert_int_equal(compiler_of_kernel("CONFIG_X=y\n", &c), -ENOENT);
	assert_int_equal(compiler_of_kernel(NULL, &c), -ENOENT);
}

static void test_make_line(void **state)
{
	(void)state;
	const char *cases[][2] = {
		{"make -C /k M=/m CC=clang", "clang"},     {"CC=gcc-10 make", "gcc-10"},
		{"make 'CC=ccache gcc' -C /k", "ccache gcc"}, {"make CC=\"distcc gcc\" V=1", "distcc gcc"},
		{"make CC=$(CROSS)gcc && true", "$(CROSS)gcc"}, {"make HOSTCC=gcc KCC=x", NULL},
		{"make -C /k M=/m", NULL},                 {NULL, NULL},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *cc = make_line_cc(cases[i][0]);
		if (cases[i][1])
			assert_string_equal(cc, cases[i][1]);
		else
			assert_null(cc);
	}
}

static void target_with(struct kernel_target *t, const char *config)
{
	*t = (struct kernel_target){.release = "6.1.0-56-amd64", .arch = "x86_64", .config = (char *)config};
	t->cc_is_clang = config && strstr(config, "CONFIG_CC_IS_CLANG=y");
	t->ld_is_lld = config && strstr(config, "CONFIG_LD_IS_LLD=y");
}

static void test_choose(void **state)
{
	(void)state;
	struct kernel_target t;
	struct compiler_choice c;
	/* gcc is 11, the kernel's gcc-12 is there: make gets it, and says so */
	target_with(&t, debian61);
	compiler_choose(&t, "make -C /k M=/m", NULL, &c);
	assert_string_equal(c.cc, "gcc-12");
	assert_string_equal(c.compiler, "gcc-12");
	assert_null(c.llvm);
	assert_null(c.warning);
	assert_string_equal(c.note, "Using gcc-12 for kernel 6.1.0-56-amd64: it was built with gcc 12, gcc is 11.");
	_cleanup_free_ char *vars = compiler_make_vars(&c);
	assert_string_equal(vars, " CC='gcc-12'");
	compiler_choice_free(&c);
	/* with a launcher in front */
	compiler_choose(&t, "make", "/usr/bin/ccache", &c);
	assert_string_equal(c.cc, "/usr/bin/ccache gcc-12");
	compiler_choice_free(&c);
	/* the MAKE line's CC wins: nothing given, no launcher */
	compiler_choose(&t, "make CC=gcc-12", "/usr/bin/ccache", &c);
	assert_null(c.cc);
	assert_null(c.compiler);
	assert_non_null(c.note);
	assert_null(c.warning);
	compiler_choice_free(&c);
	/* and when it is another version, a warning says so */
	compiler_choose(&t, "make CC=gcc -C /k", NULL, &c);
	assert_null(c.cc);
	assert_non_null(strstr(c.warning, "the module's MAKE line sets CC=gcc and gcc is 11"));
	compiler_choice_free(&c);
	/* the triplet's name is found as gcc-12 */
	target_with(&t, debian612);
	compiler_choose(&t, "make", NULL, &c);
	assert_string_equal(c.cc, "gcc-12");
	compiler_choice_free(&c);
}

static void test_missing(void **state)
{
	(void)state;
	struct kernel_target t;
	struct compiler_choice c;
	target_with(&t, "CONFIG_CC_VERSION_TEXT=\"gcc-13 (Debian 13.2.0-4) 13.2.0\"\nCONFIG_GCC_VERSION=130200\n");
	compiler_choose(&t, "make", NULL, &c);
	assert_null(c.cc);
	assert_null(c.note);
	assert_non_null(c.warning);
	assert_non_null(strstr(c.warning, "built with gcc 13, but gcc is 11"));
	assert_non_null(strstr(c.warning, "Install the package gcc-13."));
	compiler_choice_free(&c);
	_cleanup_free_ char *w = compiler_warning(&t);
	assert_non_null(w);
	/* a launcher still goes before the default compiler */
	compiler_choose(&t, "make", "/usr/bin/ccache", &c);
	assert_string_equal(c.cc, "/usr/bin/ccache gcc");
	assert_non_null(c.warning);
	compiler_choice_free(&c);
	/* an explicit $CC is used all the same, with the warning */
	setenv("CC", "gcc", 1);
	target_with(&t, debian61);
	compiler_choose(&t, "make", NULL, &c);
	assert_string_equal(c.cc, "gcc");
	assert_non_null(strstr(c.warning, "CC=gcc"));
	compiler_choice_free(&c);
	unsetenv("CC");
	/* a .config without a compiler: nothing to say, nothing given */
	target_with(&t, "CONFIG_X=y\n");
	compiler_choose(&t, "make", NULL, &c);
	assert_null(c.cc);
	assert_null(c.warning);
	compiler_choice_free(&c);
	assert_null(compiler_warning(&t));
}

static void test_clang(void **state)
{
	(void)state;
	struct kernel_target t;
	struct compiler_choice c;
	target_with(&t, clang16);
	compiler_choose(&t, "make", NULL, &c);
	assert_string_equal(c.llvm, "-16");
	assert_string_equal(c.cc, "clang-16");
	assert_non_null(strstr(c.note, "clang is 14"));
	_cleanup_free_ char *vars = compiler_make_vars(&c);
	assert_string_equal(vars, " CC='clang-16' LLVM='-16'");
	compiler_choice_free(&c);
}

static void test_launcher(void **state)
{
	(void)state;
	enum launcher_kind k;
	assert_int_equal(launcher_kind_of("", &k), 0);
	assert_int_equal(k, LAUNCHER_NONE);
	assert_int_equal(launcher_kind_of("ccache", &k), 0);
	assert_int_equal(k, LAUNCHER_CCACHE);
	assert_int_equal(launcher_kind_of("/usr/bin/distcc", &k), 0);
	assert_int_equal(k, LAUNCHER_DISTCC);
	assert_int_equal(launcher_kind_of("icecc", &k), 0);
	assert_int_equal(k, LAUNCHER_ICECC);
	assert_int_equal(launcher_kind_of("sccache", &k), 0);
	assert_int_equal(launcher_kind_of("rm", &k), -EINVAL);
	assert_int_equal(launcher_kind_of("ccache2", &k), -EINVAL);
	assert_int_equal(launcher_kind_of("ccache -s", &k), -EINVAL);
	struct launcher l;
	char *why = NULL;
	assert_int_equal(launcher_resolve("ccache", &l, &why), 0);
	assert_non_null(strstr(l.path, "/bin/ccache"));
	launcher_free(&l);
	assert_int_equal(launcher_resolve("distcc", &l, &why), -ENOENT);
	assert_non_null(strstr(why, "not installed (package distcc)"));
	free(why);
	assert_int_equal(launcher_resolve("bin/ccache", &l, &why), -EINVAL);
	free(why);
	assert_int_equal(launcher_resolve("gcc", &l, &why), -EINVAL);
	assert_non_null(strstr(why, "none of ccache, sccache, distcc or icecc"));
	free(why);
}

/* framework.conf sets compiler_launcher; the environment does when it does not */
static void test_setting(void **state)
{
	(void)state;
	_cleanup_free_ char *path = xstrdup(getenv("PATH"));
	_cleanup_free_ char *with_bash = xasprintf("%s:/usr/bin:/bin", path);
	setenv("PATH", with_bash, 1);
	_cleanup_free_ char *etc = path_join(root, "etc/dkms");
	_cleanup_free_ char *conf = path_join(etc, "framework.conf");
	assert_int_equal(mkdir_p(etc, 0755), 0);
	struct settings s;
	setenv("compiler_launcher", "distcc", 1);
	assert_int_equal(settings_load(&s, root), 0);
	assert_string_equal(s.compiler_launcher, "distcc");
	settings_free(&s);
	const char text[] = "compiler_launcher=\"/usr/bin/ccache\"\n";
	assert_int_equal(write_file_atomic(conf, text, strlen(text), 0644), 0);
	assert_int_equal(settings_load(&s, root), 0);
	assert_string_equal(s.compiler_launcher, "/usr/bin/ccache");
	settings_free(&s);
	unsetenv("compiler_launcher");
	unlink(conf);
	assert_int_equal(settings_load(&s, root), 0);
	assert_string_equal(s.compiler_launcher, "");
	settings_free(&s);
	setenv("PATH", path, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_major), cmocka_unit_test(test_of_kernel), cmocka_unit_test(test_make_line),
		cmocka_unit_test(test_choose),     cmocka_unit_test(test_missing),   cmocka_unit_test(test_clang),
		cmocka_unit_test(test_launcher),   cmocka_unit_test(test_setting),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
