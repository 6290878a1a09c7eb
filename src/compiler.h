/* The compiler dkms hands kbuild, and the compiler launcher in front of it.
 *
 * A module must be built by the compiler that built its kernel, at least
 * of the same major version: kbuild passes the kernel's flags, which
 * another gcc may not know, and plugins and some checks refuse a
 * different one.  The kernel's .config says which one built it
 * (CONFIG_CC_VERSION_TEXT, CONFIG_GCC_VERSION or CONFIG_CLANG_VERSION,
 * CONFIG_CC_IS_CLANG).  What kbuild would use by default is `gcc` (clang
 * with LLVM=1), or $CC when dkms's environment sets it.  When their major
 * versions differ, the kernel's own (gcc-N, clang-N, or the name in
 * CONFIG_CC_VERSION_TEXT) is given to make as CC= (LLVM=-N for a kernel
 * built with clang and lld) when it is installed; otherwise a warning
 * names the package to install.
 *
 * An explicit choice wins: a CC= in the module's MAKE line is left alone
 * (no launcher is added to it), and $CC in dkms's environment is the
 * compiler make gets; either way a warning says when its version is not
 * the kernel's.
 *
 * compiler_launcher (framework.conf) names ccache, sccache, distcc or
 * icecc; make then gets CC="<launcher> <compiler>".  A confined build
 * (sandbox.h) gets the launcher's cache directory writable and, for the
 * launchers that need it, the network. */
#pragma once

#include <stdbool.h>

#include "framework.h"
#include "target.h"
#include "util/util.h"

/* ---- the kernel's compiler (pure) ---------------------------------- */

struct cc_info {
	bool clang;
	int major;   /* 0 when unknown */
	char *name;  /* the first word of CONFIG_CC_VERSION_TEXT ("gcc-12"), or NULL */
};

/* The compiler that built a kernel, from its .config's text.  Returns 0,
 * or -ENOENT when the .config (NULL) names none. */
int compiler_of_kernel(const char *config, struct cc_info *out);
void cc_info_free(struct cc_info *c);

/* The major version in a compiler's version text: "gcc-12 (Debian
 * 12.2.0-14) 12.2.0" gives 12, "Debian clang version 14.0.6" 14, "gcc
 * (GCC) 13.2.1 20230801" 13.  0 when none is found. */
int compiler_text_major(const char *text);
/* The major version of `-dumpversion`'s output ("12", "14.0.6"); 0 if none. */
int compiler_dumpversion_major(const char *out);
/* The value of CC the module's MAKE line sets (a word "CC=..." in it,
 * unquoted), or NULL. */
char *make_line_cc(const char *make_command);
/* "gcc 12", "clang 16": a compiler family and major, for messages. */
char *compiler_describe(bool clang, int major);

/* Where the program of a compiler's first word is found in PATH, or NULL. */
char *compiler_find(const char *name);

/* ---- the choice for one build --------------------------------------- */

struct compiler_choice {
	char *compiler;  /* the compiler make gets as CC ("gcc-12"), NULL: kbuild's own */
	char *cc;        /* make's CC= value ("ccache gcc-12"), NULL: none given */
	char *llvm;      /* make's LLVM= value ("1", "-16"), NULL: none given */
	char *note;      /* a substitution, said in the build's output */
	char *warning;   /* a mismatch left as it is, naming the package to install */
};

/* Decides for kernel t, with the module's MAKE line (NULL: none) and the
 * launcher's path (NULL: none).  A `-dumpversion` is run once per
 * compiler and process. */
void compiler_choose(const struct kernel_target *t, const char *make_command, const char *launcher,
		     struct compiler_choice *out);
void compiler_choice_free(struct compiler_choice *c);

/* The variables for make's command line, each quoted for bash, with a
 * leading space ("" when there are none). */
char *compiler_make_vars(const struct compiler_choice *c);

/* The warning for kernel t alone (no MAKE line), or NULL: what
 * autoinstall's summary and `dkms check` say. */
char *compiler_warning(const struct kernel_target *t);

/* ---- compiler_launcher ---------------------------------------------- */

enum launcher_kind { LAUNCHER_NONE, LAUNCHER_CCACHE, LAUNCHER_SCCACHE, LAUNCHER_DISTCC, LAUNCHER_ICECC };

struct launcher {
	enum launcher_kind kind;
	char *path;       /* the program, found */
	char *cache_dir;  /* ccache's and sccache's: writable in the sandbox */
	char **log_files; /* DISTCC_LOG, CCACHE_LOGFILE, ICECC_LOGFILE: writable too */
	char **visible;   /* ICECC_VERSION's environments: seen in the sandbox */
	bool network;     /* the sandbox shares the network */
};

/* The kind a compiler_launcher value names (its last path component):
 * LAUNCHER_NONE for "", -EINVAL for any other name.  Pure. */
int launcher_kind_of(const char *value, enum launcher_kind *kind);
const char *launcher_name(enum launcher_kind kind);

/* compiler_launcher=value checked and found: 0 (kind NONE for an empty
 * value), else -EINVAL or -ENOENT with *why saying what is wrong. */
int launcher_resolve(const char *value, struct launcher *l, char **why);
/* The cache directory set in env (CCACHE_DIR / SCCACHE_DIR: the
 * environment's, else /var/cache/dkms/<name>, made and given to the
 * sandbox's user), the launcher's log file named in the environment (made
 * when missing, and then given to that user), icecc's environments
 * (ICECC_VERSION), and whether the network is needed. */
void launcher_prepare(struct launcher *l, char ***env);
void launcher_free(struct launcher *l);
