// The state and its hooks: the capped allocator, the CPU-limit and kill hook, the signal
// mask and name of the Lua thread.
#include "glue.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <pthread.h>
#include <signal.h>

// ---- Allocator: a hard cap so a string.rep bomb fails as "not enough memory". ----
// The cap stays on while the state closes: a `__gc` finalizer at exit is script code too.
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

// The first kill is kept as the reason. A kill also lands after a disarm: a second Ctrl-C,
// or the cleanup's own CPU budget running out, must stop a looping `<close>` or `__gc`.
static void kill_once(klip_state *S, klip_kill why) {
    int cur = atomic_load(&S->kill);
    while (cur == KLIP_KILL_NONE || cur == KLIP_KILL_DISARMED) {
        if (atomic_compare_exchange_weak(&S->kill, &cur, (int)why)) break;
    }
    int none = KLIP_KILL_NONE;
    atomic_compare_exchange_strong(&S->reason, &none, (int)why);
}

static int is_live_kill(int kill) {
    return kill == KLIP_KILL_INTERRUPT || kill == KLIP_KILL_CPU_LIMIT || kill == KLIP_KILL_EXIT;
}

// The CPU limit holds while armed and while disarmed: the cleanup has a budget too.
static int check_cpu(klip_state *S) {
    int kill = atomic_load(&S->kill);
    if (kill != KLIP_KILL_NONE && kill != KLIP_KILL_DISARMED) return kill;
    if (S->cpu_limit > 0 && S->in_slice && S->cpu_used + (thread_cpu() - S->slice_start) > S->cpu_limit) {
        kill_once(S, KLIP_KILL_CPU_LIMIT);
    }
    return atomic_load(&S->kill);
}

const char *klip_kill_text(klip_state *S, klip_kill kill, char *buf, size_t size) {
    switch (kill) {
    case KLIP_KILL_INTERRUPT: return "interrupted";
    case KLIP_KILL_EXIT: return "exit";
    default:
        snprintf(buf, size, "CPU limit exceeded (%.3g s of Lua execution)", S->cpu_limit_asked);
        return buf;
    }
}

const char *glue_kill_text(klip_state *S, char *buf, size_t size) {
    return klip_kill_text(S, (klip_kill)atomic_load(&S->kill), buf, size);
}

// Re-arms the hook on every instruction of L (so pcall cannot swallow the kill) and raises.
static int raise_kill(lua_State *L) {
    char text[96];
    lua_sethook(L, glue_klip_hook, LUA_MASKCOUNT, 1);
    return luaL_error(L, "%s", glue_kill_text(S_of(L), text, sizeof text));
}

// A killed coroutine yields from the hook rather than raising: an error raised in a hook
// leaves that coroutine's hooks off for good (luaD_hook never restores allowhook), so its
// `<close>` handlers could no longer be stopped. klip_resume turns the yield into the
// error. Where Lua cannot yield (a sort comparator, a metamethod called from C) it raises.
void glue_klip_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    int kill = check_cpu(S_of(L));
    if (is_live_kill(kill)) {
        lua_sethook(L, glue_klip_hook, LUA_MASKCOUNT, 1);
        if (lua_isyieldable(L)) { lua_yield(L, 0); return; }
        raise_kill(L);
    }
    // Disarmed: back to the normal count (every instruction is only for raising).
    if (kill == KLIP_KILL_DISARMED) lua_sethook(L, glue_klip_hook, LUA_MASKCOUNT, HOOK_COUNT);
}

void glue_poll_kill(lua_State *L) {
    int kill = check_cpu(S_of(L));
    if (is_live_kill(kill)) raise_kill(L);
}


lua_State *klip_newstate(size_t memory_limit) {
    klip_state *S = calloc(1, sizeof *S);
    if (!S) return NULL;
    S->limit = memory_limit;
    atomic_init(&S->kill, KLIP_KILL_NONE);
    atomic_init(&S->reason, KLIP_KILL_NONE);
    lua_State *L = lua_newstate(klip_alloc, S);
    if (!L) { free(S); return NULL; }
    // Both installed before any coroutine exists: lua_newthread copies them.
    *(klip_state **)lua_getextraspace(L) = S;
    lua_sethook(L, glue_klip_hook, LUA_MASKCOUNT, HOOK_COUNT);
    return L;
}

klip_kill klip_close(lua_State *L) {
    klip_state *S = S_of(L);
    int before = atomic_load(&S->kill);
    glue_begin_slice(S);
    lua_close(L); // the finalizers run here, under both limits, and Ctrl-C still stops them
    glue_end_slice(S);
    int after = atomic_load(&S->kill);
    free(S->in.data); free(S->out.data); free(S->error);
    free(S->arg_refs); free(S->dead_refs);
    return is_live_kill(after) && after != before ? (klip_kill)after : KLIP_KILL_NONE;
}

klip_state *klip_kill_switch(lua_State *L) { return S_of(L); }
void klip_free_kill_switch(klip_state *S) { free(S); }
void klip_interrupt(klip_state *S) { kill_once(S, KLIP_KILL_INTERRUPT); }

void klip_set_callbacks(lua_State *L, klip_callbacks callbacks) { S_of(L)->cb = callbacks; }
void klip_set_cpu_limit(lua_State *L, double seconds) {
    S_of(L)->cpu_limit = seconds;
    S_of(L)->cpu_limit_asked = seconds;
}
void klip_request_exit(lua_State *L) { kill_once(S_of(L), KLIP_KILL_EXIT); }
klip_kill klip_kill_reason(lua_State *L) { return (klip_kill)atomic_load(&S_of(L)->reason); }

void klip_disarm(lua_State *L) {
    klip_state *S = S_of(L);
    int kill = atomic_load(&S->kill);
    // The CPU limit ran out: the `<close>` handlers and finalizers get a budget of their own.
    if (kill == KLIP_KILL_CPU_LIMIT) S->cpu_limit = S->cpu_used + KLIP_CLEANUP_CPU_SECONDS;
    if (kill != KLIP_KILL_NONE) atomic_store(&S->kill, KLIP_KILL_DISARMED);
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

// Only a CPU limit reads the time used (a cleanup budget is set only when one ran out), and
// the thread CPU clock is a system call: none per resume of a run without a limit.
void glue_begin_slice(klip_state *S) { S->slice_start = S->cpu_limit > 0 ? thread_cpu() : 0; S->in_slice = 1; }
void glue_end_slice(klip_state *S) {
    if (S->in_slice && S->cpu_limit > 0) S->cpu_used += thread_cpu() - S->slice_start;
    S->in_slice = 0;
}
