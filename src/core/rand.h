/* Randomness from OpenSSL's CSPRNG: keys, nonces, tags, branches. */
#ifndef SOTTO_CORE_RAND_H
#define SOTTO_CORE_RAND_H

#include <stddef.h>

/* Fill buf with len cryptographically secure random bytes. 0 or EIO. */
int rand_bytes(void *buf, size_t len);
/* Write len random characters from [0-9a-zA-Z] plus a NUL (buf holds len+1). 0 or EIO. */
int rand_token(char *buf, size_t len);

#endif
