#include "buildns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "util/staged.h"
#include "util/util.h"

bool buildns_possible(void)
{
	static int known = -1;
	if (known >= 0)
		return known;
	pid_t pid = fork();
	if (pid == 0)
		_exit(unshare(CLONE_NEWNS) == 0 &&
		      mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 ? 0 : 1);
	int status = 0;
	known = pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	return known;
}

int buildns_enter(const char *tmp, const char *build_dir, char **scratch)
{
	*scratch = NULL;
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	_cleanup_free_ char *top = staged_tmp_dir(tmp, "build");
	if (!top)
		return -errno;
	_cleanup_free_ char *dir = path_join(top, "build");
	if (mkdir(dir, 0755) < 0 || mount(dir, build_dir, NULL, MS_BIND, NULL) < 0) {
		int e = errno;
		rm_rf(top);
		return -e;
	}
	debug("Building in %s, seen as %s by this build only.", dir, build_dir);
	*scratch = TAKE_PTR(top);
	return 0;
}

/* build_dir emptied, then given what dir holds; one job at a time (other
 * builds of the version may end at the same moment). */
static void copy_back(const char *dir, const char *build_dir)
{
	int fd = open(build_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	flock(fd, LOCK_EX);
	_cleanup_strv_ char **old = dir_list(build_dir);
	for (size_t i = 0; old && old[i]; i++) {
		_cleanup_free_ char *p = path_join(build_dir, old[i]);
		rm_rf(p);
	}
	int r = copy_tree(dir, build_dir);
	if (r < 0)
		warn("Could not copy what the build left in %s to %s: %s", dir, build_dir, strerror(-r));
	close(fd);
}

void buildns_leave(const char *build_dir, char *scratch)
{
	if (!scratch)
		return;
	_cleanup_free_ char *dir = path_join(scratch, "build");
	if (umount2(build_dir, MNT_DETACH) == 0) {
		_cleanup_strv_ char **left = dir_list(dir);
		if (left && left[0])
			copy_back(dir, build_dir);
	}
	rm_rf(scratch);
	free(scratch);
}
