/* ini: a generic, strict INI reader. Knows the syntax only ([section arg], key = value,
 * comments, quoting); which sections and keys exist is the caller's business (settings.c). */
#ifndef SOTTO_CONF_INI_H
#define SOTTO_CONF_INI_H

#include <stdbool.h>
#include <stddef.h>

#include "core/pl.h"

#define INI_LINE_MAX 4096	 /* bytes per line, without the line ending */
#define INI_FILE_MAX (16u << 20) /* ini_file_read refuses larger files (EFBIG) */

enum ini_event {
	INI_SECTION, /* a "[name]" or "[name arg]" header */
	INI_KEY,     /* a "key = value" line inside a section */
	INI_ERROR,   /* a syntax error; the reader goes on with the next line */
};

/* What the reader hands to the callback. Views into the input stay valid for the whole parse,
 * except value, which may point into a scratch buffer and is valid only during the call. */
struct ini_item {
	int line;	   /* 1-based */
	struct pl section; /* current section name; PL_NULL before the first header */
	struct pl arg;	   /* its argument; PL_NULL when the header has none */
	struct pl key;	   /* INI_KEY; INI_ERROR when the key was read but its value is bad */
	struct pl value;   /* INI_KEY: trimmed, unquoted, unescaped; may be empty */
	bool quoted;	   /* INI_KEY: the value was written in double quotes */
	const char *msg;   /* INI_ERROR: what is wrong, without FILE:LINE */
};

/* A non-zero return stops the parse and becomes ini_parse's return value. */
typedef int(ini_h)(enum ini_event ev, const struct ini_item *it, void *arg);

/*
 * Parse buf (not NUL-terminated) and call h for every header, key and syntax error, in file
 * order. Keys under a malformed header are skipped silently (the header was reported); keys
 * before the first header are each reported. Returns 0 once the whole input was read (syntax
 * errors are events, not return values), or what h returned to stop it.
 */
int ini_parse(const char *buf, size_t len, ini_h *h, void *arg);

/* Read a whole file into a new NUL-terminated buffer (free with ini_file_free). 0, an errno
 * from open/read, or EFBIG past INI_FILE_MAX. */
int ini_file_read(const char *path, char **bufp, size_t *lenp);
/* Wipe (the file may hold passwords) and free a buffer from ini_file_read. NULL is fine. */
void ini_file_free(char *buf, size_t len);

#endif
