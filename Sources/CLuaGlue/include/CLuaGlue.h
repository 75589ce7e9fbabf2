// The C side of klip's Lua host. Swift never calls a Lua function that can raise or
// yield: it calls these helpers, which do the raising work in protected mode, and its
// bindings return sentinels that the trampolines here turn into raises and yields.
// Sources: state.c (state, allocator, hooks, signals), codec.c (the value encoding,
// buffers, error text, references), trampoline.c (bindings, handles, opening),
// resume.c (loading, resuming coroutines, error reports), guard.c (a Lua __gc runs where
// the hook reaches it; no debug.sethook), pattern.c (string patterns that a kill stops).
#ifndef CLUAGLUE_H
#define CLUAGLUE_H

#include <stddef.h>
#include <stdint.h>
#include <lua5.4/lua.h>

#ifdef __cplusplus
extern "C" {
#endif

// ---- Binding results (what a Swift binding returns to its trampoline). -------------
// >= 0: that many values are in the output buffer.
#define KLIP_RAISE (-1)   // the output buffer holds one value: raise it
#define KLIP_YIELD (-2)   // work started: yield to the scheduler
// Binding flags.
#define KLIP_BINDING_WAITS 1  // yields: refuse clearly where yielding is impossible

// ---- Value encoding shared with Swift (see LuaCodec.swift). --------------------------
enum {
    KLIP_V_NIL = 0, KLIP_V_FALSE = 1, KLIP_V_TRUE = 2, KLIP_V_INT = 3, KLIP_V_DOUBLE = 4,
    KLIP_V_STRING = 5, KLIP_V_TABLE = 6, KLIP_V_END = 7, KLIP_V_REF = 8, KLIP_V_HANDLE = 9,
    KLIP_V_META = 10,
};

// ---- Callbacks into Swift (all must be non-raising). --------------------------------
// A binding: `args` holds the encoded arguments. Write results with klip_output and return
// a count, KLIP_RAISE or KLIP_YIELD.
typedef int (*klip_dispatch_fn)(void *host, lua_State *L, int binding, const uint8_t *args, size_t len);
// A coroutine made by kling.spawn: returns a retained Swift object the handle owns.
typedef void *(*klip_spawned_fn)(void *host, lua_State *co, int thread_ref, int nargs);
// Releases what klip_spawned_fn returned (the handle's __gc).
typedef void (*klip_release_fn)(void *host, void *object);
// The handle's __close: cancel that coroutine if it still runs.
typedef void (*klip_cancel_fn)(void *host, void *object);

typedef struct klip_callbacks {
    void *host;
    klip_dispatch_fn dispatch;
    klip_spawned_fn spawned;
    klip_release_fn release;
    klip_cancel_fn cancel;
} klip_callbacks;

// ---- State ------------------------------------------------------------------------
/// The state's kill switch: what Ctrl-C reaches from another thread. It outlives the Lua
/// state (klip_close) until klip_free_kill_switch, so a late Ctrl-C never touches freed memory.
typedef struct klip_state klip_state;
/// Why the Lua code is being stopped. The first kill is kept as the reason; the hook then
/// stops the code at every instruction (it yields a killed coroutine, raises where Lua cannot
/// yield, so `pcall` cannot swallow it) until the host disarms it to let `<close>` handlers run. A later kill (a second Ctrl-C, the cleanup's CPU budget)
/// lands on a disarmed state too.
typedef enum klip_kill {
    KLIP_KILL_NONE = 0,
    KLIP_KILL_INTERRUPT = 1,  // Ctrl-C (klip_interrupt)
    KLIP_KILL_CPU_LIMIT = 2,  // the CPU limit ran out (the hook found it)
    KLIP_KILL_DISARMED = 3,   // killed, then disarmed: the hook no longer raises
    KLIP_KILL_EXIT = 4,       // os.exit (klip_request_exit)
} klip_kill;

/// A state with a capped allocator (limit 0 = none) and the interrupt/CPU count hook. The
/// glue keeps its own state in the Lua state's extra space (lua_getextraspace, copied into
/// every coroutine): the host must not write it.
lua_State *klip_newstate(size_t memory_limit);
/// Closes the state. Its `__gc` finalizers run under the memory limit and what is left of
/// the CPU limit, and klip_interrupt still stops them. Returns the kill that landed while
/// closing (KLIP_KILL_NONE if none): a limit hit by a finalizer still fails the run.
/// The kill switch stays valid: free it with klip_free_kill_switch.
klip_kill klip_close(lua_State *L);
klip_state *klip_kill_switch(lua_State *L);
void klip_free_kill_switch(klip_state *S);
/// What `kill` reads as in messages ("interrupted", "CPU limit exceeded (5 s of Lua
/// execution)"): the one spelling, for Lua's error text and the host's alike. The CPU text is
/// formatted into buf; the others are static. Valid until klip_free_kill_switch.
const char *klip_kill_text(klip_state *S, klip_kill kill, char *buf, size_t size);
void klip_set_callbacks(lua_State *L, klip_callbacks callbacks);
void klip_set_cpu_limit(lua_State *L, double seconds);
/// Thread-safe and async-signal-safe: makes the running Lua code raise at its next hook,
/// also after a disarm (a second Ctrl-C stops a looping `<close>` handler).
void klip_interrupt(klip_state *S);
/// os.exit: like an interrupt, but the run ends with the script's status.
void klip_request_exit(lua_State *L);
/// The first kill of this state (KLIP_KILL_NONE if none); never KLIP_KILL_DISARMED.
klip_kill klip_kill_reason(lua_State *L);
/// Lets `<close>` handlers run after a kill (the hook stops raising). After a CPU-limit
/// kill they get KLIP_CLEANUP_CPU_SECONDS (1 s) of CPU of their own; otherwise what is left
/// of the limit. Ctrl-C stops them either way.
void klip_disarm(lua_State *L);
/// stdout line-buffered and shared with Swift's print.
void klip_stdout_linebuffered(void);
/// Blocks asynchronous signals (SIGINT...) on the calling thread, so they reach the
/// dispatch source that handles them instead of being discarded here.
void klip_block_signals(void);
/// Names the calling thread (a new thread inherits its creator's name otherwise).
void klip_name_thread(const char *name);

// ---- Protected helpers (return LUA_OK or an error status; message via klip_last_error).
const char *klip_last_error(lua_State *L, size_t *len);
/// Opens the standard libraries and leaves the bindings table in the registry.
int klip_open(lua_State *L);
/// bindings[name] = trampoline(binding, flags); `display` names it in errors.
int klip_register(lua_State *L, const char *name, const char *display, int binding, int flags);
/// Loads `code` in text mode as chunk `chunkname` and calls it with (bindings, options...)
/// where options are the encoded values; runs on the main thread (no yields).
int klip_run_prelude(lua_State *L, const char *code, size_t len, const char *chunkname,
                     const uint8_t *args, size_t arglen);
/// Loads the script (text mode) as the body of a new coroutine, with the encoded values as
/// its arguments already on its stack (pass their count as `preloaded` to the first
/// klip_resume). Returns the thread's registry reference (> 0) or a negative status
/// (message via klip_last_error).
int klip_load_main(lua_State *L, const char *code, size_t len, const char *chunkname,
                   const uint8_t *args, size_t arglen, lua_State **co_out);

// ---- Scheduler side ----------------------------------------------------------------
#define KLIP_THREAD_DONE 0
#define KLIP_THREAD_WAITING 1
#define KLIP_THREAD_ERROR 2
/// Resumes `co` with the encoded values. DONE: results packed into a table {n=..., ...}
/// whose registry reference is in *result_ref. ERROR: the error object's reference is in
/// *result_ref and a report (message + traceback naming the script's lines) is available
/// through klip_last_error. WAITING: the coroutine yielded to the host.
/// `preloaded` values (a fresh coroutine's function arguments) are already on co's stack.
int klip_resume(lua_State *L, lua_State *co, int preloaded, const uint8_t *args, size_t len, int *result_ref);
/// Encodes a registry value for Swift (protected); the bytes stay valid until the next call.
int klip_encode_ref(lua_State *L, int ref, const uint8_t **bytes, size_t *len);
/// A new coroutine whose body is the registry value `fn_ref`; its arguments come with the
/// first klip_resume. The coroutine is pinned by *thread_ref.
int klip_new_thread(lua_State *L, int fn_ref, lua_State **co_out, int *thread_ref);
/// Runs the pending `<close>` handlers of a coroutine (lua_resetthread). Returns its status.
int klip_reset_thread(lua_State *L, lua_State *co);
/// Releases a registry reference (queued; freed at the next protected call).
void klip_unref(lua_State *L, int ref);
/// The binding's output buffer.
int klip_output(lua_State *L, const uint8_t *bytes, size_t len);
/// Keeps an argument reference alive past the binding call (the host releases it later).
void klip_retain_ref(lua_State *L, int ref);

#ifdef __cplusplus
}
#endif
#endif
