/* Unit tests: the command line.  Every form of every option, the
 * reference's exit codes for bad command lines, the order in which -m, -v,
 * --archive and positional arguments apply, the generated usage, and that
 * cli_parse neither looks at the file system nor changes the process (the
 * file-system calls of this executable are counted through -Wl,--wrap). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "util/util.h"

/* Calls the core library makes to look at the file system. */
static int fs_calls;

int __real_stat64(const char *path, struct stat64 *st);
int __real_lstat64(const char *path, struct stat64 *st);
int __real_access(const char *path, int mode);
int __real_open64(const char *path, int flags, ...);
DIR *__real_opendir(const char *path);
int __wrap_stat64(const char *path, struct stat64 *st);
int __wrap_lstat64(const char *path, struct stat64 *st);
int __wrap_access(const char *path, int mode);
int __wrap_open64(const char *path, int flags, ...);
DIR *__wrap_opendir(const char *path);

int __wrap_stat64(const char *path, struct stat64 *st)
{
	fs_calls++;
	return __real_stat64(path, st);
}

int __wrap_lstat64(const char *path, struct stat64 *st)
{
	fs_calls++;
	return __real_lstat64(path, st);
}

int __wrap_access(const char *path, int mode)
{
	fs_calls++;
	return __real_access(path, mode);
}

int __wrap_open64(const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
	va_end(ap);
	fs_calls++;
	return __real_open64(path, flags, mode);
}

DIR *__wrap_opendir(const char *path)
{
	fs_calls++;
	return __real_opendir(path);
}

/* A table as main's: the parser reads only the names. */
static const struct cli_action actions[] = {
	{"add", NULL, 0},
	{"build", NULL, 0},
	{"install", NULL, 0},
	{"status", NULL, 0},
};

/* Parses a NULL-terminated command line (after "dkms"). */
static int parse(struct cli *c, ...)
{
	_cleanup_strv_ char **argv = NULL;
	strv_pushdup(&argv, "dkms");
	va_list ap;
	va_start(ap, c);
	for (const char *s; (s = va_arg(ap, const char *));)
		strv_pushdup(&argv, s);
	va_end(ap);
	return cli_parse(c, actions, ARRAY_SIZE(actions), (int)strv_len(argv), argv);
}

static void assert_strv(char **v, const char *first, ...)
{
	va_list ap;
	va_start(ap, first);
	size_t n = 0;
	for (const char *s = first; s; s = va_arg(ap, const char *))
		assert_string_equal(v[n++], s);
	va_end(ap);
	assert_int_equal(strv_len(v), n);
}

/* The messages, one line each: "kind argi text". */
static char *msgs(const struct cli *c)
{
	static const char *const kinds[] = {"error", "usage-error", "warning", "deprecated"};
	struct strbuf sb = {0};
	for (size_t i = 0; i < c->n_msgs; i++)
		strbuf_appendf(&sb, "%s %d %s\n", kinds[c->msgs[i].kind], c->msgs[i].argi, c->msgs[i].text);
	return sb.buf ? strbuf_steal(&sb) : xstrdup("");
}

static void assert_msgs(const struct cli *c, const char *want)
{
	_cleanup_free_ char *got = msgs(c);
	assert_string_equal(got, want);
}

static void test_value_forms(void **state)
{
	(void)state;
	struct cli c;
	assert_int_equal(parse(&c, "--dkmstree=/a", "--sourcetree", "/b", "--installtree=", "-c", "/c.conf",
			       "--config=/cfg", "--templatekernel", "6.1", "--kernelsourcedir=/ks", "status", NULL),
			 0);
	assert_string_equal(c.action, "status");
	assert_ptr_equal(c.act, &actions[3]);
	assert_string_equal(c.dkms_tree, "/a");
	assert_string_equal(c.source_tree, "/b");
	assert_string_equal(c.install_tree, "");
	assert_string_equal(c.conf, "/c.conf");
	assert_string_equal(c.kernel_config, "/cfg");
	assert_string_equal(c.template_kernel, "6.1");
	assert_string_equal(c.kernel_source_dir, "/ks");
	assert_null(c.jobs);
	cli_free(&c);

	/* the value is everything after the first '='; "--opt value" takes the
	 * next argument even when it looks like an option */
	assert_int_equal(parse(&c, "--directive=MAKE=make a=b", "--directive", "CLEAN=true", "--dkmstree", "--all", NULL),
			 0);
	assert_strv(c.directives, "MAKE=make a=b", "CLEAN=true", NULL);
	assert_string_equal(c.dkms_tree, "--all");
	assert_false(c.all);
	cli_free(&c);

	/* a value missing at the end reads "" */
	assert_int_equal(parse(&c, "status", "--kernelsourcedir", NULL), 0);
	assert_string_equal(c.kernel_source_dir, "");
	cli_free(&c);
	assert_int_equal(parse(&c, "-m", NULL), 0);
	assert_string_equal(c.module, "");
	cli_free(&c);
}

static void test_flags(void **state)
{
	(void)state;
	struct cli c;
	assert_int_equal(parse(&c, "--force", "--force-version-override", "--verbose", "--json", "--rpm_safe_upgrade",
			       "--symlink-modules", "--no-depmod", "--no-initrd", "--modprobe-on-install", "--debug",
			       "--binaries-only", "--all", NULL),
			 0);
	assert_true(c.force && c.force_version_override && c.verbose && c.json && c.rpm_safe_upgrade);
	assert_true(c.symlink_modules && c.no_depmod && c.no_initrd && c.modprobe_on_install && c.debug);
	assert_true(c.binaries_only && c.all);
	assert_false(c.source_only || c.quiet || c.help || c.version);
	assert_msgs(&c, "");
	cli_free(&c);

	/* the deprecated ones are accepted with a warning */
	assert_int_equal(parse(&c, "--no-clean-kernel", "status", "--no-prepare-kernel", NULL), 0);
	assert_msgs(&c, "deprecated 1 --no-clean-kernel\ndeprecated 3 --no-prepare-kernel\n");
	cli_free(&c);

	/* --version and --help end the parse: nothing after them counts */
	assert_int_equal(parse(&c, "-V", "--bogus", NULL), 0);
	assert_true(c.version);
	cli_free(&c);
	assert_int_equal(parse(&c, "--version", NULL), 0);
	assert_true(c.version);
	cli_free(&c);
	assert_int_equal(parse(&c, "-h", "build", "install", NULL), 0);
	assert_true(c.help);
	assert_null(c.action);
	cli_free(&c);
	assert_int_equal(parse(&c, "--help", NULL), 0);
	assert_true(c.help);
	cli_free(&c);
}

/* The reference matches most long options by prefix (--kernelver*). */
static void test_prefix(void **state)
{
	(void)state;
	struct cli c;
	assert_int_equal(parse(&c, "--kernelversion", "6.1", "--dkmstreeX=/d", "--modules=foo/1", "--configfile", "/cfg",
			       "--directives=A=1", NULL),
			 0);
	assert_strv(c.kernelver, "6.1", NULL);
	assert_string_equal(c.dkms_tree, "/d");
	assert_string_equal(c.module, "foo");
	assert_string_equal(c.module_version, "1");
	assert_string_equal(c.kernel_config, "/cfg");
	assert_strv(c.directives, "A=1", NULL);
	cli_free(&c);

	/* --archive* before --arch*, as in the reference's case */
	assert_int_equal(parse(&c, "--archive=/t.tar", "--arch=x86_64", "--archfoo", "i386", "-k", "1", "-k", "2", NULL),
			 0);
	assert_string_equal(c.archive, "/t.tar");
	assert_strv(c.arch, "x86_64", "i386", NULL);
	cli_free(&c);

	/* the others match exactly */
	static const char *const exact[] = {"--forcex", "--all-kernels", "--quiet2", "--verbosely", "--no-depmodx",
					    "-qq", "-k6.1", "-mfoo", "--", "-"};
	for (size_t i = 0; i < ARRAY_SIZE(exact); i++) {
		assert_int_equal(parse(&c, "status", exact[i], NULL), 2);
		cli_free(&c);
	}
}

static void test_kernel_arch(void **state)
{
	(void)state;
	struct cli c;
	assert_int_equal(parse(&c, "build", "-k", "6.1.0-56-amd64/x86_64", "-k", "6.12.1", "--kernelver=5.10/i386",
			       "-a", "arm64", NULL),
			 0);
	assert_strv(c.kernelver, "6.1.0-56-amd64", "6.12.1", "5.10", NULL);
	assert_strv(c.arch, "x86_64", "i386", "arm64", NULL);
	cli_free(&c);

	/* only the first '/' splits */
	assert_int_equal(parse(&c, "-k", "6.1/x/y", NULL), 0);
	assert_strv(c.kernelver, "6.1", NULL);
	assert_strv(c.arch, "x/y", NULL);
	cli_free(&c);
}

static void test_jobs(void **state)
{
	(void)state;
	static const char *const forms[][2] = {{"-j3", NULL}, {"-j", "3"}, {"-j=3", NULL}};
	struct cli c;
	for (size_t i = 0; i < ARRAY_SIZE(forms); i++) {
		assert_int_equal(parse(&c, "status", forms[i][0], forms[i][1], NULL), 0);
		assert_string_equal(c.jobs, "3");
		cli_free(&c);
	}
	assert_int_equal(parse(&c, "status", "-j0", NULL), 0);
	assert_string_equal(c.jobs, "0");
	cli_free(&c);
	assert_int_equal(parse(&c, "status", "-j", NULL), 0);
	assert_string_equal(c.jobs, "");
	cli_free(&c);
}

static void test_bad_command_lines(void **state)
{
	(void)state;
	struct cli c;
	/* an unknown option stops the parse: exit 2, with the usage */
	assert_int_equal(parse(&c, "status", "--bogus", "--force", NULL), 2);
	assert_msgs(&c, "usage-error 2  Unknown option: --bogus\n");
	assert_false(c.force);
	cli_free(&c);

	assert_int_equal(parse(&c, "build", "install", NULL), 4);
	assert_msgs(&c, "error 2 Cannot specify more than one action.\n");
	cli_free(&c);
	/* the first problem met decides */
	assert_int_equal(parse(&c, "build", "--bogus", "install", NULL), 2);
	cli_free(&c);
	assert_int_equal(parse(&c, "build", "install", "--bogus", NULL), 4);
	cli_free(&c);

	/* the checks once everything is read, in the reference's order */
	assert_int_equal(parse(&c, "--binaries-only", "--source-only", "-k", "1", "--all", NULL), 8);
	assert_msgs(&c, "error 6  You have specified both --binaries-only and --source-only.\nYou cannot do this.\n");
	cli_free(&c);
	assert_int_equal(parse(&c, "-k", "1", "-a", "x", "-a", "y", "-k", "2", "-k", "3", NULL), 1);
	cli_free(&c);
	assert_int_equal(parse(&c, "-k", "1", "-a", "x", "-a", "y", "-k", "2", NULL), 0);
	cli_free(&c);
	assert_int_equal(parse(&c, "build", "-k", "1.0", "--all", NULL), 2);
	assert_msgs(&c, "error 5  You cannot specify a kernel version and also specify\n--all on the command line.\n");
	cli_free(&c);
	assert_int_equal(parse(&c, "--all", "-a", "x86_64", NULL), 3);
	cli_free(&c);
	assert_int_equal(parse(&c, "-k", "1/x", "--all", NULL), 2);
	cli_free(&c);
}

/* cli_parse records positional arguments as given: it neither looks at the
 * file system nor changes the process (-q, --debug). */
static void test_parse_is_pure(void **state)
{
	(void)state;
	struct cli c;
	struct stat before, after;
	assert_int_equal(fstat(1, &before), 0);
	fs_calls = 0;
	assert_int_equal(parse(&c, "-q", "--debug", "add", "./nonexistent/dkms.conf", "/etc/passwd", "/", "foo/1.0", NULL),
			 0);
	assert_int_equal(fs_calls, 0);
	assert_int_equal(fstat(1, &after), 0);
	assert_true(before.st_dev == after.st_dev && before.st_ino == after.st_ino);
	assert_true(c.quiet && c.debug);
	assert_int_equal(c.quiet_at, 1);
	assert_null(c.module);
	assert_null(c.archive);
	assert_null(c.try_source_tree);
	assert_int_equal(c.n_args, 4);
	static const char *const given[] = {"./nonexistent/dkms.conf", "/etc/passwd", "/", "foo/1.0"};
	for (size_t i = 0; i < ARRAY_SIZE(given); i++) {
		assert_null(c.args[i].opt);
		assert_int_equal(c.args[i].argi, (int)i + 4);
		assert_string_equal(c.args[i].value, given[i]);
	}
	assert_msgs(&c, "");

	/* resolving them does look */
	cli_resolve_positionals(&c);
	assert_true(fs_calls > 0);
	assert_string_equal(c.archive, "/etc/passwd");
	assert_string_equal(c.module, ".");
	assert_string_equal(c.module_version, "nonexistent/dkms.conf");
	assert_msgs(&c, "warning 6 I do not know how to handle /.\nwarning 7 I do not know how to handle foo/1.0.\n");
	cli_free(&c);
}

/* Resolves a command line run in a directory holding "dkms.conf", "src/"
 * (with a dkms.conf) and "file.tar". */
#define DIR_TEMPLATE "/tmp/dkms-test-cli.XXXXXX"
static char dir[sizeof(DIR_TEMPLATE)];

static void put(const char *rel)
{
	_cleanup_free_ char *p = path_join(dir, rel);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs("PACKAGE_NAME=foo\n", f);
	fclose(f);
}

static int setup_dir(void **state)
{
	(void)state;
	memcpy(dir, DIR_TEMPLATE, sizeof(dir));
	if (!mkdtemp(dir))
		return -1;
	_cleanup_free_ char *src = path_join(dir, "src");
	if (mkdir(src, 0755) < 0 || chdir(dir) < 0)
		return -1;
	put("dkms.conf");
	put("src/dkms.conf");
	put("file.tar");
	return 0;
}

static int teardown_dir(void **state)
{
	(void)state;
	if (chdir("/") < 0)
		return -1;
	return rm_rf(dir);
}

static void test_resolve(void **state)
{
	(void)state;
	struct cli c;
	assert_int_equal(parse(&c, "add", "dkms.conf", NULL), 0);
	cli_resolve_positionals(&c);
	assert_string_equal(c.try_source_tree, "./");
	cli_free(&c);

	assert_int_equal(parse(&c, "add", "src", "file.tar", "foo/1.0", NULL), 0);
	cli_resolve_positionals(&c);
	assert_string_equal(c.try_source_tree, "src");
	assert_string_equal(c.archive, "file.tar");
	assert_string_equal(c.module, "foo");
	assert_string_equal(c.module_version, "1.0");
	assert_msgs(&c, "");
	cli_free(&c);
}

/* -m, -v, --archive and positional arguments apply in command-line order,
 * as the reference reads them in one pass. */
static void test_resolve_order(void **state)
{
	(void)state;
	static const struct {
		const char *args[4];
		const char *module, *version, *archive, *msgs;
	} cases[] = {
		{{"-m", "foo", "bar/2.0"}, "foo", NULL, NULL, "warning 4 I do not know how to handle bar/2.0.\n"},
		{{"bar/2.0", "-m", "foo"}, "foo", "2.0", NULL, ""},
		{{"-m", "foo/1.0", "-v", "2.0"}, "foo", "2.0", NULL, ""},
		{{"-v", "2.0", "foo/1.0"}, "foo", "1.0", NULL, ""},
		{{"foo/1.0", "-v", "2.0"}, "foo", "2.0", NULL, ""},
		{{"-v", "2.0", "foo"}, "foo", "2.0", NULL, ""},
		{{"file.tar", "--archive=other.tar"}, NULL, NULL, "other.tar", ""},
		{{"--archive=other.tar", "file.tar"}, NULL, NULL, "file.tar", ""},
		{{"foo/1.0", "bar/2.0"}, "foo", "1.0", NULL, "warning 3 I do not know how to handle bar/2.0.\n"},
		{{"-m", "", "foo/1.0"}, "foo", "1.0", NULL, ""},
		{{"--module=", "-v", "2", "foo"}, "foo", "2", NULL, ""},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct cli c;
		const char *const *a = cases[i].args;
		assert_int_equal(parse(&c, "status", a[0], a[1], a[2], a[3], NULL), 0);
		cli_resolve_positionals(&c);
		if (cases[i].module)
			assert_string_equal(c.module, cases[i].module);
		else
			assert_null(c.module);
		if (cases[i].version)
			assert_string_equal(c.module_version, cases[i].version);
		else
			assert_null(c.module_version);
		if (cases[i].archive)
			assert_string_equal(c.archive, cases[i].archive);
		else
			assert_null(c.archive);
		assert_msgs(&c, cases[i].msgs);
		cli_free(&c);
	}
}

/* Runs f with stdout and stderr going to one temporary file; returns what
 * was written. */
static char *capture(void (*f)(void *), void *arg)
{
	FILE *tmp = tmpfile();
	assert_non_null(tmp);
	fflush(stdout);
	fflush(stderr);
	int out = dup(1), err = dup(2);
	dup2(fileno(tmp), 1);
	dup2(fileno(tmp), 2);
	f(arg);
	fflush(stdout);
	fflush(stderr);
	dup2(out, 1);
	dup2(err, 2);
	close(out);
	close(err);
	char *text = xcalloc(1, 8192);
	rewind(tmp);
	size_t n = fread(text, 1, 8191, tmp);
	text[n] = '\0';
	fclose(tmp);
	return text;
}

static void report(void *c)
{
	cli_report(c, "dkms");
}

/* Messages come out in command-line order, and none after a -q. */
static void test_report(void **state)
{
	(void)state;
	struct cli c;
	assert_int_equal(parse(&c, "status", "a/1", "b/2", "--no-clean-kernel", "-q", "c/3", "--no-prepare-kernel",
			       NULL),
			 0);
	cli_resolve_positionals(&c);
	_cleanup_free_ char *out = capture(report, &c);
	assert_string_equal(out, "Warning: I do not know how to handle b/2.\n"
				 "Deprecated feature: --no-clean-kernel\n");
	cli_free(&c);

	assert_int_equal(parse(&c, "--bogus", NULL), 2);
	_cleanup_free_ char *bad = capture(report, &c);
	assert_true(startswith(bad, "Error!  Unknown option: --bogus\nUsage: dkms [action] [options]\n"));
	cli_free(&c);
}

static void usage(void *unused)
{
	cli_usage("dkms", actions, ARRAY_SIZE(actions));
}

/* The usage lists the actions of the table given and every option. */
static void test_usage(void **state)
{
	(void)state;
	_cleanup_free_ char *out = capture(usage, NULL);
	assert_true(startswith(out, "Usage: dkms [action] [options]\n"
				    "  [action]  = { add | build | install | status }\n"));
	static const char *const shown[] = {"-m, --module <", "-v <", "-k, --kernelver <", "-a, --arch <", "\n    -c <",
					    "-q, --quiet", "-V, --version", "-h, --help", "--dkmstree <", "--all",
					    "--directive <", "-j <", "--json", "--no-initrd"};
	for (size_t i = 0; i < ARRAY_SIZE(shown); i++)
		assert_non_null(strstr(out, shown[i]));
	assert_null(strstr(out, "--no-clean-kernel"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_value_forms),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_kernel_arch),
		cmocka_unit_test(test_jobs),
		cmocka_unit_test(test_bad_command_lines),
		cmocka_unit_test(test_parse_is_pure),
		cmocka_unit_test_setup_teardown(test_resolve, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_resolve_order, setup_dir, teardown_dir),
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_usage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
