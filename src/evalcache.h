/* What bash made of dkms.conf files, kept in the dkms tree: a file that
 * only bash can read is evaluated once (at add, build or install), and
 * status and check read the result without starting bash.  An entry is
 * keyed on everything the evaluation saw: each file's name and content,
 * the variables set before it (kernel, arch, trees...) that the files
 * name, all of them when a file may reach one without naming it (eval,
 * ${!...}, set, declare, another file sourced...), and the names read
 * back; an edit of any of them is a new key, while a variable no file
 * names (the running kernel after a reboot, the install tree) may change and
 * the entry still serve.  Entries live in the
 * version's directory, <dkms_tree>/<m>/<v>/.conf-cache/, so that they go
 * with it at remove, and are written atomically; one that cannot be
 * read back is a miss. */
#pragma once

#include <stdbool.h>

#include "shellvars.h"

/* The SHA-256 of what the evaluation depends on, in hex (65 bytes). */
void evalcache_key(const struct shell_eval *e, char key[65]);
/* 0 and the variables, or -ENOENT (a miss). */
int evalcache_load(const char *dkms_tree, const char *key, struct shvars *out);
/* Best effort: a tree that cannot be written is no error. */
void evalcache_store(const char *dkms_tree, const char *key, const struct shvars *vars);

/* shell_eval() with the cache: files the in-process reader takes are read
 * as always; the others come from the cache when `read` allows, else from
 * bash, and the result is stored. */
int shell_eval_cached(const struct shell_eval *e, const char *dkms_tree, bool read, struct shvars *out);
