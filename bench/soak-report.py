"""Reads what bench/soak collected and reports it: sessions lost, ping loss by whether a
rekey was under way, daemons' memory by minute.

  soak-report.py --minute DIR MINUTES_FILE WATCHED
      one progress line for the last minute sampled
  soak-report.py --final DIR MINUTES_FILE WATCHED PINGS VERSION COMMAND OUT_JSON
      the summary, printed and written to OUT_JSON

DIR holds ping-FROM-TO.log (ping -D), states (time, node, status JSON per line), iperf (start,
end, from, to, Mbit/s per line) and NODE.log (warren --log-level debug); WATCHED and PINGS
are space-separated "FROM TO" pairs, as bench/soak lists them.
"""
import datetime, json, re, statistics, sys

HOSTS = {"r": 1, "k1": 11, "k2": 12, "a1": 21, "b1": 22, "d1": 31, "d2": 32, "d3": 33}
REPLY = re.compile(r"^\[(\d+\.\d+)\] \d+ bytes from .*icmp_seq=(\d+)")
RENEWED = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}) .*keys renewed")


def pairs(text):
    words = text.split()
    return [(words[i], words[i + 1]) for i in range(0, len(words), 2)]


def ping_losses(path):
    """Sent, and the estimated send times of the requests never answered: between two
    replies, the missing sequence numbers are spread evenly over the time between them."""
    replies, last, wraps = {}, None, 0
    for line in open(path):
        m = REPLY.match(line)
        if not m:
            continue
        seq = int(m.group(2))
        if last is not None and seq < last - 30000:
            wraps += 65536  # icmp_seq is 16 bits: it wraps after 109 minutes at 10/s
        last = seq
        replies.setdefault(seq + wraps, float(m.group(1)))
    if not replies:
        return 0, []
    seqs = sorted(replies)
    lost = []
    for p, q in zip(seqs, seqs[1:]):
        for n in range(p + 1, q):
            lost.append(replies[p] + (n - p) * (replies[q] - replies[p]) / (q - p))
    return seqs[-1] - seqs[0] + 1, lost


def renewals(directory, node):
    times = []
    for line in open(f"{directory}/{node}.log", errors="replace"):
        m = RENEWED.match(line)
        if m:
            times.append(datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S%z").timestamp())
    return times


def sessions_lost(directory, watched):
    """Watched sessions seen connected and later not: (from, to, time) for each such sample."""
    state, lost = {}, []
    for line in open(f"{directory}/states"):
        parts = line.split(" ", 2)
        if len(parts) < 3:
            continue
        t, node = float(parts[0]), parts[1]
        try:
            peers = json.loads(parts[2])["peers"]
        except ValueError:
            peers = None  # the daemon did not answer: every session of it counts as lost
        for a, b in watched:
            if a != node:
                continue
            address = f"10.8.0.{HOSTS[b]}"
            now = peers is not None and any(address in p["addresses"] and p["state"] == "connected" for p in peers)
            if state.get((a, b)) and not now:
                lost.append({"from": a, "to": b, "unix": t})
            state[(a, b)] = now
    return lost


def memory(minutes_file):
    rows = [json.loads(line) for line in open(minutes_file)]
    result = {}
    for node in rows[0]["rss_kib"] if rows else []:
        series = [r["rss_kib"][node] for r in rows]
        known = [v for v in series if v is not None]
        half = known[len(known) // 2] if known else None
        growth = known[-1] - half if known else None
        result[node] = {"per_minute_kib": series, "first": known[0] if known else None, "last": known[-1] if known else None,
                        "max": max(known) if known else None, "second_half_growth_kib": growth,
                        "flat": growth is not None and None not in series and growth < max(1024, 0.02 * half)}
    return result


def minute_line(directory, minutes_file, watched):
    row = json.loads(open(minutes_file).read().splitlines()[-1])
    rss = " ".join(f"{n} {v / 1024:.1f}" if v is not None else f"{n} gone" for n, v in row["rss_kib"].items())
    lost = sessions_lost(directory, watched)
    print(f"  minute {row['minute']}: RSS MiB {rss}; watched sessions lost so far: {len(lost)}", flush=True)


def final(directory, minutes_file, watched, pings, version, command, out):
    iperf = [line.split() for line in open(f"{directory}/iperf")]
    windows = [(float(s), float(e)) for s, e, *_ in iperf]
    result = {"command": command, "warren": version, "sessions_lost": sessions_lost(directory, watched), "ping": {},
              "iperf_mbps": {f"{a}→{b}": [float(r[4]) for r in iperf if r[2:4] == [a, b]] for a, b in {tuple(r[2:4]) for r in iperf}},
              "memory": memory(minutes_file)}
    for a, b in pings:
        sent, lost = ping_losses(f"{directory}/ping-{a}-{b}.log")
        rekeys = renewals(directory, a) + renewals(directory, b)
        near = [t for t in lost if any(s - 1 <= t < s + 2 for s in rekeys)]
        outside = [t for t in lost if t not in near]
        result["ping"][f"{a}→{b}"] = {
            "sent": sent, "lost": len(lost), "lost_at_rekeys": len(near), "lost_outside_rekeys": len(outside),
            "lost_outside_rekeys_during_iperf3": sum(1 for t in outside if any(s <= t <= e for s, e in windows)),
            "rekeys_logged": len(rekeys), "lost_outside_rekeys_unix": outside[:50],
        }
    json.dump(result, open(out, "w"), indent=2)
    print(f"  sessions lost: {len(result['sessions_lost'])} (target 0)")
    for pair, p in result["ping"].items():
        print(f"  ping {pair:<7} sent {p['sent']:6d}  lost {p['lost']:4d}: at rekeys {p['lost_at_rekeys']}, "
              f"outside {p['lost_outside_rekeys']} (of which during iperf3 {p['lost_outside_rekeys_during_iperf3']}); "
              f"{p['rekeys_logged']} rekeys logged by either end")
    for pair, values in sorted(result["iperf_mbps"].items()):
        print(f"  iperf3 {pair:<7} {statistics.median(values):.0f} Mbit/s median of {len(values)} runs [{min(values):.0f}–{max(values):.0f}]")
    for node, m in result["memory"].items():
        if m["first"] is None:
            print(f"  RSS {node:<3} no sample")
            continue
        print(f"  RSS {node:<3} first {m['first'] / 1024:.1f}  last {m['last'] / 1024:.1f}  max {m['max'] / 1024:.1f} MiB; "
              f"second half {m['second_half_growth_kib']:+d} KiB: {'flat' if m['flat'] else 'NOT flat'}")
    print(f"  written to {out}")


if sys.argv[1] == "--minute":
    minute_line(sys.argv[2], sys.argv[3], pairs(sys.argv[4]))
else:
    final(sys.argv[2], sys.argv[3], pairs(sys.argv[4]), pairs(sys.argv[5]), sys.argv[6], sys.argv[7], sys.argv[8])
