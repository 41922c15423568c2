// Implementations of the wrappers declared in CLinux.h. Each one only forwards: errno is
// left exactly as the wrapped call set it, so the Swift syscall funnel can read it.
#define _GNU_SOURCE
#include "CLinux.h"

#include <string.h>
#include <sys/ioctl.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <unistd.h>
#include <fcntl.h>
#include <stdio.h>
#include <netinet/in.h>
#include <netinet/udp.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

_Static_assert(sizeof(CLinux_mmsghdr) == sizeof(struct mmsghdr), "mmsghdr layout");
_Static_assert(offsetof(CLinux_mmsghdr, msg_len) == offsetof(struct mmsghdr, msg_len), "mmsghdr layout");
_Static_assert(sizeof(CLinux_ucred) == sizeof(struct ucred), "ucred layout");
_Static_assert(offsetof(CLinux_ucred, uid) == offsetof(struct ucred, uid), "ucred layout");
_Static_assert(CLinux_IFNAMSIZ == IFNAMSIZ, "IFNAMSIZ");
_Static_assert(CLinux_UDP_OFFLOAD_CONTROL_BYTES >= CMSG_SPACE(sizeof(uint16_t)), "UDP_SEGMENT control room");
_Static_assert(CLinux_UDP_OFFLOAD_CONTROL_BYTES >= CMSG_SPACE(sizeof(int)), "UDP_GRO control room");
_Static_assert(CLinux_ARRIVAL_CONTROL_BYTES >= CMSG_SPACE(sizeof(struct in_pktinfo)) + CMSG_SPACE(sizeof(int)), "IPv4 arrival room");
_Static_assert(CLinux_ARRIVAL_CONTROL_BYTES >= CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int)), "IPv6 arrival room");

int CLinux_sendmmsg(int fd, CLinux_mmsghdr *vector, unsigned int count, int flags) {
    return sendmmsg(fd, (struct mmsghdr *)vector, count, flags);
}

int CLinux_recvmmsg(int fd, CLinux_mmsghdr *vector, unsigned int count, int flags,
                    struct timespec *timeout) {
    return recvmmsg(fd, (struct mmsghdr *)vector, count, flags, timeout);
}

int CLinux_accept4(int fd, struct sockaddr *address, socklen_t *length, int flags) {
    return accept4(fd, address, length, flags);
}

int CLinux_rename_noreplace(int old_directory, const char *old_name, const char *new_path) {
    return renameat2(old_directory, old_name, AT_FDCWD, new_path, RENAME_NOREPLACE);
}

int CLinux_tun_attach(int fd, const char *requested, char *chosen, int vnet_header) {
    struct ifreq request;
    memset(&request, 0, sizeof request);
    // IFF_NO_PI: packets are bare IP, without the 4-byte packet-information prefix.
    // IFF_VNET_HDR: each packet carries a struct virtio_net_hdr, which offloads need.
    request.ifr_flags = IFF_TUN | IFF_NO_PI | (vnet_header ? IFF_VNET_HDR : 0);
    if (requested != NULL) {
        strncpy(request.ifr_name, requested, IFNAMSIZ - 1);
    }
    if (ioctl(fd, TUNSETIFF, &request) == -1) {
        return -1;
    }
    memcpy(chosen, request.ifr_name, IFNAMSIZ);
    chosen[IFNAMSIZ - 1] = '\0';
    return 0;
}

int CLinux_tun_set_offload(int fd, unsigned int flags) {
    return ioctl(fd, TUNSETOFFLOAD, (unsigned long)flags);
}

size_t CLinux_mnl_socket_buffer_size(void) {
    return MNL_SOCKET_BUFFER_SIZE;
}

void CLinux_set_udp_segment(struct msghdr *message, void *control, uint16_t segment_size) {
    if (segment_size == 0) {
        message->msg_control = NULL;
        message->msg_controllen = 0;
        return;
    }
    memset(control, 0, CLinux_UDP_OFFLOAD_CONTROL_BYTES);
    message->msg_control = control;
    message->msg_controllen = CMSG_SPACE(sizeof(uint16_t));
    struct cmsghdr *header = CMSG_FIRSTHDR(message);
    header->cmsg_level = SOL_UDP;
    header->cmsg_type = UDP_SEGMENT;
    header->cmsg_len = CMSG_LEN(sizeof(uint16_t));
    memcpy(CMSG_DATA(header), &segment_size, sizeof segment_size);
}

int CLinux_udp_gro_segment_size(const struct msghdr *message) {
    for (struct cmsghdr *header = CMSG_FIRSTHDR((struct msghdr *)message); header != NULL;
         header = CMSG_NXTHDR((struct msghdr *)message, header)) {
        if (header->cmsg_level == SOL_UDP && header->cmsg_type == UDP_GRO && header->cmsg_len >= CMSG_LEN(sizeof(int))) {
            int size;
            memcpy(&size, CMSG_DATA(header), sizeof size);
            return size;
        }
    }
    return 0;
}

int CLinux_set_udp_gro(int fd, int on) {
    return setsockopt(fd, SOL_UDP, UDP_GRO, &on, sizeof on);
}

int CLinux_probe_udp_segment(int fd) {
    // A socket-wide segment size of 0 changes nothing; it fails where UDP_SEGMENT is unknown.
    int size = 0;
    return setsockopt(fd, SOL_UDP, UDP_SEGMENT, &size, sizeof size);
}

int CLinux_arrival(const struct msghdr *message, uint8_t destination[16], int *destination_length, int *hop_limit) {
    int found_destination = 0, found_hop_limit = 0;
    for (struct cmsghdr *header = CMSG_FIRSTHDR((struct msghdr *)message); header != NULL;
         header = CMSG_NXTHDR((struct msghdr *)message, header)) {
        if (header->cmsg_level == IPPROTO_IP && header->cmsg_type == IP_PKTINFO
            && header->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
            struct in_pktinfo info;
            memcpy(&info, CMSG_DATA(header), sizeof info);
            // ipi_addr is the header's destination; ipi_spec_dst is the local address a reply would use.
            memcpy(destination, &info.ipi_addr, 4);
            *destination_length = 4;
            found_destination = 1;
        } else if (header->cmsg_level == IPPROTO_IPV6 && header->cmsg_type == IPV6_PKTINFO
                   && header->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
            struct in6_pktinfo info;
            memcpy(&info, CMSG_DATA(header), sizeof info);
            memcpy(destination, &info.ipi6_addr, 16);
            *destination_length = 16;
            found_destination = 1;
        } else if (((header->cmsg_level == IPPROTO_IP && header->cmsg_type == IP_TTL)
                    || (header->cmsg_level == IPPROTO_IPV6 && header->cmsg_type == IPV6_HOPLIMIT))
                   && header->cmsg_len >= CMSG_LEN(sizeof(int))) {
            memcpy(hop_limit, CMSG_DATA(header), sizeof(int));
            found_hop_limit = 1;
        }
    }
    return found_destination && found_hop_limit ? 0 : -1;
}
