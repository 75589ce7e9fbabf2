// The state and its hooks: the capped allocator, the CPU-limit and kill hook, the signal
// mask and name of the Lua thread.
#include "glue.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <pthread.h>
#include <signal.h>

// ---- Allocator: a hard cap so a string.rep bomb fails as "not enough memory". ----
static void *klip_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    klip_state *S = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        S->used -= old;
        return NULL;
    }
    if (S->limit && nsize > old && S->used - old + nsize > S->limit) return NULL;
    void *p = realloc(ptr, nsize);
    if (p) S->used = S->used - old + nsize;
    return p;
}

static double thread_cpu(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

// The first kill wins; `reason` keeps it after a disarm.
static void kill_once(klip_state *S, klip_kill why) {
    int expected = KLIP_KILL_NONE;
    if (atomic_compare_exchange_strong(&S->kill, &expected, (int)why)) atomic_store(&S->reason, (int)why);
}

// ---- The hook: once killed, it re-arms on every instruction so pcall cannot swallow it.
void glue_klip_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    klip_state *S = S_of(L);
    int kill = atomic_load(&S->kill);
    if (kill == KLIP_KILL_NONE && S->cpu_limit > 0 && S->in_slice) {
        double used = S->cpu_used + (thread_cpu() - S->slice_start);
        if (used > S->cpu_limit) {
            kill_once(S, KLIP_KILL_CPU_LIMIT);
            kill = atomic_load(&S->kill);
        }
    }
    if (kill == KLIP_KILL_INTERRUPT || kill == KLIP_KILL_CPU_LIMIT || kill == KLIP_KILL_EXIT) {
        lua_sethook(L, glue_klip_hook, LUA_MASKCOUNT, 1);
        if (kill == KLIP_KILL_INTERRUPT) luaL_error(L, "interrupted");
        if (kill == KLIP_KILL_EXIT) luaL_error(L, "exit");
        char text[96];
        snprintf(text, sizeof text, "CPU limit exceeded (%.3g s of Lua execution)", S->cpu_limit);
        luaL_error(L, "%s", text);
    }
}

lua_State *klip_newstate(size_t memory_limit) {
    klip_state *S = calloc(1, sizeof *S);
    if (!S) return NULL;
    S->limit = memory_limit;
    atomic_init(&S->kill, KLIP_KILL_NONE);
    atomic_init(&S->reason, KLIP_KILL_NONE);
    lua_State *L = lua_newstate(klip_alloc, S);
    if (!L) { free(S); return NULL; }
    // Installed before any coroutine exists: lua_newthread copies it.
    lua_sethook(L, glue_klip_hook, LUA_MASKCOUNT, HOOK_COUNT);
    return L;
}

void klip_close(lua_State *L) {
    klip_state *S = S_of(L);
    S->limit = 0; // finalizers must be able to run
    S->cpu_limit = 0;
    atomic_store(&S->kill, KLIP_KILL_DISARMED);
    lua_close(L);
    free(S->in.data); free(S->out.data); free(S->error);
    free(S->arg_refs); free(S->dead_refs);
    free(S);
}

void klip_set_callbacks(lua_State *L, klip_callbacks callbacks) { S_of(L)->cb = callbacks; }
void klip_set_cpu_limit(lua_State *L, double seconds) { S_of(L)->cpu_limit = seconds; }
void klip_interrupt(lua_State *L) { kill_once(S_of(L), KLIP_KILL_INTERRUPT); }
void klip_request_exit(lua_State *L) { kill_once(S_of(L), KLIP_KILL_EXIT); }
klip_kill klip_kill_reason(lua_State *L) { return (klip_kill)atomic_load(&S_of(L)->reason); }
void klip_disarm(lua_State *L) {
    klip_state *S = S_of(L);
    if (atomic_load(&S->kill) != KLIP_KILL_NONE) atomic_store(&S->kill, KLIP_KILL_DISARMED);
    S->cpu_limit = 0;
}
void klip_stdout_linebuffered(void) { setvbuf(stdout, NULL, _IOLBF, 0); }
void klip_block_signals(void) {
    sigset_t set;
    sigfillset(&set);
    // Faults must still reach their handlers (and Swift's backtracer).
    sigdelset(&set, SIGSEGV); sigdelset(&set, SIGBUS); sigdelset(&set, SIGFPE);
    sigdelset(&set, SIGILL); sigdelset(&set, SIGTRAP); sigdelset(&set, SIGABRT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}
void klip_name_thread(const char *name) {
    char shortname[16];
    snprintf(shortname, sizeof shortname, "%s", name);
    pthread_setname_np(pthread_self(), shortname);
}


int glue_cpu_spent(klip_state *S) {
    if (S->cpu_limit <= 0 || !S->in_slice) return 0;
    if (S->cpu_used + (thread_cpu() - S->slice_start) <= S->cpu_limit) return 0;
    kill_once(S, KLIP_KILL_CPU_LIMIT);
    return 1;
}
void glue_begin_slice(klip_state *S) { S->slice_start = thread_cpu(); S->in_slice = 1; }
void glue_end_slice(klip_state *S) {
    if (S->in_slice) S->cpu_used += thread_cpu() - S->slice_start;
    S->in_slice = 0;
}

