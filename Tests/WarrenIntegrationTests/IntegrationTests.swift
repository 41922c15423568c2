import Testing

/// Real `warren` daemons in Linux network namespaces that each test builds and removes (see
/// `Lab`), exercised with real programs over the overlay: ping, OpenSSH, iperf3, tcpdump.
///
/// Needs root and the programs scripts/install-deps installs; runs the binary named by
/// $WARREN_BINARY (default: the debug build). Serialized: the tests start daemons and
/// time handshakes, and a 2-core CI machine gives honest timings only one lab at a time.
@Suite("warren daemons in network namespaces", .serialized, .timeLimit(.minutes(2)))
struct IntegrationTests {}
