/* Unit tests of the boot guard's pure parts: finding a kernel's entry in
 * grub.cfg as grub-mkconfig writes it (Debian's submenu, no submenu, no
 * ids, recovery entries, quoting), and the decision from check's
 * verdicts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bootguard.h"
#include "check.h"
#include "util/util.h"

#define K1 "6.1.0-56-amd64"
#define K2 "6.12.117+deb12-amd64"

/* Debian's layout: the newest kernel's simple entry, then the submenu. */
static const char debian_cfg[] =
	"function savedefault {\n"
	"  if [ -z \"${boot_once}\" ]; then\n"
	"    saved_entry=\"${chosen}\"\n"
	"  fi\n"
	"}\n"
	"menuentry 'Debian GNU/Linux' --class debian $menuentry_id_option 'gnulinux-simple-U' {\n"
	"\tif [ x$grub_platform = xxen ]; then insmod xzio; insmod lzopio; fi\n"
	"\tlinux\t/boot/vmlinuz-" K2 " root=UUID=U ro  quiet\n"
	"}\n"
	"submenu 'Advanced options for Debian GNU/Linux' $menuentry_id_option 'gnulinux-advanced-U' {\n"
	"\tmenuentry 'Debian GNU/Linux, with Linux " K2 "' --class debian $menuentry_id_option 'gnulinux-" K2 "-advanced-U' {\n"
	"\t\tlinux\t/boot/vmlinuz-" K2 " root=UUID=U ro  quiet\n"
	"\t}\n"
	"\tmenuentry 'Debian GNU/Linux, with Linux " K1 " (recovery mode)' $menuentry_id_option 'gnulinux-" K1 "-recovery-U' {\n"
	"\t\tlinux\t/boot/vmlinuz-" K1 " root=UUID=U ro single\n"
	"\t}\n"
	"\tmenuentry 'Debian GNU/Linux, with Linux " K1 "' --class debian $menuentry_id_option 'gnulinux-" K1 "-advanced-U' {\n"
	"\t\tlinux\t/boot/vmlinuz-" K1 " root=UUID=U ro  quiet\n"
	"\t}\n"
	"}\n";

static void expect_entry(const char *cfg, const char *k, const char *want)
{
	char *got = NULL;
	int r = grub_cfg_entry(cfg, k, &got);
	if (!want) {
		assert_int_equal(r, -ENOENT);
		assert_null(got);
		return;
	}
	assert_int_equal(r, 0);
	assert_string_equal(got, want);
	free(got);
}

static void test_grub_debian(void **state)
{
	(void)state;
	/* the submenu's entry, named by ids, not the simple or recovery one */
	expect_entry(debian_cfg, K1, "gnulinux-advanced-U>gnulinux-" K1 "-advanced-U");
	/* the newest: its own advanced entry, which stays right when another kernel comes */
	expect_entry(debian_cfg, K2, "gnulinux-advanced-U>gnulinux-" K2 "-advanced-U");
	expect_entry(debian_cfg, "6.1.0-55-amd64", NULL);
	/* only the simple entry boots it: that one, then */
	expect_entry("menuentry 'Debian GNU/Linux' --id 'gnulinux-simple-U' {\n"
		     "\tlinux /vmlinuz-" K1 " ro\n}\n",
		     K1, "gnulinux-simple-U");
}

static void test_grub_no_ids(void **state)
{
	(void)state;
	/* without ids (or with one level lacking one): the titles, quoted as GRUB reads them */
	expect_entry("submenu 'Advanced options for Debian' {\n"
		     "  menuentry 'Debian, with Linux " K1 " (it'\\''s \"old\")' {\n"
		     "    linux /boot/vmlinuz-" K1 " root=/dev/sda1 ro\n"
		     "  }\n"
		     "}\n",
		     K1, "Advanced options for Debian>Debian, with Linux " K1 " (it's \"old\")");
	/* GRUB_DISABLE_SUBMENU=y: top-level entries */
	expect_entry("menuentry \"Debian, with Linux " K1 "\" $menuentry_id_option \"gnulinux-" K1 "-advanced-U\" {\n"
		     "  linux /boot/vmlinuz-" K1 "\n"
		     "}\n",
		     K1, "gnulinux-" K1 "-advanced-U");
	/* a longer kernel name that begins with the one asked for is not it */
	expect_entry("menuentry 'x' --id 'a' {\n  linux /boot/vmlinuz-" K1 "-rt ro\n}\n", K1, NULL);
	/* an unterminated file: what is open counts */
	expect_entry("menuentry 'x' --id 'a' {\n  linux /boot/vmlinuz-" K1 " ro\n", K1, "a");
}

static struct check_module module(const char *name, enum check_state st, char **ids)
{
	return (struct check_module){.name = (char *)name, .version = "1.0", .state = st, .device_ids = ids};
}

static void test_decision(void **state)
{
	(void)state;
	char *ids[] = {"PCI 1234:11e8", NULL};
	char *none[] = {NULL};
	struct check_module failed = module("edu", CHECK_FAILED, ids);
	struct check_module unused = module("other", CHECK_FAILED, none);
	struct check_module ok = module("edu", CHECK_INSTALLED, ids);
	struct check_module excluded = module("edu", CHECK_EXCLUDED, ids);
	struct check_kernel ks[3] = {
		{.kernel = "6.13", .mods = &failed, .n = 1, .verdict = VERDICT_DEGRADED},
		{.kernel = "6.12", .mods = &ok, .n = 1, .verdict = VERDICT_UNKNOWN},
		{.kernel = "6.1", .mods = &ok, .n = 1, .verdict = VERDICT_READY},
	};
	struct check_report r = {.kernels = ks, .n = 3};
	struct guard_decision g;
	/* the newest lacks edu, which a device needs: the newest ready one boots */
	boot_guard_decide(&r, false, &g);
	assert_int_equal(g.action, GUARD_SET);
	assert_ptr_equal(g.newest, &ks[0]);
	assert_ptr_equal(g.ready, &ks[2]);
	assert_ptr_equal(g.missing, &failed);
	/* no kernel ready */
	ks[2].verdict = VERDICT_DEGRADED;
	boot_guard_decide(&r, true, &g);
	assert_int_equal(g.action, GUARD_NO_READY);
	/* a missing module no device needs, or one BUILD_EXCLUSIVE leaves out: nothing */
	ks[0].mods = &unused;
	boot_guard_decide(&r, false, &g);
	assert_int_equal(g.action, GUARD_NOTHING);
	ks[0].mods = &excluded;
	boot_guard_decide(&r, false, &g);
	assert_int_equal(g.action, GUARD_NOTHING);
	/* ... and what the guard set before is undone */
	boot_guard_decide(&r, true, &g);
	assert_int_equal(g.action, GUARD_RESTORE);
	/* no kernel at all */
	r.n = 0;
	boot_guard_decide(&r, true, &g);
	assert_int_equal(g.action, GUARD_RESTORE);
	boot_guard_decide(&r, false, &g);
	assert_int_equal(g.action, GUARD_NOTHING);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grub_debian),
		cmocka_unit_test(test_grub_no_ids),
		cmocka_unit_test(test_decision),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
