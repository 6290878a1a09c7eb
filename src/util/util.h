/* Small dependency-free helpers: memory, strings, string vectors, paths,
 * files.  Functions returning int give 0 or a negative errno value. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_strv_ _cleanup_(strv_freep)
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void freep(void *p) { free(*(void **)p); }

/* Hand ownership out of a _cleanup_ variable. */
#define TAKE_PTR(p) ({ __typeof__(p) _tp = (p); (p) = NULL; _tp; })

void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) _printf_(1, 2);
char *xvasprintf(const char *fmt, va_list ap) _printf_(1, 0);
/* The strings given, up to a NULL, one after another: paths made in the
 * loops of status, without printf's cost. */
char *str_concat(const char *s, ...) __attribute__((sentinel));

/* Inline: status compares names by the thousand. */
static inline bool streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}
static inline bool str_empty(const char *s)
{
	return !s || !*s;
}
bool startswith(const char *s, const char *prefix);
bool endswith(const char *s, const char *suffix);

/* A growable string. */
struct strbuf {
	char *buf;
	size_t len, cap;
};
void strbuf_append(struct strbuf *sb, const char *s);
void strbuf_appendn(struct strbuf *sb, const char *s, size_t n);
void strbuf_appendf(struct strbuf *sb, const char *fmt, ...) _printf_(2, 3);
char *strbuf_steal(struct strbuf *sb);
void strbuf_release(struct strbuf *sb);

/* NULL-terminated vectors of owned strings. */
typedef char **strv;
size_t strv_len(char *const *v);
void strv_push(char ***v, char *s); /* takes ownership of s */
void strv_pushdup(char ***v, const char *s);
void strv_free(char **v);
static inline void strv_freep(char ***v) { strv_free(*v); }
bool strv_contains(char *const *v, const char *s);
/* The strings joined with sep between them. */
char *strv_join(char *const *v, const char *sep);

/* Paths. */
char *path_join(const char *a, const char *b);
/* True when name is a usable single path component (no '/', not "." or
 * "..", not empty, no control characters). */
bool name_is_safe(const char *name);
/* A name safe as a path component and in a shell command line: letters,
 * digits and . _ + - ~ : @ % , = only (module names, versions, kernel
 * releases and arches are put in make's command line as they are). */
bool name_is_plain(const char *name);
#define NAME_PLAIN_CHARS "letters, digits and . _ + - ~ : @ %% , =" /* for formats */
/* The host's path of path as the system whose root directory is root sees
 * it: symbolic links are followed as they would be there (an absolute
 * target starts again at root, ".." stops at root), so the result never
 * leaves root.  What does not exist is appended as it is.  root "/" is the
 * running system. */
char *path_in_root(const char *root, const char *path);
/* The relative path from directory from_dir to to, both absolute and
 * without "." or ".." components: a link in from_dir with this target
 * names to wherever the tree is mounted. */
char *path_relative(const char *from_dir, const char *to);

/* Files. */
int read_file(const char *path, char **out, size_t *len);
/* Whether both are regular files that can be read and hold the same
 * bytes (sizes are compared first; one file, by two names, is the same
 * at once). */
bool files_same(const char *a, const char *b);
/* Two stats of a file say the same of it: device, inode, size, and the
 * modification and change times to the nanosecond (no program can set
 * the change time: a write always moves it). */
struct stat;
bool stat_same(const struct stat *a, const struct stat *b);
/* Both times of the stat are over 2 s before now: the file cannot
 * change again within the tick of the file system's clock that its times
 * show, so what was found of it may be kept and known again by stat_same. */
bool stat_settled(const struct stat *st, time_t now);
int write_file_atomic(const char *path, const char *data, size_t len, mode_t mode);
int mkdir_p(const char *path, mode_t mode);
int rm_rf(const char *path);
int copy_file(const char *src, const char *dst, mode_t mode);
/* Copies what is left of in to out; a write that makes no progress is an
 * error (-ENOSPC). */
int copy_fd(int in, int out);
/* Copy the contents of directory src into dst (created), keeping modes,
 * symlinks and timestamps, like cp -a src/. dst. */
int copy_tree(const char *src, const char *dst);
int symlink_atomic(const char *target, const char *linkpath);
bool is_dir(const char *path);
bool is_file(const char *path);
bool is_symlink(const char *path);
bool path_exists(const char *path);
/* name looked up in PATH as execvp would (a default PATH when it is
 * unset; a name with a slash is taken as it is); NULL when not found or
 * not an executable file. */
char *program_in_path(const char *name);
/* Entries of a directory (not . and ..), sorted with strcmp; NULL on error. */
char **dir_list(const char *path);
/* The same, of the entries that are directories (or links to one) and
 * that accept (NULL: any) takes by name; accept is asked first. */
char **dir_list_dirs(const char *path, bool (*accept)(const char *name));
/* Each entry's name after its kind: 'd' a directory, 'l' a symbolic
 * link, 'f' anything else; sorted by name. */
char **dir_list_kinds(const char *path);
/* Remove path if it is an empty directory; then its parents up to (not
 * including) stop. */
void rmdir_parents(const char *path, const char *stop);
