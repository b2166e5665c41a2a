/* demo: generated passwords for demo extensions, stored one "EXT PASSWORD" per line. */
#include "pbx/demo.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/rand.h"

#define PW_LEN 16

struct demo_entry {
	char ext[32];
	char password[PW_LEN + 1];
};

struct demo_passwords {
	struct demo_entry *e;
	size_t n;
};

static struct demo_entry *find(const struct demo_passwords *d, const char *ext)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->e[i].ext, ext) == 0)
			return &d->e[i];
	return NULL;
}

static void read_file(struct demo_passwords *d, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[256];
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char ext[32], pw[PW_LEN + 1];
		if (sscanf(line, "%31s %16s", ext, pw) != 2)
			continue;
		struct demo_entry *e = find(d, ext);
		if (e && !e->password[0])
			memcpy(e->password, pw, sizeof(pw));
	}
	OPENSSL_cleanse(line, sizeof(line));
	fclose(f);
}

int demo_passwords_load(struct demo_passwords **dp, const struct settings *cfg)
{
	struct demo_passwords *d = calloc(1, sizeof(*d));
	char path[4200];
	int err = 0;
	if (!d)
		return ENOMEM;
	d->e = calloc(cfg->n_extensions ? cfg->n_extensions : 1, sizeof(*d->e));
	if (!d->e) {
		free(d);
		return ENOMEM;
	}
	for (size_t i = 0; i < cfg->n_extensions; i++)
		if (cfg->extensions[i].demo)
			snprintf(d->e[d->n++].ext, sizeof(d->e[0].ext), "%s",
				 cfg->extensions[i].number);
	snprintf(path, sizeof(path), "%s/demo-passwords", cfg->data_dir);
	read_file(d, path);

	int fd = -1;
	for (size_t i = 0; i < d->n; i++) {
		struct demo_entry *e = &d->e[i];
		if (e->password[0])
			continue;
		if (fd < 0)
			fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (fd < 0 || rand_token(e->password, PW_LEN)) {
			err = fd < 0 ? errno : EIO;
			log_err("demo: cannot store passwords in %s: %s", path, strerror(err));
			break;
		}
		char line[80];
		int n = snprintf(line, sizeof(line), "%s %s\n", e->ext, e->password);
		if (write(fd, line, (size_t)n) != n)
			err = EIO;
		OPENSSL_cleanse(line, sizeof(line));
		/* stdout, not the log: shown to whoever ran `make run`, once */
		printf("demo extension %s: password %s (generated now, kept in %s)\n", e->ext,
		       e->password, path);
	}
	fflush(stdout);
	if (fd >= 0)
		close(fd);
	if (err) {
		demo_passwords_free(d);
		return err;
	}
	*dp = d;
	return 0;
}

void demo_passwords_free(struct demo_passwords *d)
{
	if (!d)
		return;
	OPENSSL_cleanse(d->e, d->n * sizeof(*d->e));
	free(d->e);
	free(d);
}

const char *demo_password(const struct demo_passwords *d, const char *ext)
{
	const struct demo_entry *e = d ? find(d, ext) : NULL;
	return e && e->password[0] ? e->password : NULL;
}
