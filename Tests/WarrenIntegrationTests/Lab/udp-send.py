#!/usr/bin/env python3
"""Sends hostile datagrams for the lab's hostile-input tests (HostileDatagramTests.swift).

  udp-send.py ADDRESS PORT LENGTH...
      Sends one datagram of each LENGTH bytes (0 to 65507, filled with 0xA5) to ADDRESS:PORT.
      A LENGTH written SIZExCOUNT is one UDP GSO send (UDP_SEGMENT) of COUNT datagrams of
      SIZE bytes: a receiver with UDP GRO on gets them as one entry of segment size SIZE.
"""
import socket
import sys

UDP_SEGMENT = 103  # linux/udp.h


def main(address, port, lengths):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for length in lengths:
        if "x" in length:
            size, count = (int(n) for n in length.split("x"))
            s.setsockopt(socket.IPPROTO_UDP, UDP_SEGMENT, size)
            s.sendto(b"\xa5" * (size * count), (address, port))
            s.setsockopt(socket.IPPROTO_UDP, UDP_SEGMENT, 0)
        else:
            s.sendto(b"\xa5" * int(length), (address, port))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3:])
