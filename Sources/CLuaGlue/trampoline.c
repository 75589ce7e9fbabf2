// The trampolines: the only code that turns a Swift binding's sentinel into a Lua raise or
// yield, so no longjmp ever crosses a Swift frame. Also the spawn handles, and opening the
// libraries and registering bindings.
#include "glue.h"
#include <stdio.h>
#include <string.h>

char glue_sentinel;

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
int glue_raise_top(lua_State *L) {
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

static int finish_call(lua_State *L, klip_state *S, int r);

static int binding_cont(lua_State *L, int status, lua_KContext ctx) {
    (void)status;
    int base = (int)ctx; // the stack below the resume values
    int top = lua_gettop(L);
    if (top <= base) return luaL_error(L, "klip: resumed without a result");
    if (!lua_toboolean(L, base + 1)) {
        lua_settop(L, base + 2);
        return glue_raise_top(L);
    }
    return top - base - 1;
}

// Upvalue 1 packs the binding's index and flags into one integer (one read per call),
// upvalue 2 is its display name for errors.
#define PACK_BINDING(binding, flags) (((lua_Integer)(binding) << 8) | ((flags) & 0xff))

static int trampoline(lua_State *L) {
    klip_state *S = S_of(L);
    lua_Integer packed = lua_tointeger(L, lua_upvalueindex(1));
    int binding = (int)(packed >> 8);
    int flags = (int)(packed & 0xff);
    // A finalizer's coroutine (guard.c) can yield, but only to its guard: not a wait either.
    if ((flags & KLIP_BINDING_WAITS) && (!lua_isyieldable(L) || S->in_finalizer)) {
        const char *name = lua_tostring(L, lua_upvalueindex(2));
        lua_pushfstring(L, "%s waits, and cannot be called here: this code runs where Lua "
                           "cannot suspend (a table.sort comparator, a string.gsub callback, a "
                           "metamethod called from C, a __gc or __close during shutdown, or a "
                           "required module's top level)", name ? name : "this function");
        return glue_raise_top(L);
    }
    // A killed script calls no binding, even from code that caught the kill with pcall.
    if (glue_is_killed(S)) glue_poll_kill(L);
    if (S->n_dead_refs) glue_free_dead_refs(L);
    glue_encode_args(L, S, lua_gettop(L));
    S->out.len = 0;
    int r = S->cb.dispatch(S->cb.host, L, binding, S->in.data, S->in.len);
    if (S->n_arg_refs) glue_release_arg_refs(L);
    // os.exit (or Ctrl-C during the call): stop here, and at every instruction after.
    if (glue_is_killed(S)) glue_poll_kill(L);
    return finish_call(L, S, r);
}

static int finish_call(lua_State *L, klip_state *S, int r) {
    if (r == KLIP_YIELD) {
        int base = lua_gettop(L);
        lua_pushlightuserdata(L, &glue_sentinel);
        return lua_yieldk(L, 1, (lua_KContext)base, binding_cont);
    }
    size_t len = S->out.len;
    if (len == 0 && r == 0) return 0; // a binding that returns nothing
    // Copy: decoding allocates, so a collection may run a __gc that calls a binding and
    // refills the output buffer. Small results are copied to the C stack (no allocation).
    uint8_t small[256];
    uint8_t *copy = small;
    if (len > sizeof small) copy = lua_newuserdatauv(L, len, 0);
    if (len) memcpy(copy, S->out.data, len);
    int got = len ? glue_decode_all(L, copy, len) : 0;
    if (r == KLIP_RAISE) {
        if (got == 0) lua_pushliteral(L, "klip: error");
        return glue_raise_top(L);
    }
    if (got < r) { for (int i = got; i < r; i++) lua_pushnil(L); got = r; }
    return got;
}


// ---- Handles of spawned coroutines ----------------------------------------------------
static int handle_gc(lua_State *L) {
    void **p = luaL_testudata(L, 1, GLUE_HANDLE_MT);
    if (p && *p) {
        klip_state *S = S_of(L);
        void *obj = *p;
        *p = NULL;
        if (S->cb.release) S->cb.release(S->cb.host, obj);
    }
    return 0;
}
static int handle_close(lua_State *L) {
    void **p = luaL_testudata(L, 1, GLUE_HANDLE_MT);
    if (p && *p) {
        klip_state *S = S_of(L);
        if (S->cb.cancel) S->cb.cancel(S->cb.host, *p);
    }
    return 0;
}
static int handle_tostring(lua_State *L) {
    void **p = luaL_checkudata(L, 1, GLUE_HANDLE_MT);
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
    luaL_setmetatable(L, GLUE_HANDLE_MT);
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
    lua_pushboolean(L, luaL_testudata(L, 1, GLUE_HANDLE_MT) != NULL);
    return 1;
}


static int p_open(lua_State *L) {
    luaL_openlibs(L);
    glue_open_guards(L);
    glue_open_patterns(L);
    if (luaL_newmetatable(L, GLUE_HANDLE_MT)) {
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
    lua_pushlightuserdata(L, &glue_sentinel); lua_setfield(L, -2, "sentinel");
    lua_setfield(L, LUA_REGISTRYINDEX, "klip.bindings");
    return 0;
}
int klip_open(lua_State *L) {
    lua_pushcfunction(L, p_open);
    return glue_status_from_pcall(L, lua_pcall(L, 0, 0, 0));
}

static int p_register(lua_State *L) {
    const char *name = lua_touserdata(L, 1);
    int binding = (int)lua_tointeger(L, 2);
    int flags = (int)lua_tointeger(L, 3);
    const char *display = lua_touserdata(L, 4);
    lua_getfield(L, LUA_REGISTRYINDEX, "klip.bindings");
    lua_pushinteger(L, PACK_BINDING(binding, flags));
    lua_pushstring(L, display ? display : name);
    lua_pushcclosure(L, trampoline, 2);
    lua_setfield(L, -2, name);
    return 0;
}
int klip_register(lua_State *L, const char *name, const char *display, int binding, int flags) {
    lua_pushcfunction(L, p_register);
    lua_pushlightuserdata(L, (void *)name);
    lua_pushinteger(L, binding);
    lua_pushinteger(L, flags);
    lua_pushlightuserdata(L, (void *)display);
    return glue_status_from_pcall(L, lua_pcall(L, 4, 0, 0));
}

