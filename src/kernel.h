/* Kernels and module files: versions and their ordering, finding a
 * module file, and what a built module says about itself (libkmod). */
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

/* Path of <dir>/<name>.ko, else <dir>/<name>.ko<compressed suffix>, else
 * any compressed variant; NULL when none exists. */
char *find_module_file(const char *dir, const char *name, const char *compressed_suffix);
/* The same, with what stat says of the file found. */
struct stat;
char *find_module_file_stat(const char *dir, const char *name, const char *compressed_suffix, struct stat *st);

/* One libkmod context for the process, reading no modprobe.d
 * configuration: only module files are looked at. */
struct kmod_ctx *kmod_context(void);

/* The vermagic's kernel release of a .ko (first word of vermagic=), via
 * libkmod.  NULL when unreadable. */
char *module_vermagic_release(const char *ko_path);
/* The reference's compare_module_version on two module files: 0 same
 * version ("=" or "=="; *same_src tells whether srcversion is equal too),
 * 1 the first is newer, -1 older, 2 undecidable. */
int module_version_compare(const char *a, const char *b, bool *same_src);
/* version= and srcversion= of a module file (either may be NULL). */
int module_version_info(const char *ko_path, char **version, char **srcversion);
