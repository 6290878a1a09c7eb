#include "failure.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "build.h"
#include "digest.h"
#include "log.h"
#include "tree.h"
#include "util/staged.h"

#define FAILURES_DIR "failures"
#define LOG_SUFFIX ".log"

static char *record_path(const struct settings *s, const char *m, const char *v, const char *k, const char *a)
{
	return xasprintf("%s/%s/%s/" FAILURES_DIR "/%s-%s", s->dkms_tree, m, v, k, a);
}

/* ---- the record as text ---------------------------------------------- */

static void put(struct strbuf *sb, const char *key, const char *value)
{
	if (!value)
		return;
	strbuf_appendf(sb, "%s=", key);
	for (const char *p = value; *p; p++) {
		if (*p == '\\')
			strbuf_append(sb, "\\\\");
		else if (*p == '\n')
			strbuf_append(sb, "\\n");
		else
			strbuf_appendn(sb, p, 1);
	}
	strbuf_append(sb, "\n");
}

char *failure_format(const struct build_failure *f)
{
	struct strbuf sb = {0};
	_cleanup_free_ char *code = xasprintf("%d", f->exit_code);
	_cleanup_free_ char *when = xasprintf("%lld", f->time);
	put(&sb, "module", f->m);
	put(&sb, "version", f->v);
	put(&sb, "kernel", f->k);
	put(&sb, "arch", f->a);
	put(&sb, "exit_code", code);
	put(&sb, "reason", f->reason);
	put(&sb, "first_error", f->first_error);
	put(&sb, "log", f->log);
	put(&sb, "time", when);
	put(&sb, "conf_sha256", f->conf_sha256);
	put(&sb, "source_sha256", f->source_sha256);
	return strbuf_steal(&sb);
}

static char *unescape(const char *s, size_t n)
{
	struct strbuf sb = {0};
	strbuf_append(&sb, "");
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n) {
			i++;
			strbuf_append(&sb, s[i] == 'n' ? "\n" : s[i] == '\\' ? "\\" : "?");
		} else {
			strbuf_appendn(&sb, s + i, 1);
		}
	}
	return strbuf_steal(&sb);
}

int failure_parse(const char *text, struct build_failure *f)
{
	*f = (struct build_failure){0};
	struct {
		const char *key;
		char **field;
	} keys[] = {
		{"module", &f->m}, {"version", &f->v}, {"kernel", &f->k}, {"arch", &f->a},
		{"reason", &f->reason}, {"first_error", &f->first_error}, {"log", &f->log},
		{"conf_sha256", &f->conf_sha256}, {"source_sha256", &f->source_sha256},
	};
	bool have_code = false;
	for (const char *line = text; line && *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		const char *eq = memchr(line, '=', len);
		if (eq) {
			size_t klen = (size_t)(eq - line);
			_cleanup_free_ char *value = unescape(eq + 1, len - klen - 1);
			for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
				if (strlen(keys[i].key) == klen && !strncmp(line, keys[i].key, klen) && !*keys[i].field)
					*keys[i].field = TAKE_PTR(value);
			}
			if (value && klen == 9 && !strncmp(line, "exit_code", 9)) {
				f->exit_code = atoi(value);
				have_code = true;
			} else if (value && klen == 4 && !strncmp(line, "time", 4)) {
				f->time = atoll(value);
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	if (!have_code) {
		failure_free(f);
		return -EINVAL;
	}
	return 0;
}

char *failure_time_text(long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[64];
	if (!gmtime_r(&tt, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm))
		return xstrdup("?");
	return xstrdup(buf);
}

void failure_free(struct build_failure *f)
{
	free(f->m);
	free(f->v);
	free(f->k);
	free(f->a);
	free(f->reason);
	free(f->first_error);
	free(f->log);
	free(f->conf_sha256);
	free(f->source_sha256);
	*f = (struct build_failure){0};
}

/* ---- the records in the tree ------------------------------------------ */

/* A copy of the build's log at dest: only a regular file is copied (a
 * build may leave a link or a FIFO in its place), never through a link. */
static int keep_log(const char *log, const char *dest)
{
	int in = open(log, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (in < 0)
		return -errno;
	struct stat st;
	struct staged out;
	int r = fstat(in, &st) < 0 ? -errno : !S_ISREG(st.st_mode) ? -EINVAL : 0;
	if (r == 0)
		r = staged_open_file(&out, dest, 0644);
	if (r == 0) {
		r = copy_fd(in, out.fd);
		if (r < 0)
			staged_rollback(&out);
		else
			r = staged_commit(&out, 0);
	}
	close(in);
	return r;
}

static int write_record(const char *path, const char *text)
{
	struct staged st;
	int r = staged_open_file(&st, path, 0644);
	if (r < 0)
		return r;
	if ((r = write_all(st.fd, text, strlen(text))) < 0) {
		staged_rollback(&st);
		return r;
	}
	return staged_commit(&st, 0);
}

int failure_record(const struct settings *s, const char *m, const char *v, const struct kernel_target *t, int code,
		   const char *why, const char *log)
{
	_cleanup_free_ char *dir = xasprintf("%s/%s/%s/" FAILURES_DIR, s->dkms_tree, m, v);
	_cleanup_free_ char *path = record_path(s, m, v, t->release, t->arch);
	_cleanup_free_ char *log_copy = xasprintf("%s" LOG_SUFFIX, path);
	_cleanup_free_ char *source = tree_source_dir(s, m, v);
	_cleanup_free_ char *conf = path_join(source, "dkms.conf");
	int r = mkdir_p(dir, 0755);
	bool kept = r == 0 && log && keep_log(log, log_copy) == 0;
	if (!kept)
		unlink(log_copy);
	struct build_failure f = {
		.m = (char *)m, .v = (char *)v, .k = t->release, .a = t->arch, .exit_code = code,
		.reason = (char *)why, .first_error = kept ? first_error_line(log_copy) : NULL,
		.log = kept ? log_copy : NULL, .time = (long long)time(NULL),
		.conf_sha256 = file_sha256(conf), .source_sha256 = source_digest(source),
	};
	_cleanup_free_ char *text = failure_format(&f);
	if (r == 0)
		r = write_record(path, text);
	if (r < 0)
		warn("The failure of %s/%s for kernel %s (%s) could not be recorded in %s: %s", m, v, t->release,
		     t->arch, path, strerror(-r));
	free(f.first_error);
	free(f.conf_sha256);
	free(f.source_sha256);
	return r;
}

void failure_clear(const struct settings *s, const char *m, const char *v, const char *k, const char *a)
{
	_cleanup_free_ char *path = record_path(s, m, v, k, a);
	_cleanup_free_ char *log_copy = xasprintf("%s" LOG_SUFFIX, path);
	_cleanup_free_ char *dir = xasprintf("%s/%s/%s/" FAILURES_DIR, s->dkms_tree, m, v);
	unlink(path);
	unlink(log_copy);
	rmdir(dir); /* when it was the last */
}

int failure_load(const struct settings *s, const char *m, const char *v, const char *k, const char *a,
		 struct build_failure *f)
{
	_cleanup_free_ char *path = record_path(s, m, v, k, a);
	_cleanup_free_ char *text = NULL;
	*f = (struct build_failure){0};
	int r = read_file(path, &text, NULL);
	if (r < 0)
		return r;
	if ((r = failure_parse(text, f)) < 0)
		return r;
	/* the place says what it is about, whatever the text says */
	free(f->m);
	free(f->v);
	free(f->k);
	free(f->a);
	f->m = xstrdup(m);
	f->v = xstrdup(v);
	f->k = xstrdup(k);
	f->a = xstrdup(a);
	return 0;
}

/* "<kernel>-<arch>": the arch is after the last '-' (arch names have
 * none), the kernel before it. */
static bool split_record_name(const char *name, char **k, char **a)
{
	const char *dash = strrchr(name, '-');
	if (!dash || dash == name || !dash[1] || endswith(name, LOG_SUFFIX) || name[0] == '.')
		return false;
	*k = xstrndup(name, (size_t)(dash - name));
	*a = xstrdup(dash + 1);
	return true;
}

char **failure_kernel_arches(const struct settings *s, const char *m, const char *v, const char *kfilter,
			     const char *afilter)
{
	char **out = xcalloc(1, sizeof(char *));
	_cleanup_free_ char *dir = xasprintf("%s/%s/%s/" FAILURES_DIR, s->dkms_tree, m, v);
	_cleanup_strv_ char **names = dir_list(dir);
	for (size_t i = 0; names && names[i]; i++) {
		_cleanup_free_ char *k = NULL, *a = NULL;
		if (!split_record_name(names[i], &k, &a))
			continue;
		if ((!str_empty(kfilter) && !streq(k, kfilter)) || (!str_empty(afilter) && !streq(a, afilter)))
			continue;
		strv_push(&out, xasprintf("%s/%s", k, a));
	}
	return out;
}
