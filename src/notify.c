/*
 * notify.c - sd_notify(3) without libsystemd.
 *
 * The protocol is one AF_UNIX datagram of "KEY=VALUE" lines to the socket
 * named by $NOTIFY_SOCKET; a leading '@' names an abstract socket.  Each
 * call opens and closes its own socket: notifications are rare (start,
 * reload, stop, watchdog every few seconds), and a socket kept open would
 * outlive a privilege drop or a systemd restart for nothing.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "svcmap/notify.h"

int
notify_send(const char *state)
{
	struct sockaddr_un sun;
	const char *path;
	socklen_t len;
	size_t plen;
	ssize_t n;
	int fd, saved;

	if ((path = getenv("NOTIFY_SOCKET")) == NULL || path[0] == '\0')
		return 0;
	plen = strlen(path);
	if ((path[0] != '/' && path[0] != '@') ||
	    plen >= sizeof(sun.sun_path)) {
		errno = EINVAL;
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, plen);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	/* An abstract name is its bytes exactly: no terminating NUL counted. */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen +
	    (path[0] == '@' ? 0 : 1));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	n = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	    (struct sockaddr *)&sun, len);
	saved = errno;
	close(fd);
	errno = saved;
	return n == (ssize_t)strlen(state) ? 1 : -1;
}

uint64_t
notify_watchdog_usec(void)
{
	const char *s, *pid;
	uintmax_t v;
	char *end;

	if ((s = getenv("WATCHDOG_USEC")) == NULL || *s == '\0')
		return 0;
	/* WATCHDOG_PID names the process meant when the variable is inherited. */
	if ((pid = getenv("WATCHDOG_PID")) != NULL && *pid != '\0') {
		errno = 0;
		v = strtoumax(pid, &end, 10);
		if (errno != 0 || *end != '\0' || v != (uintmax_t)getpid())
			return 0;
	}
	errno = 0;
	v = strtoumax(s, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0 || v > UINT64_MAX)
		return 0;
	return (uint64_t)v;
}
