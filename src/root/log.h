/* SPDX-License-Identifier: MIT */
/*
 * The root's two voices: one plain line to stderr for the operator when
 * something fails (what, the value, what to do), and JSON lines for events
 * (start, refusals, the guest's end), to --log FILE or stderr.
 */
#ifndef RAMPART_LOG_H
#define RAMPART_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Where events go; -1 keeps them off. */
void log_open(int fd, const char *stack_name);

/* Write one refusal line into err (what, the value); returns -1. */
int refuse(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* One plain line "rampart: ..." on stderr. */
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * One JSON event line. kv is a NULL-terminated list of key/format pairs; the
 * format's letter says the value's type: 's' string, 'u' uint64_t,
 * 'i' int64_t, 'x' uint64_t written as "0x..." string, 'f' double,
 * 'b' int written as true or false.
 * Example: log_event("refused", "who", 's', "virtio-net", "addr", 'x', a, NULL)
 */
void log_event(const char *event, ...);

/* Seconds since log_open, for timings in events and the summary. */
double log_uptime(void);

#endif
