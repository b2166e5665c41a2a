/* demo: passwords for extensions configured with `demo = yes`. Generated from the CSPRNG at first
 * start, kept in data_dir/demo-passwords (mode 0600), and printed once to stdout when generated
 * (never to the log), so a demo PBX never runs with a well-known password. */
#ifndef SOTTO_PBX_DEMO_H
#define SOTTO_PBX_DEMO_H

#include "conf/settings.h"

struct demo_passwords;

int demo_passwords_load(struct demo_passwords **dp, const struct settings *cfg);
void demo_passwords_free(struct demo_passwords *d);
/* The password for ext, or NULL if it is not a demo extension. */
const char *demo_password(const struct demo_passwords *d, const char *ext);

#endif
