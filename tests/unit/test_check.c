/* Unit tests of dkms check's pure parts: alias matching and device
 * names, EFI signature lists and key ids, Secure Boot's state from
 * efivars, whether a signature lets a module load, the failure record's
 * text, and the verdict rules and report. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "failure.h"
#include "hardware.h"
#include "secureboot.h"
#include "sign.h"
#include "status.h"
#include "util/util.h"

static char root[] = "/tmp/dkms-unit-check.XXXXXX";

static int setup(void **state)
{
	(void)state;
	unsetenv("DKMS_EFIVARS_DIR");
	setenv("DKMS_PROC_KEYS", "/nonexistent", 1);
	return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	rm_rf(root);
	return 0;
}

static void test_alias_matching(void **state)
{
	(void)state;
	const char *edu = "pci:v00001234d000011E8sv00001AF4sd00001100bc00scFFi00";
	assert_true(hw_alias_matches("pci:v00001234d000011E8sv*sd*bc*sc*i*", edu));
	assert_false(hw_alias_matches("pci:v00001234d000011E9sv*sd*bc*sc*i*", edu));
	/* modprobe's patterns: case matters, brackets and ? work */
	assert_false(hw_alias_matches("pci:v00001234d000011e8sv*sd*bc*sc*i*", edu));
	assert_true(hw_alias_matches("pci:v0000123[0-9]d000011E?sv*", edu));
	assert_true(hw_alias_matches("pci:v*d*sv*sd*bc00sc*i*", edu));
	assert_false(hw_alias_matches("pci:v00001234d000011E8", edu)); /* the whole modalias */
	assert_false(hw_alias_matches(NULL, edu));
	struct hw_device dev = {.bus = "pci", .name = "0000:00:04.0", .modalias = (char *)edu, .driver = "edu"};
	char *none[] = {NULL};
	char *some[] = {"usb:v046Dp*", "pci:v00001234d000011E8*", NULL};
	assert_false(hw_device_needs(&dev, none));
	assert_true(hw_device_needs(&dev, some));
}

static void test_device_names(void **state)
{
	(void)state;
	const struct {
		const char *bus, *modalias, *want;
	} cases[] = {
		{"pci", "pci:v00008086d00002723sv00008086sd00000084bc02sc80i00", "PCI 8086:2723"},
		{"usb", "usb:v046DpC52Bd1200dc00dsc00dp00ic03isc01ip01in00", "USB 046d:c52b"},
		{"acpi", "acpi:PNP0A08:PNP0A03:", "acpi PNP0A08:PNP0A03:"},
		{"pci", "pci:vXYZ", "pci vXYZ"},
		{"usb", "usb:v046D", "usb v046D"},
		{"virtio", "virtio:d00000001v00001AF4", "virtio d00000001v00001AF4"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *got = hw_modalias_short(cases[i].bus, cases[i].modalias);
		assert_string_equal(got, cases[i].want);
	}
	struct hw_device dev = {.bus = "pci", .name = "0000:00:14.3",
				.modalias = "pci:v00008086d00002723sv00008086sd00000084bc02sc80i00", .driver = "iwlwifi"};
	_cleanup_free_ char *bound = hw_device_describe(&dev);
	assert_string_equal(bound, "PCI 8086:2723 (0000:00:14.3) bound to iwlwifi");
	dev.driver = NULL;
	_cleanup_free_ char *unbound = hw_device_describe(&dev);
	assert_string_equal(unbound, "PCI 8086:2723 (0000:00:14.3), no driver bound");
}

/* One EFI_SIGNATURE_LIST of `n` entries of `size` data bytes each, the
 * data of entry i being bytes of value fill+i. */
static size_t siglist(unsigned char *out, const unsigned char *type, size_t n, size_t size, unsigned char fill)
{
	size_t sig = 16 + size, total = 28 + n * sig;
	memcpy(out, type, 16);
	for (int b = 0; b < 4; b++) {
		out[16 + b] = (unsigned char)(total >> (8 * b));
		out[20 + b] = 0;
		out[24 + b] = (unsigned char)(sig >> (8 * b));
	}
	for (size_t i = 0; i < n; i++) {
		memset(out + 28 + i * sig, 0x55, 16); /* the owner */
		memset(out + 28 + i * sig + 16, fill + (int)i, size);
	}
	return total;
}

static void test_efi_signature_lists(void **state)
{
	(void)state;
	static const unsigned char x509[16] = {0xa1, 0x59, 0xc0, 0xa5, 0xe4, 0x94, 0xa7, 0x4a,
					       0x87, 0xb5, 0xab, 0x15, 0x5c, 0x2b, 0xf0, 0x72};
	static const unsigned char sha256[16] = {0x26, 0x16, 0xc4, 0xc1, 0x4c, 0x50, 0x92, 0x40,
						 0xac, 0xa9, 0x41, 0xf9, 0x36, 0x93, 0x43, 0x28};
	unsigned char buf[1024];
	size_t len = siglist(buf, sha256, 3, 32, 0x10);
	len += siglist(buf + len, x509, 2, 100, 0x30);
	struct der_list l = {0};
	assert_int_equal(efi_siglist_certs(buf, len, &l), 0);
	assert_int_equal(l.n, 2); /* the hashes are not certificates */
	assert_int_equal(l.len[0], 100);
	assert_int_equal(l.der[0][0], 0x30);
	assert_int_equal(l.der[1][99], 0x31);
	der_list_free(&l);
	assert_int_equal(efi_siglist_certs(buf, 0, &l), 0);
	assert_int_equal(l.n, 0);
	/* truncated, a size that does not divide the body, a size below the owner's */
	assert_int_equal(efi_siglist_certs(buf, len - 1, &l), -EINVAL);
	der_list_free(&l);
	len = siglist(buf, x509, 1, 100, 0);
	buf[24] = 7;
	assert_int_equal(efi_siglist_certs(buf, len, &l), -EINVAL);
	buf[24] = 10;
	assert_int_equal(efi_siglist_certs(buf, len, &l), -EINVAL);
	assert_int_equal(l.n, 0);
	_cleanup_free_ char *hex = hex_colon((const unsigned char *)"\x0d\xab\x00", 3);
	assert_string_equal(hex, "0D:AB:00");
}

static void test_key_ids(void **state)
{
	(void)state;
	_cleanup_free_ char *key = path_join(root, "mok.key");
	_cleanup_free_ char *cert = path_join(root, "mok.pub");
	struct mok_state ms = {0};
	assert_int_equal(mok_generate(key, cert, &ms), 0);
	free(ms.why);
	_cleanup_free_ char *der = NULL;
	size_t len = 0;
	assert_int_equal(read_file(cert, &der, &len), 0);
	_cleanup_strv_ char **ids = x509_key_ids((unsigned char *)der, len);
	assert_int_equal(strv_len(ids), 2); /* the serial, the subject key id */
	regex_t re;
	assert_int_equal(regcomp(&re, "^[0-9A-F]{2}(:[0-9A-F]{2})+$", REG_EXTENDED | REG_NOSUB), 0);
	for (size_t i = 0; ids[i]; i++)
		assert_int_equal(regexec(&re, ids[i], 0, NULL, 0), 0);
	regfree(&re);
	_cleanup_strv_ char **none = x509_key_ids((const unsigned char *)"not DER", 7);
	assert_int_equal(strv_len(none), 0);
}

/* An efivars file: 4 bytes of attributes and one byte of value. */
static void efivar(const char *sysfs, const char *name, int value)
{
	_cleanup_free_ char *dir = path_join(sysfs, "firmware/efi/efivars");
	_cleanup_free_ char *p = path_join(dir, name);
	const char data[5] = {7, 0, 0, 0, (char)value};
	assert_int_equal(mkdir_p(dir, 0755), 0);
	assert_int_equal(write_file_atomic(p, data, sizeof(data), 0644), 0);
}

static enum sb_state probe(const char *sysfs)
{
	struct secure_boot sb;
	sb_probe(sysfs, NULL, &sb);
	enum sb_state s = sb.state;
	assert_false(sb.cert_exists);
	sb_free(&sb);
	return s;
}

static void test_secure_boot_state(void **state)
{
	(void)state;
	_cleanup_free_ char *sys = path_join(root, "sys");
	_cleanup_free_ char *efi = path_join(sys, "firmware/efi");
	assert_int_equal(probe(sys), SB_DISABLED); /* not booted with UEFI */
	assert_int_equal(mkdir_p(efi, 0755), 0);
	assert_int_equal(probe(sys), SB_UNKNOWN); /* UEFI, efivarfs not there */
	efivar(sys, "SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c", 1);
	assert_int_equal(probe(sys), SB_ENABLED);
	efivar(sys, "SetupMode-8be4df61-93ca-11d2-aa0d-00e098032b8c", 1);
	assert_int_equal(probe(sys), SB_DISABLED);
	efivar(sys, "SetupMode-8be4df61-93ca-11d2-aa0d-00e098032b8c", 0);
	efivar(sys, "MokSBStateRT-605dab50-e046-4300-abb6-3dd810dd8b23", 1);
	assert_int_equal(probe(sys), SB_DISABLED);
	efivar(sys, "MokSBStateRT-605dab50-e046-4300-abb6-3dd810dd8b23", 0);
	assert_int_equal(probe(sys), SB_ENABLED);
	efivar(sys, "SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c", 0);
	assert_int_equal(probe(sys), SB_DISABLED);
	assert_string_equal(sb_state_name(SB_UNKNOWN), "unknown");
}

static void test_module_loads(void **state)
{
	(void)state;
	char *ids[] = {"AA:BB", NULL};
	struct secure_boot sb = {.mok_known = true, .key_ids = ids};
	char *why = NULL;
	assert_int_equal(sb_module_loads(&sb, 0, NULL, &why), 1);
	assert_null(why);
	assert_int_equal(sb_module_loads(&sb, 1, "AA:BB", &why), 1);
	assert_int_equal(sb_module_loads(&sb, -1, "AA:BB", &why), 1);
	assert_int_equal(sb_module_loads(&sb, 1, NULL, &why), 0);
	assert_non_null(strstr(why, "not signed"));
	free(why);
	assert_int_equal(sb_module_loads(&sb, 1, "CC:DD", &why), 0);
	assert_non_null(strstr(why, "CC:DD, which is not enrolled"));
	free(why);
	assert_int_equal(sb_module_loads(&sb, -1, NULL, &why), -1);
	free(why);
	sb.mok_known = false;
	assert_int_equal(sb_module_loads(&sb, 1, "CC:DD", &why), -1);
	free(why);
}

static void test_failure_text(void **state)
{
	(void)state;
	struct build_failure f = {
		.m = "edu", .v = "1.0", .k = "6.1.0-1", .a = "x86_64", .exit_code = 10,
		.reason = "make exited with status 2", .first_error = "a\\b\nc=d", .time = 1700000000,
	};
	_cleanup_free_ char *text = failure_format(&f);
	assert_null(strstr(text, "log="));
	assert_non_null(strstr(text, "first_error=a\\\\b\\nc=d\n"));
	struct build_failure g;
	assert_int_equal(failure_parse(text, &g), 0);
	assert_string_equal(g.m, "edu");
	assert_string_equal(g.first_error, "a\\b\nc=d");
	assert_string_equal(g.reason, "make exited with status 2");
	assert_int_equal(g.exit_code, 10);
	assert_int_equal(g.time, 1700000000);
	assert_null(g.log);
	failure_free(&g);
	assert_int_equal(failure_parse("module=edu\n", &g), -EINVAL);
	_cleanup_free_ char *when = failure_time_text(1700000000);
	assert_string_equal(when, "2023-11-14 22:13:20 UTC");
}

static struct check_module module(const char *name, enum check_state st, char **ids, bool known)
{
	return (struct check_module){
		.name = (char *)name, .version = "1.0", .state = st, .device_ids = ids, .aliases_known = known,
		.verified = st == CHECK_INSTALLED ? TRI_YES : TRI_NA, .will_load = st == CHECK_INSTALLED ? TRI_YES : TRI_NA,
	};
}

static void test_verdicts(void **state)
{
	(void)state;
	char *edu[] = {"PCI 1234:11e8", NULL};
	char *none[] = {NULL};
	struct check_module failed = module("edu", CHECK_FAILED, edu, true);
	failed.first_error = "edu.c:1:1: error: x";
	char *why = NULL;
	assert_int_equal(check_module_impact(&failed, &why), VERDICT_DEGRADED);
	assert_string_equal(why, "edu (PCI 1234:11e8) will not work: edu/1.0 failed to build: edu.c:1:1: error: x");
	free(why);
	/* nothing here needs it: a word, not a problem */
	struct check_module unused = module("edu", CHECK_NOT_BUILT, none, true);
	assert_int_equal(check_module_impact(&unused, &why), VERDICT_READY);
	assert_string_equal(why, "edu/1.0 is not built yet, but no device on this machine uses it");
	free(why);
	struct check_module ghost = module("ghost", CHECK_MISSING_HEADERS, NULL, false);
	ghost.headers_package = "linux-headers-6.1.0-1";
	assert_int_equal(check_module_impact(&ghost, NULL), VERDICT_UNKNOWN);
	struct check_module excluded = module("x", CHECK_EXCLUDED, edu, true);
	assert_int_equal(check_module_impact(&excluded, &why), VERDICT_READY);
	assert_null(why);
	char *edu_full[] = {"PCI 1234:11e8 (0000:00:04.0) bound to edu", NULL};
	struct check_module fine = module("ok", CHECK_INSTALLED, edu, true);
	fine.devices = edu_full;
	assert_int_equal(check_module_impact(&fine, &why), VERDICT_READY);
	assert_null(why);
	struct check_module unsigned_sb = fine;
	unsigned_sb.will_load = TRI_NO;
	unsigned_sb.load_why = "it is not signed and Secure Boot is enabled";
	assert_int_equal(check_module_impact(&unsigned_sb, NULL), VERDICT_DEGRADED);
	unsigned_sb.device_ids = none; /* installed and not loading: degraded even unused */
	assert_int_equal(check_module_impact(&unsigned_sb, NULL), VERDICT_DEGRADED);
	struct check_module cannot_tell = fine;
	cannot_tell.will_load = TRI_UNKNOWN;
	cannot_tell.load_why = "?";
	assert_int_equal(check_module_impact(&cannot_tell, NULL), VERDICT_UNKNOWN);
	struct check_module no_initrd = fine;
	no_initrd.initramfs = TRI_NO;
	assert_int_equal(check_module_impact(&no_initrd, NULL), VERDICT_DEGRADED);
	no_initrd.device_ids = none;
	assert_int_equal(check_module_impact(&no_initrd, NULL), VERDICT_READY);
}

/* A kernel's verdict: the worst of its modules'; the summary gives that
 * verdict's reasons; then the report. */
static void test_kernel_report(void **state)
{
	(void)state;
	char *edu[] = {"PCI 1234:11e8", NULL};
	char *none[] = {NULL};
	char *edu_full[] = {"PCI 1234:11e8 (0000:00:04.0) bound to edu", NULL};
	struct check_module fine = module("ok", CHECK_INSTALLED, edu, true);
	fine.devices = edu_full;
	struct check_module ghost = module("ghost", CHECK_MISSING_HEADERS, NULL, false);
	struct check_module failed = module("edu", CHECK_FAILED, edu, true);
	failed.first_error = "edu.c:1:1: error: x";
	struct check_module unused = module("edu", CHECK_NOT_BUILT, none, true);
	struct check_module mods[] = {fine, ghost, failed, unused};
	struct check_kernel ck = {.kernel = "6.1.0-1", .arch = "x86_64", .mods = mods, .n = 4};
	check_kernel_judge(&ck);
	assert_int_equal(ck.verdict, VERDICT_DEGRADED);
	assert_string_equal(ck.summary, "edu (PCI 1234:11e8) will not work: edu/1.0 failed to build: edu.c:1:1: error: x");
	ck.n = 2; /* judging again replaces the summary */
	check_kernel_judge(&ck);
	assert_int_equal(ck.verdict, VERDICT_UNKNOWN);
	ck.n = 1;
	check_kernel_judge(&ck);
	assert_int_equal(ck.verdict, VERDICT_READY);
	assert_string_equal(ck.summary, "");

	/* the report */
	struct check_report r = {.kernels = &ck, .n = 1, .sb = {.state = SB_DISABLED}};
	struct strbuf sb = {0};
	check_report_text(&sb, &r, false);
	_cleanup_free_ char *text = strbuf_steal(&sb);
	assert_non_null(strstr(text, "6.1.0-1: ready\n  ok/1.0: installed and verified; not signed; will load: yes\n"
				     "    needed by: "));
	assert_non_null(strstr(text, "\nSecure Boot: disabled\n"));
	check_report_text(&sb, &r, true);
	_cleanup_free_ char *coloured = strbuf_steal(&sb);
	assert_true(startswith(coloured, "6.1.0-1: \033[32mready\033[0m\n"));
	check_report_json(&sb, &r);
	_cleanup_free_ char *json = strbuf_steal(&sb);
	assert_true(startswith(json, "{\"kernels\": [\n  {\"kernel\": \"6.1.0-1\", \"arch\": \"x86_64\", "
				     "\"verdict\": \"ready\", \"summary\": \"\", \"compiler_warning\": null, "
				     "\"modules\": [\n    {\"name\": \"ok\""));
	assert_non_null(strstr(json, "\"will_load\": true"));
	/* a kernel whose compiler is missing: a line under it, a string in JSON */
	ck.compiler_warning = "Kernel 6.1.0-1 was built with gcc 12, but gcc is 11 and gcc 12 is not installed";
	check_report_text(&sb, &r, false);
	_cleanup_free_ char *warned = strbuf_steal(&sb);
	assert_non_null(strstr(warned, "6.1.0-1: ready\n  compiler: Kernel 6.1.0-1 was built with gcc 12, but gcc is 11"));
	check_report_json(&sb, &r);
	_cleanup_free_ char *warned_json = strbuf_steal(&sb);
	assert_non_null(strstr(warned_json, "\"compiler_warning\": \"Kernel 6.1.0-1 was built with gcc 12, "));
	ck.compiler_warning = NULL;
	assert_non_null(strstr(json, "\"secure_boot\": {\"state\": \"disabled\", \"key_enrolled\": false, "
				     "\"key_pending\": false, \"certificate\": null}}\n"));
	free(ck.summary);
}

/* status --json's row for a failed build: its facts, null where none. */
static void test_failed_status_row(void **state)
{
	(void)state;
	struct status_row r = {.m = "edu", .v = "1.0", .k = "6.1.0-1", .a = "x86_64", .state = "failed",
			       .exit_code = 10, .reason = "make exited with status 2", .first_error = "e.c:1: error: x",
			       .time = "2023-11-14 22:13:20 UTC"};
	struct strbuf sb = {0};
	status_row_json(&sb, &r);
	_cleanup_free_ char *json = strbuf_steal(&sb);
	assert_string_equal(json, "{\"module\": \"edu\", \"version\": \"1.0\", \"kernel\": \"6.1.0-1\", "
				  "\"arch\": \"x86_64\", \"state\": \"failed\", \"exit_code\": 10, "
				  "\"reason\": \"make exited with status 2\", \"first_error\": \"e.c:1: error: x\", "
				  "\"log\": null, \"time\": \"2023-11-14 22:13:20 UTC\"}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alias_matching),
		cmocka_unit_test(test_device_names),
		cmocka_unit_test(test_efi_signature_lists),
		cmocka_unit_test(test_key_ids),
		cmocka_unit_test(test_secure_boot_state),
		cmocka_unit_test(test_module_loads),
		cmocka_unit_test(test_failure_text),
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_kernel_report),
		cmocka_unit_test(test_failed_status_row),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
