/* Kernels: versions and their ordering, the compression of a kernel's
 * modules, and the kernel a built module was made for. */
#pragma once

#include "framework.h"
#include "util/util.h"

/* The reference's VER(): every number padded to three digits, so that
 * versions compare as strings.  Caller frees. */
char *ver_pad(const char *v);
/* strcmp of ver_pad()s: the reference's module version ordering. */
int ver_cmp(const char *a, const char *b);
/* sort -V ordering of kernel versions. */
int kernel_version_cmp(const char *a, const char *b);

/* The compressed-module suffix of a kernel's modules: "", ".gz", ".xz" or
 * ".zst".  Decided by the kernel's configuration (<kernel_dir_base>/<kernel>/
 * build/.config, CONFIG_MODULE_COMPRESS_*), else by
 * <install_tree>/<kernel>/modules.dep as the reference reads it. */
const char *kernel_module_compression(const struct settings *s, const char *kernelver);

/* Path of <dir>/<name>.ko, else <dir>/<name>.ko<compressed suffix>, else
 * any compressed variant; NULL when none exists. */
char *find_module_file(const char *dir, const char *name, const char *compressed_suffix);

/* The vermagic's kernel release of a .ko (first word of vermagic=), via
 * libkmod.  NULL when unreadable. */
char *module_vermagic_release(const char *ko_path);
/* version= and srcversion= of a module file (either may be NULL). */
int module_version_info(const char *ko_path, char **version, char **srcversion);

/* Kernels that have a module directory in the install tree, sorted. */
char **installed_kernels(const struct settings *s);
