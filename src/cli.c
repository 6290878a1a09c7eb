#include "cli.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"

static const char *const actions[] = {
	"add", "remove", "build", "unbuild", "install", "uninstall", "autoinstall",
	"match", "mktarball", "ldtarball", "status", "generate_mok", NULL,
};

bool cli_is_action(const char *s)
{
	for (size_t i = 0; actions[i]; i++)
		if (streq(actions[i], s))
			return true;
	return false;
}

void cli_usage(const char *argv0)
{
	printf("Usage: %s [action] [options]\n"
	       "  [action]  = { add | remove | build | unbuild | install | uninstall | match |\n"
	       "                autoinstall | mktarball | ldtarball | status | generate_mok }\n"
	       "  [options] = [-m module] [-v module-version] [-k kernel-version] [-a arch]\n"
	       "              [-c dkms.conf-location] [-q] [--force] [--force-version-override] [--all]\n"
	       "              [--templatekernel=kernel] [--directive='cli-directive=cli-value']\n"
	       "              [--config=kernel-.config-location] [--archive=tarball-location]\n"
	       "              [--kernelsourcedir=source-location] [--dkmstree=path]\n"
	       "              [--sourcetree=path] [--installtree=path]\n"
	       "              [--binaries-only] [--source-only] [--verbose]\n"
	       "              [--no-depmod] [--no-initrd] [--modprobe-on-install] [-j number]\n"
	       "              [--json] [--version] [--help]\n",
	       argv0);
}

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

/* An option that takes a value: "--opt=value" or "--opt value".  Returns
 * the value (possibly an empty string when argv runs out, as the reference
 * reads an empty one) and advances *i when the next argument was used. */
static const char *optval(int argc, char **argv, int *i)
{
	const char *eq = strchr(argv[*i], '=');
	if (eq)
		return eq + 1;
	if (*i + 1 < argc)
		return argv[++*i];
	return "";
}

/* The reference matches options by prefix patterns such as --kernelver*. */
static bool opt_is(const char *arg, const char *name, bool prefix)
{
	if (prefix)
		return startswith(arg, name);
	return streq(arg, name);
}

int cli_parse(struct cli *c, int argc, char **argv)
{
	*c = (struct cli){0};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (opt_is(a, "--module", true) || streq(a, "-m")) {
			cli_parse_moduleversion(c, optval(argc, argv, &i));
		} else if (streq(a, "-v")) {
			set(&c->module_version, optval(argc, argv, &i));
		} else if (opt_is(a, "--kernelver", true) || streq(a, "-k")) {
			parse_kernelarch(c, optval(argc, argv, &i));
		} else if (opt_is(a, "--templatekernel", true)) {
			set(&c->template_kernel, optval(argc, argv, &i));
		} else if (streq(a, "-c")) {
			set(&c->conf, optval(argc, argv, &i));
		} else if (streq(a, "--quiet") || streq(a, "-q")) {
			c->quiet = true;
			log_set_quiet();
		} else if (streq(a, "--version") || streq(a, "-V")) {
			c->version = true;
			return 0;
		} else if (streq(a, "--help") || streq(a, "-h")) {
			c->help = true;
			return 0;
		} else if (streq(a, "--no-initrd")) {
			c->no_initrd = true;
		} else if (streq(a, "--no-clean-kernel") || streq(a, "--no-prepare-kernel")) {
			deprecated("%s", a);
		} else if (streq(a, "--binaries-only")) {
			c->binaries_only = true;
		} else if (streq(a, "--source-only")) {
			c->source_only = true;
		} else if (streq(a, "--force")) {
			c->force = true;
		} else if (streq(a, "--force-version-override")) {
			c->force_version_override = true;
		} else if (streq(a, "--all")) {
			c->all = true;
		} else if (streq(a, "--verbose")) {
			c->verbose = true;
		} else if (streq(a, "--json")) {
			c->json = true;
		} else if (streq(a, "--rpm_safe_upgrade")) {
			c->rpm_safe_upgrade = true;
		} else if (opt_is(a, "--dkmstree", true)) {
			set(&c->dkms_tree, optval(argc, argv, &i));
		} else if (opt_is(a, "--sourcetree", true)) {
			set(&c->source_tree, optval(argc, argv, &i));
		} else if (opt_is(a, "--installtree", true)) {
			set(&c->install_tree, optval(argc, argv, &i));
		} else if (streq(a, "--symlink-modules")) {
			c->symlink_modules = true;
		} else if (opt_is(a, "--config", true)) {
			set(&c->kernel_config, optval(argc, argv, &i));
		} else if (opt_is(a, "--archive", true)) {
			set(&c->archive, optval(argc, argv, &i));
		} else if (opt_is(a, "--arch", true) || streq(a, "-a")) {
			strv_pushdup(&c->arch, optval(argc, argv, &i));
		} else if (opt_is(a, "--kernelsourcedir", true)) {
			set(&c->kernel_source_dir, optval(argc, argv, &i));
		} else if (opt_is(a, "--directive", true)) {
			strv_pushdup(&c->directives, optval(argc, argv, &i));
		} else if (streq(a, "--no-depmod")) {
			c->no_depmod = true;
		} else if (streq(a, "--modprobe-on-install")) {
			c->modprobe_on_install = true;
		} else if (streq(a, "--debug")) {
			log_set_verbose(true);
		} else if (streq(a, "-j") || startswith(a, "-j")) {
			if (a[2] && a[2] != '=')
				set(&c->jobs, a + 2);
			else
				set(&c->jobs, optval(argc, argv, &i));
		} else if (a[0] == '-') {
			error(" Unknown option: %s", a);
			cli_usage(argv[0]);
			return 2;
		} else if (cli_is_action(a)) {
			if (c->action) {
				error("Cannot specify more than one action.");
				return 4;
			}
			c->action = xstrdup(a);
		} else if (endswith(a, "dkms.conf") && is_file(a)) {
			free(c->try_source_tree);
			c->try_source_tree = xasprintf("%.*s./", (int)(strlen(a) - strlen("dkms.conf")), a);
		} else if (is_dir(a) && ({
				   _cleanup_free_ char *f = path_join(a, "dkms.conf");
				   is_file(f);
			   })) {
			set(&c->try_source_tree, a);
		} else if (is_file(a)) {
			set(&c->archive, a);
		} else if (!c->module) {
			cli_parse_moduleversion(c, a);
		} else {
			warn("I do not know how to handle %s.", a);
		}
	}

	if (c->binaries_only && c->source_only) {
		error(" You have specified both --binaries-only and --source-only.\nYou cannot do this.");
		return 8;
	}
	size_t nk = strv_len(c->kernelver), na = strv_len(c->arch);
	if (nk != na && na > 1) {
		error(" If more than one arch is specified on the command line, then there\n"
		      "must be an equal number of kernel versions also specified (1:1 relationship).");
		return 1;
	}
	if (nk && c->all) {
		error(" You cannot specify a kernel version and also specify\n--all on the command line.");
		return 2;
	}
	if (na && c->all) {
		error(" You cannot specify an arch and also specify\n--all on the command line.");
		return 3;
	}
	return 0;
}

void cli_free(struct cli *c)
{
	char **fields[] = {
		&c->action, &c->module, &c->module_version, &c->template_kernel, &c->conf,
		&c->kernel_config, &c->archive, &c->kernel_source_dir, &c->dkms_tree,
		&c->source_tree, &c->install_tree, &c->jobs, &c->try_source_tree,
	};
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		free(*fields[i]);
		*fields[i] = NULL;
	}
	strv_free(c->kernelver);
	strv_free(c->arch);
	strv_free(c->directives);
	c->kernelver = c->arch = c->directives = NULL;
}
