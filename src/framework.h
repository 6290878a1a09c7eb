/* struct settings: every path and setting the program uses, from the
 * built-in defaults, framework.conf (+ framework.conf.d/ *.conf), the
 * environment where the reference honours it, and the command line. */
#pragma once

#include "util/util.h"

struct settings {
	char *root;            /* "/", or --root: where the paths below are looked up */
	char *conf_dir;        /* <root>/etc/dkms */
	char *dkms_tree;       /* /var/lib/dkms */
	char *source_tree;     /* /usr/src */
	char *install_tree;    /* /lib/modules */
	char *kernel_dir_base; /* /lib/modules: where <kernel>/build is looked up */
	char *boot_dir;        /* /boot, or $DKMS_BOOT_DIR */
	char *tmp_location;
	char *verbose;
	char *symlink_modules;
	char *autoinstall_all_kernels;
	char *modprobe_on_install;
	char *sign_file, *mok_signing_key, *mok_certificate;
	char *sign_strict;     /* "yes": signing that cannot be set up fails the build */
	char *try_sign_modules; /* newer releases' policy: "false", "not_in_chroot"; else (default) sign */
	bool per_kernel;       /* a framework file mentions kernelver: see settings_for_kernel() */
	char *parallel_jobs;   /* "" means unlimited (-j) */
	char *post_transaction;
	char *artifact_cache;  /* where built modules are kept ("": off), artifact.h */
	char *artifact_cache_size; /* its cap, e.g. "2G" */
	char *build_sandbox;   /* "" (auto), "yes" or "no": see sandbox.h */
	char *boot_guard;      /* "yes": the boot guard (bootguard.h) is on */
	char *compiler_launcher; /* "" or ccache, sccache, distcc, icecc: see compiler.h */
	char *running_distribution; /* debian, ubuntu, fedora, ... */
	char *addon_modules_dir;
	char *weak_modules;
	char *current_kernel;  /* uname -r */
	char *current_os;
	char *machine;         /* uname -m */
	/* from the command line only */
	char *kernel_source_dir; /* --kernelsourcedir: the headers of every kernel */
	char *kernel_config;     /* --config: the .config of every kernel */
};

/* Working on another system's root (--root): every path of that system
 * is looked up inside it (path_in_root). */
bool settings_in_root(const struct settings *s);
/* path (absolute, as the system worked on sees it, or a host path inside
 * its root) on the host: itself for the running system; for --root, its
 * links followed inside the root.  Caller frees. */
char *settings_root_path(const struct settings *s, const char *path);

/* Defaults, then framework.conf files under root (the running system:
 * "/").  In a root's framework files, the paths are that root's, and the
 * trees are given to them as it sees them.  Returns 0 or -errno. */
int settings_load(struct settings *s, const char *root);
void settings_free(struct settings *s);

/* The settings the reference reads from the framework files again once
 * the kernel is known (sign_file, mok_signing_key, mok_certificate when it
 * prepares signing; newer releases post_transaction at the end), with
 * $kernelver and $arch set: sign_file="/lib/modules/${kernelver}/build/
 * scripts/sign-file" names that kernel's.  settings_load() read them before
 * any kernel was known, so bash expanded $kernelver to nothing.  The files
 * are read again only when one of them mentions kernelver (per_kernel);
 * else these are settings_load()'s values.  NULL when unset. */
struct kernel_settings {
	char *sign_file, *mok_signing_key, *mok_certificate, *post_transaction;
};
/* Fills ks for kernel k on arch a.  Returns 0, or -errno (ks then holds
 * settings_load()'s values). */
int settings_for_kernel(const struct settings *s, const char *k, const char *a, struct kernel_settings *ks);
void kernel_settings_free(struct kernel_settings *ks);

/* Debian or Ubuntu: the distribution's packages own the kernel's
 * modules, so install keeps no originals. */
bool settings_debian_like(const struct settings *s);

/* "debian" for Debian, "ubuntu", else ID_LIKE's first word or ID, from
 * <root>/etc/os-release, as the reference decides. */
char *distro_from_os_release(const char *text);

/* Names of framework.conf variables the reference reads. */
extern const char *const framework_vars[];
