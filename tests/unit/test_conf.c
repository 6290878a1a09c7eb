/* Unit tests: dkms.conf and framework.conf evaluated through bash. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dkmsconf.h"
#include "framework.h"
#include "util/util.h"

static char root[] = "/tmp/dkms-unit.XXXXXX";

static void put(const char *rel, const char *text)
{
	char *p = path_join(root, rel);
	char *dir = xstrdup(p);
	*strrchr(dir, '/') = '\0';
	mkdir_p(dir, 0755);
	assert_int_equal(write_file_atomic(p, text, strlen(text), 0644), 0);
	free(dir);
	free(p);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(root))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rm_rf(root);
	return 0;
}

static int load(struct settings *s, const char *conf_rel, const char *k, struct module_conf *mc)
{
	char *file = path_join(root, conf_rel);
	free(s->kernel_source_dir);
	s->kernel_source_dir = xstrdup("/nonexistent/ksrc");
	struct kernel_target t;
	kernel_target_resolve(&t, s, k, "x86_64");
	struct conf_request rq = {
		.s = s, .module = "shellconf", .module_version = "1.0", .t = &t, .file = file,
	};
	int r = module_conf_load(&rq, mc);
	kernel_target_free(&t);
	free(file);
	return r;
}

/* A dkms.conf written as a real bash program. */
static const char shellconf[] =
	"PACKAGE_NAME=\"shellconf\"\n"
	"PACKAGE_VERSION=`echo 1.0`\n"
	"names=(alpha beta gamma)\n"
	"for ((i = 0; i < ${#names[@]}; i++)); do\n"
	"  BUILT_MODULE_NAME[$i]=${names[$i]}\n"
	"  DEST_MODULE_LOCATION[$i]=/updates\n"
	"done\n"
	"BUILT_MODULE_LOCATION[2]=sub/dir\n"
	"DEST_MODULE_NAME[1]=beta_renamed\n"
	"major=$(echo \"$kernelver\" | cut -d. -f1)\n"
	"minor=$(echo \"$kernelver\" | cut -d. -f2)\n"
	"if (( major > 6 || (major == 6 && minor >= 4) )); then\n"
	"  MAKE[0]=\"make NEW_API=1 KVER=$kernelver\"\n"
	"else\n"
	"  MAKE[0]=\"make KVER=$kernelver\"\n"
	"fi\n"
	"case \"$kernelver\" in 6.1.*) PATCH[0]=old.patch;; esac\n"
	"PATCH[1]=all.patch\n"
	"PATCH[2]=match.patch\n"
	"PATCH_MATCH[2]=\"^6\\.12\"\n"
	"STRIP[1]=no\n"
	"BUILD_DEPENDS=(\"dep1\" \"dep2\")\n"
	"AUTOINSTALL=yes\n"
	"helper_function() { echo not a directive; }\n"
	"echo this goes to /dev/null\n"
	"echo this goes to stderr >&2\n"
	"UNRELATED_VAR=1\n";

static void test_shell_program(void **state)
{
	(void)state;
	put("src/shellconf-1.0/dkms.conf", shellconf);
	struct settings s;
	assert_int_equal(settings_load(&s, root), 0);
	free(s.running_distribution);
	s.running_distribution = xstrdup("debian");
	struct module_conf mc;
	assert_int_equal(load(&s, "src/shellconf-1.0/dkms.conf", "6.12.117+deb12-amd64", &mc), 0);
	assert_string_equal(mc.package_name, "shellconf");
	assert_string_equal(mc.package_version, "1.0");
	assert_int_equal(mc.n_mods, 3);
	assert_string_equal(mc.mods[0].built_name, "alpha");
	assert_string_equal(mc.mods[1].dest_name, "beta_renamed");
	assert_string_equal(mc.mods[2].built_location, "sub/dir/");
	assert_string_equal(mc.mods[0].dest_location, "/updates/dkms"); /* Debian's override */
	assert_string_equal(mc.mods[0].dest_location_raw, "/updates");
	assert_true(mc.mods[0].strip);
	assert_false(mc.mods[1].strip);
	assert_true(mc.mods[2].strip);
	assert_string_equal(mc.make_command, "make NEW_API=1 KVER=6.12.117+deb12-amd64");
	/* The reference walks indices below ${#PATCH[@]}: with PATCH[0]
	 * unset on this kernel there are two entries, so PATCH[2] is never
	 * reached.  Sparse arrays behave as in dkms 3.0.10. */
	assert_int_equal(strv_len(mc.patches), 1);
	assert_string_equal(mc.patches[0], "all.patch");
	assert_int_equal(strv_len(mc.build_depends), 2);
	assert_true(mc.autoinstall);
	assert_false(mc.build_exclude);
	assert_null(shvars_get(&mc.vars, "UNRELATED_VAR"));
	module_conf_free(&mc);

	assert_int_equal(load(&s, "src/shellconf-1.0/dkms.conf", "6.1.0-56-amd64", &mc), 0);
	assert_string_equal(mc.make_command, "make KVER=6.1.0-56-amd64");
	assert_int_equal(strv_len(mc.patches), 2);
	assert_string_equal(mc.patches[0], "old.patch");
	assert_string_equal(mc.patches[1], "all.patch"); /* PATCH_MATCH[2] does not match 6.1 */
	module_conf_free(&mc);
	settings_free(&s);
}

/* The pure part alone: bash's values in, checked module_conf out. */
static void test_from_vars(void **state)
{
	(void)state;
	struct settings s;
	assert_int_equal(settings_load(&s, root), 0);
	free(s.running_distribution);
	s.running_distribution = xstrdup("fedora");
	struct kernel_target t = {.release = "6.1.0-56-amd64", .arch = "x86_64", .headers_dir = "/k",
				  .config = "CONFIG_CC_IS_CLANG=y\nCONFIG_X=y\n", .cc_is_clang = true};
	struct conf_request rq = {.s = &s, .module = "m", .module_version = "1", .t = &t, .file = "dkms.conf"};
	struct shvars v = {0};
	shvars_set(&v, "PACKAGE_NAME", 0, "m");
	shvars_set(&v, "PACKAGE_VERSION", 0, "1");
	shvars_set(&v, "BUILT_MODULE_NAME", 0, "a");
	shvars_set(&v, "DEST_MODULE_LOCATION", 0, "/kernel/drivers");
	shvars_set(&v, "BUILT_MODULE_NAME", 1, "b");
	shvars_set(&v, "BUILT_MODULE_LOCATION", 1, "sub");
	shvars_set(&v, "DEST_MODULE_LOCATION", 1, "/extra");
	shvars_set(&v, "STRIP", 0, "no");
	shvars_set(&v, "BUILD_EXCLUSIVE_CONFIG", 0, "CONFIG_X !CONFIG_Y");
	shvars_set(&v, "BUILD_DEPENDS", 0, "x y");
	shvars_set(&v, "REMAKE_INITRD", 0, "yes");
	struct module_conf mc = {0};
	assert_int_equal(module_conf_from_vars(&rq, &v, &mc), 0);
	assert_int_equal(mc.n_mods, 2);
	assert_string_equal(mc.mods[1].built_location, "sub/");
	assert_string_equal(mc.mods[1].dest_name, "b");
	assert_string_equal(mc.mods[0].dest_location, "/extra"); /* Fedora's override */
	assert_false(mc.mods[0].strip);
	assert_false(mc.mods[1].strip); /* unset: the first record's */
	char *make = xasprintf("make -C /k M=%s/m/1/build CC=clang", s.dkms_tree);
	assert_string_equal(mc.make_command, make);
	free(make);
	assert_false(mc.build_exclude);
	assert_int_equal(strv_len(mc.build_depends), 2);
	assert_string_equal(mc.build_depends[1], "y");
	assert_true(mc.remake_initrd);
	module_conf_free(&mc);

	/* a bad location and a name with '/': refused; a config without X:
	 * excluded, with the reason */
	t.config = "CONFIG_Y=m\n";
	shvars_set(&v, "PACKAGE_NAME", 0, "m");
	shvars_set(&v, "PACKAGE_VERSION", 0, "1");
	shvars_set(&v, "BUILT_MODULE_NAME", 0, "a/b");
	shvars_set(&v, "DEST_MODULE_LOCATION", 0, "/elsewhere");
	shvars_set(&v, "BUILD_EXCLUSIVE_CONFIG", 0, "CONFIG_X");
	assert_int_equal(module_conf_from_vars(&rq, &v, &mc), -EINVAL);
	assert_true(mc.build_exclude);
	assert_string_equal(mc.exclude_reason, "kernel 6.1.0-56-amd64 does not have CONFIG_X set (BUILD_EXCLUSIVE_CONFIG)");
	module_conf_free(&mc);
	settings_free(&s);
}

static void test_overrides_and_exclusive(void **state)
{
	(void)state;
	put("src/ex-1.0/dkms.conf",
	    "PACKAGE_NAME=ex\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=ex\nDEST_MODULE_LOCATION[0]=/extra\n"
	    "BUILD_EXCLUSIVE_KERNEL=\"^6\\.1\\.\"\n");
	/* per-machine override: /etc/dkms/<module>.conf */
	put("etc/dkms/shellconf.conf", "AUTOINSTALL=\nBUILD_EXCLUSIVE_ARCH=\"^arm\"\n");
	struct settings s;
	assert_int_equal(settings_load(&s, root), 0);
	struct module_conf mc;
	assert_int_equal(load(&s, "src/ex-1.0/dkms.conf", "6.12.117+deb12-amd64", &mc), 0);
	/* the module name for /etc/dkms/ lookups is the request's */
	assert_true(mc.build_exclude);
	assert_false(mc.autoinstall);
	module_conf_free(&mc);
	char *override = path_join(root, "etc/dkms/shellconf.conf");
	unlink(override);
	free(override);
	assert_int_equal(load(&s, "src/ex-1.0/dkms.conf", "6.1.0-56-amd64", &mc), 0);
	assert_false(mc.build_exclude);
	module_conf_free(&mc);
	assert_int_equal(load(&s, "src/ex-1.0/dkms.conf", "6.12.117+deb12-amd64", &mc), 0);
	assert_true(mc.build_exclude);
	assert_non_null(strstr(mc.exclude_reason, "BUILD_EXCLUSIVE_KERNEL"));
	module_conf_free(&mc);
	settings_free(&s);
}

static void test_invalid(void **state)
{
	(void)state;
	struct settings s;
	assert_int_equal(settings_load(&s, root), 0);
	struct module_conf mc;
	put("src/bad1/dkms.conf", "PACKAGE_NAME=x\nBUILT_MODULE_NAME[0]=x.ko\nDEST_MODULE_LOCATION[0]=/lib\n");
	assert_int_equal(load(&s, "src/bad1/dkms.conf", "6.1.0", &mc), -EINVAL);
	module_conf_free(&mc);
	/* a file that exits: no directives at all */
	put("src/bad2/dkms.conf", "PACKAGE_NAME=x\nPACKAGE_VERSION=1\nexit 3\n");
	assert_int_equal(load(&s, "src/bad2/dkms.conf", "6.1.0", &mc), -EINVAL);
	module_conf_free(&mc);
	/* a syntax error */
	put("src/bad3/dkms.conf", "PACKAGE_NAME=(\n");
	assert_int_equal(load(&s, "src/bad3/dkms.conf", "6.1.0", &mc), -EINVAL);
	module_conf_free(&mc);
	assert_int_equal(load(&s, "src/missing/dkms.conf", "6.1.0", &mc), -ENOENT);
	module_conf_free(&mc);
	settings_free(&s);
}

static void test_framework_conf(void **state)
{
	(void)state;
	put("etc/dkms/framework.conf", "# comment\ndkms_tree=\"/srv/dkms\"\nverbose=1\n");
	put("etc/dkms/framework.conf.d/10-jobs.conf", "parallel_jobs=$((2 * 3))\nsource_tree=$dkms_tree/src\n");
	put("etc/dkms/framework.conf.d/ignored.txt", "dkms_tree=/nope\n");
	put("etc/os-release", "NAME=\"Fedora Linux\"\nID=fedora\n");
	struct settings s;
	assert_int_equal(settings_load(&s, root), 0);
	/* the paths of a root's framework files are that root's */
	_cleanup_free_ char *dt = xasprintf("%s/srv/dkms", root), *st = xasprintf("%s/srv/dkms/src", root);
	assert_string_equal(s.dkms_tree, dt);
	assert_string_equal(s.source_tree, st);
	assert_string_equal(s.verbose, "1");
	assert_string_equal(s.parallel_jobs, "6");
	assert_string_equal(s.running_distribution, "fedora");
	settings_free(&s);
}

/* Settings that name the kernel are read again once it is known, as the
 * reference does when it prepares signing; the first read (no kernel yet)
 * leaves $kernelver empty. */
static void test_framework_per_kernel(void **state)
{
	(void)state;
	put("etc/dkms/framework.conf.d/20-sign.conf",
	    "sign_file=\"/lib/modules/${kernelver}/build/scripts/sign-file\"\n"
	    "mok_signing_key=\"/keys/$kernelver/$arch.key\"\n"
	    "post_transaction=\"echo done $kernelver\"\n");
	struct settings s;
	assert_int_equal(settings_load(&s, root), 0);
	assert_true(s.per_kernel);
	_cleanup_free_ char *sf0 = xasprintf("%s/lib/modules/build/scripts/sign-file", root);
	assert_string_equal(s.sign_file, sf0);
	struct kernel_settings ks;
	assert_int_equal(settings_for_kernel(&s, "6.1.0-56-amd64", "x86_64", &ks), 0);
	_cleanup_free_ char *sf = xasprintf("%s/lib/modules/6.1.0-56-amd64/build/scripts/sign-file", root);
	_cleanup_free_ char *key = xasprintf("%s/keys/6.1.0-56-amd64/x86_64.key", root);
	assert_string_equal(ks.sign_file, sf);
	assert_string_equal(ks.mok_signing_key, key);
	assert_null(ks.mok_certificate);
	assert_string_equal(ks.post_transaction, "echo done 6.1.0-56-amd64");
	kernel_settings_free(&ks);
	struct kernel_target t;
	kernel_target_resolve(&t, &s, "6.12.117+deb12-amd64", "x86_64");
	_cleanup_free_ char *tsf = xasprintf("%s/lib/modules/6.12.117+deb12-amd64/build/scripts/sign-file", root);
	_cleanup_free_ char *tkey = xasprintf("%s/keys/6.12.117+deb12-amd64/x86_64.key", root);
	assert_string_equal(t.sign_file, tsf);
	assert_string_equal(t.mok_signing_key, tkey);
	kernel_target_free(&t);
	settings_free(&s);

	/* no mention of the kernel: the files are not read again */
	put("etc/dkms/framework.conf.d/20-sign.conf", "sign_file=/usr/bin/true\n");
	assert_int_equal(settings_load(&s, root), 0);
	assert_false(s.per_kernel);
	assert_int_equal(settings_for_kernel(&s, "6.1.0-56-amd64", "x86_64", &ks), 0);
	_cleanup_free_ char *tr = xasprintf("%s/usr/bin/true", root);
	assert_string_equal(ks.sign_file, tr);
	kernel_settings_free(&ks);
	settings_free(&s);
	char *p = path_join(root, "etc/dkms/framework.conf.d/20-sign.conf");
	unlink(p);
	free(p);
}

static void test_distro(void **state)
{
	(void)state;
	char *d = distro_from_os_release("ID=ubuntu\nID_LIKE=debian\n");
	assert_string_equal(d, "ubuntu");
	free(d);
	d = distro_from_os_release("ID=linuxmint\nID_LIKE=\"ubuntu debian\"\n");
	assert_string_equal(d, "ubuntu debian");
	free(d);
	d = distro_from_os_release("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n");
	assert_string_equal(d, "debian");
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shell_program),
		cmocka_unit_test(test_from_vars),
		cmocka_unit_test(test_overrides_and_exclusive),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_framework_conf),
		cmocka_unit_test(test_framework_per_kernel),
		cmocka_unit_test(test_distro),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
