/* Reads each dkms.conf given on the command line both ways (in-process
 * fast path and bash) and fails if a file the fast path accepts gives a
 * different result from bash.  Prints how many files each path took. */
#include <stdio.h>
#include <string.h>

#include "dkmsconf.h"
#include "shellvars.h"

static bool same(const struct shvars *a, const struct shvars *b)
{
	for (size_t i = 0; dkms_conf_vars[i]; i++) {
		const char *n = dkms_conf_vars[i];
		size_t na = shvars_size(a, n), nb = shvars_size(b, n);
		if (na != nb)
			return false;
		for (size_t j = 0; j < na; j++) {
			const char *x = shvars_at(a, n, j), *y = shvars_at(b, n, j);
			if ((x == NULL) != (y == NULL) || (x && strcmp(x, y) != 0)) {
				fprintf(stderr, "  %s[%zu]: fast '%s' bash '%s'\n", n, j, x ? x : "(unset)", y ? y : "(unset)");
				return false;
			}
		}
	}
	return true;
}

int main(int argc, char **argv)
{
	int fast = 0, slow = 0, bad = 0;
	/* the variables dkms gives dkms.conf (see module_conf_load) */
	char *assign[] = {
		"kernelver=6.1.0-56-amd64", "arch=x86_64", "kernel_source_dir=/lib/modules/6.1.0-56-amd64/build",
		"kernel_config=/lib/modules/6.1.0-56-amd64/build/.config", "dkms_tree=/var/lib/dkms",
		"source_tree=/usr/src", "install_tree=/lib/modules", "tmp_location=/tmp", "module=m",
		"module_version=1.0", "dkms_conf_dir=/usr/src/m-1.0", "current_kernel=6.1.0-56-amd64",
		"current_os=Linux", "running_distribution=debian", NULL,
	};
	for (int i = 1; i < argc; i++) {
		char *files[] = {argv[i], NULL};
		struct shell_eval e = {.files = files, .names = (char *const *)dkms_conf_vars, .assign = assign};
		struct shvars a = {0}, b = {0};
		if (shell_eval_fast(&e, &a) != 0) {
			slow++;
			continue;
		}
		fast++;
		if (shell_eval_bash(&e, &b) != 0 || !same(&a, &b)) {
			fprintf(stderr, "DIFFERENT: %s\n", argv[i]);
			bad++;
		}
		shvars_free(&a);
		shvars_free(&b);
	}
	printf("%d files read in-process, %d left to bash, %d different\n", fast, slow, bad);
	return bad ? 1 : 0;
}
