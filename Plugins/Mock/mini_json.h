/*
 * mini_json.h — a small JSON reader and writer, enough for a driver's objects.
 *
 * The reader turns one UTF-8 JSON document (a pointer and a length, not NUL-terminated, as the
 * driver ABI passes them) into a tree of mj_value that the caller frees with mj_free. It is
 * strict (RFC 8259): invalid UTF-8, lone surrogates, trailing commas, comments, duplicate object
 * keys and trailing garbage are errors. Nesting is limited to MJ_MAX_DEPTH.
 *
 * The writer appends JSON text to a growable buffer. Commas are placed for you; strings are
 * escaped (quote, backslash, every control character) and invalid UTF-8 is replaced by U+FFFD,
 * so the output is always valid JSON. Allocation failures are sticky: check `failed` once at the
 * end instead of after every call.
 *
 * Neither half depends on the driver; a vendor may copy this pair as is.
 */
#ifndef MOCK_MINI_JSON_H
#define MOCK_MINI_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Deepest nesting of arrays and objects the reader accepts and the writer produces. */
#define MJ_MAX_DEPTH 64

/* ------------------------------------------------------------------------------------------ */
/* Reader                                                                                      */
/* ------------------------------------------------------------------------------------------ */

typedef enum mj_type { MJ_NULL, MJ_BOOL, MJ_NUMBER, MJ_STRING, MJ_ARRAY, MJ_OBJECT } mj_type;

typedef struct mj_value mj_value;
typedef struct mj_member mj_member;

struct mj_value {
    mj_type type;
    union {
        bool boolean;
        struct {
            double value;    /* always set (nearest double) */
            bool is_integer; /* written without fraction or exponent, and fits in int64 */
            int64_t integer; /* exact value when is_integer */
        } number;
        struct {
            char *chars; /* decoded UTF-8, NUL-terminated; may also contain NUL (from \u0000) */
            size_t len;  /* in bytes, without the terminator */
        } string;
        struct {
            mj_value *items;
            size_t count;
        } array;
        struct {
            mj_member *members; /* in document order; keys are unique */
            size_t count;
        } object;
    } as;
};

struct mj_member {
    char *key; /* decoded, NUL-terminated (may contain NUL, see key_len) */
    size_t key_len;
    mj_value value;
};

/**
 * Parses exactly one JSON value, optionally surrounded by whitespace.
 * Returns the tree (free it with mj_free), or NULL on error with a message in `error` such as
 * "invalid JSON at byte 12: expected ':'" (always NUL-terminated when error_size > 0).
 * A NULL result with an empty message means the allocation failed.
 */
mj_value *mj_parse(const char *text, size_t len, char *error, size_t error_size);

/** Frees a tree returned by mj_parse. NULL is allowed. */
void mj_free(mj_value *value);

/** The member `key` of an object, or NULL when absent or when `object` is not an object. */
const mj_value *mj_get(const mj_value *object, const char *key);

/** A short name for a type, for error messages: "null", "a boolean", "a number", ... */
const char *mj_type_name(mj_type type);

/** True when the string value contains no NUL byte (safe to use as a C string). */
bool mj_string_is_plain(const mj_value *string);

/**
 * Parses a JSON number (the whole of `text`, no whitespace) the way the reader does.
 * Returns false when `text` is not a JSON number. Used by the writer to check round-trips.
 */
bool mj_parse_number(const char *text, size_t len, double *value, bool *is_integer,
                     int64_t *integer);

/* ------------------------------------------------------------------------------------------ */
/* Writer                                                                                      */
/* ------------------------------------------------------------------------------------------ */

typedef struct mj_writer {
    char *data;  /* the text so far, NUL-terminated when data != NULL */
    size_t len;  /* bytes of text, without the terminator */
    size_t cap;  /* allocated bytes */
    bool failed; /* an allocation failed or the nesting was too deep: the text is unusable */
    bool after_key; /* a key was just written: the next value takes no comma */
    int depth;
    bool need_comma[MJ_MAX_DEPTH + 1];
} mj_writer;

void mj_writer_init(mj_writer *w);
/** Frees the buffer; the writer can be initialised again. */
void mj_writer_free(mj_writer *w);

void mj_object_begin(mj_writer *w);
void mj_object_end(mj_writer *w);
void mj_array_begin(mj_writer *w);
void mj_array_end(mj_writer *w);

/** Writes a key inside an object; the next call writes its value. */
void mj_key(mj_writer *w, const char *key);

void mj_string(mj_writer *w, const char *chars, size_t len);
void mj_cstring(mj_writer *w, const char *chars);
void mj_int(mj_writer *w, int64_t value);
/** The shortest text that reads back as the same double; non-finite values become null. */
void mj_double(mj_writer *w, double value);
void mj_bool(mj_writer *w, bool value);
void mj_null(mj_writer *w);

/* Key and value in one call, for the common case. */
void mj_member_cstring(mj_writer *w, const char *key, const char *value);
void mj_member_int(mj_writer *w, const char *key, int64_t value);
void mj_member_double(mj_writer *w, const char *key, double value);
void mj_member_bool(mj_writer *w, const char *key, bool value);

#endif /* MOCK_MINI_JSON_H */
