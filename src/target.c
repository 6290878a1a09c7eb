#include "target.h"

#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

/* The line at `line` (up to its newline or the text's end) sets NAME,
 * of n bytes ("NAME=...": *unset false), or unsets it ("# NAME is not
 * set"). */
static bool kconfig_line_is(const char *line, const char *name, size_t n, bool *unset)
{
	if (strncmp(line, name, n) == 0 && line[n] == '=') {
		*unset = false;
		return true;
	}
	if (line[0] == '#' && line[1] == ' ' && strncmp(line + 2, name, n) == 0 &&
	    strncmp(line + 2 + n, " is not set", 11) == 0 && (line[n + 13] == '\n' || line[n + 13] == '\0')) {
		*unset = true;
		return true;
	}
	return false;
}

/* The character after "CONFIG_" in a line that sets or unsets a CONFIG_
 * symbol; 0 for any other line. */
static inline unsigned char kconfig_group(const char *line)
{
	if (line[0] == 'C' && memcmp(line, "CONFIG_", 7) == 0)
		return (unsigned char)line[7];
	if (line[0] == '#' && line[1] == ' ' && line[2] == 'C' && memcmp(line + 2, "CONFIG_", 7) == 0)
		return (unsigned char)line[9];
	return 0;
}

/* The lines of each resolved kernel's .config (kernel_target_resolve
 * registers them, kernel_target_free drops them), grouped by the
 * character after "CONFIG_", in the file's order within a group: a
 * lookup reads one group, a twentieth of the file, where a search reads
 * on to the symbol's line, most of the file for a symbol near its end or
 * absent.  status asks a dozen symbols of each kernel. */
struct kconfig_lines {
	const char *text;
	size_t *lines;      /* offsets of the lines' starts */
	size_t start[257];  /* group g: lines[start[g]] to lines[start[g + 1]] */
	struct kconfig_lines *next;
};
static struct kconfig_lines *kconfig_registered;

static void kconfig_register(const char *text)
{
	size_t len = strlen(text), n = 0, cap = len / 16 + 1, count[256] = {0};
	size_t *off = xcalloc(cap, sizeof(*off));
	unsigned char *grp = xcalloc(cap, 1);
	for (const char *line = text, *end = text + len; line <= end;) {
		if (n == cap) {
			cap *= 2;
			off = xrealloc(off, cap * sizeof(*off));
			grp = xrealloc(grp, cap);
		}
		off[n] = (size_t)(line - text);
		grp[n] = line < end ? kconfig_group(line) : 0;
		count[grp[n++]]++;
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		if (!nl)
			break;
		line = nl + 1;
	}
	struct kconfig_lines *x = xcalloc(1, sizeof(*x));
	x->text = text;
	x->lines = xcalloc(n, sizeof(*x->lines));
	for (size_t g = 0; g < 256; g++)
		x->start[g + 1] = x->start[g] + count[g];
	size_t fill[256];
	memcpy(fill, x->start, sizeof(fill));
	for (size_t i = 0; i < n; i++)
		x->lines[fill[grp[i]]++] = off[i];
	free(off);
	free(grp);
	x->next = kconfig_registered;
	kconfig_registered = x;
}

static void kconfig_unregister(const char *text)
{
	for (struct kconfig_lines **p = &kconfig_registered; *p; p = &(*p)->next) {
		if ((*p)->text == text) {
			struct kconfig_lines *x = *p;
			*p = x->next;
			free(x->lines);
			free(x);
			return;
		}
	}
}

/* Where a .config sets or unsets NAME: what follows "NAME=" at the start
 * of a line (*unset false), or the start of a "# NAME is not set" line
 * (*unset true); NULL when it says nothing of NAME.  Kconfig writes each
 * symbol once, at its place in the menus, either way: the first line
 * that names it counts.  A registered text is looked up in the group of
 * its lines the name belongs to; another is read line by line. */
static const char *kconfig_find(const char *config, const char *name, bool *unset)
{
	size_t n = strlen(name);
	if (n == 0) /* ("!" alone in BUILD_EXCLUSIVE_CONFIG) */
		return NULL;
	unsigned char g = kconfig_group(name);
	const struct kconfig_lines *x = kconfig_registered;
	while (x && x->text != config)
		x = x->next;
	if (x && g && name[0] == 'C') {
		for (size_t i = x->start[g]; i < x->start[g + 1]; i++) {
			const char *line = config + x->lines[i];
			if (kconfig_line_is(line, name, n, unset))
				return *unset ? line : line + n + 1;
		}
		return NULL;
	}
	for (const char *line = config; line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
		if (kconfig_line_is(line, name, n, unset))
			return *unset ? line : line + n + 1;
	return NULL;
}

static const char *kconfig_line(const char *config, const char *name, bool unset)
{
	bool is_unset = false;
	const char *v = kconfig_find(config, name, &is_unset);
	return v && is_unset == unset ? v : NULL;
}

char *kconfig_get(const char *config, const char *name)
{
	const char *v = kconfig_line(config, name, false);
	if (!v)
		return NULL;
	size_t len = strcspn(v, "\n");
	if (len >= 2 && v[0] == '"' && v[len - 1] == '"')
		return xstrndup(v + 1, len - 2);
	return xstrndup(v, len);
}

bool kconfig_enabled(const char *config, const char *name)
{
	const char *v = kconfig_line(config, name, false);
	return v && (v[0] == 'y' || v[0] == 'm');
}

bool kconfig_disabled(const char *config, const char *name)
{
	return kconfig_line(config, name, true) != NULL;
}

char *expand_kernelver(const char *s, const char *k)
{
	struct strbuf sb = {0};
	const char *p = s;
	for (;;) {
		const char *q = strstr(p, "$kernelver");
		const char *q2 = strstr(p, "${kernelver}");
		if (q2 && (!q || q2 < q)) {
			strbuf_appendn(&sb, p, (size_t)(q2 - p));
			strbuf_append(&sb, k);
			p = q2 + strlen("${kernelver}");
		} else if (q) {
			strbuf_appendn(&sb, p, (size_t)(q - p));
			strbuf_append(&sb, k);
			p = q + strlen("$kernelver");
		} else {
			strbuf_append(&sb, p);
			return strbuf_steal(&sb);
		}
	}
}

/* The suffix the reference reads from modules.dep (its set_module_suffix):
 * the last of .gz, .xz, .zst that appears wins.  NULL without modules.dep. */
static const char *suffix_from_modules_dep(const char *modules_dir)
{
	_cleanup_free_ char *dep = path_join(modules_dir, "modules.dep");
	_cleanup_free_ char *text = NULL;
	if (read_file(dep, &text, NULL) < 0)
		return NULL;
	const char *r = "";
	if (strstr(text, ".gz:"))
		r = ".gz";
	if (strstr(text, ".xz:"))
		r = ".xz";
	if (strstr(text, ".zst:"))
		r = ".zst";
	return r;
}

/* How the kernel compresses its own modules: kbuild's choice in .config;
 * with MODULE_COMPRESS_ALL=n the distribution decides, and what it
 * decided shows in modules.dep; without a .config, modules.dep alone. */
static const char *module_suffix(const struct kernel_target *t)
{
	const char *dep = NULL;
	if (!t->config) {
		dep = suffix_from_modules_dep(t->modules_dir);
		return dep ? dep : "";
	}
	const char *algo = "";
	if (kconfig_enabled(t->config, "CONFIG_MODULE_COMPRESS_GZIP"))
		algo = ".gz";
	if (kconfig_enabled(t->config, "CONFIG_MODULE_COMPRESS_XZ"))
		algo = ".xz";
	if (kconfig_enabled(t->config, "CONFIG_MODULE_COMPRESS_ZSTD"))
		algo = ".zst";
	if (*algo && kconfig_disabled(t->config, "CONFIG_MODULE_COMPRESS_ALL") &&
	    (dep = suffix_from_modules_dep(t->modules_dir)))
		return dep;
	return algo;
}

/* The reference's sign-file search: framework.conf's sign_file (read for
 * this kernel), else the distribution's kbuild package, else the kernel's
 * build tree. */
static char *find_sign_file(const struct settings *s, const char *sign_file, const char *k)
{
	if (!str_empty(sign_file))
		return expand_kernelver(sign_file, k);
	const char *dist = s->running_distribution ? s->running_distribution : "";
	if (startswith(dist, "debian")) {
		/* ${kernelver%.*}: the kernel version without its last dotted part */
		_cleanup_free_ char *kv = xstrdup(k);
		char *dot = strrchr(kv, '.');
		if (dot)
			*dot = '\0';
		_cleanup_free_ char *kbuild = xasprintf("/usr/lib/linux-kbuild-%s/scripts/sign-file", kv);
		char *sf = settings_root_path(s, kbuild);
		if (is_file(sf))
			return sf;
		free(sf);
	}
	_cleanup_free_ char *sf = xasprintf("%s/%s/build/scripts/sign-file", s->kernel_dir_base, k);
	return settings_root_path(s, sf);
}

/* A text file mapped instead of read: a .config is some 280 KB, and a
 * copy of it costs status more than the lookups in it.  The bytes after
 * the end of the file up to the end of its last page are zeros, which end
 * the text; a file whose size is a whole number of pages, or that cannot
 * be mapped, is left to read_file (NULL, *len 0).  Kernel headers are
 * replaced, not rewritten in place, so a mapping keeps what it saw. */
static char *map_text(const char *path, size_t *len)
{
	*len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	long page = sysconf(_SC_PAGESIZE);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0 || page <= 0 || st.st_size % page == 0) {
		close(fd);
		return NULL;
	}
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return NULL;
	*len = (size_t)st.st_size;
	return p;
}

void kernel_target_resolve(struct kernel_target *t, const struct settings *s, const char *k, const char *a)
{
	*t = (struct kernel_target){0};
	t->release = xstrdup(k);
	t->arch = xstrdup(a);
	if (!str_empty(s->kernel_source_dir))
		t->headers_dir = xstrdup(s->kernel_source_dir);
	else {
		/* --root: the build link, often absolute, is followed inside the root */
		_cleanup_free_ char *build = xasprintf("%s/%s/build", s->kernel_dir_base, k);
		t->headers_dir = settings_root_path(s, build);
	}
	t->config_path = !str_empty(s->kernel_config) ? xstrdup(s->kernel_config) : path_join(t->headers_dir, ".config");
	t->config = map_text(t->config_path, &t->config_mapped);
	if (!t->config && read_file(t->config_path, &t->config, NULL) < 0)
		t->config = NULL;
	if (t->config)
		kconfig_register(t->config);
	t->modules_dir = path_join(s->install_tree, k);
	t->module_suffix = module_suffix(t);
	struct kernel_settings ks;
	if (settings_for_kernel(s, k, a, &ks) < 0)
		warn("Could not read the framework configuration again for kernel %s; using its values without the kernel.",
		     k);
	t->sign_file = find_sign_file(s, ks.sign_file, k);
	t->mok_signing_key = TAKE_PTR(ks.mok_signing_key);
	t->mok_certificate = TAKE_PTR(ks.mok_certificate);
	kernel_settings_free(&ks);
	t->system_map = xasprintf("%s/System.map-%s", s->boot_dir, k);
	_cleanup_free_ char *cc_text = t->config ? kconfig_get(t->config, "CONFIG_CC_VERSION_TEXT") : NULL;
	if (cc_text)
		t->cc = xstrndup(cc_text, strcspn(cc_text, " "));
	t->sig_hash = t->config ? kconfig_get(t->config, "CONFIG_MODULE_SIG_HASH") : NULL;
	/* gcc or clang, BFD or lld: one of each pair is set, at the top of the
	 * file; the other is not written at all, and a search for it reads the
	 * whole file */
	t->cc_is_clang = t->config && !kconfig_enabled(t->config, "CONFIG_CC_IS_GCC") &&
			 kconfig_enabled(t->config, "CONFIG_CC_IS_CLANG");
	t->ld_is_lld = t->config && !kconfig_enabled(t->config, "CONFIG_LD_IS_BFD") &&
		       kconfig_enabled(t->config, "CONFIG_LD_IS_LLD");
	if (str_empty(t->sig_hash)) {
		free(t->sig_hash);
		t->sig_hash = xstrdup("sha512"); /* the reference's default */
	}
	debug("Kernel %s (%s): headers %s, config %s%s, modules%s%s.", k, a, t->headers_dir, t->config_path,
	      t->config ? "" : " (unreadable)", *t->module_suffix ? " compressed as " : " not compressed",
	      t->module_suffix);
}

void kernel_target_free(struct kernel_target *t)
{
	if (t->config)
		kconfig_unregister(t->config);
	if (t->config_mapped) {
		munmap(t->config, t->config_mapped);
		t->config = NULL;
	}
	char **fields[] = {&t->release, &t->arch, &t->headers_dir, &t->config_path, &t->config,
			   &t->modules_dir, &t->sign_file, &t->mok_signing_key, &t->mok_certificate,
			   &t->system_map, &t->cc, &t->sig_hash};
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		free(*fields[i]);
	*t = (struct kernel_target){0};
}

bool kernel_target_has_headers(const struct kernel_target *t)
{
	_cleanup_free_ char *inc = path_join(t->headers_dir, "include");
	return path_exists(inc);
}
