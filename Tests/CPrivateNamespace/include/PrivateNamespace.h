#ifndef PRIVATE_NAMESPACE_H
#define PRIVATE_NAMESPACE_H

// Moves the calling thread (only it: namespaces are per task) into a new, empty network
// namespace, for tests that change the kernel's network state. 0, or -1 with errno.
int private_network_namespace(void);

#endif
