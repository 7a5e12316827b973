#!/usr/bin/env python3
"""Writes a SYN flood as a classic pcap: N one-packet TCP connections (a SYN each, from random
sources and ports to one server's port 80) spread evenly over D seconds. The worst case for
memory per flow: every packet is a new flow. README "Memory" measures on it.

    scripts/syn_flood.py OUT.pcap [N=3000000] [D=100]
"""
import random
import struct
import sys


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 3_000_000
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 100.0
    rng = random.Random(1)
    dst = bytes([192, 0, 2, 80])
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 96, 1))
        eth = b"\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\x08\x00"
        step = seconds / n
        chunk = []
        for i in range(n):
            t = i * step
            sec = int(t)
            usec = int((t - sec) * 1e6)
            src = bytes([10, rng.randrange(256), rng.randrange(256), 1 + rng.randrange(254)])
            sport = 1024 + rng.randrange(64000)
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, i & 0xFFFF, 0, 64, 6, 0, src, dst)
            tcp = struct.pack("!HHIIBBHHH", sport, 80, rng.getrandbits(32), 0, 5 << 4, 0x02, 65535, 0, 0)
            frame = eth + ip + tcp
            chunk.append(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame)
            if len(chunk) == 65536:
                f.write(b"".join(chunk))
                chunk.clear()
        f.write(b"".join(chunk))


if __name__ == "__main__":
    main()
