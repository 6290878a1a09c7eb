/* The kernel a step works on, resolved once per kernel and command: its
 * release and arch, where its headers and .config are, the .config's
 * settings, the suffix of its compressed modules, its sign-file and
 * System.map.  Steps take a `const struct kernel_target *` instead of a
 * kernel string, so that nothing below the action loop looks these up
 * again, and every one of them honours --kernelsourcedir and --config. */
#pragma once

#include "framework.h"
#include "util/util.h"

struct kernel_target {
	char *release;       /* "6.1.0-56-amd64" */
	char *arch;          /* "x86_64" */
	char *headers_dir;   /* --kernelsourcedir, else <kernel_dir_base>/<release>/build */
	char *config_path;   /* --config, else <headers_dir>/.config */
	char *config;        /* the .config's text; NULL when it cannot be read */
	size_t config_mapped; /* the length of config when it is a read-only mapping of the file, else 0 */
	char *modules_dir;   /* <install_tree>/<release> */
	const char *module_suffix; /* "", ".gz", ".xz" or ".zst" */
	char *sign_file;     /* the program that signs modules (may not exist) */
	char *mok_signing_key, *mok_certificate; /* as configured for this kernel, or NULL */
	char *system_map;    /* <boot_dir>/System.map-<release> (may not exist) */
	char *cc;            /* first word of CONFIG_CC_VERSION_TEXT, or NULL */
	char *sig_hash;      /* CONFIG_MODULE_SIG_HASH, else "sha512" */
	bool cc_is_clang, ld_is_lld; /* built with clang / linked with lld */
};

/* Resolves kernel release k on arch a with the settings (which carry the
 * command line's --kernelsourcedir and --config).  Nothing is required to
 * exist: missing headers show as an unreadable .config. */
void kernel_target_resolve(struct kernel_target *t, const struct settings *s, const char *k, const char *a);
void kernel_target_free(struct kernel_target *t);

/* True when the headers are there to build against (<headers_dir>/include). */
bool kernel_target_has_headers(const struct kernel_target *t);

/* A kernel .config, read the way kbuild writes it: the value of
 * CONFIG_NAME ("y", "m", a number, or a string without its quotes), NULL
 * when unset or "is not set".  Caller frees. */
char *kconfig_get(const char *config, const char *name);
/* CONFIG_NAME is y or m. */
bool kconfig_enabled(const char *config, const char *name);
/* "# CONFIG_NAME is not set" appears. */
bool kconfig_disabled(const char *config, const char *name);

/* s with every $kernelver and ${kernelver} replaced by k. */
char *expand_kernelver(const char *s, const char *k);
