#include "unbuild.h"

#include "log.h"
#include "tree.h"
#include "util/fault.h"

int do_unbuild(struct dkms *d, const char *m, const char *v, const struct kernel_target *t)
{
	_cleanup_free_ char *ka = tree_ka_dir(&d->s, m, v, t->release, t->arch);
	debug("Removing %s.", ka);
	fault_point("unbuild:before");
	rm_rf(ka);
	_cleanup_free_ char *kdir = xasprintf("%s/%s/%s/%s", d->s.dkms_tree, m, v, t->release);
	/* the kernel directory goes when no arch directory is left */
	_cleanup_strv_ char **left = dir_list(kdir);
	bool subdir = false;
	for (size_t i = 0; left && left[i]; i++) {
		_cleanup_free_ char *p = path_join(kdir, left[i]);
		if (left[i][0] != '.' && is_dir(p))
			subdir = true;
	}
	if (!subdir)
		rm_rf(kdir);
	return 0;
}
