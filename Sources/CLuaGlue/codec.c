// The value codec shared with Swift (see LuaCodec.swift), the buffers it writes, the
// error text Swift reads, and the registry references arguments and results hold.
#include "glue.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
int glue_buf_put(buffer *b, const void *p, size_t n) {
    if (!buf_reserve(b, n)) return 0;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 1;
}

void glue_set_error(klip_state *S, const char *msg, size_t len) {
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
void glue_take_error(lua_State *L) {
    size_t n = 0;
    const char *m = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &n) : NULL;
    if (m) glue_set_error(S_of(L), m, n);
    else {
        const char *t = luaL_typename(L, -1);
        char text[96];
        int k = snprintf(text, sizeof text, "(error object is a %s value)", t);
        glue_set_error(S_of(L), text, (size_t)k);
    }
    lua_pop(L, 1);
}

void glue_free_dead_refs(lua_State *L) {
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
    return glue_buf_put(&S->out, bytes, len);
}

// ---- Encoding Lua values for Swift ----------------------------------------------------
static void enc_fail(lua_State *L) { luaL_error(L, "not enough memory"); }
// Inline when the buffer has room (it is reused from call to call, so it almost always has).
static inline void enc_bytes(lua_State *L, buffer *b, const void *p, size_t n) {
    if (b->cap - b->len >= n) { memcpy(b->data + b->len, p, n); b->len += n; return; }
    if (!glue_buf_put(b, p, n)) enc_fail(L);
}
static inline void enc_byte(lua_State *L, buffer *b, uint8_t v) { enc_bytes(L, b, &v, 1); }
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

// The encoding is memory the script asked for, and its time is the script's time: a table
// holding one big string many times must not pass the limits by being encoded natively.
// The kill is polled every 4096 values (more == 0) and for a long string; a short string's
// copy costs less than the poll, which reads the clock when a CPU limit is set.
#define ENC_POLL_BYTES 4096
static void enc_budget(lua_State *L, buffer *b, size_t more) {
    klip_state *S = S_of(L);
    if (S->limit && (more > S->limit || S->used + b->len > S->limit - more)) luaL_error(L, "not enough memory");
    if (more == 0 || more >= ENC_POLL_BYTES) glue_poll_kill(L);
}

static inline void enc_string(lua_State *L, buffer *b, int idx) {
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);
    if (n > UINT32_MAX) luaL_error(L, "string too long");
    enc_budget(L, b, n + 5);
    enc_byte(L, b, KLIP_V_STRING); enc_u32(L, b, (uint32_t)n); enc_bytes(L, b, s, n);
}

// The values reach here by index; `S` is passed down so the hot path (a binding's scalar
// arguments) asks Lua for nothing but the values themselves.
static void encode_value(lua_State *L, klip_state *S, buffer *b, int idx, int depth) {
    long nodes = ++S->enc_nodes;
    if (nodes > MAX_ENCODED_NODES) luaL_error(L, "argument too large (more than %d values)", MAX_ENCODED_NODES);
    if ((nodes & 4095) == 0) enc_budget(L, b, 0);
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
    case LUA_TSTRING: enc_string(L, b, idx); break;
    case LUA_TTABLE:
        if (depth >= MAX_DEPTH) { enc_ref(L, b, idx); break; }
        luaL_checkstack(L, 3, "table too deep");
        enc_byte(L, b, KLIP_V_TABLE);
        lua_pushnil(L);
        while (lua_next(L, idx)) {
            int top = lua_gettop(L);
            encode_value(L, S, b, top - 1, depth + 1);
            encode_value(L, S, b, top, depth + 1);
            lua_pop(L, 1);
        }
        enc_byte(L, b, KLIP_V_END);
        break;
    case LUA_TUSERDATA: {
        void *p = luaL_testudata(L, idx, GLUE_HANDLE_MT);
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

void glue_encode_value(lua_State *L, buffer *b, int idx, int depth) {
    encode_value(L, S_of(L), b, lua_absindex(L, idx), depth);
}

// The hot path of every binding call: scalars and strings are written here, an integer
// asked for first (two calls into liblua, where lua_type first made three); tables and the
// rest go through encode_value.
void glue_encode_args(lua_State *L, klip_state *S, int n) {
    buffer *b = &S->in;
    b->len = 0;
    S->enc_nodes = 0;
    for (int i = 1; i <= n; i++) {
        if (b->cap - b->len < 9 && !buf_reserve(b, 9)) enc_fail(L);
        if ((++S->enc_nodes & 4095) == 0) enc_budget(L, b, 0);
        uint8_t *p = b->data + b->len;
        if (lua_isinteger(L, i)) {
            int64_t v = lua_tointeger(L, i);
            p[0] = KLIP_V_INT; memcpy(p + 1, &v, 8); b->len += 9;
            continue;
        }
        switch (lua_type(L, i)) {
        case LUA_TNUMBER: {
            double v = lua_tonumber(L, i);
            p[0] = KLIP_V_DOUBLE; memcpy(p + 1, &v, 8); b->len += 9;
            break;
        }
        case LUA_TBOOLEAN: p[0] = lua_toboolean(L, i) ? KLIP_V_TRUE : KLIP_V_FALSE; b->len += 1; break;
        case LUA_TNIL: p[0] = KLIP_V_NIL; b->len += 1; break;
        case LUA_TSTRING: enc_string(L, b, i); break;
        default: S->enc_nodes--; encode_value(L, S, b, i, 0); break; // it counts the node itself
        }
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
int glue_decode_all(lua_State *L, const uint8_t *p, size_t len) {
    reader r = { p, p + len };
    int n = 0;
    while (r.p < r.end) {
        if (!decode_value(L, &r, 0)) luaL_error(L, "klip: stray end marker");
        n++;
    }
    return n;
}


void glue_release_arg_refs(lua_State *L) {
    klip_state *S = S_of(L);
    for (int i = 0; i < S->n_arg_refs; i++) luaL_unref(L, LUA_REGISTRYINDEX, S->arg_refs[i]);
    S->n_arg_refs = 0;
}


int glue_status_from_pcall(lua_State *L, int status) {
    if (status != LUA_OK) glue_take_error(L);
    return status;
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
            glue_encode_value(L, &S->out, -1, 0);
            lua_pop(L, 1);
        }
    } else {
        lua_settop(L, 1);
        glue_encode_value(L, &S->out, 1, 0);
    }
    glue_release_arg_refs(L);
    return 0;
}
int klip_encode_ref(lua_State *L, int ref, const uint8_t **bytes, size_t *len) {
    klip_state *S = S_of(L);
    lua_pushcfunction(L, p_encode_ref);
    lua_pushinteger(L, ref);
    int status = glue_status_from_pcall(L, lua_pcall(L, 1, 0, 0));
    *bytes = S->out.data;
    *len = status == LUA_OK ? S->out.len : 0;
    return status;
}
