/* libFuzzer harness: the path checks of ldtarball
 * (tarball_member_normalize, tarball_symlink_stays_inside) on a member
 * name and a link target, the input split at its first NUL byte.  Both
 * are compared with a model written here in another way (a list of
 * components rather than a scan), and besides:
 *  - a name is refused exactly when it is absolute or has a ".."
 *    component, and says why;
 *  - a normalised name never starts with '/', never has a "..", "." or
 *    empty component, is no longer than the name, and normalises to
 *    itself;
 *  - a link said to stay inside resolves, from its directory, to a path
 *    that normalises to itself: inside the archive. */
#include <string.h>

#include "fuzz.h"
#include "tarball.h"
#include "util/util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

/* The components of s between '/', the empty ones included. */
static char **components(const char *s)
{
	char **v = xcalloc(1, sizeof(char *));
	for (const char *p = s;;) {
		const char *slash = strchr(p, '/');
		strv_push(&v, slash ? xstrndup(p, (size_t)(slash - p)) : xstrdup(p));
		if (!slash)
			return v;
		p = slash + 1;
	}
}

static char *join(char *const *v, size_t n)
{
	struct strbuf sb = {0};
	for (size_t i = 0; i < n; i++) {
		if (i)
			strbuf_append(&sb, "/");
		strbuf_append(&sb, v[i]);
	}
	return strbuf_steal(&sb);
}

/* What normalising must give: the components other than "" and ".". */
static char *model_normalize(const char *name)
{
	if (name[0] == '/')
		return NULL;
	_cleanup_strv_ char **c = components(name);
	_cleanup_strv_ char **kept = xcalloc(1, sizeof(char *));
	for (size_t i = 0; c[i]; i++) {
		if (streq(c[i], ".."))
			return NULL;
		if (c[i][0] && !streq(c[i], "."))
			strv_pushdup(&kept, c[i]);
	}
	return join(kept, strv_len(kept));
}

/* Where a link at the normalised path `at` to target leads, resolved
 * lexically on a stack of components from the link's directory; NULL
 * when it leaves the archive's root (or is empty or absolute). */
static char *model_resolve(const char *at, const char *target)
{
	if (!target[0] || target[0] == '/')
		return NULL;
	_cleanup_strv_ char **dir = components(at);
	size_t depth = strv_len(dir) - 1; /* the link's own name is not a directory */
	if (!at[0])
		depth = 0;
	char **stack = xcalloc(depth + strlen(target) + 2, sizeof(char *));
	for (size_t i = 0; i < depth; i++)
		stack[i] = dir[i];
	_cleanup_strv_ char **t = components(target);
	char *out = NULL;
	size_t n = depth;
	for (size_t i = 0; t[i]; i++) {
		if (streq(t[i], "..")) {
			if (n == 0)
				goto leaves;
			n--;
		} else if (t[i][0] && !streq(t[i], ".")) {
			stack[n++] = t[i];
		}
	}
	out = join(stack, n);
leaves:
	free(stack);
	return out;
}

static void check_normalized(const char *name, const char *n)
{
	CHECK(n[0] != '/' && strlen(n) <= strlen(name));
	_cleanup_strv_ char **c = components(n);
	for (size_t i = 0; n[0] && c[i]; i++)
		CHECK(c[i][0] && !streq(c[i], ".") && !streq(c[i], ".."));
	const char *why = NULL;
	_cleanup_free_ char *again = tarball_member_normalize(n, &why);
	CHECK(again && streq(again, n));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = size ? memchr(data, '\0', size) : NULL;
	size_t name_len = nul ? (size_t)(nul - data) : size;
	_cleanup_free_ char *name = xstrndup((const char *)data, name_len);
	_cleanup_free_ char *target = nul ? xstrndup((const char *)nul + 1, size - name_len - 1) : xstrdup("");

	const char *why = NULL;
	_cleanup_free_ char *n = tarball_member_normalize(name, &why);
	_cleanup_free_ char *model = model_normalize(name);
	CHECK(!n == !model && (!n || streq(n, model)));
	if (!n) {
		CHECK(why && why[0]);
		return 0;
	}
	check_normalized(name, n);

	bool inside = tarball_symlink_stays_inside(n, target);
	_cleanup_free_ char *resolved = model_resolve(n, target);
	CHECK(inside == (resolved != NULL));
	if (resolved) {
		_cleanup_free_ char *clean = tarball_member_normalize(resolved, &why);
		CHECK(clean && streq(clean, resolved));
	}
	return 0;
}
