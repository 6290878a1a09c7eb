#include "samecache.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util/util.h"

/* The second field of a listing's line: no file compared is "/". */
#define LISTING "/"

/* What stat_same compares of a file, as a line of the cache keeps it. */
struct ident {
	unsigned long long dev, ino;
	long long size, mtime, ctime;
	long mtime_ns, ctime_ns;
};

static struct ident ident_of(const struct stat *st)
{
	return (struct ident){
		.dev = st->st_dev, .ino = st->st_ino, .size = st->st_size, .mtime = st->st_mtim.tv_sec,
		.mtime_ns = st->st_mtim.tv_nsec, .ctime = st->st_ctim.tv_sec, .ctime_ns = st->st_ctim.tv_nsec,
	};
}

#define IDENT_FMT "%llu:%llu:%lld:%lld.%09ld:%lld.%09ld"
#define IDENT_ARGS(x) (x).dev, (x).ino, (x).size, (x).mtime, (x).mtime_ns, (x).ctime, (x).ctime_ns

/* One decimal number at *p, followed by sep ('\0': the end), and *p
 * moved past the separator. */
static bool number(const char **p, char sep, unsigned long long *out)
{
	const char *q = *p;
	unsigned long long n = 0;
	if (*q < '0' || *q > '9')
		return false;
	for (; *q >= '0' && *q <= '9'; q++) {
		if (n > (~0ULL - 9) / 10)
			return false;
		n = n * 10 + (unsigned long long)(*q - '0');
	}
	if (*q != sep)
		return false;
	*out = n;
	*p = q + (sep != '\0');
	return true;
}

/* The numbers of IDENT_FMT, read back without scanf (status reads a
 * record for every module of every kernel). */
static bool ident_parse(const char *s, struct ident *x)
{
	unsigned long long f[7];
	static const char seps[] = {':', ':', ':', '.', ':', '.', '\0'};
	for (size_t i = 0; i < 7; i++)
		if (!number(&s, seps[i], &f[i]))
			return false;
	*x = (struct ident){.dev = f[0], .ino = f[1], .size = (long long)f[2], .mtime = (long long)f[3],
			    .mtime_ns = (long)f[4], .ctime = (long long)f[5], .ctime_ns = (long)f[6]};
	return true;
}

static bool ident_eq(const struct ident *x, const struct ident *y)
{
	return memcmp(x, y, sizeof(*x)) == 0;
}

/* One pair of files found equal, each with what stat said of it then. */
struct same_record {
	char *a, *b; /* a listing: the directory, and LISTING */
	struct ident ia, ib;
	char *entries; /* a listing's: its entries, as dir_list_kinds gives them,
			* after '=' and joined by '/' (no name holds one) */
	bool valid; /* false: found out of date by this run */
	bool used;  /* looked up, or made, by this run */
};

static struct {
	char *path; /* the cache file; NULL: not loaded */
	struct same_record *recs;
	size_t n;
	bool dirty;
} cache;

static void load(const char *dkms_tree)
{
	_cleanup_free_ char *path = path_join(dkms_tree, SAMECACHE_FILE);
	if (cache.path && streq(cache.path, path))
		return;
	samecache_flush();
	cache.path = TAKE_PTR(path);
	_cleanup_free_ char *text = NULL;
	if (read_file(cache.path, &text, NULL) < 0)
		return;
	for (char *line = text, *nl; line && *line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		char *f[4] = {line};
		size_t k = 1;
		for (char *tab = strchr(line, '\t'); tab && k < 4; tab = strchr(tab, '\t')) {
			*tab++ = '\0';
			f[k++] = tab;
		}
		if (k == 4 && (!*f[0] || !*f[1] || strchr(f[3], '\t')))
			k = 0;
		struct same_record r = {.valid = true};
		bool listing = k == 4 && streq(f[1], LISTING);
		if (k != 4 || !ident_parse(f[2], &r.ia) || (listing ? f[3][0] != '=' : !ident_parse(f[3], &r.ib)))
			continue; /* a torn or foreign line is no record */
		r.a = xstrdup(f[0]);
		r.b = xstrdup(f[1]);
		r.entries = listing ? xstrdup(f[3]) : NULL;
		cache.recs = xrealloc(cache.recs, (cache.n + 1) * sizeof(*cache.recs));
		cache.recs[cache.n++] = r;
	}
}

/* A new record of a and b, to be filled. */
static struct same_record *record_add(const char *a, const char *b)
{
	cache.recs = xrealloc(cache.recs, (cache.n + 1) * sizeof(*cache.recs));
	struct same_record *r = &cache.recs[cache.n++];
	*r = (struct same_record){.a = xstrdup(a), .b = xstrdup(b)};
	return r;
}

/* status asks in the order it asked the last time, which is the order
 * of the file: the record after the last one found is tried first. */
static struct same_record *find(const char *a, const char *b)
{
	static size_t next;
	for (size_t k = 0; k < cache.n; k++) {
		size_t i = (next + k) % cache.n;
		if (streq(cache.recs[i].a, a) && streq(cache.recs[i].b, b)) {
			next = i + 1;
			return &cache.recs[i];
		}
	}
	return NULL;
}

bool same_files_cached(const char *dkms_tree, const char *a, const struct stat *sa, const char *b,
		       const struct stat *sb)
{
	if (sa->st_size != sb->st_size)
		return false;
	load(dkms_tree);
	struct ident ia = ident_of(sa), ib = ident_of(sb);
	struct same_record *r = find(a, b);
	if (r && r->valid && ident_eq(&r->ia, &ia) && ident_eq(&r->ib, &ib)) {
		r->used = true;
		return true;
	}
	bool same = files_same(a, b);
	bool plain = !strpbrk(a, "\t\n") && !strpbrk(b, "\t\n");
	time_t now = time(NULL);
	if (r) {
		/* out of date: replaced below, or dropped */
		r->valid = false;
		cache.dirty = true;
	}
	if (same && plain && stat_settled(sa, now) && stat_settled(sb, now)) {
		if (!r)
			r = record_add(a, b);
		r->ia = ia;
		r->ib = ib;
		r->valid = r->used = true;
		cache.dirty = true;
	}
	return same;
}

void samecache_flush(void)
{
	if (cache.path && cache.dirty) {
		/* the records of this run, and those of files still there */
		struct strbuf sb = {0};
		for (size_t i = 0; i < cache.n; i++) {
			const struct same_record *r = &cache.recs[i];
			if (!r->valid || !(r->used || (path_exists(r->a) && path_exists(r->b))))
				continue;
			if (r->entries)
				strbuf_appendf(&sb, "%s\t%s\t" IDENT_FMT "\t%s\n", r->a, r->b, IDENT_ARGS(r->ia), r->entries);
			else
				strbuf_appendf(&sb, "%s\t%s\t" IDENT_FMT "\t" IDENT_FMT "\n", r->a, r->b,
					       IDENT_ARGS(r->ia), IDENT_ARGS(r->ib));
		}
		/* best effort: a tree that cannot be written is no error */
		write_file_atomic(cache.path, sb.buf ? sb.buf : "", sb.len, 0644);
		strbuf_release(&sb);
	}
	for (size_t i = 0; i < cache.n; i++) {
		free(cache.recs[i].a);
		free(cache.recs[i].b);
		free(cache.recs[i].entries);
	}
	free(cache.recs);
	free(cache.path);
	cache.recs = NULL;
	cache.n = 0;
	cache.path = NULL;
	cache.dirty = false;
}

static bool listing_plain(char *const *kinds)
{
	for (size_t i = 0; kinds[i]; i++)
		if (strpbrk(kinds[i], "\t\n/") || !kinds[i][1])
			return false;
	return true;
}

/* The entries of a record's listing, as dir_list_kinds gives them. */
static char **listing_entries(const char *entries)
{
	char **v = xcalloc(1, sizeof(char *));
	_cleanup_free_ char *copy = xstrdup(entries + 1);
	for (char *save = NULL, *w = strtok_r(copy, "/", &save); w; w = strtok_r(NULL, "/", &save))
		strv_pushdup(&v, w);
	return v;
}

static void listing_remember(struct same_record *r, const char *dir, const struct ident *id, char *const *kinds)
{
	if (!r)
		r = record_add(dir, LISTING);
	struct strbuf sb = {0};
	strbuf_append(&sb, "=");
	for (size_t i = 0; kinds[i]; i++)
		strbuf_appendf(&sb, "%s%s", i ? "/" : "", kinds[i]);
	free(r->entries);
	r->entries = strbuf_steal(&sb);
	r->ia = *id;
	r->valid = r->used = true;
	cache.dirty = true;
}

char **samecache_list_dirs(const char *dkms_tree, const char *dir, bool (*accept)(const char *name), bool follow)
{
	/* the tree's own directory changes with each write of this cache */
	if (!dkms_tree || streq(dir, dkms_tree))
		return dir_list_dirs(dir, accept);
	struct stat st;
	if (stat(dir, &st) < 0)
		return NULL;
	load(dkms_tree);
	struct ident id = ident_of(&st);
	struct same_record *r = find(dir, LISTING);
	_cleanup_strv_ char **kinds = NULL;
	if (r && r->valid && ident_eq(&r->ia, &id)) {
		r->used = true;
		kinds = listing_entries(r->entries);
	} else {
		kinds = dir_list_kinds(dir);
		if (!kinds)
			return NULL;
		if (r) {
			r->valid = false;
			cache.dirty = true;
		}
		if (listing_plain(kinds) && stat_settled(&st, time(NULL)))
			listing_remember(r, dir, &id, kinds);
	}
	char **out = xcalloc(1, sizeof(char *));
	for (size_t i = 0; kinds[i]; i++) {
		const char *name = kinds[i] + 1;
		if (kinds[i][0] == 'f' || (accept && !accept(name)))
			continue;
		/* a link is followed now: what it points to is not the
		 * directory's to say */
		if (kinds[i][0] == 'l' && follow) {
			_cleanup_free_ char *p = path_join(dir, name);
			if (!is_dir(p))
				continue;
		}
		strv_pushdup(&out, name);
	}
	return out;
}

void samecache_forget(const char *dkms_tree)
{
	_cleanup_free_ char *path = path_join(dkms_tree, SAMECACHE_FILE);
	if (unlink(path) < 0 && errno != ENOENT)
		warn("Could not delete %s: %s", path, strerror(errno));
}
