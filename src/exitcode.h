/* The exit codes of dkms, named.  The numbers are the reference's (dkms
 * 3.0.10), where one number has several meanings depending on the action;
 * each meaning has its own name here.  docs/exit-codes.md lists them for
 * scripts and the package-manager hooks, and tests/cli/exit-codes.sh
 * checks that the two agree. */
#pragma once

enum dkms_exit {
	EX_OK = 0,
	EX_FAILED = 1,            /* generic: bad arguments, not root, no headers, signing, I/O */
	EX_USAGE = 2,             /* unknown option or action; add: no source directory; ldtarball: no archive */
	EX_SAME_KERNEL = 2,       /* match: the template kernel is the kernel */
	EX_ALREADY_ADDED = 3,     /* add: the module/version is already in the tree */
	EX_NOT_ADDED = 3,         /* uninstall, unbuild, remove, mktarball, verify: not in the tree */
	EX_ALREADY_BUILT = 3,     /* build: the <kernel>/<arch> directory exists */
	EX_NO_CONF = 4,           /* dkms.conf cannot be read; more than one action */
	EX_MULTIPLE_KERNELS = 4,  /* match: more than one -k */
	EX_TARBALL_NO_CONF = 3,   /* ldtarball: no dkms.conf in the archive */
	EX_PATCH = 5,             /* build: a PATCH is missing or not inside patches/ */
	EX_ALREADY_INSTALLED = 5, /* install: this version is installed already */
	EX_NO_ALL = 5,            /* --all given to an action that does not take it */
	EX_INSTALL = 6,           /* install failed and was rolled back; depmod or the initramfs failed */
	EX_PATCH_FAILED = 6,      /* build: a patch does not apply */
	EX_NOT_BUILT = 6,         /* mktarball: not built for a kernel given; the tarball could not be made */
	EX_NOT_PRODUCED = 7,      /* build: make succeeded but a module was not produced */
	EX_BAD_TARBALL = 7,       /* ldtarball: the archive is refused */
	EX_BAD_CONF = 8,          /* dkms.conf is not valid; no source to build */
	EX_ALREADY_LOADED = 8,    /* ldtarball: the module/version is in the tree already */
	EX_NO_SOURCE_CONF = 9,    /* add from a directory without dkms.conf */
	EX_NO_WRITE_ACCESS = 9,   /* mktarball: the tarball's directory is not writable */
	EX_UNSUPPORTED = 9,       /* ldtarball: an .rpm */
	EX_BUILD = 10,            /* make failed, or built for another kernel */
	EX_MALFORMED_CONF = 10,   /* add from a directory: its dkms.conf is malformed */
	EX_AUTOINSTALL = 11,      /* autoinstall: one or more modules failed */
	EX_VERIFY_PROBLEMS = 12,  /* verify: problems found (and not all repaired) */
	EX_CHECK_DEGRADED = 13,   /* check: a kernel is degraded: hardware this machine has will not work with it */
	EX_BUILD_DEPENDS = 13,    /* build: a BUILD_DEPENDS module is not installed for the kernel (or they form a cycle) */
	EX_CHECK_UNKNOWN = 14,    /* check: no kernel is degraded, but whether one is ready cannot be told */
	EX_EXCLUDED = 77,         /* BUILD_EXCLUSIVE does not match this kernel: not built */
	EX_PRE_INSTALL = 101,     /* PRE_INSTALL failed, install aborted */
};
