#include "log.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

static bool verbose_on;
static bool progress_open; /* a progress line awaits its end */

/* Ends an open progress line before another message. */
static void progress_break(void)
{
	if (!progress_open)
		return;
	progress_open = false;
	putchar('\n');
	fflush(stdout);
}

void log_set_quiet(void)
{
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	fflush(stdout);
	fflush(stderr);
	dup2(fd, 1);
	dup2(fd, 2);
	close(fd);
}

void log_set_verbose(bool v)
{
	verbose_on = v;
}

bool log_verbose(void)
{
	return verbose_on;
}

_printf_(3, 0) static void vlog(FILE *f, const char *prefix, const char *fmt, va_list ap)
{
	progress_break();
	fflush(stdout);
	if (prefix)
		fputs(prefix, f);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
	fflush(f);
}

void info(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(stdout, NULL, fmt, ap);
	va_end(ap);
}

void info_blank(void)
{
	progress_break();
	fflush(stderr);
	putchar('\n');
	fflush(stdout);
}

void progress_start(const char *fmt, ...)
{
	va_list ap;
	progress_break();
	fflush(stderr);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputs("...", stdout);
	fflush(stdout);
	progress_open = true;
}

void progress_end(int status)
{
	if (!progress_open && status <= 0)
		return;
	progress_open = false;
	if (status > 0)
		printf("(bad exit status: %d)", status);
	putchar('\n');
	fflush(stdout);
}

int error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(stderr, "Error! ", fmt, ap);
	va_end(ap);
	return -1;
}

void warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(stderr, "Warning: ", fmt, ap);
	va_end(ap);
}

void deprecated(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(stderr, "Deprecated feature: ", fmt, ap);
	va_end(ap);
}

void debug(const char *fmt, ...)
{
	if (!verbose_on)
		return;
	va_list ap;
	va_start(ap, fmt);
	vlog(stdout, "[verbose] ", fmt, ap);
	va_end(ap);
}

int log_silence_stderr(void)
{
	fflush(stderr);
	int saved = dup(2);
	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (devnull >= 0) {
		dup2(devnull, 2);
		close(devnull);
	}
	return saved;
}

void log_restore_stderr(int saved)
{
	if (saved < 0)
		return;
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
}

static int job_state_fd = -1;
static size_t job_state_id;

void log_job_state_to(int fd, size_t id)
{
	job_state_fd = fd;
	job_state_id = id;
}

void log_job_state(const char *state)
{
	if (job_state_fd < 0)
		return;
	char line[64];
	int n = snprintf(line, sizeof(line), "%zu %s\n", job_state_id, state);
	/* one write below PIPE_BUF: lines of several jobs never mix */
	if (n > 0 && (size_t)n < sizeof(line) && write(job_state_fd, line, (size_t)n) < 0)
		job_state_fd = -1;
}
