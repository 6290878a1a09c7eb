/* Named failure points, for the tests' fault injection: the process
 * kills itself with SIGKILL (as a power cut or kill -9 would end it) at
 * the point named in the environment variable DKMS_FAULT.  Without that
 * variable, a point costs one comparison.  The points a command passes
 * are listed with DKMS_FAULT=list (each prints "fault point: NAME" on
 * stderr), so a test can kill a command at every one of them in turn. */
#pragma once

void fault_point(const char *name);
