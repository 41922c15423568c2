# Shared by bench/relay, bench/flood and bench/soak: Warren daemons in network namespaces on
# one bridge, and removing all of it at exit, also on failure or Ctrl-C. Sourced, not run.
#
# Before sourcing, the script sets
#   bench_name     how messages name it ("bench/relay")
#   bench_prefix   its namespaces' prefix ("wbr"): its own, so benches never touch each other
#   bench_nodes    the node namespaces (without prefix), and fills the associative array
#   host           node → last octet of its underlay and overlay addresses
# and then may add to
#   bench_pid      name → PID of each process to stop at exit (daemons, iperf3 servers, …)
# Everything lives in $bench_tmp (mode 700), removed at exit; each node logs to
# $bench_tmp/NODE.log, whose tail is shown when the script fails.

declare -A bench_pid=()
bench_tmp=""

fail() { echo "$bench_name: $*" >&2; exit 1; }
step() { printf '\n== %s\n' "$*"; }

bench_cleanup() {
  local status=$? p n
  for p in "${bench_pid[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${bench_pid[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ "$status" -ne 0 ] && [ -n "$bench_tmp" ]; then
    for n in "${bench_nodes[@]}"; do [ -f "$bench_tmp/$n.log" ] && { echo "--- $n"; tail -n 15 "$bench_tmp/$n.log"; }; done
  fi
  bench_delete_namespaces
  [ -n "$bench_tmp" ] && rm -rf "$bench_tmp"
  exit "$status"
}
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bench_delete_namespaces() {
  local n
  for n in "${bench_nodes[@]}" sw; do ip netns delete "$bench_prefix-$n" 2>/dev/null || true; done
}

# bench_prerequisites PACKAGE...: root, and the Debian packages the script runs.
bench_prerequisites() {
  local p missing=()
  [ "$(id -u)" -eq 0 ] || fail "run as root (network namespaces, TUN devices): sudo $0"
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

# bench_build PRODUCT: prints the path of the release build of PRODUCT, built into
# .build-bench as `make build` builds warren. For warren, $WARREN_BINARY wins if set.
bench_build() {
  local binary="$PWD/.build-bench/release/$1"
  if [ "$1" = warren ] && [ -n "${WARREN_BINARY:-}" ]; then
    binary=$WARREN_BINARY
  else
    swift build -c release --static-swift-stdlib --scratch-path .build-bench --product "$1" 2>&1 | grep -E ': error:' >&2 || true
  fi
  [ -x "$binary" ] || fail "no $1 binary at $binary"
  echo "$binary"
}

# bench_underlay NETWORK PREFIXLEN: a bridge (in namespace sw) and one namespace per node,
# each with eth0 at NETWORK.HOST/PREFIXLEN on the bridge and no route anywhere else.
bench_underlay() {
  local n
  bench_delete_namespaces
  ip netns add "$bench_prefix-sw"
  ip -n "$bench_prefix-sw" link add br0 type bridge
  ip -n "$bench_prefix-sw" link set br0 up
  for n in "${bench_nodes[@]}"; do
    ip netns add "$bench_prefix-$n"
    ip -n "$bench_prefix-$n" link set lo up
    # "port-": a bare node name such as "a" would read as ip's keyword "address".
    ip -n "$bench_prefix-sw" link add "port-$n" type veth peer name eth0 netns "$bench_prefix-$n"
    ip -n "$bench_prefix-sw" link set "port-$n" master br0 up
    ip -n "$bench_prefix-$n" address add "$1.${host[$n]}/$2" dev eth0
    ip -n "$bench_prefix-$n" link set eth0 up
  done
}

# bench_ca NAME: a network CA for 10.8.0.0/16 in $bench_tmp/ca. bench_sign NODE [FLAG...]:
# NODE's key and certificate for 10.8.0.HOST ($bench_tmp/NODE.key, .crt).
bench_ca() { "$warren" ca init --name "$1" --network 10.8.0.0/16 --out "$bench_tmp/ca" >/dev/null; }
bench_sign() {
  local n=$1
  shift
  "$warren" ca sign --ca "$bench_tmp/ca" --name "$n" --ip "10.8.0.${host[$n]}/16" --out "$bench_tmp/$n" "$@" >/dev/null
}
bench_pubkey() { "$warren" pubkey <"$bench_tmp/$1.key"; }

# bench_config NODE: the config lines every bench node shares; the caller appends the rest.
bench_config() {
  cat >"$bench_tmp/$1.toml" <<CONF
[node]
key = "$1.key"
certificate = "$1.crt"
ca = "ca/ca.crt"
state_directory = "state-$1"
[control]
socket = "$bench_tmp/$1.sock"
[nat]
lan_beacons = false
CONF
}

# bench_start NODE [ARGUMENT...]: `warren up` in NODE's namespace with its config (the
# arguments go to `warren up`, e.g. --log-level debug), logging to NODE.log; returns once
# its control socket answers.
bench_start() {
  local n=$1 _
  shift
  ip netns exec "$bench_prefix-$n" "$warren" up -c "$bench_tmp/$n.toml" "$@" >"$bench_tmp/$n.log" 2>&1 &
  bench_pid[$n]=$!
  for _ in $(seq 50); do bench_status "$n" >/dev/null && return; sleep 0.1; done
  fail "$n's daemon does not answer on its control socket"
}

bench_status() { "$warren" status --socket "$bench_tmp/$1.sock" --json 2>/dev/null; }

# bench_ticks PID: user + system CPU of all its threads, in clock ticks. bench_rss_kib PID.
bench_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
bench_rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

bench_make_tmp() {
  bench_tmp=$(mktemp -d "/tmp/$bench_prefix-run.XXXXXX")
  chmod 700 "$bench_tmp"
}
