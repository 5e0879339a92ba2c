/*
 * test_notify.c - the sd_notify datagram, received on a socket of the
 * test's own, as systemd would receive it: path and abstract names, the
 * no-op outside systemd, and the watchdog variables.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "svcmap/notify.h"
#include "tap.h"

/* Bind a datagram socket to name ('@' = abstract); -1 on failure. */
static int
listener(const char *name)
{
	struct sockaddr_un sun;
	socklen_t len;
	size_t n = strlen(name);
	int fd;

	if ((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) == -1)
		return -1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, name, n);
	if (name[0] == '@')
		sun.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
	    (name[0] == '@' ? 0 : 1));
	if (bind(fd, (struct sockaddr *)&sun, len) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The next datagram on fd, or "" when none arrives. */
static const char *
received(int fd)
{
	static char buf[512];
	ssize_t n;

	n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

int
main(void)
{
	char dir[] = "/tmp/test_notify.XXXXXX", path[128], abstract[64],
	    pid[32];
	int fd;

	if (mkdtemp(dir) == NULL)
		tap_skip_all("mkdtemp failed");

	unsetenv("NOTIFY_SOCKET");
	is_int(notify_send("READY=1"), 0, "outside systemd: a no-op");
	setenv("NOTIFY_SOCKET", "", 1);
	is_int(notify_send("READY=1"), 0, "empty NOTIFY_SOCKET: a no-op");

	snprintf(path, sizeof(path), "%s/notify", dir);
	fd = listener(path);
	ok(fd != -1, "test socket bound at a path");
	setenv("NOTIFY_SOCKET", path, 1);
	is_int(notify_send("READY=1\nSTATUS=capturing on eth1"), 1,
	    "sent to a path socket");
	is_str(received(fd), "READY=1\nSTATUS=capturing on eth1",
	    "the datagram is the state, byte for byte");
	is_int(notify_send("STOPPING=1"), 1, "a second message");
	is_str(received(fd), "STOPPING=1", "each call one datagram");
	close(fd);
	unlink(path);
	is_int(notify_send("READY=1"), -1, "a vanished socket is an error");

	snprintf(abstract, sizeof(abstract), "@svcmap-test-notify-%ld",
	    (long)getpid());
	fd = listener(abstract);
	ok(fd != -1, "abstract test socket bound");
	setenv("NOTIFY_SOCKET", abstract, 1);
	is_int(notify_send("WATCHDOG=1"), 1, "sent to an abstract socket");
	is_str(received(fd), "WATCHDOG=1", "abstract name: no NUL counted");
	close(fd);

	setenv("NOTIFY_SOCKET", "relative/path", 1);
	errno = 0;
	is_int(notify_send("READY=1"), -1, "a relative name is refused");
	is_int(errno, EINVAL, "with EINVAL");
	unsetenv("NOTIFY_SOCKET");

	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	ok(notify_watchdog_usec() == 0, "no watchdog by default");
	setenv("WATCHDOG_USEC", "3000000", 1);
	ok(notify_watchdog_usec() == 3000000, "WATCHDOG_USEC read");
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	ok(notify_watchdog_usec() == 3000000, "meant for this pid");
	snprintf(pid, sizeof(pid), "%ld", (long)getpid() + 1);
	setenv("WATCHDOG_PID", pid, 1);
	ok(notify_watchdog_usec() == 0, "meant for another pid: off");
	unsetenv("WATCHDOG_PID");
	setenv("WATCHDOG_USEC", "12x", 1);
	ok(notify_watchdog_usec() == 0, "junk interval: off");
	setenv("WATCHDOG_USEC", "0", 1);
	ok(notify_watchdog_usec() == 0, "zero interval: off");

	rmdir(dir);
	return tap_done();
}
