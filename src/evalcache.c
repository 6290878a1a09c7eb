#include "evalcache.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "digest.h"
#include "util/staged.h"
#include "util/util.h"

static void hash_str(EVP_MD_CTX *c, const char *tag, const char *s)
{
	EVP_DigestUpdate(c, tag, strlen(tag) + 1);
	EVP_DigestUpdate(c, s, strlen(s) + 1);
}

void evalcache_key(const struct shell_eval *e, char key[65])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	for (size_t i = 0; e->names && e->names[i]; i++)
		hash_str(c, "name", e->names[i]);
	for (size_t i = 0; e->assign && e->assign[i]; i++)
		hash_str(c, "assign", e->assign[i]);
	for (size_t i = 0; e->deprecated && e->deprecated[i]; i++)
		hash_str(c, "deprecated", e->deprecated[i]);
	for (size_t i = 0; e->files && e->files[i]; i++) {
		_cleanup_free_ char *text = NULL;
		size_t len = 0;
		hash_str(c, "file", e->files[i]);
		if (read_file(e->files[i], &text, &len) == 0) {
			EVP_DigestUpdate(c, "content", 8);
			EVP_DigestUpdate(c, text, len);
			EVP_DigestUpdate(c, &len, sizeof(len));
		} else {
			EVP_DigestUpdate(c, "missing", 8);
		}
	}
	_cleanup_free_ char *hex = digest_hex(c);
	EVP_MD_CTX_free(c);
	snprintf(key, 65, "%s", hex ? hex : "");
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
