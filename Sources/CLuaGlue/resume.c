// Loading, resuming coroutines for the scheduler, and the reports of their errors.
#include "glue.h"
#include <stdio.h>
#include <string.h>

static int p_prelude(lua_State *L) {
    chunk_args *a = lua_touserdata(L, 1);
    if (luaL_loadbufferx(L, a->code, a->len, a->name, "t") != LUA_OK) return lua_error(L);
    lua_getfield(L, LUA_REGISTRYINDEX, "klip.bindings");
    int n = glue_decode_all(L, a->args, a->arglen);
    lua_call(L, 1 + n, 0);
    return 0;
}
int klip_run_prelude(lua_State *L, const char *code, size_t len, const char *chunkname,
                     const uint8_t *args, size_t arglen) {
    chunk_args a = { code, len, chunkname, args, arglen };
    lua_pushcfunction(L, p_prelude);
    lua_pushlightuserdata(L, &a);
    return glue_status_from_pcall(L, lua_pcall(L, 1, 0, 0));
}

static int p_load_main(lua_State *L) {
    chunk_args *a = lua_touserdata(L, 1);
    lua_State **co_out = lua_touserdata(L, 2);
    lua_settop(L, 0);
    if (luaL_loadbufferx(L, a->code, a->len, a->name, "t") != LUA_OK) return lua_error(L);
    int n = glue_decode_all(L, a->args, a->arglen);
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
    if (status != LUA_OK) { glue_take_error(L); return -status; }
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
    if (status == LUA_OK) { glue_take_error(L); return LUA_OK; }
    glue_take_error(L);
    return status;
}

// ---- Resuming ------------------------------------------------------------------------
static int p_push_args(lua_State *L) {
    chunk_args *a = lua_touserdata(L, 1);
    lua_settop(L, 0);
    glue_free_dead_refs(L);
    return glue_decode_all(L, a->args, a->arglen);
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
        glue_begin_slice(S);
        int status = lua_resume(co, L, nargs + preloaded, &nres);
        glue_end_slice(S);
        if (status <= LUA_YIELD && glue_is_killed(S)) {
            // The coroutine caught the kill (pcall) and finished or yielded before its
            // hook came round again: it fails all the same, so the run ends.
            char text[96];
            lua_pop(co, nres);
            lua_pushstring(co, glue_kill_text(S, text, sizeof text));
            goto error;
        }
        if (status == LUA_YIELD) {
            int host = nres >= 1 && lua_touserdata(co, -1) == &glue_sentinel;
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
    else glue_set_error(S, "not enough memory", 17);
    return KLIP_THREAD_ERROR;
}

int klip_reset_thread(lua_State *L, lua_State *co) {
    klip_state *S = S_of(L);
    glue_begin_slice(S); // `<close>` handlers are Lua time, under the (cleanup) CPU limit
    int status = lua_resetthread(co);
    glue_end_slice(S);
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
    return glue_status_from_pcall(L, lua_pcall(L, 3, 0, 0));
}

