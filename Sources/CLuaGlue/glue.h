// Private to CLuaGlue: the state every glue file shares, and the helpers they call in
// one another. Swift sees only include/CLuaGlue.h.
#ifndef CLUAGLUE_INTERNAL_H
#define CLUAGLUE_INTERNAL_H

#define _GNU_SOURCE
#include "CLuaGlue.h"
#include <lua5.4/lauxlib.h>
#include <lua5.4/lualib.h>
#include <stdatomic.h>

#pragma GCC visibility push(hidden)

#define HOOK_COUNT 1000
#define MAX_DEPTH 64
// CPU seconds the `<close>` handlers and finalizers get after the CPU limit ran out.
#define KLIP_CLEANUP_CPU_SECONDS 1.0
#define MAX_ENCODED_NODES 2000000
// The chunk name of the glue's own frames, left out of the script's tracebacks.
#define GLUE_CHUNK "=[klip]"
#define GLUE_HANDLE_MT "klip.handle"

typedef struct buffer { uint8_t *data; size_t len, cap; } buffer;

typedef struct klip_state {
    size_t limit, used;
    atomic_int kill;    // klip_kill: what the hook acts on (DISARMED after a disarm)
    atomic_int reason;  // klip_kill: the first kill, kept for the host
    double cpu_limit, cpu_used, slice_start;
    double cpu_limit_asked; // what the user set (cpu_limit grows by the cleanup budget)
    int in_slice;
    int in_finalizer; // a guarded __gc runs (guard.c): bindings that wait are refused
    klip_callbacks cb;
    buffer in, out;
    char *error; size_t error_len;
    int *arg_refs; int n_arg_refs, cap_arg_refs;
    int *dead_refs; int n_dead_refs, cap_dead_refs;
    long enc_nodes; // values encoded for the current call: a DAG of shared tables is bounded
} klip_state;

// The arguments of a protected entry point that loads or decodes (passed as light userdata).
typedef struct chunk_args {
    const char *code; size_t len; const char *name;
    const uint8_t *args; size_t arglen;
} chunk_args;

// The value a binding yields to the scheduler (its address is the marker).
extern char glue_sentinel;

// The state's klip_state, from the thread's extra space (klip_newstate writes the main
// thread's before any coroutine exists, and lua_newthread copies it): a pointer read, where
// lua_getallocf was a call into liblua on every binding call.
static inline klip_state *S_of(lua_State *L) {
    return *(klip_state **)lua_getextraspace(L);
}

// state.c: the hook and the CPU accounting of a resume.
void glue_klip_hook(lua_State *L, lua_Debug *ar);
void glue_begin_slice(klip_state *S);
void glue_end_slice(klip_state *S);
// For native work that runs no Lua instruction (encoding arguments, matching patterns):
// raises the kill's message once the state is killed or its CPU limit is spent, so the
// run ends whatever the script catches. Call only where a raise is allowed.
void glue_poll_kill(lua_State *L);
// 1 while a kill (interrupt, CPU limit, exit) is live, not yet disarmed. Inline: every
// binding call asks twice.
static inline int glue_is_killed(klip_state *S) {
    int kill = atomic_load_explicit(&S->kill, memory_order_relaxed);
    return kill == KLIP_KILL_INTERRUPT || kill == KLIP_KILL_CPU_LIMIT || kill == KLIP_KILL_EXIT;
}
// The live kill's message ("interrupted", "CPU limit exceeded (...)"), in buf if need be.
const char *glue_kill_text(klip_state *S, char *buf, size_t size);

// guard.c: setmetatable wraps a Lua __gc so the hook reaches it; no debug.sethook.
void glue_open_guards(lua_State *L);

// pattern.c: klip's matcher over string.find/match/gmatch/gsub, polling the kill as it goes.
void glue_open_patterns(lua_State *L);

// codec.c: buffers, error text, registry references, the value encoding.
int glue_buf_put(buffer *b, const void *p, size_t n);
void glue_set_error(klip_state *S, const char *msg, size_t len);
// Records the message on top of L (a string, or a value's name) and pops it.
void glue_take_error(lua_State *L);
int glue_status_from_pcall(lua_State *L, int status);
void glue_free_dead_refs(lua_State *L);
void glue_release_arg_refs(lua_State *L);
// Raises (luaL_error) on failure: call only inside a protected call or a trampoline.
void glue_encode_value(lua_State *L, buffer *b, int idx, int depth);
// A binding's arguments (stack slots 1...n) into S->in, replacing what it held.
void glue_encode_args(lua_State *L, klip_state *S, int n);
int glue_decode_all(lua_State *L, const uint8_t *p, size_t len);

// trampoline.c: raising with the script's position.
int glue_raise_top(lua_State *L);

#pragma GCC visibility pop
#endif
