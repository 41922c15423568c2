// Implementations of the wrappers declared in CLinux.h. Each one only forwards: errno is
// left exactly as the wrapped call set it, so the Swift syscall funnel can read it.
#define _GNU_SOURCE
#include "CLinux.h"

#include <string.h>
#include <sys/ioctl.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <unistd.h>

_Static_assert(sizeof(CLinux_mmsghdr) == sizeof(struct mmsghdr), "mmsghdr layout");
_Static_assert(offsetof(CLinux_mmsghdr, msg_len) == offsetof(struct mmsghdr, msg_len), "mmsghdr layout");
_Static_assert(sizeof(CLinux_ucred) == sizeof(struct ucred), "ucred layout");
_Static_assert(offsetof(CLinux_ucred, uid) == offsetof(struct ucred, uid), "ucred layout");
_Static_assert(CLinux_IFNAMSIZ == IFNAMSIZ, "IFNAMSIZ");

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
