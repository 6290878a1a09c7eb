/* The artifact cache: the modules make produced, kept under a key that
 * covers everything that can change them, so that the same build on this
 * machine later, or on another machine sharing the cache directory, runs
 * no compiler.
 *
 * The key is a SHA-256 of: the module's source tree (every path, mode,
 * link target and content), the evaluated dkms.conf build directives (the
 * make command with its variables, patches, module names and locations),
 * the kernel's identity (release, arch, its .config, Module.symvers,
 * include/generated/autoconf.h and utsrelease.h), the compiler's version
 * text, and the build's environment variables that reach kbuild.
 *
 * An entry holds the modules as make left them, before strip, signing and
 * compression, which each machine then does itself (with its own key).
 * Entries are written through a staged directory and renamed into place;
 * a reader checks each module's size, SHA-256 and vermagic against the
 * entry's manifest and the kernel, so a torn, corrupted or foreign entry
 * is a miss, never a bad module.  Least recently used entries are evicted
 * past a size cap.
 *
 * framework.conf: artifact_cache="/var/cache/dkms/artifacts" (empty: off),
 * artifact_cache_size="2G" (suffixes K, M, G). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "dkmsconf.h"
#include "target.h"

struct artifact_key {
	char hex[65];
};

/* The key of building the module whose source is source_dir, with
 * make_command (as it will run, variables included) under env, for
 * target t.  Returns 0, or -errno when the source cannot be read. */
int artifact_key(struct artifact_key *key, const char *source_dir, const struct module_conf *mc,
		 const char *make_command, char *const *env, const struct kernel_target *t);

/* A hit: every module of the entry checked and copied to
 * <build_dir>/<built_location><built_name>.ko.  0, or -ENOENT on a miss
 * (a bad entry is removed). */
int artifact_fetch(const char *cache, const struct artifact_key *key, const struct module_conf *mc,
		   const struct kernel_target *t, const char *build_dir);

/* Stores the modules make produced in build_dir, then evicts past
 * max_bytes (0: no cap).  Best effort: failures are reported by debug()
 * only, the build goes on. */
void artifact_store(const char *cache, const struct artifact_key *key, const struct module_conf *mc,
		    const char *build_dir, uint64_t max_bytes);

struct artifact_stats {
	uint64_t entries, bytes;
};
int artifact_stats(const char *cache, struct artifact_stats *st);
/* Removes every entry.  0 or -errno. */
int artifact_clear(const char *cache);

/* "2G", "512M", "100K", "12345" -> bytes; 0 when unparsable. */
uint64_t artifact_parse_size(const char *text);
