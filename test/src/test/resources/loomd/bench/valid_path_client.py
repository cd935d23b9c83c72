#!/usr/bin/env python3
"""IsValidPath round trips on one connection, from a client that shares no code with loomd.

Speaks the Guix worker protocol 0x164 with struct alone: the handshake, then op 1
(wopIsValidPath) COUNT times after WARMUP untimed calls. Prints one line:
  calls=N valid=0|1 median_ns=... p90_ns=... p99_ns=... max_ns=... total_ns=...
Usage: valid_path_client.py SOCKET STORE_PATH COUNT WARMUP
"""
import socket
import struct
import sys
import time

WORKER_MAGIC_1 = 0x6E697863
WORKER_MAGIC_2 = 0x6478696F
PROTOCOL_VERSION = 0x164
STDERR_NEXT = 0x6F6C6D67
STDERR_LAST = 0x616C7473
STDERR_ERROR = 0x63787470
OP_IS_VALID_PATH = 1


def u64(value):
    return struct.pack("<Q", value)


def string(text):
    data = text.encode()
    return u64(len(data)) + data + b"\0" * (-len(data) % 8)


class Connection:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.inp = self.sock.makefile("rb")

    def read_u64(self):
        data = self.inp.read(8)
        if len(data) != 8:
            raise EOFError("the daemon closed the connection")
        return struct.unpack("<Q", data)[0]

    def read_string(self):
        n = self.read_u64()
        data = self.inp.read(n + (-n % 8))
        return data[:n].decode(errors="replace")

    def await_last(self):
        """Skips log lines; raises on an error; returns at STDERR_LAST."""
        while True:
            code = self.read_u64()
            if code == STDERR_LAST:
                return
            if code == STDERR_NEXT:
                self.read_string()
            elif code == STDERR_ERROR:
                message = self.read_string()
                self.read_u64()
                raise RuntimeError("daemon error: " + message)
            else:
                raise RuntimeError("unexpected stderr code %#x" % code)

    def handshake(self):
        self.sock.sendall(u64(WORKER_MAGIC_1))
        if self.read_u64() != WORKER_MAGIC_2:
            raise RuntimeError("bad daemon magic")
        if self.read_u64() >> 8 != PROTOCOL_VERSION >> 8:
            raise RuntimeError("unsupported daemon version")
        # client version, no CPU affinity, reserveSpace as the Guix client sends it
        self.sock.sendall(u64(PROTOCOL_VERSION) + u64(0) + u64(1))
        self.await_last()

    def is_valid_path(self, request):
        self.sock.sendall(request)
        self.await_last()
        return self.read_u64() != 0


def main():
    sock_path, store_path, count, warmup = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    conn = Connection(sock_path)
    conn.handshake()
    request = u64(OP_IS_VALID_PATH) + string(store_path)
    valid = False
    for _ in range(warmup):
        valid = conn.is_valid_path(request)
    clock = time.perf_counter_ns
    times = [0] * count
    start = clock()
    for i in range(count):
        t0 = clock()
        valid = conn.is_valid_path(request)
        times[i] = clock() - t0
    total = clock() - start
    times.sort()

    def at(q):
        return times[min(count - 1, int(count * q))]

    print("calls=%d valid=%d median_ns=%d p90_ns=%d p99_ns=%d max_ns=%d total_ns=%d"
          % (count, valid, at(0.5), at(0.9), at(0.99), times[-1], total))


if __name__ == "__main__":
    main()
