// CLinux: the few Linux interfaces Swift cannot import or call directly.
//
// Swift sees plain functions and structs; it cannot see what glibc hides behind
// _GNU_SOURCE (mmsghdr, sendmmsg, recvmmsg, accept4), function-like macros (TUNSETIFF is an
// _IOW() expression) or macros that call functions (MNL_SOCKET_BUFFER_SIZE calls sysconf).
// Each of those gets one small `CLinux_` wrapper here, in the manner of swift-nio's
// CNIOLinux. Everything else (libmnl's functions, rtnetlink structs, epoll, eventfd,
// signalfd) is imported as is through the headers included below.
#ifndef CLINUX_H
#define CLINUX_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_addr.h>
#include <libmnl/libmnl.h>

// glibc only declares struct mmsghdr under _GNU_SOURCE, which the Swift Glibc module is not
// built with. Its layout is part of the glibc ABI, so an identical struct is safe to pass.
typedef struct {
    struct msghdr msg_hdr;
    unsigned int msg_len;
} CLinux_mmsghdr;

int CLinux_sendmmsg(int fd, CLinux_mmsghdr *vector, unsigned int count, int flags);
int CLinux_recvmmsg(int fd, CLinux_mmsghdr *vector, unsigned int count, int flags,
                    struct timespec *timeout);

// accept4 is _GNU_SOURCE too; it sets SOCK_NONBLOCK | SOCK_CLOEXEC without a race.
int CLinux_accept4(int fd, struct sockaddr *address, socklen_t *length, int flags);

// renameat2 is _GNU_SOURCE too. RENAME_NOREPLACE makes the rename fail with EEXIST instead of
// replacing whatever appeared at `new_path` since we last looked.
int CLinux_rename_noreplace(int old_directory, const char *old_name, const char *new_path);

// struct ucred (SO_PEERCRED) is _GNU_SOURCE too; same layout, checked in CLinux.c.
typedef struct {
    pid_t pid;
    uid_t uid;
    gid_t gid;
} CLinux_ucred;

// Attaches `fd` (an open /dev/net/tun) to a TUN interface with IFF_TUN | IFF_NO_PI:
// TUNSETIFF is a macro Swift cannot evaluate, and struct ifreq is a union of unions.
// `requested` may hold a %d template ("warren%d"). On success copies the name the kernel
// chose into `chosen` (CLinux_IFNAMSIZ bytes, NUL-terminated) and returns 0; otherwise
// returns -1 with errno set by ioctl.
// With `vnet_header` nonzero the device also gets IFF_VNET_HDR (see CLinux_tun_set_offload).
int CLinux_tun_attach(int fd, const char *requested, char *chosen, int vnet_header);

// TUNSETOFFLOAD: which offloads the kernel may hand us (TSO super-packets, partial
// checksums). Values from linux/if_tun.h.
int CLinux_tun_set_offload(int fd, unsigned int flags);
#define CLinux_TUN_F_CSUM 0x01
#define CLinux_TUN_F_TSO4 0x02
#define CLinux_TUN_F_TSO6 0x04

// The interface name buffer size, IFNAMSIZ, including the terminating NUL.
#define CLinux_IFNAMSIZ 16

// libmnl's recommended receive buffer, min(page size, 8 KiB); a macro calling sysconf().
size_t CLinux_mnl_socket_buffer_size(void);

// UDP segmentation offloads (Linux 4.18 and 5.0). With UDP_SEGMENT a message carries several
// datagrams of one size (the last may be shorter), sent as one; with UDP_GRO on a socket,
// datagrams of one size from one source may arrive joined in one message, the size in a
// control message. The control messages are built and read with CMSG_* macros, hence here.
//
// Room for either control message, per mmsghdr.
#define CLinux_UDP_OFFLOAD_CONTROL_BYTES 24
// Points `message`'s control at `control` (CLinux_UDP_OFFLOAD_CONTROL_BYTES) holding
// UDP_SEGMENT = `segment_size`, or clears it when `segment_size` is 0.
void CLinux_set_udp_segment(struct msghdr *message, void *control, uint16_t segment_size);
// The segment size of a received message's UDP_GRO control message, or 0 if it has none.
int CLinux_udp_gro_segment_size(const struct msghdr *message);
// setsockopt(UDP_GRO, on) and a probe of UDP_SEGMENT support: 0 or -1 with errno.
int CLinux_set_udp_gro(int fd, int on);
int CLinux_probe_udp_segment(int fd);

// Where a datagram was sent and how far it came, for LAN beacons: with IP_PKTINFO and
// IP_RECVTTL (IPv4, also on a dual-stack socket) or IPV6_RECVPKTINFO and IPV6_RECVHOPLIMIT
// set, each received message carries its header's destination address and TTL / hop limit
// in control messages (struct in6_pktinfo is _GNU_SOURCE).
//
// Room for those control messages, either family.
#define CLinux_ARRIVAL_CONTROL_BYTES 128
// Reads them from a received message: the destination into `destination` (4 bytes for IPv4,
// 16 for IPv6; *destination_length says which), the TTL or hop limit into *hop_limit.
// Returns 0 when both were there, -1 otherwise.
int CLinux_arrival(const struct msghdr *message, uint8_t destination[16], int *destination_length, int *hop_limit);

#endif
