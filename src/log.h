/* What the user sees.  Messages go to stdout (progress) or stderr
 * (errors, warnings), as the reference's do; -q silences both. */
#pragma once

#include "util/util.h"

void log_set_quiet(void);
void log_set_verbose(bool v);
bool log_verbose(void);
void info(const char *fmt, ...) _printf_(1, 2);
void info_blank(void);
/* A progress line as the reference's invoke_command prints it, for
 * scripts and people who read it: "what..." when a command starts, then
 * "(bad exit status: N)" if it failed (status > 0), and the end of the
 * line.  A message printed in between ends the line first. */
void progress_start(const char *fmt, ...) _printf_(1, 2);
void progress_end(int status);
/* "Error! " and the message on stderr; returns -1 so callers can
 * write "return error(...)" after setting their exit code. */
int error(const char *fmt, ...) _printf_(1, 2);
void warn(const char *fmt, ...) _printf_(1, 2);
void deprecated(const char *fmt, ...) _printf_(1, 2);
/* stderr to /dev/null until log_restore_stderr(): for reading every
 * dkms.conf quietly, as the reference's status does.  Returns what to
 * give log_restore_stderr(). */
int log_silence_stderr(void);
void log_restore_stderr(int saved);
/* With --verbose (or framework.conf verbose): the commands run and the
 * decisions taken, on stdout, each line starting "[verbose] ". */
void debug(const char *fmt, ...) _printf_(1, 2);

/* For a job whose parent shows live progress (autoinstall on a terminal):
 * what the job does now ("building", "signing", "installing") is sent to
 * fd as the line "<id> <state>".  fd -1 (the default): nothing is sent. */
void log_job_state_to(int fd, size_t id);
void log_job_state(const char *state);
