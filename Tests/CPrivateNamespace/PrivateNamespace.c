#define _GNU_SOURCE
#include <sched.h>
#include "PrivateNamespace.h"

int private_network_namespace(void) {
    return unshare(CLONE_NEWNET);
}
