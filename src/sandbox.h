/* Confinement of what dkms runs on a module's behalf and cannot trust:
 * make, CLEAN, PRE_BUILD and POST_BUILD, and the bash that reads
 * dkms.conf and framework.conf.  Such a command runs with bubblewrap
 * (bwrap) as the user nobody, without network, in its own PID, IPC and
 * UTS namespaces, sees the whole file system read-only with a private
 * /tmp, and may write only one directory: the module's build directory.
 * Installing the result stays with dkms, as root, outside.
 *
 * The framework setting build_sandbox decides: "" or "auto" (confined
 * when bwrap works here, else unconfined after one warning), "yes"
 * (confined, or fail), "no" (never). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "framework.h"
#include "util/util.h"

/* The user confined commands run as: nobody on Debian and most others. */
#define SANDBOX_UID ((uid_t)65534)
#define SANDBOX_GID ((gid_t)65534)

enum sandbox_mode {
	SANDBOX_AUTO,     /* confined when bwrap works, else one warning */
	SANDBOX_REQUIRED, /* confined, or the command fails */
	SANDBOX_OFF,      /* never */
};

/* The value of build_sandbox; NULL or "" is SANDBOX_AUTO.  Returns 0, or
 * -EINVAL for a value that is none of yes/no/auto (out is then AUTO). */
int sandbox_mode_parse(const char *value, enum sandbox_mode *out);

/* Whether to confine: 1 yes; 0 run unconfined (mode OFF, or AUTO and no
 * sandbox can be made here, said once per run on stderr unless quiet);
 * -ENOTSUP when REQUIRED and no sandbox can be made (said on stderr).
 * bwrap is tried once per process, on first use: a run that forks
 * (autoinstall) decides first, so that its jobs share the answer. */
int sandbox_decide(enum sandbox_mode mode, bool quiet);

/* Decides now, for a run about to fork jobs that may build (autoinstall):
 * the jobs inherit the answer, and a warning is said once, not per job. */
void sandbox_decide_early(const struct settings *s);

/* One confinement: whether, and what a command may see and write. */
struct sandbox {
	enum sandbox_mode mode;
	bool quiet;           /* no warning when AUTO finds no sandbox */
	char *writable;       /* the one directory it may change; NULL: none */
	char **writable_more; /* a compiler launcher's cache, changed too */
	bool share_net;       /* the network is shared (a compiler launcher's) */
	char **visible;       /* what it must see read-only, although it lies
			       * under /tmp (which it gets private) or in a
			       * directory nobody may not enter */
	char **grafts;        /* pairs: a directory of another system's root
			       * (--root), and where the command sees it */
};

/* A confinement as the settings say (build_sandbox; a value that is none
 * of yes/no/auto is warned about once and taken as auto), showing the
 * trees and kernel files the settings name.
 *
 * With --root it is required, whatever build_sandbox says: kernel headers
 * name their other parts by absolute paths (Debian's Makefile includes
 * /usr/src/linux-headers-<k>-common/Makefile; its scripts are links to
 * /usr/lib/linux-kbuild-<v>), so the command sees the root's /usr/src,
 * its module tree (at /lib/modules) and its /usr/lib/linux-kbuild-*
 * where the running system's would be, and never the host's. */
void sandbox_init(struct sandbox *sb, const struct settings *s);

/* Adds a path the command must see (nothing when path is NULL, "" or
 * missing). */
void sandbox_show(struct sandbox *sb, const char *path);
void sandbox_set_writable(struct sandbox *sb, const char *dir);
/* Another directory or file it may change: a compiler launcher's cache or log. */
void sandbox_add_writable(struct sandbox *sb, const char *dir);
void sandbox_free(struct sandbox *sb);

/* The argv that runs cmd as sb says (confined, or as it is: sb NULL, mode
 * OFF, or AUTO without a sandbox), starting in cwd (NULL: the current
 * directory); with --verbose the sandbox's part is shown.  Returns 0, or
 * -ENOTSUP (said) when the mode is REQUIRED and no sandbox can be made. */
int sandbox_wrap(const struct sandbox *sb, const char *cwd, char *const *cmd, char ***out);

/* Gives dir and everything in it to the sandbox user, or back to root,
 * without following symbolic links.  Returns 0 or -errno. */
int sandbox_give(const char *dir);
int sandbox_take_back(const char *dir);

/* path is a regular file inside dir, symbolic links resolved: what a
 * confined build made may be used by root. */
bool sandbox_file_inside(const char *dir, const char *path);
