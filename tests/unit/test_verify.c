/* Unit tests of verify's report: one line of text per problem, whatever
 * its names hold, and JSON objects with every documented key. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "util/util.h"
#include "verify.h"

static void test_text(void **state)
{
	(void)state;
	struct verify_problem inst = {
		.kind = "installed-module-missing", .m = "m", .v = "1.0", .k = "6.1.0-1", .a = "x86_64",
		.path = "/lib/modules/6.1.0-1/updates/dkms/m.ko", .what = "the installed module is missing",
		.repair = "reinstall it from /b/m.ko", .fix = VERIFY_FIX_REINSTALL,
	};
	struct verify_problem pend = {
		.kind = "pending-work", .k = "6.1.0-1", .path = "/d/.pending/depmod-6.1.0-1", .what = "w",
		.repair = "run depmod for kernel 6.1.0-1", .fix = VERIFY_FIX_PENDING, .repaired = true,
	};
	struct verify_problem top = {
		.kind = "stale-staging", .path = "/d/.dkms-stage.a\nb", .what = "w", .repair = "remove it",
		.fix = VERIFY_FIX_REMOVE,
	};
	struct strbuf sb = {0};
	verify_problem_text(&sb, &inst, false);
	verify_problem_text(&sb, &pend, true);
	verify_problem_text(&sb, &top, true);
	_cleanup_free_ char *all = strbuf_steal(&sb);
	assert_string_equal(all, "installed-module-missing: m/1.0, 6.1.0-1, x86_64: /lib/modules/6.1.0-1/updates/dkms/m.ko: "
				 "the installed module is missing; repair: reinstall it from /b/m.ko\n"
				 "pending-work: 6.1.0-1: /d/.pending/depmod-6.1.0-1: w; repair: run depmod for kernel 6.1.0-1 "
				 "[repaired]\n"
				 "stale-staging: /d/.dkms-stage.a?b: w; repair: remove it [not repaired]\n");
}

static void test_json(void **state)
{
	(void)state;
	struct verify_problem p = {
		.kind = "vermagic-mismatch", .m = "q\"", .v = "1\t", .k = "6.1.0-1", .a = "x86_64", .path = "/p",
		.what = "w", .repair = "none: rebuild", .fix = VERIFY_FIX_NONE,
	};
	struct verify_problem top = {.kind = "stale-staging", .path = "/s", .what = "w", .repair = "remove it",
				     .fix = VERIFY_FIX_REMOVE, .repaired = true};
	struct strbuf sb = {0};
	verify_problem_json(&sb, &p);
	verify_problem_json(&sb, &top);
	_cleanup_free_ char *all = strbuf_steal(&sb);
	assert_string_equal(all, "{\"kind\": \"vermagic-mismatch\", \"module\": \"q\\\"\", \"version\": \"1\\u0009\", "
				 "\"kernel\": \"6.1.0-1\", \"arch\": \"x86_64\", \"path\": \"/p\", \"message\": \"w\", "
				 "\"repair\": \"none: rebuild\", \"repairable\": false, \"repaired\": false}"
				 "{\"kind\": \"stale-staging\", \"module\": null, \"version\": null, \"kernel\": null, "
				 "\"arch\": null, \"path\": \"/s\", \"message\": \"w\", \"repair\": \"remove it\", "
				 "\"repairable\": true, \"repaired\": true}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
