#include "shellvars.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "sandbox.h"
#include "util/spawn.h"

/* $1: names to read back; $2: count of assignments; then the assignments,
 * then the deprecated names (after a "--"), then the files. */
static const char driver[] =
	"__dkms_names=$1; __dkms_na=$2; shift 2\n"
	"while [ \"$__dkms_na\" -gt 0 ]; do declare -- \"$1\"; shift; __dkms_na=$((__dkms_na-1)); done\n"
	"__dkms_dep=()\n"
	"while [ \"$1\" != -- ]; do __dkms_dep+=(\"$1\"); shift; done; shift\n"
	"for __dkms_v in $__dkms_names; do unset \"$__dkms_v\"; done\n"
	"for __dkms_f in \"$@\"; do\n"
	"  [ -e \"$__dkms_f\" ] || continue\n"
	"  . \"$__dkms_f\" >/dev/null\n"
	"  for __dkms_v in \"${__dkms_dep[@]}\"; do\n"
	"    eval \"__dkms_c=\\${#${__dkms_v}[@]}\"\n"
	"    [ \"$__dkms_c\" -gt 0 ] && echo \"Deprecated feature: $__dkms_v ($__dkms_f)\" >&2\n"
	"  done\n"
	"done\n"
	"for __dkms_v in $__dkms_names; do\n"
	"  eval \"__dkms_k=(\\\"\\${!${__dkms_v}[@]}\\\")\"\n"
	"  for __dkms_i in \"${__dkms_k[@]}\"; do\n"
	"    eval \"__dkms_x=\\${${__dkms_v}[\\$__dkms_i]}\"\n"
	"    printf '%s\\0%s\\0%s\\0' \"$__dkms_v\" \"$__dkms_i\" \"$__dkms_x\" >&3\n"
	"  done\n"
	"done\n"
	"printf '\\0END\\0' >&3\n";

static size_t name_hash(const char *name)
{
	size_t h = 14695981039346656037ULL; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return h;
}

/* Where name is, or the empty slot where it would go. */
static size_t *slot_of(const struct shvars *s, const char *name)
{
	for (size_t h = name_hash(name) & (s->cap - 1);; h = (h + 1) & (s->cap - 1))
		if (!s->slots[h] || streq(s->v[s->slots[h] - 1].name, name))
			return &s->slots[h];
}

static struct shvar *shvars_find(const struct shvars *s, const char *name)
{
	if (!s->cap)
		return NULL;
	size_t slot = *slot_of(s, name);
	return slot ? &s->v[slot - 1] : NULL;
}

static struct shvar *shvars_add(struct shvars *s, const char *name)
{
	struct shvar *found = shvars_find(s, name);
	if (found)
		return found;
	if ((s->n + 1) * 2 > s->cap) {
		free(s->slots);
		s->cap = s->cap ? s->cap * 2 : 64;
		s->slots = xcalloc(s->cap, sizeof(*s->slots));
		for (size_t i = 0; i < s->n; i++)
			*slot_of(s, s->v[i].name) = i + 1;
	}
	if (s->n == s->alloc) {
		s->alloc = s->alloc ? s->alloc * 2 : 32;
		s->v = xrealloc(s->v, s->alloc * sizeof(*s->v));
	}
	*slot_of(s, name) = s->n + 1;
	struct shvar *v = &s->v[s->n++];
	*v = (struct shvar){.name = xstrdup(name)};
	return v;
}

void shvars_set(struct shvars *s, const char *name, size_t idx, const char *value)
{
	struct shvar *v = shvars_add(s, name);
	if (idx >= v->n) {
		v->vals = xrealloc(v->vals, (idx + 1) * sizeof(char *));
		for (size_t i = v->n; i <= idx; i++)
			v->vals[i] = NULL;
		v->n = idx + 1;
	}
	free(v->vals[idx]);
	v->vals[idx] = xstrdup(value);
}

int shvars_parse(const char *buf, size_t len, struct shvars *out)
{
	const char *p = buf, *end = buf + len;
	*out = (struct shvars){0};
	for (;;) {
		const char *f[3];
		for (int k = 0; k < 3; k++) {
			const char *z = memchr(p, '\0', (size_t)(end - p));
			if (!z) {
				shvars_free(out);
				return -EBADMSG;
			}
			f[k] = p;
			p = z + 1;
			if (k == 0 && *f[0] == '\0') {
				/* the end marker: "\0END\0" */
				if ((size_t)(end - p) >= 4 && memcmp(p, "END", 4) == 0)
					return 0;
				shvars_free(out);
				return -EBADMSG;
			}
		}
		char *e;
		errno = 0;
		unsigned long idx = strtoul(f[1], &e, 10);
		if (*e || errno || idx > 1u << 20) {
			shvars_free(out);
			return -EBADMSG;
		}
		shvars_set(out, f[0], idx, f[2]);
	}
}

/* Only regular files of a sane size are read: a FIFO or a device named
 * dkms.conf would otherwise hang every command while the lock is held. */
static int check_files(const struct shell_eval *e, struct stat *sts)
{
	for (size_t i = 0; e->files && e->files[i]; i++) {
		struct stat st;
		sts[i] = (struct stat){0};
		if (stat(e->files[i], &st) < 0) {
			if (errno == ENOENT)
				continue;
			fprintf(stderr, "Error! %s cannot be read: %s\n", e->files[i], strerror(errno));
			return -errno;
		}
		if (!S_ISREG(st.st_mode)) {
			fprintf(stderr, "Error! %s is not a regular file; it is not read.\n", e->files[i]);
			return -EINVAL;
		}
		if (st.st_size > SHELL_FILE_MAX) {
			fprintf(stderr, "Error! %s is larger than %d bytes; it is not read.\n", e->files[i], SHELL_FILE_MAX);
			return -EFBIG;
		}
		sts[i] = st;
	}
	return 0;
}

static int fast_eval(const struct shell_eval *e, struct shvars *out, const struct stat *sts);

int shell_eval_checked_fast(const struct shell_eval *e, struct shvars *out)
{
	struct stat *sts = xcalloc(strv_len(e->files) + 1, sizeof(*sts));
	int r = check_files(e, sts);
	const char *how = getenv("DKMS_SHELL_EVAL");
	if (r == 0 && how && streq(how, "bash"))
		r = -ENOTSUP;
	if (r == 0)
		r = fast_eval(e, out, sts) == 0 ? 0 : -ENOTSUP;
	free(sts);
	return r;
}

int shell_eval(const struct shell_eval *e, struct shvars *out)
{
	int r = shell_eval_checked_fast(e, out);
	return r == -ENOTSUP ? shell_eval_bash(e, out) : r;
}

void shvars_serialize(const struct shvars *vars, struct strbuf *out)
{
	for (size_t i = 0; i < vars->n; i++) {
		const struct shvar *v = &vars->v[i];
		for (size_t j = 0; j < v->n; j++) {
			if (!v->vals[j])
				continue;
			strbuf_appendf(out, "%s", v->name);
			strbuf_appendn(out, "", 1);
			strbuf_appendf(out, "%zu", j);
			strbuf_appendn(out, "", 1);
			strbuf_append(out, v->vals[j]);
			strbuf_appendn(out, "", 1);
		}
	}
	strbuf_appendn(out, "\0END\0", 5);
}

/* bash confined as e->sandbox says: it sees everything read-only, the
 * files and their directories included, and writes nothing.  Returns 0
 * with the argv to run, or -ENOTSUP (said) when a sandbox is required
 * and cannot be made. */
static int confine_bash(const struct shell_eval *e, char *const *argv, char ***out)
{
	if (!e->sandbox)
		return sandbox_wrap(NULL, NULL, argv, out);
	struct sandbox sb = {.mode = e->sandbox->mode, .quiet = e->sandbox->quiet};
	for (size_t i = 0; e->sandbox->visible && e->sandbox->visible[i]; i++)
		sandbox_show(&sb, e->sandbox->visible[i]);
	for (size_t i = 0; e->files && e->files[i]; i++) {
		if (!path_exists(e->files[i]))
			continue;
		/* the file too: its directory may be one nobody cannot enter */
		sandbox_show(&sb, e->files[i]);
		_cleanup_free_ char *dir = xstrdup(e->files[i]);
		char *slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		sandbox_show(&sb, slash ? (dir[0] ? dir : "/") : ".");
	}
	int r = sandbox_wrap(&sb, NULL, argv, out);
	sandbox_free(&sb);
	return r;
}

int shell_eval_bash(const struct shell_eval *e, struct shvars *out)
{
	struct strbuf names = {0};
	for (size_t i = 0; e->names && e->names[i]; i++) {
		if (i)
			strbuf_append(&names, " ");
		strbuf_append(&names, e->names[i]);
	}
	char **argv = NULL;
	strv_pushdup(&argv, "bash");
	strv_pushdup(&argv, "-c");
	strv_pushdup(&argv, driver);
	strv_pushdup(&argv, "dkms");
	strv_push(&argv, strbuf_steal(&names));
	strv_push(&argv, xasprintf("%zu", strv_len(e->assign)));
	for (size_t i = 0; e->assign && e->assign[i]; i++)
		strv_pushdup(&argv, e->assign[i]);
	for (size_t i = 0; e->deprecated && e->deprecated[i]; i++)
		strv_pushdup(&argv, e->deprecated[i]);
	strv_pushdup(&argv, "--");
	for (size_t i = 0; e->files && e->files[i]; i++)
		strv_pushdup(&argv, e->files[i]);
	char **run = NULL;
	int r = confine_bash(e, argv, &run);
	strv_free(argv);
	if (r < 0)
		return r;

	struct strbuf cap = {0};
	struct spawn_opts o = {
		.env = e->env, .out_fd = -1, .err_fd = -1, .null_stdin = true,
		.capture_child_fd = 3, .capture = &cap,
	};
	fflush(stdout);
	fflush(stderr);
	r = spawn_run(run, &o);
	strv_free(run);
	if (r < 0) {
		strbuf_release(&cap);
		return r;
	}
	/* A file that exits or breaks the driver leaves no end marker: the
	 * reference then sees no variables at all, and so do we. */
	r = shvars_parse(cap.buf ? cap.buf : "", cap.len, out);
	strbuf_release(&cap);
	if (r == -EBADMSG) {
		*out = (struct shvars){0};
		return 0;
	}
	return r;
}

void shvars_free(struct shvars *s)
{
	for (size_t i = 0; i < s->n; i++) {
		for (size_t j = 0; j < s->v[i].n; j++)
			free(s->v[i].vals[j]);
		free(s->v[i].vals);
		free(s->v[i].name);
	}
	free(s->v);
	free(s->slots);
	*s = (struct shvars){0};
}

const struct shvar *shvars_get(const struct shvars *s, const char *name)
{
	return shvars_find(s, name);
}

const char *shvars_at(const struct shvars *s, const char *name, size_t i)
{
	const struct shvar *v = shvars_get(s, name);
	return v && i < v->n ? v->vals[i] : NULL;
}

const char *shvars_scalar(const struct shvars *s, const char *name)
{
	return shvars_at(s, name, 0);
}

size_t shvars_count(const struct shvars *s, const char *name)
{
	const struct shvar *v = shvars_get(s, name);
	size_t c = 0;
	for (size_t i = 0; v && i < v->n; i++)
		if (v->vals[i])
			c++;
	return c;
}

size_t shvars_size(const struct shvars *s, const char *name)
{
	const struct shvar *v = shvars_get(s, name);
	return v ? v->n : 0;
}

/* The fast path: files made only of comments, blank lines and plain
 * assignments (NAME=word or NAME[N]=word, the word built from safe
 * unquoted characters, '...', "..." without `, and $NAME or ${NAME} of
 * names surely set) mean exactly what bash would make of them, so they
 * are read here without starting bash.  Anything else returns -ENOTSUP
 * and bash reads the files. */

/* Names bash gives a meaning of its own: every variable of bash(1)'s
 * "Shell Variables" (those bash sets, such as RANDOM, LINENO, UID or _,
 * and those whose assignment changes the shell, such as IFS, PATH or
 * POSIXLY_CORRECT), the few more that bash's table of special variables
 * acts upon (TERM, TERMCAP, TERMINFO, TZ, TEXTDOMAIN, TEXTDOMAINDIR,
 * ignoreeof), and those bash 5.3 adds.  "RANDOM=5; X=$RANDOM" or
 * "X=$LINENO" mean what only bash knows, so a file that assigns or
 * expands one of them is left to bash.  Sorted for bsearch (strcmp). */
const char *const shell_special_vars[] = {
	"BASH", "BASHOPTS", "BASHPID", "BASH_ALIASES", "BASH_ARGC", "BASH_ARGV",
	"BASH_ARGV0", "BASH_CMDS", "BASH_COMMAND", "BASH_COMPAT", "BASH_ENV",
	"BASH_EXECUTION_STRING", "BASH_LINENO", "BASH_LOADABLES_PATH", "BASH_MONOSECONDS",
	"BASH_REMATCH", "BASH_SOURCE", "BASH_SUBSHELL", "BASH_TRAPSIG", "BASH_VERSINFO",
	"BASH_VERSION", "BASH_XTRACEFD", "CDPATH", "CHILD_MAX", "COLUMNS", "COMPREPLY",
	"COMP_CWORD", "COMP_KEY", "COMP_LINE", "COMP_POINT", "COMP_TYPE",
	"COMP_WORDBREAKS", "COMP_WORDS", "COPROC", "DIRSTACK", "EMACS", "ENV",
	"EPOCHREALTIME", "EPOCHSECONDS", "EUID", "EXECIGNORE", "FCEDIT", "FIGNORE",
	"FUNCNAME", "FUNCNEST", "GLOBIGNORE", "GLOBSORT", "GROUPS", "HISTCMD",
	"HISTCONTROL", "HISTFILE", "HISTFILESIZE", "HISTIGNORE", "HISTSIZE",
	"HISTTIMEFORMAT", "HOME", "HOSTFILE", "HOSTNAME", "HOSTTYPE", "IFS", "IGNOREEOF",
	"INPUTRC", "INSIDE_EMACS", "LANG", "LC_ALL", "LC_COLLATE", "LC_CTYPE",
	"LC_MESSAGES", "LC_NUMERIC", "LC_TIME", "LINENO", "LINES", "MACHTYPE", "MAIL",
	"MAILCHECK", "MAILPATH", "MAPFILE", "OLDPWD", "OPTARG", "OPTERR", "OPTIND",
	"OSTYPE", "PATH", "PIPESTATUS", "POSIXLY_CORRECT", "PPID", "PROMPT_COMMAND",
	"PROMPT_DIRTRIM", "PS0", "PS1", "PS2", "PS3", "PS4", "PWD", "RANDOM",
	"READLINE_ARGUMENT", "READLINE_LINE", "READLINE_MARK", "READLINE_POINT", "REPLY",
	"SECONDS", "SHELL", "SHELLOPTS", "SHLVL", "SRANDOM", "TERM", "TERMCAP", "TERMINFO",
	"TEXTDOMAIN", "TEXTDOMAINDIR", "TIMEFORMAT", "TMOUT", "TMPDIR", "TZ", "UID", "_",
	"auto_resume", "histchars", "ignoreeof", NULL,
};

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

bool shell_name_is_special(const char *name)
{
	/* the driver's own variables: "__dkms_names=x" in a file would
	 * change what the driver reads back */
	if (startswith(name, "__dkms_"))
		return true;
	size_t n = ARRAY_SIZE(shell_special_vars) - 1;
	return bsearch(&name, shell_special_vars, n, sizeof(*shell_special_vars), cmp_name) != NULL;
}

/* What the fast path holds at the most; a text that needs more (a huge
 * sparse array, a value doubled line after line) is left to bash, which
 * keeps sparse arrays and manages its own memory. */
#define FAST_MAX_CELLS 4096                  /* array slots of all variables */
#define FAST_MAX_VALUE SHELL_FILE_MAX        /* bytes of one value */
#define FAST_MAX_BYTES (16 * SHELL_FILE_MAX) /* bytes of all values assigned by one text */

static bool is_name_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_name_char(char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9');
}

static bool is_safe_unquoted(char c)
{
	return is_name_char(c) || (c && strchr("./:,+@%^=-", c));
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* $name or ${name} at p (p[0] == '$'): appends the value and returns the
 * position after it; NULL when the expansion is anything else, when the
 * name is not one that is surely set (given to the script or assigned
 * earlier in these files: bash would look at its environment), or when
 * bash gives the name a meaning of its own. */
static const char *expand_var(const char *p, const char *end, const struct shvars *known, struct strbuf *sb)
{
	bool braced = p + 1 < end && p[1] == '{';
	const char *n0 = p + 1 + braced, *n1 = n0;
	while (n1 < end && is_name_char(*n1))
		n1++;
	if (n1 == n0 || !is_name_start(*n0))
		return NULL;
	if (braced && (n1 >= end || *n1 != '}'))
		return NULL;
	_cleanup_free_ char *name = xstrndup(n0, (size_t)(n1 - n0));
	const struct shvar *v = shvars_get(known, name);
	if (!v || shell_name_is_special(name))
		return NULL;
	/* $NAME is ${NAME[0]} */
	const char *val = v->n > 0 && v->vals[0] ? v->vals[0] : "";
	if (sb->len + strlen(val) > FAST_MAX_VALUE)
		return NULL;
	strbuf_append(sb, val);
	return braced ? n1 + 1 : n1;
}

/* "..." at p (p[0] == '"'), appended to sb: the position after the
 * closing quote, or NULL.  Inside, a backslash quotes only $ ` " \ and is
 * kept before anything else; a backquote is left to bash. */
static const char *parse_dquoted(const char *p, const char *end, const struct shvars *known, struct strbuf *sb)
{
	for (p++; p && p < end && *p != '"';) {
		if (*p == '`') {
			return NULL;
		} else if (*p == '$') {
			p = expand_var(p, end, known, sb);
		} else if (*p == '\\') {
			if (p + 1 >= end)
				return NULL;
			if (strchr("$`\"\\", p[1]))
				strbuf_appendn(sb, p + 1, 1);
			else
				strbuf_appendn(sb, p, 2);
			p += 2;
		} else {
			const char *q = p + 1; /* a run of plain characters at once */
			while (q < end && !strchr("\"`$\\", *q))
				q++;
			strbuf_appendn(sb, p, (size_t)(q - p));
			p = q;
		}
	}
	return p && p < end ? p + 1 : NULL;
}

/* The word after '=' at p, up to a blank or the end of the line, appended
 * to sb: the position after it, or NULL when it is not plain. */
static const char *parse_word(const char *p, const char *end, const struct shvars *known, struct strbuf *sb)
{
	while (p && p < end && !is_blank(*p)) {
		if (*p == '\'') {
			const char *q = memchr(p + 1, '\'', (size_t)(end - p - 1));
			if (!q)
				return NULL;
			strbuf_appendn(sb, p + 1, (size_t)(q - p - 1));
			p = q + 1;
		} else if (*p == '"') {
			p = parse_dquoted(p, end, known, sb);
		} else if (*p == '$') {
			p = expand_var(p, end, known, sb);
		} else if (is_safe_unquoted(*p)) {
			const char *q = p + 1;
			while (q < end && is_safe_unquoted(*q))
				q++;
			strbuf_appendn(sb, p, (size_t)(q - p));
			p = q;
		} else {
			return NULL;
		}
	}
	return p;
}

/* NAME= or NAME[N]= at *p: the name and index, *p moved past the '=';
 * false when the line does not start so.  Indices are decimal without a
 * leading 0 (bash reads 010 as octal), of at most 4 digits. */
static bool parse_target(const char **p, const char *end, char **name, size_t *idx)
{
	const char *q = *p, *n0 = q;
	if (q == end || !is_name_start(*q))
		return false;
	while (q < end && is_name_char(*q))
		q++;
	const char *n1 = q;
	size_t i = 0;
	if (q < end && *q == '[') {
		const char *i0 = ++q;
		while (q < end && *q >= '0' && *q <= '9')
			i = i * 10 + (size_t)(*q++ - '0');
		if (q == i0 || q - i0 > 4 || (q - i0 > 1 && *i0 == '0') || q >= end || *q != ']')
			return false;
		q++;
	}
	if (q >= end || *q != '=')
		return false;
	*name = xstrndup(n0, (size_t)(n1 - n0));
	*idx = i;
	*p = q + 1;
	return true;
}

/* The line [line, end): 1 an assignment parsed (name, idx and value
 * allocated), 0 nothing to do, -1 not simple. */
static int parse_simple_line(const char *line, const char *end, const struct shvars *known, char **name, size_t *idx,
			     char **value)
{
	const char *p = line;
	while (p < end && is_blank(*p))
		p++;
	if (p == end || *p == '#')
		return 0;
	if (!parse_target(&p, end, name, idx))
		return -1;
	struct strbuf sb = {0};
	strbuf_append(&sb, "");
	p = parse_word(p, end, known, &sb);
	while (p && p < end && is_blank(*p))
		p++;
	if (!p || (p < end && *p != '#') || sb.len > FAST_MAX_VALUE || shell_name_is_special(*name)) {
		strbuf_release(&sb);
		free(*name);
		*name = NULL;
		return -1;
	}
	*value = strbuf_steal(&sb);
	return 1;
}

int shvars_parse_simple(struct shvars *vars, const char *text, size_t len)
{
	if (memchr(text, '\0', len))
		return -ENOTSUP;
	size_t cells = 0, bytes = 0;
	for (size_t i = 0; i < vars->n; i++)
		cells += vars->v[i].n;
	const char *end = text + len;
	for (const char *line = text; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *eol = nl ? nl : end;
		char *name = NULL, *value = NULL;
		size_t idx = 0;
		int r = parse_simple_line(line, eol, vars, &name, &idx, &value);
		if (r < 0)
			return -ENOTSUP;
		if (r > 0) {
			size_t had = shvars_size(vars, name);
			cells += idx >= had ? idx + 1 - had : 0;
			bytes += strlen(value);
			bool fits = cells <= FAST_MAX_CELLS && bytes <= FAST_MAX_BYTES;
			if (fits)
				shvars_set(vars, name, idx, value);
			free(name);
			free(value);
			if (!fits)
				return -ENOTSUP;
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	return 0;
}

/* What the driver sets before sourcing, less what it unsets. */
static void fast_preset(const struct shell_eval *e, struct shvars *all)
{
	for (size_t i = 0; e->assign && e->assign[i]; i++) {
		const char *eq = strchr(e->assign[i], '=');
		if (!eq)
			continue;
		size_t len = (size_t)(eq - e->assign[i]);
		bool read_back = false;
		for (size_t j = 0; e->names && e->names[j] && !read_back; j++)
			read_back = e->names[j][0] == e->assign[i][0] && strncmp(e->names[j], e->assign[i], len) == 0 &&
				    e->names[j][len] == '\0';
		if (!read_back) {
			_cleanup_free_ char *n = xstrndup(e->assign[i], len);
			shvars_set(all, n, 0, eq + 1);
		}
	}
}

/* The texts the fast path read, known again by name and stat: a run
 * that reads one dkms.conf for several kernels reads the file once.  Only
 * a settled file is kept (stat_settled). */
struct read_text {
	char *path;
	struct stat st;
	char *text;
	size_t len;
	/* the names read back by an evaluation of this file alone that
	 * found it needs bash: the next one goes to bash at once */
	char *const *needs_bash;
};
static struct read_text *texts;
static size_t n_texts;

static struct read_text *text_kept(const char *path, const struct stat *st)
{
	for (size_t i = 0; st && st->st_ino && i < n_texts; i++)
		if (streq(texts[i].path, path) && stat_same(&texts[i].st, st))
			return &texts[i];
	return NULL;
}

static int read_text(const char *path, const struct stat *st, char **text, size_t *len)
{
	const struct read_text *kept = text_kept(path, st);
	if (kept) {
		*text = xstrndup(kept->text, kept->len);
		*len = kept->len;
		return 0;
	}
	int r = read_file(path, text, len);
	if (r == 0 && st && st->st_ino && (size_t)st->st_size == *len && !memchr(*text, '\0', *len) &&
	    stat_settled(st, time(NULL)) && n_texts < 256) {
		texts = xrealloc(texts, (n_texts + 1) * sizeof(*texts));
		texts[n_texts++] = (struct read_text){.path = xstrdup(path), .st = *st, .text = xstrndup(*text, *len),
						      .len = *len};
	}
	return r;
}

int shell_eval_fast(const struct shell_eval *e, struct shvars *out)
{
	return fast_eval(e, out, NULL);
}

/* (sts: what check_files found of each file, or NULL) */
static int fast_eval(const struct shell_eval *e, struct shvars *out, const struct stat *sts)
{
	bool one_file = e->files && e->files[0] && !e->files[1] && sts;
	struct read_text *kept = one_file ? text_kept(e->files[0], &sts[0]) : NULL;
	if (kept && kept->needs_bash == e->names) {
		*out = (struct shvars){0};
		return -ENOTSUP;
	}
	struct shvars all = {0};
	struct strbuf warnings = {0};
	int r = 0;
	fast_preset(e, &all);
	for (size_t i = 0; r == 0 && e->files && e->files[i]; i++) {
		_cleanup_free_ char *text = NULL;
		size_t len = 0;
		r = read_text(e->files[i], sts ? &sts[i] : NULL, &text, &len);
		if (r == -ENOENT) {
			r = 0;
			continue;
		}
		r = r < 0 ? -ENOTSUP : shvars_parse_simple(&all, text, len);
		for (size_t d = 0; r == 0 && e->deprecated && e->deprecated[d]; d++)
			if (shvars_count(&all, e->deprecated[d]) > 0)
				strbuf_appendf(&warnings, "Deprecated feature: %s (%s)\n", e->deprecated[d], e->files[i]);
	}
	if (r == -ENOTSUP && one_file && (kept = text_kept(e->files[0], &sts[0])))
		kept->needs_bash = e->names;
	*out = (struct shvars){0};
	for (size_t i = 0; r == 0 && e->names && e->names[i]; i++) {
		/* moved, not copied: all is freed just below */
		struct shvar *v = shvars_find(&all, e->names[i]);
		size_t set = 0;
		for (size_t j = 0; v && j < v->n; j++)
			set += v->vals[j] != NULL;
		if (!set)
			continue;
		struct shvar *o = shvars_add(out, v->name);
		free(o->vals);
		o->vals = TAKE_PTR(v->vals);
		o->n = v->n;
		v->n = 0;
	}
	shvars_free(&all);
	if (r == 0 && warnings.len) {
		fflush(stdout);
		fputs(warnings.buf, stderr);
	}
	strbuf_release(&warnings);
	return r;
}
