/* SPDX-License-Identifier: MIT */
/*
 * The root's two voices: one plain line to stderr for the operator when
 * something fails (what, the value, what to do), and JSON lines for events
 * (start, refusals, the guest's end), to --log FILE or stderr.
 */
#ifndef RAMPART_LOG_H
#define RAMPART_LOG_H

#include <stdarg.h>
#include <stdbool.h>
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
 * 'b' int written as true or false, 'j' a json_t * (jansson; the event takes it),
 * 'o' a JSON object whose fields become the event's (its key is ignored; the
 * event takes it).
 * Example: log_event("refused", "who", 's', "virtio-net", "addr", 'x', a, NULL)
 */
void log_event(const char *event, ...);

/* Seconds since log_open, for timings in events and the summary. */
double log_uptime(void);

/*
 * A token bucket for one kind of event line from one source: `burst`
 * lines at once, then `per_s` a second. Zeroed, it starts full. The caller
 * counts what it refuses and says so in a summary line.
 */
struct log_rate {
	uint64_t at_ns; /* when tokens were last added */
	uint32_t tokens;
	bool primed;
};

/* May one more line go out at now_ns (CLOCK_MONOTONIC)? Takes a token if so. */
bool log_rate_take(struct log_rate *l, uint32_t burst, uint32_t per_s, uint64_t now_ns);

#endif
