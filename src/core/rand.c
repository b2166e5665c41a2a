/* Randomness: everything comes from OpenSSL's CSPRNG (RAND_bytes), never from rand().
 * Small requests (tags, branches, nonces, SRTP keys) are served from a per-thread buffer of
 * CSPRNG output refilled 1 KiB at a time: OpenSSL checks for a fork with a getpid() system call
 * on every RAND_bytes, which was a dozen system calls per call set-up. Bytes handed out are
 * wiped from the buffer, and a fork empties every buffer so a child never repeats its parent. */
#include "core/rand.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#define POOL_SIZE 1024
#define POOL_MAX_REQUEST 64

static _Thread_local unsigned char pool[POOL_SIZE];
static _Thread_local size_t pool_left;
static _Thread_local unsigned pool_generation;
static atomic_uint fork_generation;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void on_fork_child(void)
{
	atomic_fetch_add(&fork_generation, 1);
}

static void register_atfork(void)
{
	pthread_atfork(NULL, NULL, on_fork_child);
}

int rand_bytes(void *buf, size_t len)
{
	if (len > (size_t)0x7fffffff)
		return EINVAL;
	if (len > POOL_MAX_REQUEST)
		return RAND_bytes(buf, (int)len) == 1 ? 0 : EIO;
	pthread_once(&atfork_once, register_atfork);
	unsigned gen = atomic_load(&fork_generation);
	if (gen != pool_generation) { /* forked: what is left was the parent's */
		OPENSSL_cleanse(pool, sizeof(pool));
		pool_left = 0;
		pool_generation = gen;
	}
	if (pool_left < len) {
		if (RAND_bytes(pool, POOL_SIZE) != 1)
			return EIO;
		pool_left = POOL_SIZE;
	}
	unsigned char *p = pool + POOL_SIZE - pool_left;
	memcpy(buf, p, len);
	OPENSSL_cleanse(p, len);
	pool_left -= len;
	return 0;
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
		OPENSSL_cleanse(r, sizeof(r));
	}
	buf[len] = '\0';
	return 0;
}
