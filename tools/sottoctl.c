/* sottoctl: ask the running sotto something over its control socket (data_dir/sotto.sock).
 *   sottoctl [-s SOCKET] registrations|calls|hangup ID|trunks|cdr|reload|blocked */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int usage(void)
{
	fprintf(stderr, "usage: sottoctl [-s SOCKET] COMMAND\n"
			"  -s SOCKET   control socket (default ./var/sotto.sock)\n"
			"commands:\n"
			"  registrations   registered phones\n"
			"  calls           calls in progress, each leg's security\n"
			"  hangup ID       end a call\n"
			"  trunks          trunks and their registration state\n"
			"  cdr             the last 20 call records\n"
			"  reload          read the configuration file again (all or nothing)\n"
			"  blocked         addresses blocked after failed authentications\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *path = "./var/sotto.sock";
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char buf[4096];
	int opt;

	while ((opt = getopt(argc, argv, "s:h")) != -1) {
		if (opt == 's')
			path = optarg;
		else
			return usage();
	}
	if (optind >= argc)
		return usage();
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "sottoctl: socket path too long: %s\n", path);
		return 1;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		fprintf(stderr, "sottoctl: cannot reach sotto at %s: %s (is it running?)\n", path,
			strerror(errno));
		return 1;
	}
	/* the command and its arguments, joined by spaces, on one line */
	int n = 0;
	for (int i = optind; i < argc && n < (int)sizeof(buf) - 2; i++)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%s%s", i > optind ? " " : "",
			      argv[i]);
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(fd, buf, (size_t)n) != n) {
		fprintf(stderr, "sottoctl: write failed: %s\n", strerror(errno));
		return 1;
	}
	int rc = 0;
	ssize_t r;
	while ((r = read(fd, buf, sizeof(buf))) > 0) {
		if (r >= 6 && strncmp(buf, "error:", 6) == 0)
			rc = 1;
		fwrite(buf, 1, (size_t)r, stdout);
	}
	close(fd);
	return rc;
}
