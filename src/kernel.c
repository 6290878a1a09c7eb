#include "kernel.h"

#include <ctype.h>
#include <fcntl.h>
#include <libkmod.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/spawn.h"

char *ver_pad(const char *v)
{
	/* Split into runs of digits and non-digits; pad digit runs of one or
	 * two characters to three. */
	struct strbuf sb = {0};
	const char *p = v;
	while (*p) {
		const char *q = p;
		bool digit = isdigit((unsigned char)*p);
		while (*q && (bool)isdigit((unsigned char)*q) == digit)
			q++;
		size_t n = (size_t)(q - p);
		if (digit && n < 3)
			strbuf_append(&sb, n == 1 ? "00" : "0");
		strbuf_appendn(&sb, p, n);
		p = q;
	}
	return strbuf_steal(&sb);
}

int ver_cmp(const char *a, const char *b)
{
	_cleanup_free_ char *pa = ver_pad(a);
	_cleanup_free_ char *pb = ver_pad(b);
	return strcmp(pa, pb);
}

int kernel_version_cmp(const char *a, const char *b)
{
	while (*a || *b) {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			while (*a == '0')
				a++;
			while (*b == '0')
				b++;
			size_t la = 0, lb = 0;
			while (isdigit((unsigned char)a[la]))
				la++;
			while (isdigit((unsigned char)b[lb]))
				lb++;
			if (la != lb)
				return la < lb ? -1 : 1;
			int c = strncmp(a, b, la);
			if (c)
				return c < 0 ? -1 : 1;
			a += la;
			b += lb;
			continue;
		}
		/* '~' sorts before everything, even the end */
		int ca = (unsigned char)*a, cb = (unsigned char)*b;
		int wa = ca == '~' ? -1 : ca == 0 ? 0 : isdigit(ca) ? 1 : isalpha(ca) ? ca + 2 : ca + 256;
		int wb = cb == '~' ? -1 : cb == 0 ? 0 : isdigit(cb) ? 1 : isalpha(cb) ? cb + 2 : cb + 256;
		if (wa != wb)
			return wa < wb ? -1 : 1;
		if (*a)
			a++;
		if (*b)
			b++;
	}
	return 0;
}

char *find_module_file_stat(const char *dir, const char *name, const char *compressed_suffix, struct stat *st)
{
	char *plain = str_concat(dir, "/", name, ".ko", NULL);
	if (stat(plain, st) == 0)
		return plain;
	free(plain);
	if (str_empty(compressed_suffix))
		return NULL;
	char *c = str_concat(dir, "/", name, ".ko", compressed_suffix, NULL);
	if (stat(c, st) == 0)
		return c;
	free(c);
	return NULL;
}

char *find_module_file(const char *dir, const char *name, const char *compressed_suffix)
{
	struct stat st;
	return find_module_file_stat(dir, name, compressed_suffix, &st);
}

/* One libkmod context for the process, reading no modprobe.d
 * configuration: only module files are looked at. */
struct kmod_ctx *kmod_context(void)
{
	static struct kmod_ctx *ctx;
	static const char *const no_config[] = {NULL};
	if (!ctx) {
		ctx = kmod_new(NULL, no_config);
		if (ctx)
			kmod_set_log_priority(ctx, 0);
	}
	return ctx;
}

static int modinfo_fields(const char *ko_path, const char *const *keys, char **out)
{
	struct kmod_ctx *ctx = kmod_context();
	if (!ctx)
		return -1;
	struct kmod_module *mod = NULL;
	int r = kmod_module_new_from_path(ctx, ko_path, &mod);
	if (r < 0)
		return r;
	struct kmod_list *list = NULL, *l;
	r = kmod_module_get_info(mod, &list);
	if (r >= 0) {
		kmod_list_foreach(l, list) {
			const char *k = kmod_module_info_get_key(l);
			for (size_t i = 0; keys[i]; i++)
				if (streq(k, keys[i]) && !out[i])
					out[i] = xstrdup(kmod_module_info_get_value(l));
		}
		kmod_module_info_free_list(list);
		r = 0;
	}
	kmod_module_unref(mod);
	return r;
}

char *module_vermagic_release(const char *ko_path)
{
	const char *keys[] = {"vermagic", NULL};
	char *out[1] = {NULL};
	if (modinfo_fields(ko_path, keys, out) < 0 || !out[0])
		return NULL;
	char *sp = strchr(out[0], ' ');
	if (sp)
		*sp = '\0';
	return out[0];
}

int module_version_info(const char *ko_path, char **version, char **srcversion)
{
	const char *keys[] = {"version", "srcversion", NULL};
	char *out[2] = {NULL, NULL};
	int r = modinfo_fields(ko_path, keys, out);
	*version = out[0];
	*srcversion = out[1];
	return r;
}

int module_version_compare(const char *a, const char *b, bool *same_src)
{
	/* the same bytes: the same version and srcversion, with no ELF read */
	if (files_same(a, b)) {
		if (same_src)
			*same_src = true;
		return 0;
	}
	_cleanup_free_ char *va = NULL, *sa = NULL, *vb = NULL, *sb = NULL;
	module_version_info(a, &va, &sa);
	module_version_info(b, &vb, &sb);
	const char *x = va ? va : "", *y = vb ? vb : "";
	if (streq(x, y)) {
		if (same_src)
			*same_src = streq(sa ? sa : "", sb ? sb : "");
		return 0;
	}
	if (!*x || !*y)
		return 2;
	return ver_cmp(x, y) > 0 ? 1 : -1;
}
