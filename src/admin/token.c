/* token: the admin bearer token: generated for `token = demo`, compared in constant time. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "admin/http.h"
#include "core/log.h"
#include "core/rand.h"

#define TOKEN_LEN 32 /* [0-9a-zA-Z]: about 190 bits */

int admin_token_load(const char *data_dir, const char *bind, char *out, size_t size)
{
	char path[4200], buf[TOKEN_LEN + 2];
	int err = 0;
	if (size <= TOKEN_LEN)
		return EINVAL;
	snprintf(path, sizeof(path), "%s/admin-token", data_dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof(buf));
		close(fd);
		if (n >= TOKEN_LEN) {
			memcpy(out, buf, TOKEN_LEN);
			out[TOKEN_LEN] = '\0';
			OPENSSL_cleanse(buf, sizeof(buf));
			return 0;
		}
		log_warn("admin: %s is damaged; making a new token", path);
		unlink(path);
	}
	if (rand_token(out, TOKEN_LEN))
		return EIO;
	out[TOKEN_LEN] = '\0';
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno;
	if (write(fd, out, TOKEN_LEN) != TOKEN_LEN || write(fd, "\n", 1) != 1)
		err = EIO;
	close(fd);
	if (err)
		return err;
	/* stdout, not the log: shown once to whoever started the demo */
	printf("admin token: %s (generated now, kept in %s)\n"
	       "admin dashboard: https://%s/#token=%s\n",
	       out, path, bind, out);
	fflush(stdout);
	return 0;
}

int admin_auth_check(const char *header, const char *token)
{
	unsigned char a[EVP_MAX_MD_SIZE], b[EVP_MAX_MD_SIZE];
	unsigned la = 0, lb = 0;
	if (!header || !token || strncasecmp(header, "Bearer ", 7))
		return EACCES;
	header += 7;
	while (*header == ' ')
		header++;
	/* digests of both, so that the comparison takes the same time whatever the lengths */
	if (!EVP_Digest(header, strlen(header), a, &la, EVP_sha256(), NULL) ||
	    !EVP_Digest(token, strlen(token), b, &lb, EVP_sha256(), NULL) || la != lb)
		return EACCES;
	return CRYPTO_memcmp(a, b, la) == 0 ? 0 : EACCES;
}
