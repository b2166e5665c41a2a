/* Randomness: everything comes from RAND_bytes, never from rand(). */
#include "core/rand.h"

#include <errno.h>
#include <openssl/rand.h>

int rand_bytes(void *buf, size_t len)
{
	if (len > (size_t)0x7fffffff)
		return EINVAL;
	return RAND_bytes(buf, (int)len) == 1 ? 0 : EIO;
}

int rand_token(char *buf, size_t len)
{
	static const char alphabet[] =
		"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	size_t i = 0;
	while (i < len) {
		unsigned char r[32];
		if (rand_bytes(r, sizeof(r)))
			return EIO;
		/* 62 * 4 = 248: reject bytes >= 248 so every character is equally likely. */
		for (size_t j = 0; j < sizeof(r) && i < len; j++)
			if (r[j] < 248)
				buf[i++] = alphabet[r[j] % 62];
	}
	buf[len] = '\0';
	return 0;
}
