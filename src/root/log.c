/* SPDX-License-Identifier: MIT */
#include "root/log.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int log_fd = 2;
static const char *log_stack = "rampart";
static struct timespec log_t0;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void log_open(int fd, const char *stack_name)
{
	log_fd = fd;
	/* jansson's hash seed, from /dev/urandom now: the jail has no open (jail.c). */
	json_object_seed(0);
	if (stack_name)
		log_stack = stack_name;
	clock_gettime(CLOCK_MONOTONIC, &log_t0);
}

double log_uptime(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - log_t0.tv_sec) + (now.tv_nsec - log_t0.tv_nsec) / 1e9;
}

int refuse(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * One line, in one write(2): no stdio on these fds, which would fstat,
 * lseek and ioctl them (calls the jail does not allow, jail.c).
 */
static void write_line(int fd, const char *s, size_t n)
{
	ssize_t w;

	while (n) {
		w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

void log_err(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	memcpy(line, "rampart: ", 9);
	va_start(ap, fmt);
	n = vsnprintf(line + 9, sizeof(line) - 10, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	n = n + 9 < (int)sizeof(line) - 1 ? n + 9 : (int)sizeof(line) - 2;
	line[n++] = '\n';
	write_line(2, line, (size_t)n);
}

static void add_value(json_t *o, const char *key, char type, va_list *ap)
{
	char hex[24];

	switch (type) {
	case 's':
		json_object_set_new(o, key, json_string(va_arg(*ap, const char *)));
		break;
	case 'u':
		json_object_set_new(o, key, json_integer((json_int_t)va_arg(*ap, uint64_t)));
		break;
	case 'i':
		json_object_set_new(o, key, json_integer((json_int_t)va_arg(*ap, int64_t)));
		break;
	case 'x':
		snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)va_arg(*ap, uint64_t));
		json_object_set_new(o, key, json_string(hex));
		break;
	case 'f':
		json_object_set_new(o, key, json_real(va_arg(*ap, double)));
		break;
	case 'b':
		json_object_set_new(o, key, json_boolean(va_arg(*ap, int)));
		break;
	case 'j':
		json_object_set_new(o, key, va_arg(*ap, json_t *));
		break;
	case 'o': { /* its fields become the event's; the key is not used */
		json_t *fields = va_arg(*ap, json_t *);

		json_object_update(o, fields);
		json_decref(fields);
		break;
	}
	default:
		json_object_set_new(o, key, json_string("?"));
	}
}

void log_event(const char *event, ...)
{
	struct timespec now;
	const char *key;
	char *text, *line;
	json_t *o;
	va_list ap;
	size_t n;

	if (log_fd < 0)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	o = json_object();
	json_object_set_new(o, "ts", json_real(now.tv_sec + now.tv_nsec / 1e9));
	json_object_set_new(o, "stack", json_string(log_stack));
	json_object_set_new(o, "event", json_string(event));
	va_start(ap, event);
	while ((key = va_arg(ap, const char *)) != NULL) {
		char type = (char)va_arg(ap, int);
		add_value(o, key, type, &ap);
	}
	va_end(ap);
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!text)
		return;
	n = strlen(text);
	line = realloc(text, n + 1);
	if (!line) {
		free(text);
		return;
	}
	line[n] = '\n';
	pthread_mutex_lock(&log_lock);
	write_line(log_fd, line, n + 1);
	pthread_mutex_unlock(&log_lock);
	free(line);
}

bool log_rate_take(struct log_rate *l, uint32_t burst, uint32_t per_s, uint64_t now_ns)
{
	uint64_t add;

	if (!l->primed) {
		l->primed = true;
		l->tokens = burst;
		l->at_ns = now_ns;
	} else if (now_ns > l->at_ns && per_s) {
		/* Whole tokens only; the time of a part token is kept for the next. */
		add = (now_ns - l->at_ns) * per_s / 1000000000ULL;
		if (add >= burst - l->tokens) {
			l->tokens = burst;
			l->at_ns = now_ns;
		} else if (add) {
			l->tokens += (uint32_t)add;
			l->at_ns += add * 1000000000ULL / per_s;
		}
	}
	if (!l->tokens)
		return false;
	l->tokens--;
	return true;
}
