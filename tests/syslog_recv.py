#!/usr/bin/env python3
"""syslog_recv.py SOCKET OUT: a minimal syslogd for tests.

Binds a datagram socket at SOCKET (as /dev/log is) and appends each
datagram received, as it came, to OUT, one per line, until killed.
"""
import socket
import sys


def main():
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(sys.argv[1])
    with open(sys.argv[2], "ab") as out:
        while True:
            data = sock.recv(1 << 16)
            out.write(data.rstrip(b"\n") + b"\n")
            out.flush()


if __name__ == "__main__":
    main()
