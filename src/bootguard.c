/* The boot guard (bootguard.h): the decision from dkms check's verdicts,
 * the boot loaders (GRUB through grubenv, systemd-boot through bootctl),
 * and the record of what the guard set. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bootguard.h"
#include "dkms.h"
#include "log.h"
#include "shellvars.h"
#include "sandbox.h"
#include "util/spawn.h"

/* ---- grub.cfg --------------------------------------------------------- */

/* The words of a grub.cfg line, unquoted as GRUB's script syntax quotes
 * them: '...', "..." and backslash. */
static char **cfg_words(const char *line)
{
	char **words = xcalloc(1, sizeof(char *));
	const char *p = line;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '\n' || *p == '#')
			return words;
		struct strbuf w = {0};
		strbuf_append(&w, "");
		while (*p && *p != ' ' && *p != '\t' && *p != '\n') {
			if (*p == '\'') {
				const char *end = strchr(p + 1, '\'');
				size_t n = end ? (size_t)(end - p - 1) : strlen(p + 1);
				strbuf_appendn(&w, p + 1, n);
				p += n + 1 + (end != NULL);
			} else if (*p == '"') {
				for (p++; *p && *p != '"'; p++) {
					if (*p == '\\' && p[1])
						p++;
					strbuf_appendn(&w, p, 1);
				}
				p += *p == '"';
			} else {
				if (*p == '\\' && p[1])
					p++;
				strbuf_appendn(&w, p++, 1);
			}
		}
		strv_push(&words, strbuf_steal(&w));
	}
}

/* An open block of grub.cfg: a menuentry, a submenu or anything else
 * between braces. */
struct cfg_block {
	enum { BLOCK_OTHER, BLOCK_SUBMENU, BLOCK_ENTRY } kind;
	char *title, *id;
	bool boots, recovery;
};

/* The value after $menuentry_id_option (or --id) on a menuentry line. */
static const char *entry_id(char **words)
{
	for (size_t i = 2; words[i] && words[i + 1]; i++)
		if (streq(words[i], "$menuentry_id_option") || streq(words[i], "--id"))
			return words[i + 1];
	return NULL;
}

/* saved_entry's name of the entry open at blocks[n-1]: ids if every
 * level has one, else titles. */
static char *entry_path(const struct cfg_block *blocks, size_t n)
{
	bool ids = true;
	for (size_t i = 0; i < n; i++)
		if (blocks[i].kind != BLOCK_OTHER && !blocks[i].id)
			ids = false;
	struct strbuf out = {0};
	strbuf_append(&out, "");
	for (size_t i = 0; i < n; i++) {
		if (blocks[i].kind == BLOCK_OTHER)
			continue;
		if (out.len)
			strbuf_append(&out, ">");
		strbuf_append(&out, ids ? blocks[i].id : blocks[i].title);
	}
	return strbuf_steal(&out);
}

/* A linux line of an entry: does it boot kernel k, in recovery mode? */
static void linux_line(struct cfg_block *b, char **words, const char *k)
{
	_cleanup_free_ char *image = xasprintf("vmlinuz-%s", k);
	const char *base = strrchr(words[1], '/');
	if (!streq(base ? base + 1 : words[1], image))
		return;
	b->boots = true;
	for (size_t i = 2; words[i]; i++)
		if (streq(words[i], "single") || streq(words[i], "recovery"))
			b->recovery = true;
}

/* Closing the innermost block: an entry that boots k becomes the answer
 * when none is yet, or when it names k and the one found does not. */
static void close_block(struct cfg_block *blocks, size_t n, const char *k, char **best, bool *best_named)
{
	struct cfg_block *b = &blocks[n - 1];
	bool named = (b->title && strstr(b->title, k)) || (b->id && strstr(b->id, k));
	if (b->kind == BLOCK_ENTRY && b->boots && !b->recovery && (!*best || (named && !*best_named))) {
		free(*best);
		*best = entry_path(blocks, n);
		*best_named = named;
	}
	free(b->title);
	free(b->id);
}

int grub_cfg_entry(const char *cfg, const char *k, char **entry)
{
	struct cfg_block *blocks = NULL;
	size_t n = 0;
	char *best = NULL;
	bool best_named = false;
	for (const char *line = cfg; line && *line;) {
		const char *nl = strchr(line, '\n');
		_cleanup_free_ char *text = nl ? xstrndup(line, (size_t)(nl - line)) : xstrdup(line);
		_cleanup_strv_ char **w = cfg_words(text);
		size_t nw = strv_len(w);
		line = nl ? nl + 1 : NULL;
		if (nw == 1 && streq(w[0], "}")) {
			if (n)
				close_block(blocks, n--, k, &best, &best_named);
		} else if (nw >= 2 && (streq(w[0], "linux") || streq(w[0], "linuxefi") || streq(w[0], "linux16"))) {
			if (n && blocks[n - 1].kind == BLOCK_ENTRY)
				linux_line(&blocks[n - 1], w, k);
		} else if (nw >= 1 && streq(w[nw - 1], "{")) {
			blocks = xrealloc(blocks, (n + 1) * sizeof(*blocks));
			struct cfg_block b = {.kind = BLOCK_OTHER};
			if (nw >= 3 && (streq(w[0], "menuentry") || streq(w[0], "submenu"))) {
				const char *id = entry_id(w);
				b = (struct cfg_block){.kind = streq(w[0], "submenu") ? BLOCK_SUBMENU : BLOCK_ENTRY,
						       .title = xstrdup(w[1]), .id = id ? xstrdup(id) : NULL};
				b.recovery = strstr(w[1], "recovery mode") != NULL;
			}
			blocks[n++] = b;
		}
	}
	while (n)
		close_block(blocks, n--, k, &best, &best_named);
	free(blocks);
	*entry = best;
	return best ? 0 : -ENOENT;
}

/* ---- the decision ----------------------------------------------------- */

/* A module the kernel lacks that a device of this machine needs. */
static const struct check_module *needed_missing(const struct check_kernel *ck)
{
	for (size_t i = 0; i < ck->n; i++) {
		const struct check_module *cm = &ck->mods[i];
		if (cm->state != CHECK_INSTALLED && cm->state != CHECK_EXCLUDED && cm->device_ids && cm->device_ids[0])
			return cm;
	}
	return NULL;
}

void boot_guard_decide(const struct check_report *r, bool active, struct guard_decision *out)
{
	*out = (struct guard_decision){.action = active ? GUARD_RESTORE : GUARD_NOTHING};
	if (r->n == 0)
		return;
	out->newest = &r->kernels[0];
	out->missing = needed_missing(out->newest);
	if (!out->missing)
		return;
	out->action = GUARD_NO_READY;
	for (size_t i = 1; i < r->n; i++) {
		if (r->kernels[i].verdict == VERDICT_READY) {
			out->ready = &r->kernels[i];
			out->action = GUARD_SET;
			return;
		}
	}
}

/* ---- the record ------------------------------------------------------- */

/* What the guard set: loader=grub|systemd-boot, entry=, kernel= (the
 * kernel it boots), instead_of= (the newest kernel then), previous= and
 * had_previous=yes|no (the default before). */
struct guard_record {
	char *loader, *entry, *kernel, *instead_of, *previous;
	bool had_previous;
};

static void record_free(struct guard_record *g)
{
	free(g->loader);
	free(g->entry);
	free(g->kernel);
	free(g->instead_of);
	free(g->previous);
	*g = (struct guard_record){0};
}

static char *record_path(const struct settings *s)
{
	return path_join(s->dkms_tree, ".boot-guard");
}

/* The value of key= in key=value lines, or NULL. */
static char *kv_get(const char *text, const char *key)
{
	size_t kl = strlen(key);
	for (const char *line = text; line && *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		if (len > kl && !strncmp(line, key, kl) && line[kl] == '=')
			return xstrndup(line + kl + 1, len - kl - 1);
		line = nl ? nl + 1 : NULL;
	}
	return NULL;
}

/* 0, -ENOENT when there is none, -EINVAL when it is not one. */
static int record_load(const struct settings *s, struct guard_record *g)
{
	_cleanup_free_ char *path = record_path(s);
	_cleanup_free_ char *text = NULL;
	*g = (struct guard_record){0};
	int r = read_file(path, &text, NULL);
	if (r < 0)
		return r;
	g->loader = kv_get(text, "loader");
	g->entry = kv_get(text, "entry");
	g->kernel = kv_get(text, "kernel");
	g->instead_of = kv_get(text, "instead_of");
	g->previous = kv_get(text, "previous");
	_cleanup_free_ char *had = kv_get(text, "had_previous");
	g->had_previous = had && streq(had, "yes");
	if (!g->loader || !g->entry || !g->kernel || !g->previous) {
		record_free(g);
		return -EINVAL;
	}
	return 0;
}

static int record_save(const struct settings *s, const struct guard_record *g)
{
	_cleanup_free_ char *path = record_path(s);
	_cleanup_free_ char *text = xasprintf(
		"loader=%s\nentry=%s\nkernel=%s\ninstead_of=%s\nprevious=%s\nhad_previous=%s\n", g->loader, g->entry,
		g->kernel, g->instead_of ? g->instead_of : "", g->previous, g->had_previous ? "yes" : "no");
	return write_file_atomic(path, text, strlen(text), 0644);
}

static void record_drop(const struct settings *s)
{
	_cleanup_free_ char *path = record_path(s);
	if (unlink(path) < 0 && errno != ENOENT)
		warn("boot guard: cannot remove its record %s: %s", path, strerror(errno));
}

/* ---- running the boot loaders' tools ----------------------------------- */

static bool have_program(const char *name)
{
	_cleanup_free_ char *p = program_in_path(name);
	return p != NULL;
}

/* Runs argv with its stdout in *out (may be NULL) and its stderr in the
 * caller's; returns its exit status or a negative errno. */
static int run_tool(char *const argv[], char **out)
{
	struct strbuf buf = {0};
	int devnull = out ? -1 : open("/dev/null", O_WRONLY | O_CLOEXEC);
	struct spawn_opts o = {.out_fd = devnull, .err_fd = -1, .null_stdin = true,
			       .capture_child_fd = out ? 1 : 0, .capture = out ? &buf : NULL};
	_cleanup_free_ char *cmd = strv_join(argv, " ");
	debug("boot guard: %s", cmd);
	int r = spawn_run(argv, &o);
	if (devnull >= 0)
		close(devnull);
	strbuf_append(&buf, "");
	if (out)
		*out = strbuf_steal(&buf);
	else
		strbuf_release(&buf);
	return r;
}

static char *shell_quote(const char *s)
{
	struct strbuf b = {0};
	strbuf_append(&b, "'");
	for (const char *p = s; *p; p++)
		strbuf_append(&b, *p == '\'' ? "'\\''" : (char[]){*p, '\0'});
	strbuf_append(&b, "'");
	return strbuf_steal(&b);
}

/* ---- the boot loaders ------------------------------------------------- */

struct loader {
	const char *name;   /* "grub" or "systemd-boot", as recorded */
	const char *label;  /* "GRUB", "systemd-boot": for people */
	char *grubenv;      /* GRUB: <boot>/grub/grubenv */
	char *grubcfg;      /* GRUB: <boot>/grub/grub.cfg */
	char *entries;      /* systemd-boot: <boot path>/loader/entries */
	char *efivars;      /* systemd-boot: where LoaderEntryDefault is read */
};

static void loader_free(struct loader *l)
{
	free(l->grubenv);
	free(l->grubcfg);
	free(l->entries);
	free(l->efivars);
	*l = (struct loader){0};
}

/* /etc/default/grub (and its .d/ *.cfg, as grub-mkconfig reads them);
 * DKMS_GRUB_DEFAULT names another file, for the tests only. */
static char *grub_default_file(const struct settings *s)
{
	const char *env = getenv("DKMS_GRUB_DEFAULT");
	return str_empty(env) ? path_join(s->root, "etc/default/grub") : xstrdup(env);
}

/* GRUB_DEFAULT as update-grub would read it; NULL when it is not set. */
static char *grub_default(const struct settings *s, const char *file)
{
	char **files = NULL;
	strv_pushdup(&files, file);
	_cleanup_free_ char *dropins = xasprintf("%s.d", file);
	_cleanup_strv_ char **names = dir_list(dropins);
	for (size_t i = 0; names && names[i]; i++)
		if (endswith(names[i], ".cfg"))
			strv_push(&files, path_join(dropins, names[i]));
	char *names_wanted[] = {"GRUB_DEFAULT", NULL};
	struct sandbox sb;
	sandbox_init(&sb, s);
	sb.quiet = true;
	struct shell_eval e = {.files = files, .names = names_wanted, .sandbox = &sb};
	struct shvars vars = {0};
	int r = shell_eval(&e, &vars);
	sandbox_free(&sb);
	strv_free(files);
	const char *v = r == 0 ? shvars_scalar(&vars, "GRUB_DEFAULT") : NULL;
	char *out = v ? xstrdup(v) : NULL;
	shvars_free(&vars);
	return out;
}

static bool detect_grub(const struct settings *s, struct loader *l)
{
	_cleanup_free_ char *cfg = xasprintf("%s/grub/grub.cfg", s->boot_dir);
	if (!is_file(cfg) || !have_program("grub-editenv"))
		return false;
	*l = (struct loader){.name = "grub", .label = "GRUB", .grubcfg = TAKE_PTR(cfg),
			     .grubenv = xasprintf("%s/grub/grubenv", s->boot_dir)};
	return true;
}

static bool detect_systemd_boot(struct loader *l)
{
	char *is_installed[] = {"bootctl", "is-installed", NULL};
	char *print[] = {"bootctl", "--print-boot-path", NULL};
	_cleanup_free_ char *quiet = NULL, *path = NULL;
	if (!have_program("bootctl") || run_tool(is_installed, &quiet) != 0 || run_tool(print, &path) != 0)
		return false;
	path[strcspn(path, "\n")] = '\0';
	_cleanup_free_ char *entries = xasprintf("%s/loader/entries", path);
	if (str_empty(path) || !is_dir(entries))
		return false;
	const char *env = getenv("DKMS_EFIVARS_DIR");
	*l = (struct loader){.name = "systemd-boot", .label = "systemd-boot", .entries = TAKE_PTR(entries),
			     .efivars = str_empty(env) ? xasprintf("%s/firmware/efi/efivars", check_sysfs_root())
						       : xstrdup(env)};
	return true;
}

/* The boot loader of this machine (systemd-boot when bootctl says it is
 * installed, else GRUB when there is a grub.cfg and grub-editenv), or, for
 * name given, that one only.  False when none is detected. */
static bool detect_loader(const struct settings *s, const char *name, struct loader *l)
{
	if ((!name || streq(name, "systemd-boot")) && detect_systemd_boot(l))
		return true;
	return (!name || streq(name, "grub")) && detect_grub(s, l);
}

/* saved_entry in grubenv: 1 and *value, 0 when unset, negative on error. */
static int grubenv_saved(const struct loader *l, char **value)
{
	*value = NULL;
	if (!path_exists(l->grubenv))
		return 0;
	char *argv[] = {"grub-editenv", l->grubenv, "list", NULL};
	_cleanup_free_ char *out = NULL;
	int r = run_tool(argv, &out);
	if (r != 0)
		return r < 0 ? r : -EIO;
	*value = kv_get(out, "saved_entry");
	return *value != NULL;
}

/* LoaderEntryDefault: 1 and *value, 0 when unset, negative when efivars
 * cannot be read. */
static int sdboot_default(const struct loader *l, char **value)
{
	*value = NULL;
	_cleanup_free_ char *path = xasprintf("%s/LoaderEntryDefault-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f", l->efivars);
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	if (!is_dir(l->efivars))
		return -ENOENT;
	if (read_file(path, &data, &len) < 0)
		return 0;
	struct strbuf b = {0};
	strbuf_append(&b, "");
	/* 4 bytes of attributes, then UTF-16LE up to a NUL */
	for (size_t i = 4; i + 1 < len && (data[i] || data[i + 1]); i += 2)
		strbuf_appendn(&b, data[i + 1] ? "?" : &data[i], 1);
	*value = strbuf_steal(&b);
	return 1;
}

/* The loader entry of systemd-boot that boots kernel k: a file of
 * loader/entries whose version is k, or whose linux names k's image. */
static char *sdboot_entry(const struct loader *l, const char *k)
{
	_cleanup_strv_ char **names = dir_list(l->entries);
	_cleanup_free_ char *image = xasprintf("vmlinuz-%s", k);
	_cleanup_free_ char *dir = xasprintf("/%s/", k);
	for (size_t i = 0; names && names[i]; i++) {
		_cleanup_free_ char *path = path_join(l->entries, names[i]);
		_cleanup_free_ char *text = NULL;
		if (!endswith(names[i], ".conf") || read_file(path, &text, NULL) < 0)
			continue;
		for (const char *line = text; line && *line;) {
			const char *nl = strchr(line, '\n');
			_cleanup_free_ char *one = nl ? xstrndup(line, (size_t)(nl - line)) : xstrdup(line);
			_cleanup_strv_ char **w = cfg_words(one);
			line = nl ? nl + 1 : NULL;
			if (strv_len(w) < 2)
				continue;
			const char *base = strrchr(w[1], '/');
			if ((streq(w[0], "version") && streq(w[1], k)) ||
			    (streq(w[0], "linux") && (strstr(w[1], dir) || streq(base ? base + 1 : w[1], image))))
				return xstrdup(names[i]);
		}
	}
	return NULL;
}

/* The entry that boots kernel k, or NULL. */
static char *loader_entry(const struct loader *l, const char *k)
{
	if (l->entries)
		return sdboot_entry(l, k);
	_cleanup_free_ char *cfg = NULL;
	char *entry = NULL;
	if (read_file(l->grubcfg, &cfg, NULL) < 0 || grub_cfg_entry(cfg, k, &entry) < 0)
		return NULL;
	return entry;
}

/* The default the loader has now: 1 and *value, 0 when none is set,
 * negative when it cannot be told. */
static int loader_current(const struct loader *l, char **value)
{
	return l->entries ? sdboot_default(l, value) : grubenv_saved(l, value);
}

/* Sets the default to entry (NULL: none, the loader's own default). */
static int loader_set(const struct loader *l, const char *entry)
{
	if (l->entries) {
		char *argv[] = {"bootctl", "set-default", (char *)(entry ? entry : ""), NULL};
		return run_tool(argv, NULL);
	}
	_cleanup_free_ char *assign = entry ? xasprintf("saved_entry=%s", entry) : NULL;
	char *set[] = {"grub-editenv", l->grubenv, "set", assign, NULL};
	char *unset[] = {"grub-editenv", l->grubenv, "unset", "saved_entry", NULL};
	return run_tool(entry ? set : unset, NULL);
}

/* The command that sets the default to entry (NULL: none). */
static char *loader_command(const struct loader *l, const char *entry)
{
	_cleanup_free_ char *q = shell_quote(entry ? entry : "");
	if (l->entries)
		return xasprintf("bootctl set-default %s", q);
	_cleanup_free_ char *env = shell_quote(l->grubenv);
	if (!entry)
		return xasprintf("grub-editenv %s unset saved_entry", env);
	_cleanup_free_ char *assign = xasprintf("saved_entry=%s", entry);
	_cleanup_free_ char *qa = shell_quote(assign);
	return xasprintf("grub-editenv %s set %s", env, qa);
}

static const char *loader_what(const struct loader *l)
{
	return l->entries ? "LoaderEntryDefault" : "saved_entry";
}

/* ---- saying it -------------------------------------------------------- */

/* Loud: on stderr whatever -q says, a line each, "dkms: boot guard: ". */
static void _printf_(1, 2) shout(const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	fputs("dkms: boot guard: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Why: the newest kernel, the module it lacks and the devices that need it. */
static void shout_why(const struct guard_decision *g)
{
	_cleanup_free_ char *why = NULL;
	check_module_impact(g->missing, &why);
	shout("kernel %s, the newest, lacks a module that hardware of this machine needs:", g->newest->kernel);
	shout("  %s", why ? why : g->missing->name);
	for (size_t i = 0; g->missing->devices && g->missing->devices[i]; i++)
		shout("  device: %s", g->missing->devices[i]);
	if (g->missing->log)
		shout("  log: %s", g->missing->log);
}

/* ---- acting ----------------------------------------------------------- */

/* GRUB chooses by saved_entry only with GRUB_DEFAULT=saved; else the
 * guard says what to set and changes nothing. */
static bool grub_uses_saved(const struct settings *s, const struct guard_decision *g)
{
	_cleanup_free_ char *file = grub_default_file(s);
	_cleanup_free_ char *def = grub_default(s, file);
	if (def && streq(def, "saved"))
		return true;
	shout_why(g);
	shout("GRUB boots GRUB_DEFAULT=%s (%s), not the saved entry, so the boot guard changed nothing.",
	      def ? def : "(unset: 0)", file);
	shout("to let it boot kernel %s instead: set GRUB_DEFAULT=saved in %s and run update-grub;", g->ready->kernel,
	      file);
	shout("or choose kernel %s in the boot menu.", g->ready->kernel);
	return false;
}

/* Sets the default to entry, which boots g->ready, records it and says so;
 * the default before (cur, when has > 0) is kept unless an earlier run
 * (active) recorded it already. */
static void guard_apply(const struct settings *s, const struct guard_decision *g, struct guard_record *rec,
			bool active, const struct loader *l, const char *entry, int has, const char *cur)
{
	int r = loader_set(l, entry);
	if (r != 0) {
		shout_why(g);
		shout("could not set %s's default to kernel %s (%s=%s): %s %s.", l->label, g->ready->kernel,
		      loader_what(l), entry, l->entries ? "bootctl" : "grub-editenv", r < 0 ? strerror(-r) : "failed");
		return;
	}
	if (!active) {
		record_free(rec);
		*rec = (struct guard_record){.previous = xstrdup(has > 0 ? cur : ""), .had_previous = has > 0};
	}
	free(rec->loader);
	free(rec->entry);
	free(rec->kernel);
	free(rec->instead_of);
	rec->loader = xstrdup(l->name);
	rec->entry = xstrdup(entry);
	rec->kernel = xstrdup(g->ready->kernel);
	rec->instead_of = xstrdup(g->newest->kernel);
	int w = record_save(s, rec);
	_cleanup_free_ char *undo = loader_command(l, rec->had_previous ? rec->previous : NULL);
	shout("==================================================================");
	shout_why(g);
	shout("%s will now boot kernel %s by default (%s=%s).", l->label, g->ready->kernel, loader_what(l), entry);
	shout("when %s is installed for kernel %s, dkms sets the default back.", g->missing->name, g->newest->kernel);
	shout("to boot the newest kernel anyway, undo it: %s", undo);
	shout("==================================================================");
	if (w < 0)
		shout("its record %s/.boot-guard could not be written (%s): dkms will not undo it itself.", s->dkms_tree,
		      strerror(-w));
}

/* Boot g->ready by default; rec holds what an earlier run set (active). */
static void guard_set(const struct settings *s, const struct guard_decision *g, struct guard_record *rec, bool active)
{
	struct loader l = {0};
	if (!detect_loader(s, active ? rec->loader : NULL, &l)) {
		shout_why(g);
		shout("no boot loader the guard knows (GRUB with grub-editenv, systemd-boot) was found: nothing changed;");
		shout("choose kernel %s in the boot menu.", g->ready->kernel);
		return;
	}
	_cleanup_free_ char *entry = loader_entry(&l, g->ready->kernel);
	_cleanup_free_ char *cur = NULL;
	int has = loader_current(&l, &cur);
	if (active && has >= 0 && (has == 0 || !streq(cur, rec->entry))) {
		/* the user chose since: theirs stands */
		shout("kernel %s lacks %s; the default boot entry was changed since the guard set it: left as it is.",
		      g->newest->kernel, g->missing->name);
	} else if (active && streq(rec->kernel, g->ready->kernel)) {
		shout("kernel %s still lacks %s: %s still boots kernel %s by default.", g->newest->kernel,
		      g->missing->name, l.label, rec->kernel);
	} else if (!entry) {
		shout_why(g);
		shout("%s has no entry for kernel %s (%s): nothing changed.", l.label, g->ready->kernel,
		      l.entries ? l.entries : l.grubcfg);
	} else if (l.entries || grub_uses_saved(s, g)) {
		guard_apply(s, g, rec, active, &l, entry, has, cur);
	}
	loader_free(&l);
}

/* The newest kernel has its modules again: put back what the guard set,
 * unless the default was changed since. */
static void guard_restore(const struct settings *s, const struct guard_decision *g, const struct guard_record *rec)
{
	struct loader l = {0};
	const char *newest = g->newest ? g->newest->kernel : "(none)";
	if (!detect_loader(s, rec->loader, &l)) {
		shout("the boot loader it changed (%s) is no longer found; its record is dropped.", rec->loader);
		record_drop(s);
		return;
	}
	_cleanup_free_ char *cur = NULL;
	int has = loader_current(&l, &cur);
	if (has >= 0 && (has == 0 || !streq(cur, rec->entry))) {
		shout("kernel %s has the modules this machine needs; the default boot entry was changed since the guard set it (%s): left as it is.",
		      newest, has ? cur : "unset");
		record_drop(s);
	} else {
		const char *back = rec->had_previous ? rec->previous : NULL;
		int r = loader_set(&l, back);
		if (r != 0) {
			_cleanup_free_ char *cmd = loader_command(&l, back);
			shout("could not set %s's default back (%s failed): run %s", l.label,
			      l.entries ? "bootctl" : "grub-editenv", cmd);
		} else {
			shout("==================================================================");
			shout("kernel %s now has the modules this machine needs.", newest);
			shout("%s's default is put back as it was before the guard chose kernel %s (%s%s%s).", l.label,
			      rec->kernel, loader_what(&l), back ? "=" : " unset", back ? back : "");
			shout("the newest kernel boots by default again.");
			shout("==================================================================");
			record_drop(s);
		}
	}
	loader_free(&l);
}

void boot_guard_run(struct dkms *d)
{
	const struct settings *s = &d->s;
	if (!s->boot_guard || !streq(s->boot_guard, "yes") || spawn_interrupted())
		return;
	struct guard_record rec;
	int lr = record_load(s, &rec);
	if (lr == -EINVAL) {
		_cleanup_free_ char *path = record_path(s);
		warn("boot guard: %s is not a record the guard wrote; it is left as it is and ignored.", path);
		return;
	}
	struct check_report r;
	check_installed_kernels(d, &r);
	struct guard_decision g;
	boot_guard_decide(&r, lr == 0, &g);
	switch (g.action) {
	case GUARD_NOTHING:
		break;
	case GUARD_NO_READY:
		shout_why(&g);
		shout("no other kernel has every module this machine needs: the boot loader is left as it is.");
		break;
	case GUARD_SET:
		guard_set(s, &g, &rec, lr == 0);
		break;
	case GUARD_RESTORE:
		guard_restore(s, &g, &rec);
		break;
	}
	record_free(&rec);
	check_report_free(&r);
}
