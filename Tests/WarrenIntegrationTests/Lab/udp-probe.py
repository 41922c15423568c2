#!/usr/bin/env python3
"""Checks what a NAT router does with UDP, for the lab's NAT tests (Lab+NAT.swift).

  udp-probe.py serve ADDRESS ALT_ADDRESS PORT SECONDS
      Answers every datagram that reaches ADDRESS:PORT with "seen IP:PORT" (the source it
      saw), from ADDRESS:PORT itself, then "alt-port" from ADDRESS:PORT+1 and "alt-address"
      from ALT_ADDRESS:PORT. A datagram to ALT_ADDRESS:PORT is answered "seen IP:PORT" from
      there. Stops after SECONDS.

  udp-probe.py probe LOCAL_PORT SERVER ALT_SERVER PORT
      From LOCAL_PORT, sends to SERVER:PORT and collects answers for one second, then sends to
      ALT_SERVER:PORT and collects again. Prints JSON: the source each server saw and which
      of the three answers came back through the NAT.
"""
import json
import select
import socket
import sys
import time


def bound(address, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((address, port))
    return s


def serve(address, alt_address, port, seconds):
    main, alt_port, alt_address_socket = bound(address, port), bound(address, port + 1), bound(alt_address, port)
    deadline = time.time() + seconds
    while time.time() < deadline:
        ready, _, _ = select.select([main, alt_address_socket], [], [], 0.2)
        for s in ready:
            data, source = s.recvfrom(2048)
            seen = "seen %s:%d" % source
            s.sendto(seen.encode(), source)
            if s is main:
                alt_port.sendto(b"alt-port", source)
                alt_address_socket.sendto(b"alt-address", source)


def collect(s, seconds):
    answers = []
    deadline = time.time() + seconds
    while time.time() < deadline:
        ready, _, _ = select.select([s], [], [], max(0, deadline - time.time()))
        if ready:
            answers.append(s.recvfrom(2048)[0].decode())
    return answers


def probe(local_port, server, alt_server, port):
    s = bound("0.0.0.0", local_port)
    s.sendto(b"hello", (server, port))
    first = collect(s, 1.0)
    s.sendto(b"hello", (alt_server, port))
    second = collect(s, 1.0)
    seen = lambda answers: next((a[5:] for a in answers if a.startswith("seen ")), None)
    print(json.dumps({
        "seen": seen(first),
        "altSeen": seen(second),
        "altPort": "alt-port" in first,
        "altAddress": "alt-address" in first,
    }))


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))
    elif sys.argv[1] == "probe":
        probe(int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        sys.exit(__doc__)
