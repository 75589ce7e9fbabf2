// LD_PRELOAD shim for scripts/profile-binding: counts heap allocations (malloc, calloc,
// realloc, posix_memalign, aligned_alloc) of the whole process and prints the total to
// stderr at exit as "allocations: N". glibc's own entry points do the work.
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static unsigned long count;
static void counted(void) { __atomic_fetch_add(&count, 1, __ATOMIC_RELAXED); }

void *malloc(size_t n) { counted(); return __libc_malloc(n); }
void *calloc(size_t k, size_t n) { counted(); return __libc_calloc(k, n); }
void *realloc(void *p, size_t n) { counted(); return __libc_realloc(p, n); }
void *aligned_alloc(size_t a, size_t n) { counted(); return __libc_memalign(a, n); }
int posix_memalign(void **out, size_t a, size_t n) {
    counted();
    void *p = __libc_memalign(a, n);
    if (!p) return 12; // ENOMEM
    *out = p;
    return 0;
}

__attribute__((destructor)) static void report(void) {
    char text[64];
    int k = snprintf(text, sizeof text, "allocations: %lu\n", __atomic_load_n(&count, __ATOMIC_RELAXED));
    if (k > 0) (void)!write(2, text, (size_t)k);
}
