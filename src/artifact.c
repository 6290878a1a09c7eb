#include "artifact.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "digest.h"
#include "kernel.h"
#include "log.h"
#include "util/spawn.h"
#include "util/staged.h"
#include "util/util.h"

#define KEY_VERSION "dkms-c artifact v2"

/* Environment variables that reach kbuild and can change its output. */
static const char *const build_vars[] = {
	"CC", "LD", "AR", "CFLAGS", "KCFLAGS", "KCPPFLAGS", "KAFLAGS", "LLVM", "LLVM_IAS", "ARCH",
	"CROSS_COMPILE", "KBUILD_EXTRA_SYMBOLS", "KBUILD_BUILD_TIMESTAMP", "KBUILD_BUILD_USER",
	"KBUILD_BUILD_HOST", "KBUILD_MODPOST_WARN", "INSTALL_MOD_STRIP", NULL,
};

static void put(struct sha256_pieces *c, const char *tag, const char *s)
{
	sha256_add(c, tag, strlen(tag) + 1);
	sha256_add(c, s ? s : "(none)", strlen(s ? s : "(none)") + 1);
}

static void put_file(struct sha256_pieces *c, const char *tag, const char *path)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	sha256_add(c, tag, strlen(tag) + 1);
	if (read_file(path, &text, &len) < 0) {
		sha256_add(c, "missing", 8);
		return;
	}
	sha256_add(c, &len, sizeof(len));
	sha256_add(c, text, len);
}

/* The compiler as the file that would run: the first cc in PATH, its
 * links resolved, and the SHA-256 of its bytes, once per process.  It is
 * not run: a build taken from the cache starts no compiler at all.  The
 * same compiler package on two machines gives the same identity. */
static const char *compiler_text(const struct kernel_target *t)
{
	static char *text, *for_cc;
	const char *cc = t->cc ? t->cc : t->cc_is_clang ? "clang" : "gcc";
	if (text && streq(for_cc, cc))
		return text;
	free(text);
	free(for_cc);
	for_cc = xstrdup(cc);
	_cleanup_free_ char *found = program_in_path(cc);
	_cleanup_free_ char *real = found ? realpath(found, NULL) : NULL;
	_cleanup_free_ char *sha = real ? file_sha256(real) : NULL;
	text = sha ? xasprintf("%s sha256:%s", real, sha) : xasprintf("%s: not found", cc);
	return text;
}

int artifact_key(struct artifact_key *key, const char *source_dir, const struct module_conf *mc,
		 const char *make_command, char *const *env, const struct kernel_target *t)
{
	struct sha256_pieces *c = sha256_begin();
	put(c, "version", KEY_VERSION);
	int r = digest_tree(c, source_dir);
	put(c, "make", make_command);
	for (size_t i = 0; mc->patches[i]; i++)
		put(c, "patch", mc->patches[i]);
	for (size_t i = 0; i < mc->n_mods; i++) {
		put(c, "built", mc->mods[i].built_name);
		put(c, "at", mc->mods[i].built_location);
	}
	put(c, "kernel", t->release);
	put(c, "arch", t->arch);
	put(c, "config", t->config);
	const char *headers[] = {"Module.symvers", "include/generated/autoconf.h", "include/generated/utsrelease.h"};
	for (size_t i = 0; i < ARRAY_SIZE(headers); i++) {
		_cleanup_free_ char *p = path_join(t->headers_dir, headers[i]);
		put_file(c, headers[i], p);
	}
	put(c, "compiler", compiler_text(t));
	for (size_t i = 0; build_vars[i]; i++)
		put(c, build_vars[i], env_get(env, build_vars[i]));
	sha256_end(c, key->hex);
	return r;
}

static char *entry_dir(const char *cache, const struct artifact_key *key)
{
	return xasprintf("%s/%.2s/%s", cache, key->hex, key->hex);
}

/* The manifest's line for module i: "<i> <size> <sha256> <path>". */
static bool manifest_line(const char *manifest, size_t i, size_t *size, char sha[65])
{
	_cleanup_free_ char *prefix = xasprintf("%zu ", i);
	for (const char *l = manifest; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (!startswith(l, prefix))
			continue;
		return sscanf(l + strlen(prefix), "%zu %64s", size, sha) == 2;
	}
	return false;
}

/* Module i of the entry, checked: size, SHA-256, vermagic; then in place
 * in the build directory. */
static int fetch_one(const char *dir, const char *manifest, size_t i, const struct module_conf *mc,
		     const struct kernel_target *t, const char *build_dir)
{
	size_t size;
	char sha[65], got[65];
	if (!manifest_line(manifest, i, &size, sha))
		return -ENOENT;
	_cleanup_free_ char *path = xasprintf("%s/%zu.ko", dir, i);
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	if (read_file(path, &data, &len) < 0 || len != size)
		return -ENOENT;
	buffer_sha256(data, len, got);
	_cleanup_free_ char *rel = module_vermagic_release(path);
	if (!streq(got, sha) || !rel || !streq(rel, t->release))
		return -EBADMSG;
	const struct conf_module *cm = &mc->mods[i];
	_cleanup_free_ char *dst = xasprintf("%s/%s%s.ko", build_dir, cm->built_location, cm->built_name);
	_cleanup_free_ char *dst_dir = xstrndup(dst, (size_t)(strrchr(dst, '/') - dst));
	int r = mkdir_p(dst_dir, 0755);
	return r < 0 ? r : write_file_atomic(dst, data, len, 0644);
}

int artifact_fetch(const char *cache, const struct artifact_key *key, const struct module_conf *mc,
		   const struct kernel_target *t, const char *build_dir)
{
	_cleanup_free_ char *dir = entry_dir(cache, key);
	_cleanup_free_ char *mpath = path_join(dir, "manifest");
	_cleanup_free_ char *manifest = NULL;
	if (read_file(mpath, &manifest, NULL) < 0)
		return -ENOENT;
	for (size_t i = 0; i < mc->n_mods; i++) {
		int r = fetch_one(dir, manifest, i, mc, t, build_dir);
		if (r == -EBADMSG) {
			warn("The artifact cache entry %s is damaged or for another kernel: not used, removed.", dir);
			rm_rf(dir);
		}
		if (r < 0)
			return -ENOENT;
	}
	/* recently used: last to be evicted */
	utimensat(AT_FDCWD, dir, NULL, 0);
	return 0;
}

/* Entry directories with their size and last use, for eviction. */
struct entry {
	char *path;
	uint64_t bytes;
	time_t used;
};

static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	return x->used < y->used ? -1 : x->used > y->used;
}

static uint64_t dir_bytes(const char *dir)
{
	uint64_t total = 0;
	_cleanup_strv_ char **names = dir_list(dir);
	for (size_t i = 0; names && names[i]; i++) {
		_cleanup_free_ char *p = path_join(dir, names[i]);
		struct stat st;
		if (lstat(p, &st) == 0)
			total += (uint64_t)st.st_size;
	}
	return total;
}

static struct entry *list_entries(const char *cache, size_t *n)
{
	struct entry *v = NULL;
	*n = 0;
	_cleanup_strv_ char **buckets = dir_list(cache);
	for (size_t i = 0; buckets && buckets[i]; i++) {
		if (strlen(buckets[i]) != 2)
			continue;
		_cleanup_free_ char *b = path_join(cache, buckets[i]);
		_cleanup_strv_ char **keys = dir_list(b);
		for (size_t j = 0; keys && keys[j]; j++) {
			char *p = path_join(b, keys[j]);
			struct stat st;
			if (strlen(keys[j]) != 64 || stat(p, &st) < 0 || !S_ISDIR(st.st_mode)) {
				free(p);
				continue;
			}
			v = xrealloc(v, (*n + 1) * sizeof(*v));
			v[(*n)++] = (struct entry){p, dir_bytes(p), st.st_mtime};
		}
	}
	return v;
}

static void free_entries(struct entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].path);
	free(v);
}

static void evict(const char *cache, uint64_t max_bytes)
{
	size_t n;
	struct entry *v = list_entries(cache, &n);
	uint64_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += v[i].bytes;
	if (n)
		qsort(v, n, sizeof(*v), entry_cmp);
	for (size_t i = 0; i < n && total > max_bytes; i++) {
		debug("Artifact cache over %llu bytes: evicting %s.", (unsigned long long)max_bytes, v[i].path);
		rm_rf(v[i].path);
		total -= v[i].bytes;
	}
	free_entries(v, n);
}

/* The staged entry's files: each module as <i>.ko, and the manifest. */
static int write_entry(const char *stage, const struct module_conf *mc, const char *build_dir)
{
	struct strbuf manifest = {0};
	int r = 0;
	for (size_t i = 0; i < mc->n_mods && r == 0; i++) {
		const struct conf_module *cm = &mc->mods[i];
		_cleanup_free_ char *src = xasprintf("%s/%s%s.ko", build_dir, cm->built_location, cm->built_name);
		_cleanup_free_ char *dst = xasprintf("%s/%zu.ko", stage, i);
		_cleanup_free_ char *data = NULL;
		size_t len = 0;
		char sha[65];
		if ((r = read_file(src, &data, &len)) < 0 || (r = write_file_atomic(dst, data, len, 0644)) < 0)
			break;
		buffer_sha256(data, len, sha);
		strbuf_appendf(&manifest, "%zu %zu %s %s%s.ko\n", i, len, sha, cm->built_location, cm->built_name);
	}
	_cleanup_free_ char *mpath = path_join(stage, "manifest");
	if (r == 0)
		r = write_file_atomic(mpath, manifest.buf ? manifest.buf : "", manifest.len, 0644);
	strbuf_release(&manifest);
	return r;
}

void artifact_store(const char *cache, const struct artifact_key *key, const struct module_conf *mc,
		    const char *build_dir, uint64_t max_bytes)
{
	_cleanup_free_ char *dir = entry_dir(cache, key);
	_cleanup_free_ char *bucket = xstrndup(dir, (size_t)(strrchr(dir, '/') - dir));
	struct staged st;
	int r = mkdir_p(bucket, 0755);
	if (r == 0 && is_dir(dir))
		return; /* another build stored it first */
	if (r == 0 && (r = staged_open_dir(&st, dir, cache)) == 0) {
		if ((r = write_entry(st.path, mc, build_dir)) == 0)
			r = staged_commit(&st, STAGED_NOREPLACE);
		else
			staged_rollback(&st);
	}
	if (r < 0 && r != -EEXIST) {
		debug("Not stored in the artifact cache %s: %s.", cache, strerror(-r));
		return;
	}
	debug("Stored in the artifact cache: %s.", dir);
	if (max_bytes)
		evict(cache, max_bytes);
}

int artifact_stats(const char *cache, struct artifact_stats *st)
{
	size_t n;
	struct entry *v = list_entries(cache, &n);
	*st = (struct artifact_stats){.entries = n};
	for (size_t i = 0; i < n; i++)
		st->bytes += v[i].bytes;
	free_entries(v, n);
	return 0;
}

int artifact_clear(const char *cache)
{
	size_t n;
	struct entry *v = list_entries(cache, &n);
	int r = 0;
	for (size_t i = 0; i < n; i++) {
		int e = rm_rf(v[i].path);
		if (e < 0 && !r)
			r = e;
	}
	free_entries(v, n);
	return r;
}

uint64_t artifact_parse_size(const char *text)
{
	if (str_empty(text))
		return 0;
	char *end;
	unsigned long long n = strtoull(text, &end, 10);
	switch (*end) {
	case 'k': case 'K': return (uint64_t)n << 10;
	case 'm': case 'M': return (uint64_t)n << 20;
	case 'g': case 'G': return (uint64_t)n << 30;
	case '\0': return n;
	default: return 0;
	}
}
