#include "kbuildclean.h"

#include <fnmatch.h>
#include <fts.h>
#include <string.h>
#include <sys/stat.h>

#include "util/util.h"

bool kbuild_clean_is_plain(const char *clean, const char *headers_dir, const char *build_dir)
{
	if (str_empty(clean) || str_empty(headers_dir) || str_empty(build_dir))
		return false;
	_cleanup_free_ char *plain = xasprintf("make -C %s M=%s clean", headers_dir, build_dir);
	return streq(clean, plain);
}

/* What `make clean` of an external module removes by name: the patterns
 * of the kernel's top Makefile (6.1 to 6.12) and its rm-files. */
static const char *const clean_patterns[] = {
	"*.[aios]", "*.rsi", "*.ko", ".*.cmd", "*.ko.*", "*.dtb", "*.dtbo", "*.dtb.S", "*.dtbo.S",
	"*.dt.yaml", "dtbs-list", "*.dwo", "*.lst", "*.su", "*.mod", "*.usyms", ".*.d", ".*.tmp",
	"*.mod.c", "*.lex.c", "*.tab.[ch]", "*.asn1.[ch]", "*.symtypes", "modules.order",
	"*.c.[012]*.*", "*.ll", "*.gcno", "*.*.symversions", "Module.symvers", "modules.nsdeps",
	"compile_commands.json",
};

/* The variables by which a Makefile names more files for clean to remove
 * (scripts/Makefile.clean), and the subdirectories it descends into. */
static const char *const clean_lists[] = {
	"clean-files", "clean-dirs", "targets", "extra-", "always", "hostprogs", "userprogs", "subdir-",
};

static bool clean_would_remove(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(clean_patterns); i++)
		if (fnmatch(clean_patterns[i], name, 0) == 0)
			return true;
	return false;
}

static bool is_makefile(const char *name)
{
	return startswith(name, "Makefile") || startswith(name, "Kbuild") || streq(name, "makefile") ||
	       streq(name, "GNUmakefile") || endswith(name, ".mk") || endswith(name, ".mak");
}

/* A Makefile that may name files of its own for clean (or that cannot be
 * read, or is too big to be a module's). */
static bool makefile_names_clean_files(const char *path, off_t size)
{
	if (size > (1 << 20))
		return true;
	_cleanup_free_ char *text = NULL;
	if (read_file(path, &text, NULL) < 0)
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(clean_lists); i++)
		if (strstr(text, clean_lists[i]))
			return true;
	return false;
}

bool kbuild_tree_is_pristine(const char *dir)
{
	char *roots[] = {(char *)dir, NULL};
	FTS *fts = fts_open(roots, FTS_PHYSICAL | FTS_NOCHDIR, NULL);
	if (!fts)
		return false;
	bool pristine = true;
	FTSENT *e;
	while (pristine && (e = fts_read(fts))) {
		switch (e->fts_info) {
		case FTS_DP:
			break;
		case FTS_DNR:
		case FTS_ERR:
		case FTS_NS:
			pristine = false;
			break;
		default:
			if (e->fts_level == 0)
				break;
			if (clean_would_remove(e->fts_name))
				pristine = false;
			else if (e->fts_info == FTS_F && is_makefile(e->fts_name))
				pristine = !makefile_names_clean_files(e->fts_path, e->fts_statp->st_size);
		}
	}
	fts_close(fts);
	return pristine;
}
