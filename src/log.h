/* What the user sees.  Messages go to stdout (progress) or stderr
 * (errors, warnings), as the reference's do; -q silences both. */
#pragma once

#include "util/util.h"

void log_set_quiet(void);
void log_set_verbose(bool v);
bool log_verbose(void);
void info(const char *fmt, ...) _printf_(1, 2);
void info_blank(void);
/* "Error! " and the message on stderr; returns -1 so callers can
 * write "return error(...)" after setting their exit code. */
int error(const char *fmt, ...) _printf_(1, 2);
void warn(const char *fmt, ...) _printf_(1, 2);
void deprecated(const char *fmt, ...) _printf_(1, 2);
/* With --verbose (or framework.conf verbose): the commands run and the
 * decisions taken, on stdout, each line starting "[verbose] ". */
void debug(const char *fmt, ...) _printf_(1, 2);
