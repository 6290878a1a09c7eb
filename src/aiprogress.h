/* autoinstall's live lines on a terminal: one line per running build,
 * "[3/12] nvidia/535 6.12.1: building 0:42", redrawn in place below what
 * is printed, and one coloured line as each ends.  Used only when stdout
 * is a terminal (and TERM is not "dumb"); otherwise the output is the
 * plain one. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "autoinstall.h"

/* Whether to show live lines: stdout is a terminal that can redraw. */
bool aiprogress_wanted(void);

/* Erases the live lines, before something else is printed. */
void aiprogress_clear(void);

/* Draws the lines of the running jobs (kernels[j->kt] names each job's
 * kernel); now: the monotonic clock.  Unless changed (a state changed, a
 * job started or ended), at most once a second. */
void aiprogress_draw(const struct ai_job *jobs, size_t nj, char *const *kernels, double now, bool changed);

/* The line that stays when job j ended (its state is its outcome). */
void aiprogress_ended(const struct ai_job *j, size_t nj, const char *kernel);

/* Seconds on the monotonic clock. */
double aiprogress_now(void);
