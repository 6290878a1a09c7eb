/* verify: the state tree's fsck.  It checks that every module version the
 * tree marks installed for a kernel is in place in that kernel's module
 * tree, byte for byte the module built, built for that kernel (vermagic),
 * and finds what killed or older runs left behind: staging directories,
 * temporary files, dangling links, kernel directories without a build,
 * pending depmod or initramfs work.  Each finding is a problem, reported
 * on one line (or as JSON, docs/verify-json.md); --repair fixes those that
 * need no rebuild.  action_verify (actions.h) runs it. */
#pragma once

#include "util/util.h"

/* What --repair does about a problem. */
enum verify_fix {
	VERIFY_FIX_NONE,      /* nothing: reported only (a rebuild or the user is needed) */
	VERIFY_FIX_REMOVE,    /* remove the file or directory */
	VERIFY_FIX_UNLINK,    /* remove the link */
	VERIFY_FIX_REINSTALL, /* put the built module in place, through a transaction */
	VERIFY_FIX_PENDING,   /* the commit point runs the pending work */
};

struct verify_problem {
	const char *kind;    /* "installed-module-missing", ...: docs/verify-json.md */
	char *m, *v, *k, *a; /* the module, version, kernel, arch it concerns; NULL when none */
	char *path;          /* the file, link or directory at fault */
	char *what;          /* what is wrong, for a person */
	char *repair;        /* what --repair does, else what to do instead */
	enum verify_fix fix;
	char *src;           /* VERIFY_FIX_REINSTALL: the built module to install */
	bool remake_initrd;  /* VERIFY_FIX_REINSTALL: the version's REMAKE_INITRD */
	bool tried;          /* --repair attempted it */
	bool repaired;
};

/* One problem as a line of text: "kind: where: path: what; repair: ...",
 * followed by " [repaired]" or " [not repaired]" when repairing. */
void verify_problem_text(struct strbuf *out, const struct verify_problem *p, bool repairing);
/* One problem as a JSON object (docs/verify-json.md), without a newline. */
void verify_problem_json(struct strbuf *out, const struct verify_problem *p);
void verify_problem_free(struct verify_problem *p);
