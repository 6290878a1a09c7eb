/* Unit tests of the sandbox (sandbox.h): the build_sandbox setting, the
 * bwrap command line (what is bound where, in which order), and the check
 * of what a confined build made before root uses it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "framework.h"
#include "sandbox.h"
#include "util/spawn.h"
#include "util/util.h"

static char root[] = "/tmp/dkms-unit-sandbox.XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	rm_rf(root);
	return 0;
}

static void test_mode_parse(void **state)
{
	(void)state;
	enum sandbox_mode m;
	const char *autos[] = {NULL, "", "auto", "AUTO"};
	for (size_t i = 0; i < ARRAY_SIZE(autos); i++) {
		assert_int_equal(sandbox_mode_parse(autos[i], &m), 0);
		assert_int_equal(m, SANDBOX_AUTO);
	}
	const char *yes[] = {"yes", "Yes", "true", "1", "required"};
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		assert_int_equal(sandbox_mode_parse(yes[i], &m), 0);
		assert_int_equal(m, SANDBOX_REQUIRED);
	}
	const char *no[] = {"no", "NO", "false", "0", "off"};
	for (size_t i = 0; i < ARRAY_SIZE(no); i++) {
		assert_int_equal(sandbox_mode_parse(no[i], &m), 0);
		assert_int_equal(m, SANDBOX_OFF);
	}
	assert_int_equal(sandbox_mode_parse("maybe", &m), -EINVAL);
	assert_int_equal(m, SANDBOX_AUTO);
}

/* framework.conf sets it; the environment does when framework.conf does not */
static void test_setting(void **state)
{
	(void)state;
	_cleanup_free_ char *etc = path_join(root, "etc/dkms");
	_cleanup_free_ char *conf = path_join(etc, "framework.conf");
	assert_int_equal(mkdir_p(etc, 0755), 0);
	struct settings s;
	setenv("build_sandbox", "yes", 1);
	assert_int_equal(settings_load(&s, root), 0);
	assert_string_equal(s.build_sandbox, "yes");
	settings_free(&s);
	const char text[] = "build_sandbox=\"no\"\n";
	assert_int_equal(write_file_atomic(conf, text, strlen(text), 0644), 0);
	assert_int_equal(settings_load(&s, root), 0);
	assert_string_equal(s.build_sandbox, "no");
	settings_free(&s);
	unsetenv("build_sandbox");
	unlink(conf);
	assert_int_equal(settings_load(&s, root), 0);
	assert_string_equal(s.build_sandbox, "");
	settings_free(&s);
}

/* Index of the first run of words equal to want[] in argv; -1 if none. */
static ssize_t find_words(char *const *argv, const char *const *want, size_t n)
{
	for (size_t i = 0; argv[i]; i++) {
		size_t k = 0;
		while (k < n && argv[i + k] && streq(argv[i + k], want[k]))
			k++;
		if (k == n)
			return (ssize_t)i;
	}
	return -1;
}

static void test_off_is_plain(void **state)
{
	(void)state;
	struct sandbox sb = {.mode = SANDBOX_OFF};
	char *cmd[] = {"bash", "-c", "make", NULL};
	char **argv = NULL;
	assert_int_equal(sandbox_wrap(&sb, NULL, cmd, &argv), 0);
	assert_int_equal(strv_len(argv), 3);
	assert_string_equal(argv[0], "bash");
	assert_string_equal(argv[2], "make");
	strv_free(argv);
}

/* Below the private /tmp: the parents made searchable, the trees bound
 * read-only (a path inside one bound already is not bound again), the
 * build directory bound writable on top, then nobody runs the command. */
static void test_binds(void **state)
{
	(void)state;
	if (sandbox_decide(SANDBOX_AUTO, true) != 1)
		skip();
	_cleanup_free_ char *tree = path_join(root, "dkms");
	_cleanup_free_ char *src = path_join(root, "dkms/m/1.0/source");
	_cleanup_free_ char *build = path_join(root, "dkms/m/1.0/build");
	_cleanup_free_ char *ksrc = path_join(root, "k/src");
	assert_int_equal(mkdir_p(build, 0755), 0);
	assert_int_equal(mkdir_p(src, 0755), 0);
	assert_int_equal(mkdir_p(ksrc, 0755), 0);
	struct sandbox sb = {.mode = SANDBOX_REQUIRED};
	sandbox_show(&sb, tree);
	sandbox_show(&sb, src);
	sandbox_show(&sb, ksrc);
	sandbox_show(&sb, "/usr");  /* not under /tmp: seen read-only already */
	sandbox_show(&sb, "/tmp/does-not-exist");
	sandbox_set_writable(&sb, build);
	/* kept as given; resolved, and a missing one dropped, when wrapped */
	assert_int_equal(strv_len(sb.visible), 5);
	char *cmd[] = {"make", "-j2", NULL};
	char **argv = NULL;
	assert_int_equal(sandbox_wrap(&sb, build, cmd, &argv), 0);
	const char *net[] = {"--unshare-net"}, *all_ro[] = {"--ro-bind", "/", "/"};
	const char *dir[] = {"--perms", "0755", "--dir", root};
	const char *ro_tree[] = {"--ro-bind", tree, tree}, *ro_src[] = {"--ro-bind", src, src};
	_cleanup_free_ char *kparent = path_join(root, "k");
	const char *kdir[] = {"--dir", ksrc}, *kparent_dir[] = {"--dir", kparent};
	const char *rw[] = {"--bind", build, build}, *cd[] = {"--chdir", build};
	const char *nobody[] = {"--reuid=65534", "--regid=65534"}, *tail[] = {"--", "make", "-j2"};
	assert_true(find_words(argv, net, 1) > 0);
	ssize_t i_all = find_words(argv, all_ro, 3), i_dir = find_words(argv, dir, 4);
	ssize_t i_tree = find_words(argv, ro_tree, 3), i_rw = find_words(argv, rw, 3);
	assert_true(i_all > 0 && i_dir > i_all && i_tree > i_dir && i_rw > i_tree);
	assert_int_equal(find_words(argv, ro_src, 3), -1);
	assert_true(find_words(argv, kparent_dir, 2) > i_dir);
	const char *usr[] = {"--ro-bind", "/usr"};
	assert_int_equal(find_words(argv, usr, 2), -1);
	assert_true(find_words(argv, kdir, 2) < 0);
	const char *missing[] = {"--ro-bind", "/tmp/does-not-exist"};
	assert_int_equal(find_words(argv, missing, 2), -1);
	assert_true(find_words(argv, cd, 2) > i_rw);
	/* root gives the build to nobody; anyone else runs it as themselves */
	if (geteuid() == 0)
		assert_true(find_words(argv, nobody, 2) > i_rw);
	assert_int_equal(find_words(argv, tail, 3), (ssize_t)strv_len(argv) - 3);
	strv_free(argv);
	argv = NULL;
	/* a compiler launcher's: its cache writable too, the network shared */
	_cleanup_free_ char *cache = path_join(root, "ccache");
	assert_int_equal(mkdir_p(cache, 0755), 0);
	sandbox_add_writable(&sb, cache);
	sb.share_net = true;
	assert_int_equal(sandbox_wrap(&sb, build, cmd, &argv), 0);
	const char *rw_cache[] = {"--bind", cache, cache};
	assert_true(find_words(argv, rw_cache, 3) > find_words(argv, rw, 3));
	assert_int_equal(find_words(argv, net, 1), -1);
	assert_true(find_words(argv, (const char *[]){"--unshare-pid"}, 1) > 0);
	strv_free(argv);
	sandbox_free(&sb);
}

/* Outside /tmp, a directory nobody may not enter (here 0700, as /root)
 * becomes an empty tmpfs with what must be seen bound back: a file in a
 * private directory below it, whose directory is made searchable. */
static void test_private_dir(void **state)
{
	(void)state;
	if (sandbox_decide(SANDBOX_AUTO, true) != 1 || geteuid() != 0)
		skip();
	char top[] = "/var/tmp/dkms-unit-sandbox.XXXXXX";
	assert_non_null(mkdtemp(top));
	_cleanup_free_ char *sub = path_join(top, "sub");
	_cleanup_free_ char *conf = path_join(top, "sub/dkms.conf");
	assert_int_equal(mkdir_p(sub, 0700), 0);
	assert_int_equal(write_file_atomic(conf, "X=1\n", 4, 0644), 0);
	struct sandbox sb = {.mode = SANDBOX_REQUIRED};
	sandbox_show(&sb, sub);
	sandbox_show(&sb, conf);
	char *cmd[] = {"cat", "dkms.conf", NULL};
	char **argv = NULL;
	assert_int_equal(sandbox_wrap(&sb, sub, cmd, &argv), 0);
	const char *mask[] = {"--perms", "0755", "--tmpfs", top}, *made[] = {"--perms", "0755", "--dir", sub};
	const char *file[] = {"--ro-bind", conf, conf}, *whole[] = {"--ro-bind", sub};
	ssize_t i_mask = find_words(argv, mask, 4), i_made = find_words(argv, made, 4);
	assert_true(i_mask > 0 && i_made > i_mask && find_words(argv, file, 3) > i_made);
	assert_int_equal(find_words(argv, whole, 2), -1);
	/* and nobody reads it, relative to the directory it starts in */
	struct strbuf out = {0};
	struct spawn_opts o = {.out_fd = -1, .err_fd = -1, .null_stdin = true, .capture_child_fd = 1, .capture = &out};
	assert_int_equal(spawn_run(argv, &o), 0);
	assert_string_equal(out.buf, "X=1\n");
	strbuf_release(&out);
	strv_free(argv);
	sandbox_free(&sb);
	rm_rf(top);
}

/* --root: the root's /usr/src, module tree and kbuild directories where
 * the host's would be; one the host lacks gets a tmpfs /usr/lib with the
 * host's entries bound back; build_sandbox="no" is not followed. */
static void test_root_grafts(void **state)
{
	(void)state;
	if (sandbox_decide(SANDBOX_AUTO, true) != 1 || geteuid() != 0)
		skip();
	char r[] = "/var/tmp/dkms-unit-root.XXXXXX";
	assert_non_null(mkdtemp(r));
	const char *dirs[] = {"usr/src/linux-headers-9.9", "usr/lib/modules/9.9", "usr/lib/linux-kbuild-9.9-unit"};
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		_cleanup_free_ char *d = path_join(r, dirs[i]);
		assert_int_equal(mkdir_p(d, 0755), 0);
	}
	_cleanup_free_ char *marker = path_join(r, "usr/src/linux-headers-9.9/marker");
	assert_int_equal(write_file_atomic(marker, "root\n", 5, 0644), 0);
	_cleanup_free_ char *lib = path_join(r, "lib");
	assert_int_equal(symlink("/usr/lib", lib), 0);
	struct settings s;
	setenv("build_sandbox", "no", 1);
	assert_int_equal(settings_load(&s, r), 0);
	unsetenv("build_sandbox");
	struct sandbox sb;
	sandbox_init(&sb, &s);
	assert_int_equal(sb.mode, SANDBOX_REQUIRED);
	char *cmd[] = {"cat", "/usr/src/linux-headers-9.9/marker", NULL};
	char **argv = NULL;
	assert_int_equal(sandbox_wrap(&sb, "/", cmd, &argv), 0);
	_cleanup_free_ char *src = path_join(r, "usr/src");
	_cleanup_free_ char *kb = path_join(r, "usr/lib/linux-kbuild-9.9-unit");
	_cleanup_free_ char *mods = path_join(r, "usr/lib/modules");
	const char *g_src[] = {"--ro-bind", src, "/usr/src"}, *g_mods[] = {"--ro-bind", mods, "/usr/lib/modules"};
	const char *g_kb[] = {"--ro-bind", kb, "/usr/lib/linux-kbuild-9.9-unit"};
	const char *t_lib[] = {"--tmpfs", "/usr/lib"}, *host_lib[] = {"--ro-bind", "/usr/lib/os-release"};
	ssize_t i_tmpfs = find_words(argv, t_lib, 2);
	assert_true(find_words(argv, g_src, 3) > 0);
	assert_true(find_words(argv, g_mods, 3) > 0);
	assert_true(i_tmpfs > 0 && find_words(argv, g_kb, 3) > i_tmpfs);
	assert_true(find_words(argv, host_lib, 2) > i_tmpfs || !is_file("/usr/lib/os-release"));
	/* what the command sees at /usr/src is the root's */
	struct strbuf out = {0};
	struct spawn_opts o = {.out_fd = -1, .err_fd = -1, .null_stdin = true, .capture_child_fd = 1, .capture = &out};
	assert_int_equal(spawn_run(argv, &o), 0);
	assert_string_equal(out.buf, "root\n");
	strbuf_release(&out);
	strv_free(argv);
	sandbox_free(&sb);
	settings_free(&s);
	rm_rf(r);
}

static void test_file_inside(void **state)
{
	(void)state;
	_cleanup_free_ char *b = path_join(root, "b");
	_cleanup_free_ char *ko = path_join(root, "b/m.ko");
	_cleanup_free_ char *out = path_join(root, "secret");
	_cleanup_free_ char *link_out = path_join(root, "b/out.ko");
	_cleanup_free_ char *link_in = path_join(root, "b/in.ko");
	assert_int_equal(mkdir_p(b, 0755), 0);
	assert_int_equal(write_file_atomic(ko, "x", 1, 0644), 0);
	assert_int_equal(write_file_atomic(out, "x", 1, 0600), 0);
	assert_int_equal(symlink(out, link_out), 0);
	assert_int_equal(symlink("m.ko", link_in), 0);
	assert_true(sandbox_file_inside(b, ko));
	assert_true(sandbox_file_inside(b, link_in));
	assert_false(sandbox_file_inside(b, link_out));
	assert_false(sandbox_file_inside(b, b));
	assert_false(sandbox_file_inside(b, out));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mode_parse),
		cmocka_unit_test(test_setting),
		cmocka_unit_test(test_off_is_plain),
		cmocka_unit_test(test_binds),
		cmocka_unit_test(test_private_dir),
		cmocka_unit_test(test_root_grafts),
		cmocka_unit_test(test_file_inside),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
