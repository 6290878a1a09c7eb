/* dkms check: will the hardware work after the reboot?  For every kernel
 * installed (or each -k), every registered module that should be there,
 * in one state (installed and verified, built, failed, excluded, headers
 * missing, not built), the devices of this machine that need it, whether
 * it will load under Secure Boot, and a verdict per kernel: ready,
 * degraded (some needed hardware will not work) or unknown.
 *
 * check.c gathers the facts; checkreport.c (the pure part, unit-tested)
 * judges them and writes the report as text or JSON (docs/check-json.md). */
#pragma once

#include "secureboot.h"
#include "util/util.h"

enum check_state {
	CHECK_INSTALLED,       /* marked installed for the kernel (verified says how well) */
	CHECK_BUILT,           /* built, not installed */
	CHECK_FAILED,          /* its last build for the kernel failed */
	CHECK_EXCLUDED,        /* BUILD_EXCLUSIVE says not for this kernel */
	CHECK_MISSING_HEADERS, /* not built: the kernel's headers are missing */
	CHECK_NOT_BUILT,       /* not built yet */
};

/* A yes/no that may not apply, or be unknown; zero means "not applicable". */
enum check_tri { TRI_NA, TRI_UNKNOWN, TRI_NO, TRI_YES };

enum check_verdict { VERDICT_READY, VERDICT_UNKNOWN, VERDICT_DEGRADED }; /* by severity */

struct check_module {
	char *name, *version;
	enum check_state state;
	char *note;              /* anything else worth saying, or NULL */
	/* installed */
	enum check_tri verified; /* files present, built for this kernel, equal to the built ones */
	char *problem;           /* what is wrong when not verified */
	char *signed_by;         /* the signer, NULL when not signed */
	enum check_tri will_load;
	char *load_why;          /* why it will not load, or why that is unknown */
	enum check_tri initramfs; /* REMAKE_INITRD: in the kernel's initramfs */
	/* failed (failure.h) */
	int exit_code;
	char *reason, *first_error, *log, *failed_at;
	bool stale;              /* the source or dkms.conf changed since */
	/* excluded, headers missing */
	char *exclude_reason;
	char *headers_package;
	/* hardware */
	bool aliases_known;      /* a module file said which devices it drives */
	char **device_ids;       /* "PCI 1234:11e8" of each present device that needs it */
	char **devices;          /* the same, described in full */
};

struct check_kernel {
	char *kernel, *arch;
	struct check_module *mods;
	size_t n;
	enum check_verdict verdict; /* check_kernel_judge */
	char *summary;              /* why, in one line ("" when there is nothing to say) */
	char *compiler_warning;     /* the kernel's compiler is not installed (compiler.h), or NULL */
};

struct check_report {
	struct check_kernel *kernels;
	size_t n;
	struct secure_boot sb;
};

const char *check_state_name(enum check_state s);
const char *check_verdict_name(enum check_verdict v);

/* How module cm bears on its kernel's verdict; *why (may be NULL) the
 * reason, in words that follow the module's name. */
enum check_verdict check_module_impact(const struct check_module *cm, char **why);
/* Sets the kernel's verdict and summary from its modules. */
void check_kernel_judge(struct check_kernel *ck);

/* The report for people: a line per kernel, "<kernel>: <verdict> — <why>",
 * its modules indented below, then Secure Boot; colour: ANSI colours. */
void check_report_text(struct strbuf *out, const struct check_report *r, bool colour);
/* The report as JSON (docs/check-json.md). */
void check_report_json(struct strbuf *out, const struct check_report *r);

/* The sysfs the devices are read from: /sys, or $DKMS_SYSFS_ROOT in tests. */
const char *check_sysfs_root(void);
/* The facts and verdicts of every kernel installed (as `dkms check` with
 * no -k), on this machine's arch, newest first. */
struct dkms;
void check_installed_kernels(struct dkms *d, struct check_report *r);

void check_module_free(struct check_module *cm);
void check_report_free(struct check_report *r);
