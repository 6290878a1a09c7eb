/* dkms.conf: evaluated by bash (see shellvars.h) for one module, version,
 * kernel and arch, then checked and turned into what build and install
 * need, with the reference's defaults and error messages. */
#pragma once

#include "framework.h"
#include "shellvars.h"
#include "target.h"
#include "util/util.h"

struct conf_module {
	char *built_name;       /* BUILT_MODULE_NAME, defaulted */
	char *built_location;   /* "" or ending in '/' */
	char *dest_name;
	char *dest_location;    /* after the distribution's override */
	char *dest_location_raw; /* DEST_MODULE_LOCATION as written */
	bool strip;
};

struct module_conf {
	char *file;             /* the dkms.conf read */
	char *package_name, *package_version;
	struct conf_module *mods;
	size_t n_mods;
	char *make_command, *clean;
	char **patches;
	char *pre_build, *post_build, *pre_install, *post_install, *post_add, *post_remove;
	char *obsolete_by;
	bool autoinstall;
	char **build_depends;
	bool build_depends_rebuild; /* BUILD_DEPENDS_REBUILD="yes" (depends.h) */
	bool build_exclude;
	char *exclude_reason;   /* what did not match, for messages */
	bool no_weak_modules;
	bool remake_initrd;
	struct shvars vars;     /* everything bash gave back */
};

struct conf_request {
	const struct settings *s;
	const char *module, *module_version; /* for /etc/dkms/<module>*.conf and defaults */
	const struct kernel_target *t;       /* the kernel it is read for */
	const char *file;                    /* dkms.conf to read */
	char *const *directives;             /* --directive NAME=value */
	const char *cache_tree;              /* keep what bash evaluates in this <m>/<v> directory (evalcache.h), or NULL */
	bool cache_read;                     /* and take it from there */
};

/* The directive names dkms.conf may set. */
extern const char *const dkms_conf_vars[];

/* Reads and checks.  Returns 0; -ENOENT when the file cannot be read
 * (the reference's exit 4); -EINVAL when it is not a valid dkms.conf
 * (exit 8), the reasons already printed. */
int module_conf_load(const struct conf_request *rq, struct module_conf *mc);
void module_conf_free(struct module_conf *mc);

/* The checks newer releases make before add and build, not before the
 * actions that take a module away: no two BUILT_MODULE_NAME (with their
 * BUILT_MODULE_LOCATION) alike, no two DEST_MODULE_NAME alike.  0, or
 * -EINVAL after the reasons. */
int module_conf_check_names(const struct module_conf *mc);

/* Turns bash's values into a module_conf: the pure part, unit-tested. */
int module_conf_from_vars(const struct conf_request *rq, struct shvars *vars, struct module_conf *mc);

/* bash's [[ s =~ re ]]: 1 match, 0 no match, -1 bad regex. */
int bash_regex_match(const char *s, const char *re);
