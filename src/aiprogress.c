#include "aiprogress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"

static size_t drawn;  /* live lines on the screen now */
static double drawn_at;  /* when they were drawn */

bool aiprogress_wanted(void)
{
	const char *term = getenv("TERM");
	return isatty(STDOUT_FILENO) && !(term && streq(term, "dumb"));
}

double aiprogress_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool use_colour(void)
{
	const char *no = getenv("NO_COLOR");
	return !(no && *no);
}

/* SGR colour of a state: green done, red failed, cyan skipped, yellow
 * while it works. */
static const char *colour_of(const char *state)
{
	if (!use_colour())
		return "";
	if (streq(state, "installed"))
		return "\033[32m";
	if (startswith(state, "failed"))
		return "\033[31m";
	if (streq(state, "skipped"))
		return "\033[36m";
	return "\033[33m";
}

static size_t columns(void)
{
	struct winsize ws;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10)
		return ws.ws_col;
	return 80;
}

/* One line, cut to the terminal's width so that it never wraps (the
 * redraw counts lines). */
static void put_line(const struct ai_job *j, size_t nj, const char *kernel, double secs)
{
	long s = secs > 0 ? (long)secs : 0;
	char *text = xasprintf("[%zu/%zu] %s/%s %s: %s %ld:%02ld", j->ordinal, nj, j->m, j->v, kernel, j->state,
			       s / 60, s % 60);
	size_t width = columns() - 1;
	if (strlen(text) > width)
		text[width] = '\0';
	const char *c = colour_of(j->state);
	printf("%s%s%s\n", c, text, *c ? "\033[0m" : "");
	free(text);
}

void aiprogress_clear(void)
{
	if (drawn)
		printf("\033[%zuA\r\033[J", drawn);
	drawn = 0;
	fflush(stdout);
}

void aiprogress_draw(const struct ai_job *jobs, size_t nj, char *const *kernels, double now, bool changed)
{
	/* the clocks move once a second */
	if (!changed && drawn && now - drawn_at < 1.0)
		return;
	drawn_at = now;
	aiprogress_clear();
	for (size_t i = 0; i < nj; i++) {
		if (!jobs[i].started || jobs[i].done)
			continue;
		put_line(&jobs[i], nj, kernels[jobs[i].kt], now - jobs[i].t0);
		drawn++;
	}
	fflush(stdout);
}

void aiprogress_ended(const struct ai_job *j, size_t nj, const char *kernel)
{
	aiprogress_clear();
	put_line(j, nj, kernel, j->secs);
	fflush(stdout);
}
