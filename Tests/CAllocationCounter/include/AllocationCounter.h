// Counts heap allocations made by the calling thread, so a test can prove that the packet
// path allocates nothing. Linking this into the test executable replaces malloc, calloc,
// realloc and the aligned allocators for the whole process (glibc's documented way to
// replace malloc); each forwards to glibc's own implementation and bumps a thread-local
// counter, so tests running on other threads do not disturb a measurement.
#ifndef ALLOCATION_COUNTER_H
#define ALLOCATION_COUNTER_H

#include <stdint.h>

// Allocations made by this thread since it started.
uint64_t allocation_counter_thread_count(void);

#endif
