// The only code in klip that raises or yields in Lua. Swift bindings return sentinels;
// the trampolines here turn them into `lua_error` and `lua_yieldk`, so no longjmp ever
// crosses a Swift frame. Conversions between Lua values and Swift run here too, as a
// byte encoding (see LuaCodec.swift), inside protected calls.
#define _GNU_SOURCE
#include "CLuaGlue.h"
#include <lua5.4/lauxlib.h>
#include <lua5.4/lualib.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include <signal.h>

#define HOOK_COUNT 1000
#define MAX_DEPTH 64
#define GLUE_CHUNK "=[klip]"

typedef struct buffer { uint8_t *data; size_t len, cap; } buffer;

typedef struct klip_state {
    size_t limit, used;
    atomic_int kill;
    atomic_int reason;
    double cpu_limit, cpu_used, slice_start;
    int in_slice;
    klip_callbacks cb;
    buffer in, out;
    char *error; size_t error_len;
    int *arg_refs; int n_arg_refs, cap_arg_refs;
    int *dead_refs; int n_dead_refs, cap_dead_refs;
    long enc_nodes; // values encoded for the current call: a DAG of shared tables is bounded
} klip_state;

#define MAX_ENCODED_NODES 2000000

static char SENTINEL; // the value a binding yields to the scheduler
static const char *HANDLE_MT = "klip.handle";

static klip_state *S_of(lua_State *L) {
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return (klip_state *)ud;
}

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
static void klip_hook(lua_State *L, lua_Debug *ar) {
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
        lua_sethook(L, klip_hook, LUA_MASKCOUNT, 1);
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
    lua_sethook(L, klip_hook, LUA_MASKCOUNT, HOOK_COUNT);
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
size_t klip_memory_used(lua_State *L) { return S_of(L)->used; }
void klip_set_memory_limit(lua_State *L, size_t limit) { S_of(L)->limit = limit; }
void klip_set_cpu_limit(lua_State *L, double seconds) { S_of(L)->cpu_limit = seconds; }
double klip_cpu_used(lua_State *L) { return S_of(L)->cpu_used; }
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

// ---- Buffers and error text ---------------------------------------------------------
static int buf_reserve(buffer *b, size_t extra) {
    if (b->len + extra <= b->cap) return 1;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra) cap *= 2;
    uint8_t *d = realloc(b->data, cap);
    if (!d) return 0;
    b->data = d; b->cap = cap;
    return 1;
}
static int buf_put(buffer *b, const void *p, size_t n) {
    if (!buf_reserve(b, n)) return 0;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 1;
}

static void set_error(klip_state *S, const char *msg, size_t len) {
    free(S->error);
    S->error = malloc(len + 1);
    if (S->error) { memcpy(S->error, msg, len); S->error[len] = 0; S->error_len = len; }
    else S->error_len = 0;
}
const char *klip_last_error(lua_State *L, size_t *len) {
    klip_state *S = S_of(L);
    if (len) *len = S->error ? S->error_len : 0;
    return S->error ? S->error : "";
}
// Records the message on top of L (a string, or a value's name) and pops it.
static void take_error(lua_State *L) {
    size_t n = 0;
    const char *m = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &n) : NULL;
    if (m) set_error(S_of(L), m, n);
    else {
        const char *t = luaL_typename(L, -1);
        char text[96];
        int k = snprintf(text, sizeof text, "(error object is a %s value)", t);
        set_error(S_of(L), text, (size_t)k);
    }
    lua_pop(L, 1);
}

static void free_dead_refs(lua_State *L) {
    klip_state *S = S_of(L);
    for (int i = 0; i < S->n_dead_refs; i++) luaL_unref(L, LUA_REGISTRYINDEX, S->dead_refs[i]);
    S->n_dead_refs = 0;
}
void klip_unref(lua_State *L, int ref) {
    klip_state *S = S_of(L);
    if (ref <= 0) return;
    if (S->n_dead_refs == S->cap_dead_refs) {
        int cap = S->cap_dead_refs ? S->cap_dead_refs * 2 : 64;
        int *d = realloc(S->dead_refs, sizeof(int) * (size_t)cap);
        if (!d) return; // leaks one registry slot rather than fail
        S->dead_refs = d; S->cap_dead_refs = cap;
    }
    S->dead_refs[S->n_dead_refs++] = ref;
}
void klip_retain_ref(lua_State *L, int ref) {
    klip_state *S = S_of(L);
    for (int i = 0; i < S->n_arg_refs; i++)
        if (S->arg_refs[i] == ref) { S->arg_refs[i] = S->arg_refs[--S->n_arg_refs]; return; }
}
int klip_output(lua_State *L, const uint8_t *bytes, size_t len) {
    klip_state *S = S_of(L);
    S->out.len = 0;
    return buf_put(&S->out, bytes, len);
}

// ---- Encoding Lua values for Swift ----------------------------------------------------
static void enc_fail(lua_State *L) { luaL_error(L, "not enough memory"); }
static void enc_byte(lua_State *L, buffer *b, uint8_t v) { if (!buf_put(b, &v, 1)) enc_fail(L); }
static void enc_bytes(lua_State *L, buffer *b, const void *p, size_t n) { if (!buf_put(b, p, n)) enc_fail(L); }
static void enc_u32(lua_State *L, buffer *b, uint32_t v) { enc_bytes(L, b, &v, 4); }

static void enc_ref(lua_State *L, buffer *b, int idx) {
    klip_state *S = S_of(L);
    lua_pushvalue(L, idx);
    int ref = luaL_ref(L, LUA_REGISTRYINDEX);
    if (S->n_arg_refs == S->cap_arg_refs) {
        int cap = S->cap_arg_refs ? S->cap_arg_refs * 2 : 16;
        int *d = realloc(S->arg_refs, sizeof(int) * (size_t)cap);
        if (!d) { luaL_unref(L, LUA_REGISTRYINDEX, ref); enc_fail(L); }
        S->arg_refs = d; S->cap_arg_refs = cap;
    }
    S->arg_refs[S->n_arg_refs++] = ref;
    enc_byte(L, b, KLIP_V_REF);
    int32_t r = ref;
    enc_bytes(L, b, &r, 4);
}

static void encode_value(lua_State *L, buffer *b, int idx, int depth) {
    idx = lua_absindex(L, idx);
    if (++S_of(L)->enc_nodes > MAX_ENCODED_NODES) luaL_error(L, "argument too large (more than %d values)", MAX_ENCODED_NODES);
    switch (lua_type(L, idx)) {
    case LUA_TNIL: enc_byte(L, b, KLIP_V_NIL); break;
    case LUA_TBOOLEAN: enc_byte(L, b, lua_toboolean(L, idx) ? KLIP_V_TRUE : KLIP_V_FALSE); break;
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) {
            int64_t v = lua_tointeger(L, idx);
            enc_byte(L, b, KLIP_V_INT); enc_bytes(L, b, &v, 8);
        } else {
            double v = lua_tonumber(L, idx);
            enc_byte(L, b, KLIP_V_DOUBLE); enc_bytes(L, b, &v, 8);
        }
        break;
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        if (n > UINT32_MAX) luaL_error(L, "string too long");
        enc_byte(L, b, KLIP_V_STRING); enc_u32(L, b, (uint32_t)n); enc_bytes(L, b, s, n);
        break;
    }
    case LUA_TTABLE:
        if (depth >= MAX_DEPTH) { enc_ref(L, b, idx); break; }
        luaL_checkstack(L, 3, "table too deep");
        enc_byte(L, b, KLIP_V_TABLE);
        lua_pushnil(L);
        while (lua_next(L, idx)) {
            encode_value(L, b, -2, depth + 1);
            encode_value(L, b, -1, depth + 1);
            lua_pop(L, 1);
        }
        enc_byte(L, b, KLIP_V_END);
        break;
    case LUA_TUSERDATA: {
        void *p = luaL_testudata(L, idx, HANDLE_MT);
        if (p) {
            void *obj = *(void **)p;
            enc_byte(L, b, KLIP_V_HANDLE); enc_bytes(L, b, &obj, sizeof obj);
            break;
        }
        enc_ref(L, b, idx);
        break;
    }
    default: enc_ref(L, b, idx); break;
    }
}

// ---- Decoding Swift's bytes into Lua values ---------------------------------------------
typedef struct reader { const uint8_t *p, *end; } reader;
static void rd(lua_State *L, reader *r, void *dst, size_t n) {
    if ((size_t)(r->end - r->p) < n) luaL_error(L, "klip: truncated value encoding");
    memcpy(dst, r->p, n);
    r->p += n;
}
static uint8_t rd_byte(lua_State *L, reader *r) { uint8_t v; rd(L, r, &v, 1); return v; }

// Pushes one value; returns 0 when it read an END marker instead.
static int decode_value(lua_State *L, reader *r, int depth) {
    luaL_checkstack(L, 4, "value too deep");
    uint8_t tag = rd_byte(L, r);
    switch (tag) {
    case KLIP_V_NIL: lua_pushnil(L); return 1;
    case KLIP_V_FALSE: lua_pushboolean(L, 0); return 1;
    case KLIP_V_TRUE: lua_pushboolean(L, 1); return 1;
    case KLIP_V_INT: { int64_t v; rd(L, r, &v, 8); lua_pushinteger(L, (lua_Integer)v); return 1; }
    case KLIP_V_DOUBLE: { double v; rd(L, r, &v, 8); lua_pushnumber(L, v); return 1; }
    case KLIP_V_STRING: {
        uint32_t n; rd(L, r, &n, 4);
        if ((size_t)(r->end - r->p) < n) luaL_error(L, "klip: truncated string");
        lua_pushlstring(L, (const char *)r->p, n);
        r->p += n;
        return 1;
    }
    case KLIP_V_TABLE: {
        if (depth > 200) luaL_error(L, "klip: value too deep");
        lua_newtable(L);
        for (;;) {
            if (!decode_value(L, r, depth + 1)) break;
            if (!decode_value(L, r, depth + 1)) luaL_error(L, "klip: odd table encoding");
            if (lua_isnil(L, -2)) { lua_pop(L, 2); continue; }
            lua_rawset(L, -3);
        }
        // An optional metatable, by registry name.
        if (r->p < r->end && *r->p == KLIP_V_META) {
            r->p++;
            uint32_t n; rd(L, r, &n, 4);
            if ((size_t)(r->end - r->p) < n) luaL_error(L, "klip: truncated name");
            lua_pushlstring(L, (const char *)r->p, n);
            r->p += n;
            lua_rawget(L, LUA_REGISTRYINDEX);
            lua_setmetatable(L, -2);
        }
        return 1;
    }
    case KLIP_V_END: return 0;
    case KLIP_V_REF: { int32_t ref; rd(L, r, &ref, 4); lua_rawgeti(L, LUA_REGISTRYINDEX, ref); return 1; }
    default: return luaL_error(L, "klip: bad value tag %d", (int)tag);
    }
}
static int decode_all(lua_State *L, const uint8_t *p, size_t len) {
    reader r = { p, p + len };
    int n = 0;
    while (r.p < r.end) {
        if (!decode_value(L, &r, 0)) luaL_error(L, "klip: stray end marker");
        n++;
    }
    return n;
}

// ---- Where an error happened: the first frame of the script, not of the glue. --------
static int script_where(lua_State *L, luaL_Buffer *out_unused, char *dst, size_t cap) {
    (void)out_unused;
    lua_Debug ar;
    for (int level = 0; lua_getstack(L, level, &ar); level++) {
        if (!lua_getinfo(L, "Sl", &ar)) continue;
        if (ar.currentline <= 0) continue;
        if (strcmp(ar.source, GLUE_CHUNK) == 0) continue;
        snprintf(dst, cap, "%s:%d", ar.short_src, ar.currentline);
        return 1;
    }
    return 0;
}

// Raises the value on top; an error table without `where` gets the script's position.
static int raise_top(lua_State *L) {
    if (lua_type(L, -1) == LUA_TTABLE) {
        lua_pushliteral(L, "where");
        lua_rawget(L, -2);
        int has = !lua_isnil(L, -1);
        lua_pop(L, 1);
        if (!has) {
            char where[512];
            if (script_where(L, NULL, where, sizeof where)) {
                lua_pushliteral(L, "where");
                lua_pushstring(L, where);
                lua_rawset(L, -3);
            }
        }
    } else if (lua_type(L, -1) == LUA_TSTRING) {
        char where[512];
        if (script_where(L, NULL, where, sizeof where)) {
            lua_pushfstring(L, "%s: %s", where, lua_tostring(L, -1));
            lua_remove(L, -2);
        }
    }
    return lua_error(L);
}

// ---- Trampolines -------------------------------------------------------------------
static int finish_call(lua_State *L, int r);

static void release_arg_refs(lua_State *L) {
    klip_state *S = S_of(L);
    for (int i = 0; i < S->n_arg_refs; i++) luaL_unref(L, LUA_REGISTRYINDEX, S->arg_refs[i]);
    S->n_arg_refs = 0;
}

static int binding_cont(lua_State *L, int status, lua_KContext ctx) {
    (void)status;
    int base = (int)ctx; // the stack below the resume values
    int top = lua_gettop(L);
    if (top <= base) return luaL_error(L, "klip: resumed without a result");
    if (!lua_toboolean(L, base + 1)) {
        lua_settop(L, base + 2);
        return raise_top(L);
    }
    return top - base - 1;
}

static int trampoline(lua_State *L) {
    klip_state *S = S_of(L);
    int binding = (int)lua_tointeger(L, lua_upvalueindex(1));
    int flags = (int)lua_tointeger(L, lua_upvalueindex(2));
    if ((flags & KLIP_BINDING_WAITS) && !lua_isyieldable(L)) {
        const char *name = lua_tostring(L, lua_upvalueindex(3));
        lua_pushfstring(L, "%s waits, and cannot be called here: this code runs where Lua "
                           "cannot suspend (a table.sort comparator, a string.gsub callback, a "
                           "metamethod called from C, a __gc or __close during shutdown, or a "
                           "required module's top level)", name ? name : "this function");
        return raise_top(L);
    }
    free_dead_refs(L);
    S->in.len = 0;
    S->enc_nodes = 0;
    int n = lua_gettop(L);
    for (int i = 1; i <= n; i++) encode_value(L, &S->in, i, 0);
    S->out.len = 0;
    int r = S->cb.dispatch(S->cb.host, L, binding, S->in.data, S->in.len);
    release_arg_refs(L);
    if (atomic_load(&S->kill) == KLIP_KILL_EXIT) { // os.exit: stop here, and at every instruction after
        lua_sethook(L, klip_hook, LUA_MASKCOUNT, 1);
        return luaL_error(L, "exit");
    }
    return finish_call(L, r);
}

static int finish_call(lua_State *L, int r) {
    klip_state *S = S_of(L);
    if (r == KLIP_YIELD) {
        int base = lua_gettop(L);
        lua_pushlightuserdata(L, &SENTINEL);
        return lua_yieldk(L, 1, (lua_KContext)base, binding_cont);
    }
    // Copy: decoding may run Lua (metatables by name do not, but be safe with re-entry).
    size_t len = S->out.len;
    uint8_t *copy = NULL;
    if (len) {
        copy = lua_newuserdatauv(L, len, 0);
        memcpy(copy, S->out.data, len);
    }
    int base = lua_gettop(L);
    int got = len ? decode_all(L, copy, len) : 0;
    if (r == KLIP_RAISE) {
        if (got == 0) lua_pushliteral(L, "klip: error");
        return raise_top(L);
    }
    if (got < r) { for (int i = got; i < r; i++) lua_pushnil(L); got = r; }
    (void)base;
    return got;
}


// ---- Handles of spawned coroutines ----------------------------------------------------
static int handle_gc(lua_State *L) {
    void **p = luaL_testudata(L, 1, HANDLE_MT);
    if (p && *p) {
        klip_state *S = S_of(L);
        void *obj = *p;
        *p = NULL;
        if (S->cb.release) S->cb.release(S->cb.host, obj);
    }
    return 0;
}
static int handle_close(lua_State *L) {
    void **p = luaL_testudata(L, 1, HANDLE_MT);
    if (p && *p) {
        klip_state *S = S_of(L);
        if (S->cb.cancel) S->cb.cancel(S->cb.host, *p);
    }
    return 0;
}
static int handle_tostring(lua_State *L) {
    void **p = luaL_checkudata(L, 1, HANDLE_MT);
    lua_pushfstring(L, "klip.handle: %p", p ? *p : NULL);
    return 1;
}

// kling.spawn(fn, ...) -> handle
static int spawn(lua_State *L) {
    klip_state *S = S_of(L);
    luaL_checktype(L, 1, LUA_TFUNCTION);
    int n = lua_gettop(L);
    void **ud = lua_newuserdatauv(L, sizeof(void *), 0);
    *ud = NULL;
    luaL_setmetatable(L, HANDLE_MT);
    lua_State *co = lua_newthread(L);
    lua_pushvalue(L, -1);
    int ref = luaL_ref(L, LUA_REGISTRYINDEX); // pinned until the host lets it go
    lua_pop(L, 1);
    luaL_checkstack(co, n + 1, "too many arguments");
    for (int i = 1; i <= n; i++) lua_pushvalue(L, i);
    lua_xmove(L, co, n);
    *ud = S->cb.spawned(S->cb.host, co, ref, n - 1);
    return 1;
}

static int is_handle(lua_State *L) {
    lua_pushboolean(L, luaL_testudata(L, 1, HANDLE_MT) != NULL);
    return 1;
}

// ---- Protected entry points ---------------------------------------------------------
static int status_from_pcall(lua_State *L, int status) {
    if (status != LUA_OK) take_error(L);
    return status;
}

static int p_open(lua_State *L) {
    luaL_openlibs(L);
    if (luaL_newmetatable(L, HANDLE_MT)) {
        lua_pushcfunction(L, handle_gc); lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, handle_close); lua_setfield(L, -2, "__close");
        lua_pushcfunction(L, handle_tostring); lua_setfield(L, -2, "__tostring");
        lua_pushliteral(L, "klip.handle"); lua_setfield(L, -2, "__name");
        lua_pushliteral(L, "klip.handle"); lua_setfield(L, -2, "__metatable");
    }
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushcfunction(L, spawn); lua_setfield(L, -2, "spawn");
    lua_pushcfunction(L, is_handle); lua_setfield(L, -2, "is_handle");
    lua_pushlightuserdata(L, &SENTINEL); lua_setfield(L, -2, "sentinel");
    lua_setfield(L, LUA_REGISTRYINDEX, "klip.bindings");
    return 0;
}
int klip_open(lua_State *L) {
    lua_pushcfunction(L, p_open);
    return status_from_pcall(L, lua_pcall(L, 0, 0, 0));
}

static int p_register(lua_State *L) {
    const char *name = lua_touserdata(L, 1);
    int binding = (int)lua_tointeger(L, 2);
    int flags = (int)lua_tointeger(L, 3);
    const char *display = lua_touserdata(L, 4);
    lua_getfield(L, LUA_REGISTRYINDEX, "klip.bindings");
    lua_pushinteger(L, binding);
    lua_pushinteger(L, flags);
    lua_pushstring(L, display ? display : name);
    lua_pushcclosure(L, trampoline, 3);
    lua_setfield(L, -2, name);
    return 0;
}
int klip_register(lua_State *L, const char *name, const char *display, int binding, int flags) {
    lua_pushcfunction(L, p_register);
    lua_pushlightuserdata(L, (void *)name);
    lua_pushinteger(L, binding);
    lua_pushinteger(L, flags);
    lua_pushlightuserdata(L, (void *)display);
    return status_from_pcall(L, lua_pcall(L, 4, 0, 0));
}

typedef struct chunk_args {
    const char *code; size_t len; const char *name;
    const uint8_t *args; size_t arglen;
} chunk_args;

static int p_prelude(lua_State *L) {
    chunk_args *a = lua_touserdata(L, 1);
    if (luaL_loadbufferx(L, a->code, a->len, a->name, "t") != LUA_OK) return lua_error(L);
    lua_getfield(L, LUA_REGISTRYINDEX, "klip.bindings");
    int n = decode_all(L, a->args, a->arglen);
    lua_call(L, 1 + n, 0);
    return 0;
}
int klip_run_prelude(lua_State *L, const char *code, size_t len, const char *chunkname,
                     const uint8_t *args, size_t arglen) {
    chunk_args a = { code, len, chunkname, args, arglen };
    lua_pushcfunction(L, p_prelude);
    lua_pushlightuserdata(L, &a);
    return status_from_pcall(L, lua_pcall(L, 1, 0, 0));
}

static int p_load_main(lua_State *L) {
    chunk_args *a = lua_touserdata(L, 1);
    lua_State **co_out = lua_touserdata(L, 2);
    lua_settop(L, 0);
    if (luaL_loadbufferx(L, a->code, a->len, a->name, "t") != LUA_OK) return lua_error(L);
    int n = decode_all(L, a->args, a->arglen);
    lua_State *co = lua_newthread(L);
    lua_pushvalue(L, -1);
    int ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pop(L, 1);
    luaL_checkstack(co, n + 1, "too many arguments");
    lua_xmove(L, co, n + 1);
    *co_out = co;
    lua_pushinteger(L, ref);
    return 1;
}
int klip_load_main(lua_State *L, const char *code, size_t len, const char *chunkname,
                   const uint8_t *args, size_t arglen, lua_State **co_out) {
    chunk_args a = { code, len, chunkname, args, arglen };
    lua_pushcfunction(L, p_load_main);
    lua_pushlightuserdata(L, &a);
    lua_pushlightuserdata(L, co_out);
    int status = lua_pcall(L, 2, 1, 0);
    if (status != LUA_OK) { take_error(L); return -status; }
    int ref = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    return ref;
}

// ---- Error reports: message and a traceback of the script's own frames. --------------
static int p_report(lua_State *L) {
    lua_State *co = lua_touserdata(L, 1);
    // 2: the error object
    luaL_Buffer b;
    const char *msg = NULL;
    if (luaL_callmeta(L, 2, "__tostring") && lua_type(L, -1) == LUA_TSTRING) {
        msg = lua_tostring(L, -1);
    } else if (lua_type(L, 2) == LUA_TSTRING || lua_type(L, 2) == LUA_TNUMBER) {
        msg = lua_tostring(L, 2);
    } else {
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 2));
    }
    int msg_idx = lua_gettop(L);
    luaL_buffinit(L, &b);
    // A table error carries where it was raised; put that first, like Lua's own messages.
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_pushliteral(L, "where");
        lua_rawget(L, 2);
        if (lua_type(L, -1) == LUA_TSTRING) {
            luaL_addvalue(&b);
            luaL_addstring(&b, ": ");
        } else lua_pop(L, 1);
    }
    lua_pushvalue(L, msg_idx);
    luaL_addvalue(&b);
    if (co) {
        luaL_addstring(&b, "\nstack traceback:");
        lua_Debug ar;
        int frames = 0;
        for (int level = 0; lua_getstack(co, level, &ar); level++) {
            if (!lua_getinfo(co, "Slnt", &ar)) continue;
            if (strcmp(ar.source, GLUE_CHUNK) == 0) continue;
            if (*ar.what == 'C') continue;
            char line[768];
            const char *what;
            char fname[256];
            if (*ar.what == 'm') what = "in main chunk";
            else if (ar.name) { snprintf(fname, sizeof fname, "in function '%s'", ar.name); what = fname; }
            else { snprintf(fname, sizeof fname, "in function <%s:%d>", ar.short_src, ar.linedefined); what = fname; }
            if (ar.currentline > 0) snprintf(line, sizeof line, "\n\t%s:%d: %s", ar.short_src, ar.currentline, what);
            else snprintf(line, sizeof line, "\n\t%s: %s", ar.short_src, what);
            luaL_addstring(&b, line);
            if (++frames >= 30) { luaL_addstring(&b, "\n\t..."); break; }
        }
    }
    luaL_pushresult(&b);
    return 1;
}
static int report(lua_State *L, lua_State *co, int err_ref) {
    lua_pushcfunction(L, p_report);
    lua_pushlightuserdata(L, co);
    lua_rawgeti(L, LUA_REGISTRYINDEX, err_ref);
    int status = lua_pcall(L, 2, 1, 0);
    if (status == LUA_OK) { take_error(L); return LUA_OK; }
    take_error(L);
    return status;
}
int klip_describe_ref(lua_State *L, int ref) { return report(L, NULL, ref); }

// ---- Resuming ------------------------------------------------------------------------
static int p_push_args(lua_State *L) {
    chunk_args *a = lua_touserdata(L, 1);
    lua_settop(L, 0);
    free_dead_refs(L);
    return decode_all(L, a->args, a->arglen);
}
static int p_pack(lua_State *L) {
    int n = lua_gettop(L);
    lua_createtable(L, n, 1);
    lua_insert(L, 1);
    for (int i = n; i >= 1; i--) lua_rawseti(L, 1, i);
    lua_pushinteger(L, n);
    lua_setfield(L, 1, "n");
    return 1;
}
static int p_ref(lua_State *L) {
    lua_settop(L, 1);
    lua_pushinteger(L, luaL_ref(L, LUA_REGISTRYINDEX));
    return 1;
}

static void begin_slice(klip_state *S) { S->slice_start = thread_cpu(); S->in_slice = 1; }
static void end_slice(klip_state *S) {
    if (S->in_slice) S->cpu_used += thread_cpu() - S->slice_start;
    S->in_slice = 0;
}

// Stores the value on top of L (the main thread) in the registry; 0 on failure.
static int ref_top(lua_State *L) {
    lua_pushcfunction(L, p_ref);
    lua_insert(L, -2);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) { lua_pop(L, 1); return 0; }
    int ref = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    return ref;
}

int klip_resume(lua_State *L, lua_State *co, int preloaded, const uint8_t *args, size_t len, int *result_ref) {
    klip_state *S = S_of(L);
    *result_ref = 0;
    int base = lua_gettop(L);
    chunk_args a = { NULL, 0, NULL, args, len };
    lua_pushcfunction(L, p_push_args);
    lua_pushlightuserdata(L, &a);
    int nargs = 0;
    if (lua_pcall(L, 1, LUA_MULTRET, 0) != LUA_OK) {
        // Could not even build the arguments (memory): fail the coroutine with that.
        lua_xmove(L, co, 1);
    } else {
        nargs = lua_gettop(L) - base;
        if (!lua_checkstack(co, nargs + 1)) { lua_settop(L, base); nargs = 0; }
        else lua_xmove(L, co, nargs);
        int nres = 0;
        begin_slice(S);
        int status = lua_resume(co, L, nargs + preloaded, &nres);
        end_slice(S);
        if (status == LUA_YIELD) {
            int host = nres >= 1 && lua_touserdata(co, -1) == &SENTINEL;
            lua_pop(co, nres);
            if (host) return KLIP_THREAD_WAITING;
            // A coroutine.yield outside any coroutine of the script's own.
            lua_pushliteral(co, "attempt to yield from outside a coroutine");
        } else if (status == LUA_OK) {
            // Pack the results into a table the host keeps for kling.spawn handles.
            lua_pushcfunction(L, p_pack);
            if (!lua_checkstack(L, nres + 2)) { lua_pop(co, nres); nres = 0; }
            lua_xmove(co, L, nres);
            if (lua_pcall(L, nres, 1, 0) != LUA_OK) {
                lua_xmove(L, co, 1);
                goto error;
            }
            *result_ref = ref_top(L);
            return KLIP_THREAD_DONE;
        }
    }
error:
    // The error object is on top of co. Keep it, and describe it with the script's frames.
    lua_pushvalue(co, -1);
    lua_xmove(co, L, 1);
    *result_ref = ref_top(L);
    if (*result_ref) report(L, co, *result_ref);
    else set_error(S, "not enough memory", 17);
    return KLIP_THREAD_ERROR;
}

int klip_reset_thread(lua_State *L, lua_State *co) {
    (void)L;
    return lua_resetthread(co);
}

static int p_collect(lua_State *L) { lua_gc(L, LUA_GCCOLLECT); return 0; }
int klip_collect(lua_State *L) {
    lua_pushcfunction(L, p_collect);
    return status_from_pcall(L, lua_pcall(L, 0, 0, 0));
}

static int p_encode_ref(lua_State *L) {
    int ref = (int)lua_tointeger(L, 1);
    klip_state *S = S_of(L);
    lua_settop(L, 0);
    lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
    S->out.len = 0;
    S->enc_nodes = 0;
    // A packed result table {n=..., ...} becomes its values; anything else, one value.
    if (lua_type(L, 1) == LUA_TTABLE && lua_getfield(L, 1, "n") == LUA_TNUMBER) {
        lua_Integer n = lua_tointeger(L, -1);
        lua_pop(L, 1);
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(L, 1, i);
            encode_value(L, &S->out, -1, 0);
            lua_pop(L, 1);
        }
    } else {
        lua_settop(L, 1);
        encode_value(L, &S->out, 1, 0);
    }
    release_arg_refs(L);
    return 0;
}
int klip_encode_ref(lua_State *L, int ref, const uint8_t **bytes, size_t *len) {
    klip_state *S = S_of(L);
    lua_pushcfunction(L, p_encode_ref);
    lua_pushinteger(L, ref);
    int status = status_from_pcall(L, lua_pcall(L, 1, 0, 0));
    *bytes = S->out.data;
    *len = status == LUA_OK ? S->out.len : 0;
    return status;
}

static int p_new_thread(lua_State *L) {
    int fn = (int)lua_tointeger(L, 1);
    lua_State **co_out = lua_touserdata(L, 2);
    int *ref_out = lua_touserdata(L, 3);
    lua_State *co = lua_newthread(L);
    lua_pushvalue(L, -1);
    *ref_out = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_rawgeti(co, LUA_REGISTRYINDEX, fn);
    *co_out = co;
    return 0;
}
int klip_new_thread(lua_State *L, int fn_ref, lua_State **co_out, int *thread_ref) {
    lua_pushcfunction(L, p_new_thread);
    lua_pushinteger(L, fn_ref);
    lua_pushlightuserdata(L, co_out);
    lua_pushlightuserdata(L, thread_ref);
    return status_from_pcall(L, lua_pcall(L, 3, 0, 0));
}
