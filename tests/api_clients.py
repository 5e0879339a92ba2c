#!/usr/bin/env python3
"""Raw API clients for tests/api_limits_netns.sh (issue 19 item 2).

  idle PORT N SECONDS     open N connections that send nothing, hold them
                          SECONDS, print how many the server closed
  trickle PORT EVERY MAX  send a request line, then one header line every
                          EVERY seconds; print the seconds until the
                          server closed the connection, or "open" after MAX
"""
import socket
import sys
import time


def connect(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    return s


def closed(s):
    """True once the server closed (or reset) the connection."""
    s.setblocking(False)
    try:
        return s.recv(4096) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        s.setblocking(True)


def idle(port, n, seconds):
    socks = []
    for _ in range(n):
        try:
            socks.append(connect(port))
        except OSError:
            break
    time.sleep(seconds)
    print(sum(1 for s in socks if closed(s)), len(socks))
    for s in socks:
        s.close()


def trickle(port, every, limit):
    s = connect(port)
    start = time.monotonic()
    s.sendall(b"GET /v1/status HTTP/1.1\r\nHost: x\r\n")
    i = 0
    while time.monotonic() - start < limit:
        time.sleep(every)
        if closed(s):
            print("%.1f" % (time.monotonic() - start))
            return
        try:
            s.sendall(b"X-Slow-%d: 1\r\n" % i)
        except OSError:
            print("%.1f" % (time.monotonic() - start))
            return
        i += 1
    print("open")


def main():
    cmd, port = sys.argv[1], int(sys.argv[2])
    if cmd == "idle":
        idle(port, int(sys.argv[3]), float(sys.argv[4]))
    elif cmd == "trickle":
        trickle(port, float(sys.argv[3]), float(sys.argv[4]))
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
