#include "evalcache.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "digest.h"
#include "util/staged.h"
#include "util/util.h"

static void hash_str(struct sha256_pieces *c, const char *tag, const char *s)
{
	sha256_add(c, tag, strlen(tag) + 1);
	sha256_add(c, s, strlen(s) + 1);
}

static bool ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* The word w in the text, not as part of a longer name. */
static bool has_word(const char *text, const char *w)
{
	size_t n = strlen(w);
	for (const char *p = strstr(text, w); p; p = strstr(p + 1, w))
		if ((p == text || !ident_char(p[-1])) && !ident_char(p[n]))
			return true;
	return false;
}

/* A `.` command: a lone dot where a command may start, then a blank. */
static bool has_dot_command(const char *text)
{
	for (const char *p = strchr(text, '.'); p; p = strchr(p + 1, '.'))
		if ((p == text || strchr("\n \t;&|({`", p[-1])) && (p[1] == ' ' || p[1] == '\t'))
			return true;
	return false;
}

/* Whether the text may reach a variable without naming it: eval,
 * indirection, a listing of the variables, another file sourced. */
static bool reaches_unnamed(const char *text)
{
	static const char *const words[] = {
		"eval", "source", "declare", "typeset", "local", "readonly", "export",
		"set", "env", "printenv", "compgen",
	};
	if (strstr(text, "${!") || has_dot_command(text))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (has_word(text, words[i]))
			return true;
	return false;
}

/* Whether the evaluation may see the variable assigned by `assign`
 * ("name=value"): the files' text names it; any when text is NULL. */
static bool assign_seen(const char *assign, const char *text)
{
	if (!text)
		return true;
	_cleanup_free_ char *name = xstrndup(assign, strcspn(assign, "="));
	return has_word(text, name);
}

/* The files' names and contents into c; their text, one after another,
 * into *all (NULL when one holds a NUL, which bash skips and strstr
 * would stop at). */
static void hash_files(struct sha256_pieces *c, char *const *files, char **all)
{
	struct strbuf text = {0};
	bool nul = false;
	for (size_t i = 0; files && files[i]; i++) {
		_cleanup_free_ char *content = NULL;
		size_t len = 0;
		hash_str(c, "file", files[i]);
		if (read_file(files[i], &content, &len) == 0) {
			sha256_add(c, "content", 8);
			sha256_add(c, content, len);
			sha256_add(c, &len, sizeof(len));
			nul |= memchr(content, '\0', len) != NULL;
			strbuf_appendn(&text, content, len);
			strbuf_append(&text, "\n");
		} else {
			sha256_add(c, "missing", 8);
		}
	}
	strbuf_append(&text, "");
	*all = nul ? NULL : strbuf_steal(&text);
	if (nul)
		strbuf_release(&text);
}

void evalcache_key(const struct shell_eval *e, char key[65])
{
	struct sha256_pieces *c = sha256_begin();
	_cleanup_free_ char *all = NULL;
	hash_files(c, e->files, &all);
	const char *scan = all && !reaches_unnamed(all) ? all : NULL;
	for (size_t i = 0; e->names && e->names[i]; i++)
		hash_str(c, "name", e->names[i]);
	/* a variable the files cannot see does not change what bash makes of
	 * them: the running kernel, or the install tree, may change and the
	 * entry still serve */
	for (size_t i = 0; e->assign && e->assign[i]; i++)
		if (assign_seen(e->assign[i], scan))
			hash_str(c, "assign", e->assign[i]);
	for (size_t i = 0; e->deprecated && e->deprecated[i]; i++)
		hash_str(c, "deprecated", e->deprecated[i]);
	sha256_end(c, key);
}

static char *entry_path(const char *dkms_tree, const char *key)
{
	return xasprintf("%s/.conf-cache/%s", dkms_tree, key);
}

int evalcache_load(const char *dkms_tree, const char *key, struct shvars *out)
{
	_cleanup_free_ char *path = entry_path(dkms_tree, key);
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	if (read_file(path, &text, &len) < 0)
		return -ENOENT;
	return shvars_parse(text, len, out) == 0 ? 0 : -ENOENT;
}

void evalcache_store(const char *dkms_tree, const char *key, const struct shvars *vars)
{
	_cleanup_free_ char *dir = path_join(dkms_tree, ".conf-cache");
	_cleanup_free_ char *path = entry_path(dkms_tree, key);
	struct strbuf sb = {0};
	shvars_serialize(vars, &sb);
	struct staged st;
	if (mkdir_p(dir, 0755) == 0 && staged_open_file(&st, path, 0644) == 0) {
		if (write_all(st.fd, sb.buf, sb.len) == 0)
			staged_commit(&st, 0);
		else
			staged_rollback(&st);
	}
	strbuf_release(&sb);
}

int shell_eval_cached(const struct shell_eval *e, const char *dkms_tree, bool read, struct shvars *out)
{
	int r = shell_eval_checked_fast(e, out);
	if (r != -ENOTSUP)
		return r;
	char key[65];
	evalcache_key(e, key);
	if (!key[0])
		return shell_eval_bash(e, out);
	if (read && evalcache_load(dkms_tree, key, out) == 0)
		return 0;
	r = shell_eval_bash(e, out);
	if (r == 0)
		evalcache_store(dkms_tree, key, out);
	return r;
}
