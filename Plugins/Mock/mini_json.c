/*
 * mini_json.c — see mini_json.h. A recursive-descent reader (depth-limited) and an append-only
 * writer. No locale-dependent function is used: numbers are converted by hand, because the host
 * process may have called setlocale() and "%g"/strtod would then use a decimal comma.
 */
#include "mini_json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ========================================================================================== */
/* Reader                                                                                      */
/* ========================================================================================== */

typedef struct parser {
    const unsigned char *start;
    const unsigned char *p;
    const unsigned char *end;
    int depth;
    bool out_of_memory;
    const char *problem; /* static text, set on the first syntax error */
    size_t problem_at;   /* byte offset of that error */
} parser;

static bool fail(parser *ps, const char *problem) {
    if (ps->problem == NULL && !ps->out_of_memory) {
        ps->problem = problem;
        ps->problem_at = (size_t)(ps->p - ps->start);
    }
    return false;
}

static bool out_of_memory(parser *ps) {
    ps->out_of_memory = true;
    return false;
}

static void skip_whitespace(parser *ps) {
    while (ps->p < ps->end &&
           (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')) {
        ps->p++;
    }
}

static bool parse_value(parser *ps, mj_value *out);

/* --- literals ---------------------------------------------------------------------------- */

static bool parse_literal(parser *ps, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) {
        return fail(ps, "unexpected character");
    }
    ps->p += n;
    return true;
}

/* --- numbers ----------------------------------------------------------------------------- */

/* 10^0 .. 10^22 are exact doubles: multiplying or dividing an exact mantissa (< 2^53) by one
 * of them rounds once, which gives the correctly rounded result (Clinger's fast path). */
static const double exact_powers_of_ten[] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* mantissa * 10^exponent; exact on the fast path, within a few ulps otherwise. */
static double scale_by_power_of_ten(double mantissa, int64_t exponent) {
    if (mantissa == 0) {
        return 0;
    }
    while (exponent > 22) {
        mantissa *= 1e22;
        exponent -= 22;
        if (mantissa > 1.7976931348623157e308) {
            return mantissa; /* +inf: the caller rejects it */
        }
    }
    while (exponent < -22) {
        mantissa /= 1e22;
        exponent += 22;
        if (mantissa == 0) {
            return 0;
        }
    }
    return exponent >= 0 ? mantissa * exact_powers_of_ten[exponent]
                         : mantissa / exact_powers_of_ten[-exponent];
}

bool mj_parse_number(const char *text, size_t len, double *value, bool *is_integer,
                     int64_t *integer) {
    const char *p = text;
    const char *end = text + len;
    bool negative = false;
    uint64_t digits = 0;      /* the first 19 significant digits */
    int significant = 0;      /* how many of them */
    int64_t dropped = 0;      /* integer digits beyond those 19 (scale up) */
    int64_t decimal_exp = 0;  /* fraction digits kept (scale down) */
    bool has_fraction = false;
    bool has_exponent = false;

    if (p < end && *p == '-') {
        negative = true;
        p++;
    }
    if (p >= end || *p < '0' || *p > '9') {
        return false;
    }
    if (*p == '0') {
        p++;
        if (p < end && *p >= '0' && *p <= '9') {
            return false; /* no leading zeros */
        }
    } else {
        while (p < end && *p >= '0' && *p <= '9') {
            if (significant < 19) {
                digits = digits * 10 + (uint64_t)(*p - '0');
                significant++;
            } else {
                dropped++;
            }
            p++;
        }
    }
    if (p < end && *p == '.') {
        has_fraction = true;
        p++;
        if (p >= end || *p < '0' || *p > '9') {
            return false;
        }
        while (p < end && *p >= '0' && *p <= '9') {
            if (significant == 0 && *p == '0') {
                decimal_exp--; /* a leading zero, as in 0.00123 */
            } else if (significant < 19) {
                digits = digits * 10 + (uint64_t)(*p - '0');
                significant++;
                decimal_exp--;
            } /* else: beyond 19 significant digits, too fine for a double */
            p++;
        }
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        int64_t exponent = 0;
        bool exponent_negative = false;
        has_exponent = true;
        p++;
        if (p < end && (*p == '+' || *p == '-')) {
            exponent_negative = *p == '-';
            p++;
        }
        if (p >= end || *p < '0' || *p > '9') {
            return false;
        }
        while (p < end && *p >= '0' && *p <= '9') {
            if (exponent < 100000) { /* far beyond any double; clamp to avoid overflow */
                exponent = exponent * 10 + (*p - '0');
            }
            p++;
        }
        decimal_exp += exponent_negative ? -exponent : exponent;
    }
    if (p != end) {
        return false;
    }

    double magnitude = scale_by_power_of_ten((double)digits, decimal_exp + dropped);
    *value = negative ? -magnitude : magnitude;

    /* An integer is a number written without fraction or exponent that fits in int64. */
    *is_integer = false;
    *integer = 0;
    if (!has_fraction && !has_exponent && dropped == 0) {
        if (!negative && digits <= (uint64_t)INT64_MAX) {
            *is_integer = true;
            *integer = (int64_t)digits;
        } else if (negative && digits <= (uint64_t)INT64_MAX + 1u) {
            *is_integer = true;
            *integer = digits == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)digits;
        }
    }
    return true;
}

static bool is_number_char(unsigned char c) {
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

/* Takes the longest run of characters that can appear in a number, then checks its grammar. */
static bool parse_number(parser *ps, mj_value *out) {
    const unsigned char *begin = ps->p;
    while (ps->p < ps->end && is_number_char(*ps->p)) {
        ps->p++;
    }
    out->type = MJ_NUMBER;
    if (!mj_parse_number((const char *)begin, (size_t)(ps->p - begin), &out->as.number.value,
                         &out->as.number.is_integer, &out->as.number.integer)) {
        ps->p = begin;
        return fail(ps, "invalid number");
    }
    double v = out->as.number.value;
    if (v > 1.7976931348623157e308 || v < -1.7976931348623157e308) {
        ps->p = begin;
        return fail(ps, "number out of range");
    }
    return true;
}

/* --- strings ----------------------------------------------------------------------------- */

/* Length of the UTF-8 sequence starting at p (1..4), or 0 when it is invalid (overlong forms,
 * encoded surrogates and code points above U+10FFFF are invalid). */
static size_t utf8_sequence_length(const unsigned char *p, const unsigned char *end) {
    unsigned char c = p[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c < 0x80) {
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;      /* overlong */
        if (c == 0xED) hi = 0x9F;      /* UTF-16 surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;      /* overlong */
        if (c == 0xF4) hi = 0x8F;      /* above U+10FFFF */
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi) {
        return 0;
    }
    for (size_t i = 2; i < n; i++) {
        if (p[i] < 0x80 || p[i] > 0xBF) {
            return 0;
        }
    }
    return n;
}

static size_t encode_utf8(uint32_t cp, char *out) {
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    } else if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    } else if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static bool parse_hex4(parser *ps, uint32_t *out) {
    uint32_t v = 0;
    if (ps->end - ps->p < 4) {
        return fail(ps, "truncated \\u escape");
    }
    for (int i = 0; i < 4; i++) {
        unsigned char c = *ps->p++;
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (uint32_t)(c - 'A' + 10);
        else return fail(ps, "invalid \\u escape");
    }
    *out = v;
    return true;
}

/* Reads a string token (ps->p at the opening quote) into a new NUL-terminated buffer. The
 * decoded text is never longer than the raw token, so one allocation of the raw size is enough. */
static bool parse_string_raw(parser *ps, char **out_chars, size_t *out_len) {
    const unsigned char *q = ps->p + 1;
    while (q < ps->end && *q != '"') {
        q += (*q == '\\' && q + 1 < ps->end) ? 2 : 1;
    }
    if (q >= ps->end) {
        return fail(ps, "unterminated string");
    }
    char *buffer = malloc((size_t)(q - ps->p));
    if (buffer == NULL) {
        return out_of_memory(ps);
    }
    size_t n = 0;
    ps->p++; /* opening quote */
    while (*ps->p != '"') {
        unsigned char c = *ps->p;
        if (c < 0x20) {
            free(buffer);
            return fail(ps, "control character in string (it must be escaped)");
        }
        if (c != '\\') {
            size_t seq = utf8_sequence_length(ps->p, ps->end);
            if (seq == 0) {
                free(buffer);
                return fail(ps, "invalid UTF-8 in string");
            }
            memcpy(buffer + n, ps->p, seq);
            n += seq;
            ps->p += seq;
            continue;
        }
        ps->p++; /* backslash */
        char e = (char)*ps->p++;
        switch (e) {
        case '"': buffer[n++] = '"'; break;
        case '\\': buffer[n++] = '\\'; break;
        case '/': buffer[n++] = '/'; break;
        case 'b': buffer[n++] = '\b'; break;
        case 'f': buffer[n++] = '\f'; break;
        case 'n': buffer[n++] = '\n'; break;
        case 'r': buffer[n++] = '\r'; break;
        case 't': buffer[n++] = '\t'; break;
        case 'u': {
            uint32_t cp;
            if (!parse_hex4(ps, &cp)) {
                free(buffer);
                return false;
            }
            if (cp >= 0xDC00 && cp <= 0xDFFF) {
                free(buffer);
                return fail(ps, "lone low surrogate in \\u escape");
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) { /* high surrogate: a low one must follow */
                uint32_t low;
                if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u') {
                    free(buffer);
                    return fail(ps, "lone high surrogate in \\u escape");
                }
                ps->p += 2;
                if (!parse_hex4(ps, &low)) {
                    free(buffer);
                    return false;
                }
                if (low < 0xDC00 || low > 0xDFFF) {
                    free(buffer);
                    return fail(ps, "high surrogate not followed by a low surrogate");
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            }
            n += encode_utf8(cp, buffer + n);
            break;
        }
        default:
            free(buffer);
            ps->p--;
            return fail(ps, "invalid escape in string");
        }
    }
    ps->p++; /* closing quote */
    buffer[n] = '\0';
    *out_chars = buffer;
    *out_len = n;
    return true;
}

static bool parse_string(parser *ps, mj_value *out) {
    out->type = MJ_STRING;
    out->as.string.chars = NULL;
    out->as.string.len = 0;
    return parse_string_raw(ps, &out->as.string.chars, &out->as.string.len);
}

/* --- arrays and objects ------------------------------------------------------------------ */

/* Grows an array of `size`-byte elements so that one more fits. */
static bool reserve_one(void **items, size_t count, size_t *cap, size_t size) {
    if (count < *cap) {
        return true;
    }
    size_t new_cap = *cap == 0 ? 4 : *cap * 2;
    void *grown = realloc(*items, new_cap * size);
    if (grown == NULL) {
        return false;
    }
    *items = grown;
    *cap = new_cap;
    return true;
}

static bool parse_array(parser *ps, mj_value *out) {
    size_t cap = 0;
    out->type = MJ_ARRAY;
    out->as.array.items = NULL;
    out->as.array.count = 0;
    ps->p++; /* [ */
    skip_whitespace(ps);
    if (ps->p < ps->end && *ps->p == ']') {
        ps->p++;
        return true;
    }
    for (;;) {
        if (!reserve_one((void **)&out->as.array.items, out->as.array.count, &cap,
                         sizeof(mj_value))) {
            return out_of_memory(ps);
        }
        mj_value *item = &out->as.array.items[out->as.array.count];
        item->type = MJ_NULL;
        out->as.array.count++; /* counted now, so that mj_free sees it on failure */
        skip_whitespace(ps);
        if (!parse_value(ps, item)) {
            return false;
        }
        skip_whitespace(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == ']') {
            ps->p++;
            return true;
        }
        return fail(ps, "expected ',' or ']'");
    }
}

static bool parse_object(parser *ps, mj_value *out) {
    size_t cap = 0;
    out->type = MJ_OBJECT;
    out->as.object.members = NULL;
    out->as.object.count = 0;
    ps->p++; /* { */
    skip_whitespace(ps);
    if (ps->p < ps->end && *ps->p == '}') {
        ps->p++;
        return true;
    }
    for (;;) {
        skip_whitespace(ps);
        if (ps->p >= ps->end || *ps->p != '"') {
            return fail(ps, "expected a string key");
        }
        if (!reserve_one((void **)&out->as.object.members, out->as.object.count, &cap,
                         sizeof(mj_member))) {
            return out_of_memory(ps);
        }
        mj_member *member = &out->as.object.members[out->as.object.count];
        member->key = NULL;
        member->key_len = 0;
        member->value.type = MJ_NULL;
        out->as.object.count++;
        const unsigned char *key_at = ps->p;
        if (!parse_string_raw(ps, &member->key, &member->key_len)) {
            return false;
        }
        for (size_t i = 0; i + 1 < out->as.object.count; i++) {
            const mj_member *other = &out->as.object.members[i];
            if (other->key_len == member->key_len &&
                memcmp(other->key, member->key, member->key_len) == 0) {
                ps->p = key_at;
                return fail(ps, "duplicate key in object");
            }
        }
        skip_whitespace(ps);
        if (ps->p >= ps->end || *ps->p != ':') {
            return fail(ps, "expected ':'");
        }
        ps->p++;
        skip_whitespace(ps);
        if (!parse_value(ps, &member->value)) {
            return false;
        }
        skip_whitespace(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == '}') {
            ps->p++;
            return true;
        }
        return fail(ps, "expected ',' or '}'");
    }
}

static bool parse_value(parser *ps, mj_value *out) {
    out->type = MJ_NULL;
    if (ps->p >= ps->end) {
        return fail(ps, "unexpected end of input");
    }
    switch (*ps->p) {
    case '{':
    case '[': {
        if (ps->depth >= MJ_MAX_DEPTH) {
            return fail(ps, "nested too deeply");
        }
        ps->depth++;
        bool ok = *ps->p == '{' ? parse_object(ps, out) : parse_array(ps, out);
        ps->depth--;
        return ok;
    }
    case '"':
        return parse_string(ps, out);
    case 't':
        out->type = MJ_BOOL;
        out->as.boolean = true;
        return parse_literal(ps, "true");
    case 'f':
        out->type = MJ_BOOL;
        out->as.boolean = false;
        return parse_literal(ps, "false");
    case 'n':
        return parse_literal(ps, "null");
    default:
        if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9')) {
            return parse_number(ps, out);
        }
        return fail(ps, "unexpected character");
    }
}

static void free_contents(mj_value *value) {
    switch (value->type) {
    case MJ_STRING:
        free(value->as.string.chars);
        break;
    case MJ_ARRAY:
        for (size_t i = 0; i < value->as.array.count; i++) {
            free_contents(&value->as.array.items[i]);
        }
        free(value->as.array.items);
        break;
    case MJ_OBJECT:
        for (size_t i = 0; i < value->as.object.count; i++) {
            free(value->as.object.members[i].key);
            free_contents(&value->as.object.members[i].value);
        }
        free(value->as.object.members);
        break;
    default:
        break;
    }
    value->type = MJ_NULL;
}

mj_value *mj_parse(const char *text, size_t len, char *error, size_t error_size) {
    parser ps = {0};
    if (error_size > 0) {
        error[0] = '\0';
    }
    ps.start = ps.p = (const unsigned char *)(text != NULL ? text : "");
    ps.end = ps.start + (text != NULL ? len : 0);

    mj_value *root = malloc(sizeof *root);
    if (root == NULL) {
        return NULL;
    }
    skip_whitespace(&ps);
    bool ok = parse_value(&ps, root);
    if (ok) {
        skip_whitespace(&ps);
        if (ps.p != ps.end) {
            ok = fail(&ps, "unexpected data after the JSON value");
        }
    }
    if (!ok) {
        free_contents(root);
        free(root);
        if (!ps.out_of_memory && error_size > 0) {
            snprintf(error, error_size, "invalid JSON at byte %zu: %s", ps.problem_at,
                     ps.problem != NULL ? ps.problem : "syntax error");
        }
        return NULL;
    }
    return root;
}

void mj_free(mj_value *value) {
    if (value != NULL) {
        free_contents(value);
        free(value);
    }
}

const mj_value *mj_get(const mj_value *object, const char *key) {
    if (object == NULL || object->type != MJ_OBJECT) {
        return NULL;
    }
    size_t key_len = strlen(key);
    for (size_t i = 0; i < object->as.object.count; i++) {
        const mj_member *m = &object->as.object.members[i];
        if (m->key_len == key_len && memcmp(m->key, key, key_len) == 0) {
            return &m->value;
        }
    }
    return NULL;
}

const char *mj_type_name(mj_type type) {
    switch (type) {
    case MJ_NULL: return "null";
    case MJ_BOOL: return "a boolean";
    case MJ_NUMBER: return "a number";
    case MJ_STRING: return "a string";
    case MJ_ARRAY: return "an array";
    case MJ_OBJECT: return "an object";
    }
    return "unknown";
}

bool mj_string_is_plain(const mj_value *string) {
    return string->type == MJ_STRING &&
           memchr(string->as.string.chars, '\0', string->as.string.len) == NULL;
}

/* ========================================================================================== */
/* Writer                                                                                      */
/* ========================================================================================== */

void mj_writer_init(mj_writer *w) {
    memset(w, 0, sizeof *w);
}

void mj_writer_free(mj_writer *w) {
    free(w->data);
    mj_writer_init(w);
}

static void put_bytes(mj_writer *w, const char *bytes, size_t n) {
    if (w->failed) {
        return;
    }
    if (w->cap - w->len < n + 1) { /* +1: keep room for the terminator */
        size_t new_cap = w->cap == 0 ? 256 : w->cap;
        while (new_cap - w->len < n + 1) {
            new_cap *= 2;
        }
        char *grown = realloc(w->data, new_cap);
        if (grown == NULL) {
            w->failed = true;
            return;
        }
        w->data = grown;
        w->cap = new_cap;
    }
    memcpy(w->data + w->len, bytes, n);
    w->len += n;
    w->data[w->len] = '\0';
}

static void put_char(mj_writer *w, char c) {
    put_bytes(w, &c, 1);
}

/* Every value and key goes through here: a comma before all but the first in a container. */
static void before_value(mj_writer *w) {
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth > 0) {
        if (w->need_comma[w->depth]) {
            put_char(w, ',');
        }
        w->need_comma[w->depth] = true;
    }
}

static void open_container(mj_writer *w, char bracket) {
    before_value(w);
    if (w->depth >= MJ_MAX_DEPTH) {
        w->failed = true;
        return;
    }
    put_char(w, bracket);
    w->depth++;
    w->need_comma[w->depth] = false;
}

static void close_container(mj_writer *w, char bracket) {
    if (w->depth <= 0) {
        w->failed = true;
        return;
    }
    put_char(w, bracket);
    w->depth--;
}

void mj_object_begin(mj_writer *w) { open_container(w, '{'); }
void mj_object_end(mj_writer *w) { close_container(w, '}'); }
void mj_array_begin(mj_writer *w) { open_container(w, '['); }
void mj_array_end(mj_writer *w) { close_container(w, ']'); }

/* Writes the quoted, escaped string without the comma logic. */
static void put_quoted(mj_writer *w, const char *chars, size_t len) {
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)chars;
    const unsigned char *end = p + len;
    put_char(w, '"');
    while (p < end) {
        const unsigned char *run = p; /* copy runs of plain bytes in one go */
        while (p < end && *p >= 0x20 && *p != '"' && *p != '\\' && *p < 0x80) {
            p++;
        }
        put_bytes(w, (const char *)run, (size_t)(p - run));
        if (p >= end) {
            break;
        }
        unsigned char c = *p;
        if (c >= 0x80) {
            size_t seq = utf8_sequence_length(p, end);
            if (seq == 0) {
                put_bytes(w, "\\ufffd", 6); /* invalid byte: replacement character */
                p++;
            } else {
                put_bytes(w, (const char *)p, seq);
                p += seq;
            }
            continue;
        }
        p++;
        switch (c) {
        case '"': put_bytes(w, "\\\"", 2); break;
        case '\\': put_bytes(w, "\\\\", 2); break;
        case '\b': put_bytes(w, "\\b", 2); break;
        case '\f': put_bytes(w, "\\f", 2); break;
        case '\n': put_bytes(w, "\\n", 2); break;
        case '\r': put_bytes(w, "\\r", 2); break;
        case '\t': put_bytes(w, "\\t", 2); break;
        default: {
            char escape[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
            put_bytes(w, escape, sizeof escape);
        }
        }
    }
    put_char(w, '"');
}

void mj_key(mj_writer *w, const char *key) {
    before_value(w);
    put_quoted(w, key, strlen(key));
    put_char(w, ':');
    w->after_key = true;
}

void mj_string(mj_writer *w, const char *chars, size_t len) {
    before_value(w);
    put_quoted(w, chars != NULL ? chars : "", chars != NULL ? len : 0);
}

void mj_cstring(mj_writer *w, const char *chars) {
    mj_string(w, chars, chars != NULL ? strlen(chars) : 0);
}

void mj_int(mj_writer *w, int64_t value) {
    char text[24];
    int n = snprintf(text, sizeof text, "%lld", (long long)value);
    before_value(w);
    put_bytes(w, text, (size_t)n);
}

void mj_double(mj_writer *w, double value) {
    if (value != value || value > 1.7976931348623157e308 || value < -1.7976931348623157e308) {
        mj_null(w); /* JSON has no NaN or infinity */
        return;
    }
    char text[40];
    int n = 0;
    /* The shortest of 15, 16, 17 significant digits that reads back exactly. */
    for (int precision = 15; precision <= 17; precision++) {
        n = snprintf(text, sizeof text, "%.*g", precision, value);
        for (int i = 0; i < n; i++) {
            if (text[i] == ',') {
                text[i] = '.'; /* a locale with a decimal comma */
            }
        }
        double back;
        bool is_integer;
        int64_t integer;
        if (mj_parse_number(text, (size_t)n, &back, &is_integer, &integer) && back == value) {
            break;
        }
    }
    before_value(w);
    put_bytes(w, text, (size_t)n);
}

void mj_bool(mj_writer *w, bool value) {
    before_value(w);
    put_bytes(w, value ? "true" : "false", value ? 4 : 5);
}

void mj_null(mj_writer *w) {
    before_value(w);
    put_bytes(w, "null", 4);
}

void mj_member_cstring(mj_writer *w, const char *key, const char *value) {
    mj_key(w, key);
    mj_cstring(w, value);
}

void mj_member_int(mj_writer *w, const char *key, int64_t value) {
    mj_key(w, key);
    mj_int(w, value);
}

void mj_member_double(mj_writer *w, const char *key, double value) {
    mj_key(w, key);
    mj_double(w, value);
}

void mj_member_bool(mj_writer *w, const char *key, bool value) {
    mj_key(w, key);
    mj_bool(w, value);
}
