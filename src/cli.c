#include "cli.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

/* Where an option's value goes. */
enum opt_kind {
	OPT_BOOL,       /* sets a bool */
	OPT_STOP,       /* sets a bool and ends parsing (--version, --help) */
	OPT_STRING,     /* the value replaces a string */
	OPT_LIST,       /* the value is appended to a string list */
	OPT_KERNEL,     /* kernel[/arch] into kernelver and arch */
	OPT_MODULE,     /* module[/version] into module and module_version */
	OPT_DEPRECATED, /* accepted, ignored, with a warning */
};

enum {
	PREFIX = 1 << 0,   /* the long name matches by prefix, as the reference's --kernelver* */
	ATTACHED = 1 << 1, /* the value may follow the short name: -j3 */
	ORDERED = 1 << 2,  /* kept in order with the positional arguments */
};

struct cli_option {
	const char *name; /* "--kernelver", or NULL */
	char short_name;  /* 'k', or 0 */
	unsigned flags;
	enum opt_kind kind;
	size_t offset;    /* of the field in struct cli */
	const char *arg;  /* the value's name in the usage; NULL: takes no value */
	const char *help; /* NULL: not shown in the usage */
};

/* Offsets of fields of struct cli, checked against the kind's type. */
#define BOOL_AT(f) _Generic(((struct cli *)0)->f, bool: offsetof(struct cli, f))
#define STR_AT(f) _Generic(((struct cli *)0)->f, char *: offsetof(struct cli, f))
#define LIST_AT(f) _Generic(((struct cli *)0)->f, char **: offsetof(struct cli, f))

#define OPTION_FLAG(l, s, field, help) {l, s, 0, OPT_BOOL, BOOL_AT(field), NULL, help}
#define OPTION_STRING(l, s, flags, field, arg, help) {l, s, flags, OPT_STRING, STR_AT(field), arg, help}
#define OPTION_LIST(l, s, flags, field, arg, help) {l, s, flags, OPT_LIST, LIST_AT(field), arg, help}

/* The options of the reference, and ours.  The first entry that matches
 * wins, so --archive comes before --arch, as in the reference's case. */
static const struct cli_option options[] = {
	{"--module", 'm', PREFIX | ORDERED, OPT_MODULE, 0, "module[/version]", "the module, and its version"},
	OPTION_STRING(NULL, 'v', ORDERED, module_version, "version", "the module's version"),
	{"--kernelver", 'k', PREFIX, OPT_KERNEL, 0, "kernel[/arch]",
	 "a kernel, and its arch (repeatable)"},
	OPTION_STRING("--templatekernel", 0, PREFIX, template_kernel, "kernel", "match: the kernel to copy from"),
	OPTION_STRING(NULL, 'c', 0, conf, "dkms.conf", "the dkms.conf to read"),
	OPTION_FLAG("--quiet", 'q', quiet, "print nothing"),
	{"--version", 'V', 0, OPT_STOP, BOOL_AT(version), NULL, "print the version and exit"},
	{"--help", 'h', 0, OPT_STOP, BOOL_AT(help), NULL, "print this help and exit"},
	OPTION_FLAG("--no-initrd", 0, no_initrd, "do not regenerate the initramfs"),
	{"--no-clean-kernel", 0, 0, OPT_DEPRECATED, 0, NULL, NULL},
	{"--no-prepare-kernel", 0, 0, OPT_DEPRECATED, 0, NULL, NULL},
	OPTION_FLAG("--binaries-only", 0, binaries_only, "mktarball: leave the source out"),
	OPTION_FLAG("--source-only", 0, source_only, "mktarball: leave the modules out"),
	OPTION_FLAG("--force", 0, force, "do what would otherwise be refused"),
	OPTION_FLAG("--force-version-override", 0, force_version_override,
	     "install over a module of the same version"),
	OPTION_FLAG("--all", 0, all, "every kernel the module is built for"),
	OPTION_FLAG("--verbose", 0, verbose, "say more"),
	OPTION_FLAG("--json", 0, json, "status, verify, check: print JSON"),
	OPTION_FLAG("--repair", 0, repair, "verify: fix what needs no rebuild"),
	OPTION_FLAG("--rpm_safe_upgrade", 0, rpm_safe_upgrade, "keep the module across an rpm upgrade"),
	OPTION_STRING("--root", 0, 0, root, "dir", "work on the system whose root directory is dir"),
	OPTION_STRING("--dkmstree", 0, PREFIX, dkms_tree, "path", "the DKMS tree"),
	OPTION_STRING("--sourcetree", 0, PREFIX, source_tree, "path", "where module sources are"),
	OPTION_STRING("--installtree", 0, PREFIX, install_tree, "path", "where kernels' modules are installed"),
	OPTION_FLAG("--symlink-modules", 0, symlink_modules, "install links to the built modules"),
	OPTION_STRING("--config", 0, PREFIX, kernel_config, ".config", "the kernel's .config"),
	OPTION_STRING("--archive", 0, PREFIX | ORDERED, archive, "tarball", "mktarball, ldtarball: the tarball"),
	OPTION_LIST("--arch", 'a', PREFIX, arch, "arch", "an arch, paired in order with -k"),
	OPTION_STRING("--kernelsourcedir", 0, PREFIX, kernel_source_dir, "dir", "the kernel's build directory"),
	OPTION_LIST("--directive", 0, PREFIX, directives, "name=value",
	     "a dkms.conf directive (repeatable)"),
	OPTION_FLAG("--no-depmod", 0, no_depmod, "do not run depmod"),
	OPTION_FLAG("--modprobe-on-install", 0, modprobe_on_install, "load the modules once installed"),
	OPTION_FLAG("--debug", 0, debug, "as --verbose"),
	OPTION_STRING(NULL, 'j', ATTACHED, jobs, "number", "at most number jobs at once (0: no limit)"),
};

static void set(char **field, const char *v)
{
	free(*field);
	*field = xstrdup(v);
}

void cli_parse_moduleversion(struct cli *c, const char *s)
{
	const char *slash = strchr(s, '/');
	if (slash) {
		free(c->module);
		c->module = xstrndup(s, (size_t)(slash - s));
		set(&c->module_version, slash + 1);
	} else {
		set(&c->module, s);
	}
}

static void parse_kernelarch(struct cli *c, const char *s)
{
	const char *slash = strchr(s, '/');
	if (slash) {
		strv_push(&c->kernelver, xstrndup(s, (size_t)(slash - s)));
		strv_pushdup(&c->arch, slash + 1);
	} else {
		strv_pushdup(&c->kernelver, s);
	}
}

/* Keeps a message for cli_report, in command-line order. */
_printf_(4, 5) static void msg_add(struct cli *c, enum cli_msg_kind kind, int argi, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct cli_msg m = {kind, argi, xvasprintf(fmt, ap)};
	va_end(ap);
	c->msgs = xrealloc(c->msgs, (c->n_msgs + 1) * sizeof(*c->msgs));
	size_t at = c->n_msgs++;
	for (; at > 0 && c->msgs[at - 1].argi > argi; at--)
		c->msgs[at] = c->msgs[at - 1];
	c->msgs[at] = m;
}

static void arg_add(struct cli *c, const struct cli_option *o, int argi, const char *value)
{
	c->args = xrealloc(c->args, (c->n_args + 1) * sizeof(*c->args));
	c->args[c->n_args++] = (struct cli_arg){o, argi, xstrdup(value)};
}

/* The entry that names argument a, or NULL. */
static const struct cli_option *option_find(const char *a)
{
	for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
		const struct cli_option *o = &options[i];
		if (o->name && ((o->flags & PREFIX) ? startswith(a, o->name) : streq(a, o->name)))
			return o;
		if (o->short_name && a[0] == '-' && a[1] == o->short_name &&
		    (!a[2] || (o->flags & ATTACHED)))
			return o;
	}
	return NULL;
}

/* The value of an option that takes one: attached (-j3), after the first
 * '=' (--opt=value, -j=3), else the next argument, which *i then skips;
 * "" when argv runs out, as the reference reads an empty one. */
static const char *option_value(const struct cli_option *o, int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	if ((o->flags & ATTACHED) && a[2] && a[2] != '=')
		return a + 2;
	const char *eq = strchr(a, '=');
	if (eq)
		return eq + 1;
	if (*i + 1 < argc)
		return argv[++*i];
	return "";
}

/* Puts an option's value where its entry says. */
static void option_store(struct cli *c, const struct cli_option *o, const char *v)
{
	void *field = (char *)c + o->offset;
	switch (o->kind) {
	case OPT_BOOL:
	case OPT_STOP:
		*(bool *)field = true;
		break;
	case OPT_STRING:
		set(field, v);
		break;
	case OPT_LIST:
		strv_pushdup(field, v);
		break;
	case OPT_KERNEL:
		parse_kernelarch(c, v);
		break;
	case OPT_MODULE:
		cli_parse_moduleversion(c, v);
		break;
	case OPT_DEPRECATED:
		break;
	}
}

/* Takes the option at argv[*i] (and its value).  Returns true when parsing
 * ends there. */
static bool option_take(struct cli *c, const struct cli_option *o, int argc, char **argv, int *i)
{
	int argi = *i;
	const char *v = o->arg ? option_value(o, argc, argv, i) : NULL;
	if (o->kind == OPT_DEPRECATED)
		msg_add(c, CLI_MSG_DEPRECATED, argi, "%s", argv[argi]);
	if (o->flags & ORDERED)
		arg_add(c, o, argi, v);
	option_store(c, o, v);
	if (c->quiet && !c->quiet_at)
		c->quiet_at = argi;
	return o->kind == OPT_STOP;
}

static const struct cli_action *action_find(const struct cli *c, const char *s)
{
	for (size_t i = 0; i < c->n_actions; i++)
		if (streq(c->actions[i].name, s))
			return &c->actions[i];
	return NULL;
}

/* The reference's checks once every option is read. */
static int check_exclusive(struct cli *c, int argc)
{
	if (c->binaries_only && c->source_only) {
		msg_add(c, CLI_MSG_ERROR, argc,
			" You have specified both --binaries-only and --source-only.\nYou cannot do this.");
		return 8;
	}
	size_t nk = strv_len(c->kernelver), na = strv_len(c->arch);
	if (nk != na && na > 1) {
		msg_add(c, CLI_MSG_ERROR, argc,
			" If more than one arch is specified on the command line, then there\n"
			"must be an equal number of kernel versions also specified (1:1 relationship).");
		return 1;
	}
	if (nk && c->all) {
		msg_add(c, CLI_MSG_ERROR, argc,
			" You cannot specify a kernel version and also specify\n--all on the command line.");
		return 2;
	}
	if (na && c->all) {
		msg_add(c, CLI_MSG_ERROR, argc,
			" You cannot specify an arch and also specify\n--all on the command line.");
		return 3;
	}
	return 0;
}

int cli_parse(struct cli *c, const struct cli_action *actions, size_t n_actions, int argc, char **argv)
{
	*c = (struct cli){.actions = actions, .n_actions = n_actions};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const struct cli_option *o = option_find(a);
		const struct cli_action *act = NULL;
		if (o) {
			if (option_take(c, o, argc, argv, &i))
				return 0;
		} else if (a[0] == '-') {
			msg_add(c, CLI_MSG_USAGE_ERROR, i, " Unknown option: %s", a);
			return 2;
		} else if ((act = action_find(c, a))) {
			if (c->act) {
				msg_add(c, CLI_MSG_ERROR, i, "Cannot specify more than one action.");
				return 4;
			}
			c->act = act;
			c->action = act->name;
		} else {
			arg_add(c, NULL, i, a);
		}
	}
	return check_exclusive(c, argc);
}

/* A positional argument, looked at as the reference does: a dkms.conf, a
 * directory holding one, a file (an archive), else module/version when no
 * module is known yet (an empty -m counts as none, as bash's [[ ! $module ]]). */
static void positional_resolve(struct cli *c, const struct cli_arg *p)
{
	const char *a = p->value;
	_cleanup_free_ char *conf = path_join(a, "dkms.conf");
	if (endswith(a, "dkms.conf") && is_file(a)) {
		free(c->try_source_tree);
		c->try_source_tree = xasprintf("%.*s./", (int)(strlen(a) - strlen("dkms.conf")), a);
	} else if (is_dir(a) && is_file(conf)) {
		set(&c->try_source_tree, a);
	} else if (is_file(a)) {
		set(&c->archive, a);
	} else if (str_empty(c->module)) {
		cli_parse_moduleversion(c, a);
	} else {
		msg_add(c, CLI_MSG_WARNING, p->argi, "I do not know how to handle %s.", a);
	}
}

/* Replays -m, -v, --archive and the positional arguments from scratch, in
 * command-line order, so that each positional argument sees the module the
 * options before it gave, and the options after it override it. */
void cli_resolve_positionals(struct cli *c)
{
	char **replayed[] = {&c->module, &c->module_version, &c->archive, &c->try_source_tree};
	for (size_t i = 0; i < ARRAY_SIZE(replayed); i++) {
		free(*replayed[i]);
		*replayed[i] = NULL;
	}
	for (size_t i = 0; i < c->n_args; i++) {
		if (c->args[i].opt)
			option_store(c, c->args[i].opt, c->args[i].value);
		else
			positional_resolve(c, &c->args[i]);
	}
}

void cli_report(const struct cli *c, const char *argv0)
{
	for (size_t i = 0; i < c->n_msgs; i++) {
		const struct cli_msg *m = &c->msgs[i];
		if (c->quiet_at && m->argi > c->quiet_at)
			break;
		switch (m->kind) {
		case CLI_MSG_ERROR:
		case CLI_MSG_USAGE_ERROR:
			error("%s", m->text);
			if (m->kind == CLI_MSG_USAGE_ERROR)
				cli_usage(argv0, c->actions, c->n_actions);
			break;
		case CLI_MSG_WARNING:
			warn("%s", m->text);
			break;
		case CLI_MSG_DEPRECATED:
			deprecated("%s", m->text);
			break;
		}
	}
}

/* The action names, wrapped before column 80. */
static void usage_actions(const struct cli_action *actions, size_t n)
{
	static const char lead[] = "  [action]  = {";
	int col = printf("%s", lead);
	for (size_t i = 0; i < n; i++) {
		const char *sep = i + 1 < n ? " |" : " }";
		int len = 1 + (int)(strlen(actions[i].name) + strlen(sep));
		if (i > 0 && col + len > 80)
			col = printf("\n%*s", (int)strlen(lead), "") - 1;
		col += printf(" %s%s", actions[i].name, sep);
	}
	putchar('\n');
}

/* One option as the usage shows it: "-k, --kernelver <kernel[/arch]>". */
static char *usage_option(const struct cli_option *o)
{
	struct strbuf sb = {0};
	if (o->short_name)
		strbuf_appendf(&sb, "-%c%s", o->short_name, o->name ? ", " : "");
	else
		strbuf_append(&sb, "    ");
	if (o->name)
		strbuf_append(&sb, o->name);
	if (o->arg)
		strbuf_appendf(&sb, " <%s>", o->arg);
	return strbuf_steal(&sb);
}

void cli_usage(const char *argv0, const struct cli_action *actions, size_t n_actions)
{
	printf("Usage: %s [action] [options]\n", argv0);
	usage_actions(actions, n_actions);
	printf("  [options]\n");
	int width = 0;
	for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
		_cleanup_free_ char *s = usage_option(&options[i]);
		if (options[i].help && (int)strlen(s) > width)
			width = (int)strlen(s);
	}
	for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
		if (!options[i].help)
			continue;
		_cleanup_free_ char *s = usage_option(&options[i]);
		printf("    %-*s  %s\n", width, s, options[i].help);
	}
}

void cli_free(struct cli *c)
{
	char **fields[] = {
		&c->module, &c->module_version, &c->template_kernel, &c->conf,
		&c->kernel_config, &c->archive, &c->kernel_source_dir, &c->dkms_tree,
		&c->source_tree, &c->install_tree, &c->jobs, &c->try_source_tree, &c->root,
	};
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		free(*fields[i]);
		*fields[i] = NULL;
	}
	strv_free(c->kernelver);
	strv_free(c->arch);
	strv_free(c->directives);
	c->kernelver = c->arch = c->directives = NULL;
	for (size_t i = 0; i < c->n_args; i++)
		free(c->args[i].value);
	for (size_t i = 0; i < c->n_msgs; i++)
		free(c->msgs[i].text);
	free(c->args);
	free(c->msgs);
	c->args = NULL;
	c->msgs = NULL;
	c->n_args = c->n_msgs = 0;
}
