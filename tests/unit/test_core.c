/* Unit tests of the parts of the core that are pure or need only a
 * scratch directory: the kernel target and its .config reader, staged
 * writes, the install transaction, autoinstall's scheduling, status rows
 * the tarball member checks and the SHA-256 digests. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "autoinstall.h"
#include "compress.h"
#include "digest.h"
#include "framework.h"
#include "status.h"
#include "tarball.h"
#include "target.h"
#include "txn.h"
#include "util/staged.h"
#include "util/util.h"

static char root[] = "/tmp/dkms-unit-core.XXXXXX";

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

/* root/<rel> with the given text, parents made. */
static char *put(const char *rel, const char *text)
{
	char *p = path_join(root, rel);
	_cleanup_free_ char *dir = xstrndup(p, (size_t)(strrchr(p, '/') - p));
	assert_int_equal(mkdir_p(dir, 0755), 0);
	assert_int_equal(write_file_atomic(p, text, strlen(text), 0644), 0);
	return p;
}

static char *slurp(const char *path)
{
	char *text = NULL;
	return read_file(path, &text, NULL) == 0 ? text : NULL;
}

static void test_kconfig(void **state)
{
	(void)state;
	const char *cfg = "CONFIG_A=y\nCONFIG_AB=m\n# CONFIG_C is not set\nCONFIG_S=\"gcc-12 (Debian) 12\"\n"
			  "CONFIG_N=42\n";
	assert_true(kconfig_enabled(cfg, "CONFIG_A"));
	assert_true(kconfig_enabled(cfg, "CONFIG_AB"));
	assert_false(kconfig_enabled(cfg, "CONFIG_C"));
	assert_false(kconfig_enabled(cfg, "CONFIG_ABC"));
	assert_true(kconfig_disabled(cfg, "CONFIG_C"));
	assert_false(kconfig_disabled(cfg, "CONFIG_A"));
	char *v = kconfig_get(cfg, "CONFIG_S");
	assert_string_equal(v, "gcc-12 (Debian) 12");
	free(v);
	v = kconfig_get(cfg, "CONFIG_N");
	assert_string_equal(v, "42");
	free(v);
	assert_null(kconfig_get(cfg, "CONFIG_C"));
	assert_null(kconfig_get(cfg, "CONFIG_"));
	/* the name inside a value, inside a longer name, or unset first */
	const char *cfg2 = "# CONFIG_X is not set\nCONFIG_T=\"CONFIG_Y=y\"\nCONFIG_YZ=y\n"
			   "# CONFIG_Y is not setting\nCONFIG_Y=m\n# CONFIG_Z is not set";
	assert_true(kconfig_disabled(cfg2, "CONFIG_X"));
	assert_false(kconfig_enabled(cfg2, "CONFIG_X"));
	assert_true(kconfig_enabled(cfg2, "CONFIG_Y"));
	assert_false(kconfig_disabled(cfg2, "CONFIG_Y"));
	v = kconfig_get(cfg2, "CONFIG_Y");
	assert_string_equal(v, "m");
	free(v);
	assert_true(kconfig_disabled(cfg2, "CONFIG_Z"));
	assert_false(kconfig_enabled(cfg2, "CONFIG_T2"));
	assert_false(kconfig_enabled(cfg2, ""));
	assert_false(kconfig_disabled(cfg2, ""));
	v = expand_kernelver("/lib/modules/$kernelver/x-${kernelver}", "6.1");
	assert_string_equal(v, "/lib/modules/6.1/x-6.1");
	free(v);
}

static void test_kernel_target(void **state)
{
	(void)state;
	struct settings s;
	assert_int_equal(settings_load(&s, root), 0);
	free(s.sign_file);
	s.sign_file = NULL;
	free(s.running_distribution);
	s.running_distribution = xstrdup("fedora");
	_cleanup_free_ char *c1 = put("lib/modules/6.1.0-1-test/build/.config",
				      "CONFIG_CC_VERSION_TEXT=\"gcc-12 (Debian 12.2.0-14) 12.2.0\"\n"
				      "CONFIG_MODULE_COMPRESS_XZ=y\nCONFIG_MODULE_SIG_HASH=\"sha256\"\n");
	struct kernel_target t;
	kernel_target_resolve(&t, &s, "6.1.0-1-test", "x86_64");
	_cleanup_free_ char *hd = path_join(root, "lib/modules/6.1.0-1-test/build");
	assert_string_equal(t.headers_dir, hd);
	assert_string_equal(t.config_path, c1);
	assert_string_equal(t.module_suffix, ".xz");
	assert_string_equal(t.cc, "gcc-12");
	assert_string_equal(t.sig_hash, "sha256");
	_cleanup_free_ char *sf = path_join(hd, "scripts/sign-file");
	assert_string_equal(t.sign_file, sf);
	_cleanup_free_ char *map = xasprintf("%s/System.map-6.1.0-1-test", s.boot_dir);
	assert_string_equal(t.system_map, map);
	assert_false(kernel_target_has_headers(&t));
	kernel_target_free(&t);

	/* --config and --kernelsourcedir win; MODULE_COMPRESS_ALL=n defers to
	 * modules.dep */
	_cleanup_free_ char *c2 = put("other.config", "CONFIG_MODULE_COMPRESS_ZSTD=y\n# CONFIG_MODULE_COMPRESS_ALL is not set\n");
	_cleanup_free_ char *dep = put("lib/modules/6.1.0-1-test/modules.dep", "kernel/a.ko.gz:\n");
	s.kernel_config = xstrdup(c2);
	s.kernel_source_dir = path_join(root, "ksrc");
	kernel_target_resolve(&t, &s, "6.1.0-1-test", "x86_64");
	assert_string_equal(t.config_path, c2);
	assert_string_equal(t.headers_dir, s.kernel_source_dir);
	assert_string_equal(t.module_suffix, ".gz");
	assert_null(t.cc);
	assert_string_equal(t.sig_hash, "sha512");
	kernel_target_free(&t);

	/* a resolved kernel's .config is looked up in groups of its lines:
	 * the same answers as the line-by-line reading of a copy */
	const char *text = "# CONFIG_X is not set\nCONFIG_T=\"CONFIG_Y=y\"\nCONFIG_YZ=y\n"
			   "# CONFIG_Y is not setting\nCONFIG_Y=m\n#CONFIG_W is not set\nCONFIG_Y=n\n"
			   "OTHER=1\n# CONFIG_Z is not set";
	_cleanup_free_ char *c3 = put("grouped.config", text);
	free(s.kernel_config);
	s.kernel_config = xstrdup(c3);
	kernel_target_resolve(&t, &s, "6.1.0-1-test", "x86_64");
	_cleanup_free_ char *copy = xstrdup(t.config);
	const char *names[] = {"CONFIG_X", "CONFIG_T", "CONFIG_Y", "CONFIG_YZ", "CONFIG_Z", "CONFIG_W",
			       "CONFIG_", "", "Y", "OTHER", "CONFIG_Q"};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		assert_int_equal(kconfig_enabled(t.config, names[i]), kconfig_enabled(copy, names[i]));
		assert_int_equal(kconfig_disabled(t.config, names[i]), kconfig_disabled(copy, names[i]));
		_cleanup_free_ char *a = kconfig_get(t.config, names[i]), *b = kconfig_get(copy, names[i]);
		assert_true(a == b || (a && b && streq(a, b)));
	}
	assert_true(kconfig_enabled(t.config, "CONFIG_Y") && kconfig_disabled(t.config, "CONFIG_Z"));
	assert_false(kconfig_disabled(t.config, "CONFIG_W") || kconfig_disabled(t.config, "CONFIG_Y"));
	_cleanup_free_ char *other = kconfig_get(t.config, "OTHER");
	assert_string_equal(other, "1");
	kernel_target_free(&t);

	/* no .config at all: modules.dep alone; no modules.dep: plain */
	free(s.kernel_config);
	s.kernel_config = path_join(root, "missing.config");
	kernel_target_resolve(&t, &s, "6.1.0-1-test", "x86_64");
	assert_null(t.config);
	assert_string_equal(t.module_suffix, ".gz");
	kernel_target_free(&t);
	kernel_target_resolve(&t, &s, "6.1.0-2-test", "x86_64");
	assert_string_equal(t.module_suffix, "");
	kernel_target_free(&t);
	settings_free(&s);
}

static void test_staged(void **state)
{
	(void)state;
	_cleanup_free_ char *dst = path_join(root, "staged/file");
	_cleanup_free_ char *dir = path_join(root, "staged");
	assert_int_equal(mkdir_p(dir, 0755), 0);
	struct staged st;
	assert_int_equal(staged_open_file(&st, dst, 0640), 0);
	assert_int_equal(write_all(st.fd, "one", 3), 0);
	assert_false(path_exists(dst));
	assert_int_equal(staged_commit(&st, 0), 0);
	_cleanup_free_ char *text = slurp(dst);
	assert_string_equal(text, "one");
	struct stat sb;
	assert_int_equal(stat(dst, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0640);
	/* NOREPLACE refuses an existing file and leaves it alone */
	assert_int_equal(staged_open_file(&st, dst, 0600), 0);
	assert_int_equal(write_all(st.fd, "two", 3), 0);
	assert_int_equal(staged_commit(&st, STAGED_NOREPLACE), -EEXIST);
	free(text);
	text = slurp(dst);
	assert_string_equal(text, "one");
	/* a rollback leaves nothing; a directory replaces a directory */
	assert_int_equal(staged_open_file(&st, dst, 0600), 0);
	staged_rollback(&st);
	_cleanup_free_ char *ddir = path_join(root, "staged/d");
	for (int round = 0; round < 2; round++) {
		assert_int_equal(staged_open_dir(&st, ddir, NULL), 0);
		_cleanup_free_ char *inner = path_join(st.path, round ? "new" : "old");
		assert_int_equal(write_file_atomic(inner, "x", 1, 0644), 0);
		assert_int_equal(staged_commit(&st, 0), 0);
	}
	_cleanup_free_ char *old = path_join(ddir, "old"), *nw = path_join(ddir, "new");
	assert_false(path_exists(old));
	assert_true(path_exists(nw));
	_cleanup_strv_ char **left = dir_list(dir);
	for (size_t i = 0; left[i]; i++)
		assert_false(startswith(left[i], STAGED_PREFIX));
}

static void test_txn(void **state)
{
	(void)state;
	_cleanup_free_ char *a_new = put("txn/built/a.ko", "a new"), *b_new = put("txn/built/b.ko", "b new"),
			    *c_new = put("txn/built/c.ko", "c new");
	_cleanup_free_ char *a = put("txn/lib/a.ko", "a old"), *orig = put("txn/lib/kernel/o.ko", "original");
	_cleanup_free_ char *b = path_join(root, "txn/lib/b.ko"), *c = path_join(root, "txn/lib/c.ko");
	_cleanup_free_ char *kept = path_join(root, "txn/kept-o.ko"), *lib = path_join(root, "txn/lib");
	assert_int_equal(mkdir_p(c, 0755), 0); /* c.ko cannot be placed */
	struct txn x;
	assert_int_equal(txn_begin(&x, lib), 0);
	txn_move(&x, orig, kept);
	assert_true(txn_moves(&x, orig));
	assert_int_equal(txn_stage_copy(&x, a_new, a, false), 0);
	assert_int_equal(txn_stage_copy(&x, b_new, b, false), 0);
	assert_int_equal(txn_stage_copy(&x, c_new, c, false), 0);
	const char *failed = NULL;
	assert_int_equal(txn_commit(&x, &failed), -EISDIR);
	assert_string_equal(failed, c);
	txn_end(&x);
	/* all as before */
	_cleanup_free_ char *ta = slurp(a), *to = slurp(orig);
	assert_string_equal(ta, "a old");
	assert_string_equal(to, "original");
	assert_false(path_exists(b));
	assert_false(path_exists(kept));
	assert_true(is_dir(c));
	/* the same with the way clear: all in place, backups gone */
	assert_int_equal(rmdir(c), 0);
	assert_int_equal(txn_begin(&x, lib), 0);
	txn_move(&x, orig, kept);
	assert_int_equal(txn_stage_copy(&x, a_new, a, false), 0);
	assert_int_equal(txn_stage_copy(&x, c_new, c, true), 0);
	assert_int_equal(txn_commit(&x, NULL), 0);
	txn_end(&x);
	free(ta);
	ta = slurp(a);
	assert_string_equal(ta, "a new");
	assert_true(is_symlink(c));
	assert_true(path_exists(kept));
	assert_false(path_exists(orig));
	_cleanup_strv_ char **left = dir_list(lib);
	for (size_t i = 0; left[i]; i++)
		assert_false(startswith(left[i], STAGED_PREFIX));
}

static char **words(const char *a, const char *b)
{
	char **v = xcalloc(1, sizeof(char *));
	if (a)
		strv_pushdup(&v, a);
	if (b)
		strv_pushdup(&v, b);
	return v;
}

static void test_autoinstall_order(void **state)
{
	(void)state;
	/* c needs b, b needs a, d needs something never installed, e and f
	 * need each other */
	struct ai_job jobs[] = {
		{.m = "c", .deps = words("b", NULL)}, {.m = "b", .deps = words("a", NULL)},
		{.m = "d", .deps = words("missing", NULL)}, {.m = "a", .deps = words(NULL, NULL)},
		{.m = "e", .deps = words("f", NULL)}, {.m = "f", .deps = words("e", NULL)},
	};
	size_t n = ARRAY_SIZE(jobs);
	_cleanup_strv_ char **installed = xcalloc(1, sizeof(char *));
	const char *order[] = {"a", "b", "c"};
	for (size_t step = 0; step < ARRAY_SIZE(order); step++) {
		size_t i = ai_next_ready(jobs, n, &installed, false);
		assert_true(i < n);
		assert_string_equal(jobs[i].m, order[step]);
		jobs[i].started = true;
		/* nothing else is ready until it is installed */
		assert_int_equal(ai_next_ready(jobs, n, &installed, false), n);
		strv_pushdup(&installed, jobs[i].m);
	}
	assert_int_equal(ai_next_ready(jobs, n, &installed, false), n);
	for (size_t i = 0; i < n; i++)
		strv_free(jobs[i].deps);
}

static void test_autoinstall_kernels(void **state)
{
	(void)state;
	/* m for kernels 0 and 1, and d needing m on each */
	struct ai_job jobs[] = {
		{.m = "m", .v = "1", .kt = 0, .deps = words(NULL, NULL)},
		{.m = "d", .v = "1", .kt = 0, .deps = words("m", NULL)},
		{.m = "m", .v = "1", .kt = 1, .deps = words(NULL, NULL)},
		{.m = "d", .v = "1", .kt = 1, .deps = words("m", NULL)},
	};
	size_t n = ARRAY_SIZE(jobs);
	_cleanup_strv_ char **k0 = xcalloc(1, sizeof(char *));
	_cleanup_strv_ char **k1 = xcalloc(1, sizeof(char *));
	char **installed[] = {k0, k1};
	assert_int_equal(ai_next_ready(jobs, n, installed, false), 0);
	jobs[0].started = true;
	/* m for kernel 1 may build beside m for kernel 0, unless they would
	 * share a build directory */
	assert_int_equal(ai_next_ready(jobs, n, installed, false), 2);
	assert_int_equal(ai_next_ready(jobs, n, installed, true), n);
	/* m installed on kernel 0 only: d may start there, not on kernel 1 */
	jobs[0].done = true;
	strv_pushdup(&installed[0], "m");
	assert_int_equal(ai_next_ready(jobs, n, installed, true), 1);
	assert_true(ai_deps_met(jobs, 1, installed));
	assert_false(ai_deps_met(jobs, 3, installed));
	k0 = installed[0];
	for (size_t i = 0; i < n; i++)
		strv_free(jobs[i].deps);
}

static void test_status_rows(void **state)
{
	(void)state;
	struct status_row added = {.m = "m", .v = "1.0", .state = "added"};
	struct status_row inst = {.m = "m", .v = "1.0", .k = "6.1.0-1", .a = "x86_64", .state = "installed",
				  .extra = " (original_module exists)"};
	struct status_row odd = {.m = "q\"\\", .v = "1\t", .state = "added"};
	struct strbuf sb = {0};
	status_row_text(&sb, &added);
	status_row_text(&sb, &inst);
	status_row_json(&sb, &inst);
	status_row_json(&sb, &odd);
	_cleanup_free_ char *all = strbuf_steal(&sb);
	assert_string_equal(all, "m/1.0: added\n"
				 "m/1.0, 6.1.0-1, x86_64: installed (original_module exists)\n"
				 "{\"module\": \"m\", \"version\": \"1.0\", \"kernel\": \"6.1.0-1\", \"arch\": \"x86_64\", "
				 "\"state\": \"installed\", \"warnings\": \"(original_module exists)\"}"
				 "{\"module\": \"q\\\"\\\\\", \"version\": \"1\\u0009\", \"state\": \"added\"}");
}

static void test_tarball_paths(void **state)
{
	(void)state;
	const char *why = NULL;
	char *n = tarball_member_normalize("./a//b/./c/", &why);
	assert_string_equal(n, "a/b/c");
	free(n);
	n = tarball_member_normalize("./", &why);
	assert_string_equal(n, "");
	free(n);
	assert_null(tarball_member_normalize("/etc/passwd", &why));
	assert_string_equal(why, "has an absolute path");
	assert_null(tarball_member_normalize("a/../../b", &why));
	assert_string_equal(why, "has a '..' path component");
	assert_true(tarball_symlink_stays_inside("a/b/link", "../c"));
	assert_true(tarball_symlink_stays_inside("a/link", "./x/../y"));
	assert_false(tarball_symlink_stays_inside("link", "../x"));
	assert_false(tarball_symlink_stays_inside("a/etc", "../../etc"));
	assert_false(tarball_symlink_stays_inside("a/l", "/etc"));
	assert_false(tarball_symlink_stays_inside("a/l", ""));
	assert_string_equal(tarball_filter_for_name("x.dkms.tar.gz"), "gzip");
	assert_string_equal(tarball_filter_for_name("x.tzst"), "zstd");
	assert_null(tarball_filter_for_name("x.tar"));
}

/* What the kernel's decoders would read back from compress_buffer. */
static void test_compress(void **state)
{
	(void)state;
	char in[100000];
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (char)("module data "[i % 12] + (i / 4096));
	char out[sizeof(in)];
	char *packed;
	size_t plen;
	/* xz with a CRC32 check: the in-kernel decoder cannot verify CRC64 */
	assert_int_equal(compress_buffer(".xz", in, sizeof(in), &packed, &plen), 0);
	assert_true(plen < sizeof(in));
	lzma_stream_flags flags;
	assert_int_equal(lzma_stream_header_decode(&flags, (const uint8_t *)packed), LZMA_OK);
	assert_int_equal(flags.check, LZMA_CHECK_CRC32);
	uint64_t memlimit = UINT64_MAX;
	size_t ipos = 0, opos = 0;
	assert_int_equal(lzma_stream_buffer_decode(&memlimit, 0, NULL, (const uint8_t *)packed, &ipos, plen,
						   (uint8_t *)out, &opos, sizeof(out)), LZMA_OK);
	assert_int_equal(opos, sizeof(in));
	assert_memory_equal(out, in, sizeof(in));
	free(packed);
	assert_int_equal(compress_buffer(".zst", in, sizeof(in), &packed, &plen), 0);
	assert_int_equal(ZSTD_decompress(out, sizeof(out), packed, plen), sizeof(in));
	assert_memory_equal(out, in, sizeof(in));
	free(packed);
	assert_int_equal(compress_buffer(".gz", in, sizeof(in), &packed, &plen), 0);
	assert_int_equal((unsigned char)packed[0], 0x1f);
	assert_int_equal((unsigned char)packed[1], 0x8b);
	z_stream z = {0};
	assert_int_equal(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
	z.next_in = (unsigned char *)packed;
	z.avail_in = (unsigned)plen;
	z.next_out = (unsigned char *)out;
	z.avail_out = sizeof(out);
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	assert_int_equal(z.total_out, sizeof(in));
	inflateEnd(&z);
	assert_memory_equal(out, in, sizeof(in));
	free(packed);
	assert_int_equal(compress_buffer(".bz2", in, sizeof(in), &packed, &plen), -EINVAL);
}

/* SHA-256 against FIPS 180-2's test vectors, and a source tree's digest
 * (the artifact cache's key is made of it) against its value computed
 * apart from the code: the keys of the caches on disk depend on them. */
static void test_digest(void **state)
{
	(void)state;
	char hex[65];
	buffer_sha256("", 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	buffer_sha256("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	struct sha256_pieces *p = sha256_begin();
	sha256_add(p, two, 10);
	sha256_add(p, two + 10, strlen(two) - 10);
	sha256_end(p, hex);
	assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	_cleanup_free_ char *a = put("digest/a.c", "int a;\n");
	_cleanup_free_ char *b = put("digest/sub/b.h", "x");
	_cleanup_free_ char *abc = put("digest-abc", "abc");
	_cleanup_free_ char *l = path_join(root, "digest/l");
	_cleanup_free_ char *dir = path_join(root, "digest");
	assert_int_equal(symlink("a.c", l), 0);
	_cleanup_free_ char *file = file_sha256(abc);
	assert_string_equal(file, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	/* "a.c\0" "f" <mode 0644> "int a;\n" "l\0" "l" "a.c" "sub\0" "d"
	 * "sub/b.h\0" "f" <mode 0644> "x", the mode as an unsigned int */
	_cleanup_free_ char *tree = source_digest(dir);
	assert_string_equal(tree, "6d5205de5cb8100bd4e719a74b2539131933518dbe641bcfa0a5ede7f92e352d");
	_cleanup_free_ char *missing = path_join(root, "digest-none");
	assert_null(file_sha256(missing));
	assert_null(source_digest(missing));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kconfig),
		cmocka_unit_test(test_kernel_target),
		cmocka_unit_test(test_staged),
		cmocka_unit_test(test_txn),
		cmocka_unit_test(test_autoinstall_order),
		cmocka_unit_test(test_autoinstall_kernels),
		cmocka_unit_test(test_status_rows),
		cmocka_unit_test(test_tarball_paths),
		cmocka_unit_test(test_compress),
		cmocka_unit_test(test_digest),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
