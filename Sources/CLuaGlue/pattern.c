// klip's own matcher for Lua string patterns (reference manual §6.4.1), installed over
// string.find, string.match, string.gmatch and string.gsub. Lua's matcher is C that
// backtracks without running a VM instruction, so the count hook never fires inside it:
// this one polls the kill every PAT_POLL_STEPS steps, and Ctrl-C and the CPU limit stop a
// backtracking pattern like any Lua loop. Errors are raised lazily, when the matcher reaches
// the malformed part, because scripts see (and the differential test checks) Lua's results.
#include "glue.h"
#include <ctype.h>
#include <string.h>

#define PAT_MAX_CAPTURES 32
// Nesting of quantifiers and captures before "pattern too complex" (as the reference Lua).
#define PAT_MAX_DEPTH 200
#define PAT_POLL_STEPS 4096
#define PAT_ESC '%'
#define PAT_SPECIALS "^$*+?.([%-"

enum { CAP_OPEN = -1, CAP_POSITION = -2 };

typedef struct pat_capture { const char *at; ptrdiff_t len; } pat_capture;

typedef struct matcher {
    lua_State *L;
    const char *s0, *s_end, *p_end;
    int depth_left;
    long until_poll; // match steps left before the next look at the kill
    int ncap;
    pat_capture cap[PAT_MAX_CAPTURES];
} matcher;

static const char *do_match(matcher *m, const char *s, const char *p);

// Counts n steps of matching work; every PAT_POLL_STEPS, raises if the run was killed.
static void tick(matcher *m, long n) {
    m->until_poll -= n;
    if (m->until_poll > 0) return;
    m->until_poll = PAT_POLL_STEPS;
    glue_poll_kill(m->L);
}

static void matcher_init(matcher *m, lua_State *L, const char *s, size_t ls, const char *p, size_t lp) {
    m->L = L;
    m->s0 = s; m->s_end = s + ls; m->p_end = p + lp;
    m->depth_left = PAT_MAX_DEPTH;
    m->until_poll = PAT_POLL_STEPS;
    m->ncap = 0;
}

// Before each attempt at a new subject position: captures of a failed attempt are gone.
static void matcher_reset(matcher *m) {
    m->ncap = 0;
    m->depth_left = PAT_MAX_DEPTH;
}

// --- single characters --------------------------------------------------------------------

// Whether c belongs to the class letter cl (%a, %d, ...; upper case is the complement).
// Any other character after '%' stands for itself.
static int class_has(int cl, int c) {
    int in;
    switch (tolower(cl)) {
    case 'a': in = isalpha(c); break;
    case 'c': in = iscntrl(c); break;
    case 'd': in = isdigit(c); break;
    case 'g': in = isgraph(c); break;
    case 'l': in = islower(c); break;
    case 'p': in = ispunct(c); break;
    case 's': in = isspace(c); break;
    case 'u': in = isupper(c); break;
    case 'w': in = isalnum(c); break;
    case 'x': in = isxdigit(c); break;
    case 'z': in = c == 0; break; // Lua 5.1's class for '\0', still honoured by 5.4
    default: return cl == c;
    }
    if (isupper(cl)) return !in;
    return in != 0;
}

// The end of the single-character class starting at p ('%x', '[set]', or one character).
static const char *item_end(matcher *m, const char *p) {
    char first = *p++;
    if (first == PAT_ESC) {
        if (p >= m->p_end) luaL_error(m->L, "malformed pattern (ends with '%%')");
        return p + 1;
    }
    if (first != '[') return p;
    if (p < m->p_end && *p == '^') p++;
    // The first character of a set is a member even when it is ']'.
    for (;;) {
        if (p >= m->p_end) luaL_error(m->L, "malformed pattern (missing ']')");
        char c = *p++;
        if (c == PAT_ESC && p < m->p_end) p++;
        if (p < m->p_end && *p == ']') return p + 1;
    }
}

// Whether c is in the set [ ... ] whose '[' is at open and ']' at close.
static int set_has(const char *open, const char *close, int c) {
    const char *p = open + 1;
    int member = 1;
    if (*p == '^') { member = 0; p++; }
    while (p < close) {
        if (*p == PAT_ESC) {
            if (class_has((unsigned char)p[1], c)) return member;
            p += 2;
        } else if (p + 2 < close && p[1] == '-') {
            if ((unsigned char)p[0] <= c && c <= (unsigned char)p[2]) return member;
            p += 3;
        } else {
            if ((unsigned char)*p == c) return member;
            p++;
        }
    }
    return !member;
}

// Whether the subject character at s matches the class [p, ep).
static int item_matches(matcher *m, const char *s, const char *p, const char *ep) {
    if (s >= m->s_end) return 0;
    int c = (unsigned char)*s;
    switch (*p) {
    case '.': return 1;
    case PAT_ESC: return class_has((unsigned char)p[1], c);
    case '[': return set_has(p, ep - 1, c);
    default: return (unsigned char)*p == c;
    }
}

// --- the items that are not single characters ------------------------------------------------

// %bxy at p (pointing at x): a balanced run from x to its matching y.
static const char *match_balance(matcher *m, const char *s, const char *p) {
    if (p + 1 >= m->p_end) luaL_error(m->L, "malformed pattern (missing arguments to '%%b')");
    if (s >= m->s_end || *s != p[0]) return NULL;
    int open = p[0], close = p[1], depth = 1;
    for (const char *t = s + 1; t < m->s_end; t++) {
        if (*t == close) {
            if (--depth == 0) return t + 1;
        } else if (*t == open) {
            depth++;
        }
    }
    return NULL;
}

// %f[set] at p (pointing at '['), between the characters before and at s ('\0' past either end).
static const char *frontier_end(matcher *m, const char *s, const char *p, int *passes) {
    if (p >= m->p_end || *p != '[') luaL_error(m->L, "missing '[' after '%%f' in pattern");
    const char *ep = item_end(m, p);
    int before = s == m->s0 ? 0 : (unsigned char)s[-1];
    int at = s < m->s_end ? (unsigned char)*s : 0;
    *passes = !set_has(p, ep - 1, before) && set_has(p, ep - 1, at);
    return ep;
}

// The capture a back-reference %1-%9 (digit d) names, which must be closed.
static int closed_capture(matcher *m, int d) {
    int i = d - '1';
    if (i < 0 || i >= m->ncap || m->cap[i].len == CAP_OPEN)
        return luaL_error(m->L, "invalid capture index %%%d", i + 1);
    return i;
}

static const char *match_backref(matcher *m, const char *s, int d) {
    int i = closed_capture(m, d);
    size_t len = (size_t)m->cap[i].len;
    if ((size_t)(m->s_end - s) >= len && memcmp(m->cap[i].at, s, len) == 0) return s + len;
    return NULL;
}

// --- captures ------------------------------------------------------------------------------

static const char *open_capture(matcher *m, const char *s, const char *p, ptrdiff_t kind) {
    if (m->ncap >= PAT_MAX_CAPTURES) luaL_error(m->L, "too many captures");
    m->cap[m->ncap].at = s;
    m->cap[m->ncap].len = kind;
    m->ncap++;
    const char *res = do_match(m, s, p);
    if (!res) m->ncap--;
    return res;
}

static const char *close_capture(matcher *m, const char *s, const char *p) {
    int i = m->ncap - 1;
    while (i >= 0 && m->cap[i].len != CAP_OPEN) i--;
    if (i < 0) luaL_error(m->L, "invalid pattern capture");
    m->cap[i].len = s - m->cap[i].at;
    const char *res = do_match(m, s, p);
    if (!res) m->cap[i].len = CAP_OPEN;
    return res;
}

// --- quantifiers ---------------------------------------------------------------------------

// '*' (and '+' after its first character): the longest run first, then shorter ones.
static const char *match_greedy(matcher *m, const char *s, const char *p, const char *ep) {
    ptrdiff_t n = 0;
    while (item_matches(m, s + n, p, ep)) n++;
    tick(m, n / 64);
    for (; n >= 0; n--) {
        const char *res = do_match(m, s + n, ep + 1);
        if (res) return res;
    }
    return NULL;
}

// '-': the shortest run first, one character more on each failure.
static const char *match_lazy(matcher *m, const char *s, const char *p, const char *ep) {
    for (;;) {
        const char *res = do_match(m, s, ep + 1);
        if (res) return res;
        if (!item_matches(m, s, p, ep)) return NULL;
        s++;
    }
}

// --- the matcher ---------------------------------------------------------------------------

// One single-character item at p, maybe quantified; *next is where to go on when it is done
// (NULL: the result is final).
static const char *match_item(matcher *m, const char *s, const char *p, const char **next) {
    const char *ep = item_end(m, p);
    char q = ep < m->p_end ? *ep : '\0';
    *next = NULL;
    if (!item_matches(m, s, p, ep)) {
        if (q == '*' || q == '?' || q == '-') { *next = ep + 1; return s; }
        return NULL;
    }
    switch (q) {
    case '?': {
        const char *res = do_match(m, s + 1, ep + 1);
        if (res) return res;
        *next = ep + 1;
        return s;
    }
    case '+': return match_greedy(m, s + 1, p, ep);
    case '*': return match_greedy(m, s, p, ep);
    case '-': return match_lazy(m, s, p, ep);
    default: *next = ep; return s + 1;
    }
}

// The items that begin with '%' and are not classes: %b, %f, back-references. 1 if handled.
static int match_escape(matcher *m, const char **s, const char **p) {
    const char *pp = *p;
    if (pp + 1 >= m->p_end) return 0;
    char kind = pp[1];
    if (kind == 'b') {
        *s = match_balance(m, *s, pp + 2);
        *p = pp + 4;
    } else if (kind == 'f') {
        int passes;
        *p = frontier_end(m, *s, pp + 2, &passes);
        if (!passes) *s = NULL;
    } else if (isdigit((unsigned char)kind)) {
        *s = match_backref(m, *s, kind);
        *p = pp + 2;
    } else {
        return 0;
    }
    return 1;
}

// Matches pattern p against the subject at s: the end of the match, or NULL.
static const char *match_from(matcher *m, const char *s, const char *p) {
    while (s && p < m->p_end) {
        switch (*p) {
        case '(':
            if (p + 1 < m->p_end && p[1] == ')') return open_capture(m, s, p + 2, CAP_POSITION);
            return open_capture(m, s, p + 1, CAP_OPEN);
        case ')':
            return close_capture(m, s, p + 1);
        case '$':
            if (p + 1 == m->p_end) return s == m->s_end ? s : NULL;
            break;
        case PAT_ESC:
            if (match_escape(m, &s, &p)) continue;
            break;
        default:
            break;
        }
        const char *next;
        s = match_item(m, s, p, &next);
        if (!next) return s;
        p = next;
    }
    return s;
}

static const char *do_match(matcher *m, const char *s, const char *p) {
    tick(m, 1);
    if (m->depth_left-- == 0) luaL_error(m->L, "pattern too complex");
    const char *res = match_from(m, s, p);
    m->depth_left++;
    return res;
}

// --- captures as Lua values ----------------------------------------------------------------

// Capture i of the match [s, e): its text in *text/*len, or 0 after pushing a position.
// Without captures, capture 0 is the whole match.
static int capture_text(matcher *m, int i, const char *s, const char *e, const char **text, size_t *len) {
    if (i >= m->ncap) {
        if (i != 0) luaL_error(m->L, "invalid capture index %%%d", i + 1);
        *text = s; *len = (size_t)(e - s);
        return 1;
    }
    ptrdiff_t l = m->cap[i].len;
    if (l == CAP_OPEN) luaL_error(m->L, "unfinished capture");
    if (l == CAP_POSITION) {
        lua_pushinteger(m->L, (lua_Integer)(m->cap[i].at - m->s0) + 1);
        return 0;
    }
    *text = m->cap[i].at; *len = (size_t)l;
    return 1;
}

static void push_capture(matcher *m, int i, const char *s, const char *e) {
    const char *text; size_t len;
    if (capture_text(m, i, s, e, &text, &len)) lua_pushlstring(m->L, text, len);
}

// Pushes the captures (the whole match if there are none and s is given); returns how many.
static int push_captures(matcher *m, const char *s, const char *e) {
    int n = (m->ncap == 0 && s) ? 1 : m->ncap;
    luaL_checkstack(m->L, n, "too many captures");
    for (int i = 0; i < n; i++) push_capture(m, i, s, e);
    return n;
}

// --- string.find and string.match ----------------------------------------------------------

// The 0-based start for a 1-based, maybe negative, init (§6.4: clamped to the string).
static size_t start_offset(lua_Integer init, size_t len) {
    if (init > 0) return (size_t)init - 1;
    if (init == 0 || init < -(lua_Integer)len) return 0;
    return len - (size_t)(-init);
}

static int has_specials(const char *p, size_t lp) {
    for (size_t i = 0; i < lp; i++)
        if (p[i] != '\0' && strchr(PAT_SPECIALS, p[i])) return 1;
    return 0;
}

static int find_plain(lua_State *L, const char *s, size_t ls, size_t init, const char *p, size_t lp) {
    const char *hit = memmem(s + init, ls - init, p, lp);
    if (!hit) { luaL_pushfail(L); return 1; }
    lua_pushinteger(L, (lua_Integer)(hit - s) + 1);
    lua_pushinteger(L, (lua_Integer)(hit - s) + (lua_Integer)lp);
    return 2;
}

static int find_or_match(lua_State *L, int find) {
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    size_t init = start_offset(luaL_optinteger(L, 3, 1), ls);
    if (init > ls) { luaL_pushfail(L); return 1; }
    if (find && (lua_toboolean(L, 4) || !has_specials(p, lp))) return find_plain(L, s, ls, init, p, lp);
    int anchored = lp > 0 && *p == '^';
    if (anchored) { p++; lp--; }
    matcher m;
    matcher_init(&m, L, s, ls, p, lp);
    const char *at = s + init;
    do {
        matcher_reset(&m);
        const char *e = do_match(&m, at, p);
        if (!e) continue;
        if (!find) return push_captures(&m, at, e);
        lua_pushinteger(L, (lua_Integer)(at - s) + 1);
        lua_pushinteger(L, (lua_Integer)(e - s));
        return push_captures(&m, NULL, NULL) + 2;
    } while (at++ < m.s_end && !anchored);
    luaL_pushfail(L);
    return 1;
}

static int pat_find(lua_State *L) { return find_or_match(L, 1); }
static int pat_match(lua_State *L) { return find_or_match(L, 0); }

// --- string.gmatch -------------------------------------------------------------------------

typedef struct gmatch_state { size_t next; const char *last; } gmatch_state;

// The iterator: upvalues are the subject, the pattern and the gmatch_state. A match may not
// end where the previous one ended (5.4: no second empty match at one position).
static int gmatch_step(lua_State *L) {
    size_t ls, lp;
    const char *s = lua_tolstring(L, lua_upvalueindex(1), &ls);
    const char *p = lua_tolstring(L, lua_upvalueindex(2), &lp);
    gmatch_state *g = lua_touserdata(L, lua_upvalueindex(3));
    matcher m;
    matcher_init(&m, L, s, ls, p, lp);
    for (const char *at = s + g->next; at <= m.s_end; at++) {
        matcher_reset(&m);
        const char *e = do_match(&m, at, p);
        if (e && e != g->last) {
            g->next = (size_t)(e - s);
            g->last = e;
            return push_captures(&m, at, e);
        }
    }
    g->next = ls + 1;
    return 0;
}

static int pat_gmatch(lua_State *L) {
    size_t ls;
    luaL_checklstring(L, 1, &ls);
    luaL_checkstring(L, 2);
    size_t init = start_offset(luaL_optinteger(L, 3, 1), ls);
    lua_settop(L, 2);
    gmatch_state *g = lua_newuserdatauv(L, sizeof *g, 0);
    g->next = init > ls ? ls + 1 : init;
    g->last = NULL;
    lua_pushcclosure(L, gmatch_step, 3);
    return 1;
}

// --- string.gsub ---------------------------------------------------------------------------

// Appends a replacement string with %0-%9 and %% expanded for the match [s, e).
static void add_expanded(matcher *m, luaL_Buffer *b, const char *r, size_t lr, const char *s, const char *e) {
    const char *end = r + lr, *esc;
    while ((esc = memchr(r, PAT_ESC, (size_t)(end - r))) != NULL) {
        luaL_addlstring(b, r, (size_t)(esc - r));
        char d = esc + 1 < end ? esc[1] : '\0';
        if (d == PAT_ESC) {
            luaL_addchar(b, PAT_ESC);
        } else if (d == '0') {
            luaL_addlstring(b, s, (size_t)(e - s));
        } else if (isdigit((unsigned char)d)) {
            const char *text; size_t len;
            if (capture_text(m, d - '1', s, e, &text, &len)) luaL_addlstring(b, text, len);
            else luaL_addvalue(b);
        } else {
            luaL_error(m->L, "invalid use of '%c' in replacement string", PAT_ESC);
        }
        r = esc + 2;
    }
    luaL_addlstring(b, r, (size_t)(end - r));
}

// Appends the replacement for the match [s, e); returns 1 if it changed the text.
static int add_replacement(matcher *m, luaL_Buffer *b, const char *s, const char *e) {
    lua_State *L = m->L;
    switch (lua_type(L, 3)) {
    case LUA_TFUNCTION: {
        lua_pushvalue(L, 3);
        int n = push_captures(m, s, e);
        lua_call(L, n, 1);
        break;
    }
    case LUA_TTABLE:
        push_capture(m, 0, s, e);
        lua_gettable(L, 3);
        break;
    default: {
        size_t lr;
        const char *r = lua_tolstring(L, 3, &lr);
        add_expanded(m, b, r, lr, s, e);
        return 1;
    }
    }
    if (!lua_toboolean(L, -1)) {
        lua_pop(L, 1);
        luaL_addlstring(b, s, (size_t)(e - s));
        return 0;
    }
    if (!lua_isstring(L, -1)) return luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    luaL_addvalue(b);
    return 1;
}

static int pat_gsub(lua_State *L) {
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    int tr = lua_type(L, 3);
    lua_Integer max_n = luaL_optinteger(L, 4, (lua_Integer)ls + 1);
    luaL_argexpected(L, tr == LUA_TNUMBER || tr == LUA_TSTRING || tr == LUA_TFUNCTION || tr == LUA_TTABLE,
                     3, "string/function/table");
    int anchored = lp > 0 && *p == '^';
    if (anchored) { p++; lp--; }
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    matcher m;
    matcher_init(&m, L, s, ls, p, lp);
    const char *at = s, *last = NULL;
    lua_Integer n = 0;
    int changed = 0;
    while (n < max_n) {
        matcher_reset(&m);
        const char *e = do_match(&m, at, p);
        if (e && e != last) {
            n++;
            changed |= add_replacement(&m, &b, at, e);
            at = last = e;
        } else if (at < m.s_end) {
            luaL_addchar(&b, *at++);
        } else {
            break;
        }
        if (anchored) break;
    }
    if (!changed) {
        lua_pushvalue(L, 1);
    } else {
        luaL_addlstring(&b, at, (size_t)(m.s_end - at));
        luaL_pushresult(&b);
    }
    lua_pushinteger(L, n);
    return 2;
}

// --- installation --------------------------------------------------------------------------

void glue_open_patterns(lua_State *L) {
    static const luaL_Reg fns[] = {
        {"find", pat_find}, {"match", pat_match}, {"gmatch", pat_gmatch}, {"gsub", pat_gsub},
        {NULL, NULL},
    };
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_getfield(L, -1, LUA_STRLIBNAME);
    luaL_setfuncs(L, fns, 0);
    lua_pop(L, 2);
}
