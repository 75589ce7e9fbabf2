// The script's ways around the hook, closed. Lua runs `__gc` metamethods with debug hooks
// off (lgc.c, GCTM), so a looping finalizer could ignore the CPU limit and Ctrl-C; and
// debug.sethook would replace the hook outright. setmetatable and debug.setmetatable wrap
// a Lua `__gc` so it runs in a coroutine of its own, where the hook works.
#include "glue.h"

static int guarded_gc(lua_State *L) {
    lua_State *co = lua_newthread(L); // kept on L's stack while it runs
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    lua_xmove(L, co, 2);
    int nres = 0;
    klip_state *S = S_of(L);
    S->in_finalizer++; // finalizers can nest: one may run during another's allocation
    int status = lua_resume(co, L, 1, &nres);
    S->in_finalizer--;
    if (status == LUA_OK) return 0;
    if (status == LUA_YIELD) {
        // The hook yields a killed coroutine; anything else is a binding that waits.
        lua_resetthread(co);
        if (glue_is_killed(S)) {
            char text[96];
            return luaL_error(L, "%s", glue_kill_text(S, text, sizeof text));
        }
        return luaL_error(L, "a __gc finalizer cannot wait");
    }
    lua_xmove(co, L, 1);
    lua_resetthread(co);
    return lua_error(L);
}

// Wraps mt.__gc in place when it is a Lua function not yet wrapped.
static void guard_gc_field(lua_State *L, int mt) {
    if (lua_type(L, mt) != LUA_TTABLE) return;
    lua_pushliteral(L, "__gc");
    lua_rawget(L, mt);
    if (lua_type(L, -1) == LUA_TFUNCTION && !lua_iscfunction(L, -1)) {
        lua_pushcclosure(L, guarded_gc, 1);
        lua_pushliteral(L, "__gc");
        lua_insert(L, -2);
        lua_rawset(L, mt);
    } else {
        lua_pop(L, 1);
    }
}

// setmetatable(t, mt) and debug.setmetatable(v, mt): upvalue 1 is the original.
static int guarded_setmetatable(lua_State *L) {
    guard_gc_field(L, 2);
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, LUA_MULTRET);
    return lua_gettop(L);
}

static int no_sethook(lua_State *L) {
    return luaL_error(L, "debug.sethook is not available in klip: its hook enforces the "
                         "CPU limit and Ctrl-C");
}

static void wrap_field(lua_State *L, int table, const char *name) {
    lua_getfield(L, table, name);
    lua_pushcclosure(L, guarded_setmetatable, 1);
    lua_setfield(L, table, name);
}

void glue_open_guards(lua_State *L) {
    lua_pushglobaltable(L);
    wrap_field(L, lua_gettop(L), "setmetatable");
    lua_getfield(L, -1, "debug");
    if (lua_istable(L, -1)) {
        wrap_field(L, lua_gettop(L), "setmetatable");
        lua_pushcfunction(L, no_sethook);
        lua_setfield(L, -2, "sethook");
    }
    lua_pop(L, 2);
}
