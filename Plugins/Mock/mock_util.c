/*
 * mock_util.c — clocks, RFC 3339 timestamps, status names, replies and Error objects, and the
 * driver's own log lines (which go to the host, never to stdout or stderr: R9).
 */
#define _POSIX_C_SOURCE 200809L

#include "mock_driver.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------------------------------------ */
/* Clocks                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static int64_t clock_ms(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t mock_now_mono_ms(void) {
    return clock_ms(CLOCK_MONOTONIC);
}

int64_t mock_now_wall_ms(void) {
    return clock_ms(CLOCK_REALTIME);
}

void mock_sleep_ms(int64_t ms) {
    if (ms <= 0) {
        return;
    }
    struct timespec left = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&left, &left) != 0 && errno == EINTR) {
        /* a signal interrupted the sleep: sleep the rest */
    }
}

void mock_wait_until(ssd_driver *driver, int64_t deadline_ms) {
    struct timespec deadline = {.tv_sec = (time_t)(deadline_ms / 1000),
                                .tv_nsec = (long)(deadline_ms % 1000) * 1000000L};
    pthread_cond_timedwait(&driver->changed, &driver->mutex, &deadline);
}

void mock_wake_threads(ssd_driver *driver) {
    pthread_mutex_lock(&driver->mutex);
    pthread_cond_broadcast(&driver->changed);
    pthread_mutex_unlock(&driver->mutex);
}

/* ------------------------------------------------------------------------------------------ */
/* RFC 3339                                                                                    */
/* ------------------------------------------------------------------------------------------ */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t year, int month, int day) {
    year -= month <= 2;
    int64_t era = (year >= 0 ? year : year - 399) / 400;
    int64_t year_of_era = year - era * 400;
    int64_t day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}

/* The date of a day since 1970-01-01 (H. Hinnant's civil_from_days). */
static void civil_from_days(int64_t days, int64_t *year, int *month, int *day) {
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t day_of_era = days - era * 146097;
    int64_t year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    int64_t mp = (5 * day_of_year + 2) / 153;
    *day = (int)(day_of_year - (153 * mp + 2) / 5 + 1);
    *month = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = year_of_era + era * 400 + (*month <= 2);
}

/* Writes `value` as exactly `n` decimal digits. */
static char *put_digits(char *p, int64_t value, int n) {
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (char)('0' + value % 10);
        value /= 10;
    }
    return p + n;
}

void mock_format_rfc3339(int64_t ms, char out[32]) {
    if (ms < 0) {
        ms = 0; /* the mock never stamps lines before 1970 */
    }
    int64_t seconds = ms / 1000;
    int64_t year;
    int month, day;
    civil_from_days(seconds / 86400, &year, &month, &day);
    int64_t second_of_day = seconds % 86400;

    char *p = put_digits(out, year % 10000, 4);
    *p++ = '-';
    p = put_digits(p, month, 2);
    *p++ = '-';
    p = put_digits(p, day, 2);
    *p++ = 'T';
    p = put_digits(p, second_of_day / 3600, 2);
    *p++ = ':';
    p = put_digits(p, second_of_day / 60 % 60, 2);
    *p++ = ':';
    p = put_digits(p, second_of_day % 60, 2);
    *p++ = '.';
    p = put_digits(p, ms % 1000, 3);
    *p++ = 'Z';
    *p = '\0';
}

/* Reads exactly `n` digits. */
static bool read_digits(const char **p, const char *end, int n, int *value) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (*p >= end || **p < '0' || **p > '9') {
            return false;
        }
        v = v * 10 + (*(*p)++ - '0');
    }
    *value = v;
    return true;
}

static bool expect(const char **p, const char *end, const char *choices) {
    if (*p >= end || strchr(choices, **p) == NULL || **p == '\0') {
        return false;
    }
    (*p)++;
    return true;
}

bool mock_parse_rfc3339(const char *text, size_t len, int64_t *ms) {
    static const int days_in_month[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const char *p = text;
    const char *end = text + len;
    int year, month, day, hour, minute, second;

    if (!read_digits(&p, end, 4, &year) || !expect(&p, end, "-") ||
        !read_digits(&p, end, 2, &month) || !expect(&p, end, "-") ||
        !read_digits(&p, end, 2, &day) || !expect(&p, end, "Tt") ||
        !read_digits(&p, end, 2, &hour) || !expect(&p, end, ":") ||
        !read_digits(&p, end, 2, &minute) || !expect(&p, end, ":") ||
        !read_digits(&p, end, 2, &second)) {
        return false;
    }
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (month < 1 || month > 12 || day < 1 ||
        day > days_in_month[month - 1] + (month == 2 && leap) || hour > 23 || minute > 59 ||
        second > 60 /* a leap second */) {
        return false;
    }

    /* Fraction: keep milliseconds, round any finer remainder up so that a line stamped
     * earlier than the requested instant is never included. */
    int64_t millis = 0;
    if (p < end && *p == '.') {
        p++;
        int digits = 0;
        bool remainder = false;
        while (p < end && *p >= '0' && *p <= '9') {
            if (digits < 3) {
                millis = millis * 10 + (*p - '0');
            } else if (*p != '0') {
                remainder = true;
            }
            digits++;
            p++;
        }
        if (digits == 0) {
            return false;
        }
        for (int i = digits; i < 3; i++) {
            millis *= 10;
        }
        millis += remainder;
    }

    int offset_minutes = 0;
    if (p < end && (*p == 'Z' || *p == 'z')) {
        p++;
    } else if (p < end && (*p == '+' || *p == '-')) {
        int sign = *p++ == '-' ? -1 : 1;
        int offset_hours, offset_mins;
        if (!read_digits(&p, end, 2, &offset_hours) || !expect(&p, end, ":") ||
            !read_digits(&p, end, 2, &offset_mins) || offset_hours > 23 || offset_mins > 59) {
            return false;
        }
        offset_minutes = sign * (offset_hours * 60 + offset_mins);
    } else {
        return false;
    }
    if (p != end) {
        return false;
    }

    int64_t seconds = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 +
                      second - (int64_t)offset_minutes * 60;
    *ms = seconds * 1000 + millis;
    return true;
}

/* ------------------------------------------------------------------------------------------ */
/* Status names                                                                                */
/* ------------------------------------------------------------------------------------------ */

static const char *const status_names[] = {
    [SSD_OK] = "OK",
    [SSD_INVALID_ARGUMENT] = "INVALID_ARGUMENT",
    [SSD_NOT_FOUND] = "NOT_FOUND",
    [SSD_ALREADY_EXISTS] = "ALREADY_EXISTS",
    [SSD_FAILED_PRECONDITION] = "FAILED_PRECONDITION",
    [SSD_UNSUPPORTED] = "UNSUPPORTED",
    [SSD_UNAVAILABLE] = "UNAVAILABLE",
    [SSD_TIMEOUT] = "TIMEOUT",
    [SSD_RESOURCE_EXHAUSTED] = "RESOURCE_EXHAUSTED",
    [SSD_CANCELLED] = "CANCELLED",
    [SSD_INTERNAL] = "INTERNAL",
    [SSD_INCOMPATIBLE] = "INCOMPATIBLE",
};

const char *mock_status_name(ssd_status status) {
    if (status < 0 || status > SSD_STATUS_LAST) {
        return "INTERNAL";
    }
    return status_names[status];
}

bool mock_status_from_name(const char *name, size_t len, ssd_status *status) {
    for (ssd_status s = SSD_OK; s <= SSD_STATUS_LAST; s++) {
        if (strlen(status_names[s]) == len && memcmp(status_names[s], name, len) == 0) {
            *status = s;
            return true;
        }
    }
    return false;
}

/* ------------------------------------------------------------------------------------------ */
/* Errors and replies                                                                          */
/* ------------------------------------------------------------------------------------------ */

static void fill_error(mock_error *err, ssd_status code, const char *format, va_list args) {
    static const char prefix[] = "mock: ";
    err->code = code;
    memcpy(err->message, prefix, sizeof prefix - 1);
    vsnprintf(err->message + sizeof prefix - 1, sizeof err->message - (sizeof prefix - 1), format,
              args);
}

bool mock_fail(mock_error *err, ssd_status code, const char *format, ...) {
    va_list args;
    va_start(args, format);
    fill_error(err, code, format, args);
    va_end(args);
    return false;
}

void mock_write_error(mj_writer *w, const mock_error *err) {
    mj_object_begin(w);
    mj_member_cstring(w, "code", mock_status_name(err->code));
    mj_member_cstring(w, "message", err->message);
    mj_object_end(w);
}

/* The reply when even building the reply failed. */
static const char out_of_memory_error[] =
    "{\"code\":\"INTERNAL\",\"message\":\"mock: out of memory while building the reply\"}";

void mock_reply_json(ssd_reply reply, mj_writer *w) {
    if (w->failed || w->data == NULL) {
        reply.fn(reply.ctx, SSD_INTERNAL, out_of_memory_error, sizeof out_of_memory_error - 1);
    } else {
        reply.fn(reply.ctx, SSD_OK, w->data, w->len);
    }
    mj_writer_free(w);
}

void mock_reply_error(ssd_reply reply, const mock_error *err) {
    mj_writer w;
    mj_writer_init(&w);
    mock_write_error(&w, err);
    if (w.failed) {
        reply.fn(reply.ctx, err->code, NULL, 0);
    } else {
        reply.fn(reply.ctx, err->code, w.data, w.len);
    }
    mj_writer_free(&w);
}

void mock_reply_failure(ssd_reply reply, ssd_status code, const char *format, ...) {
    mock_error err;
    va_list args;
    va_start(args, format);
    fill_error(&err, code, format, args);
    va_end(args);
    mock_reply_error(reply, &err);
}

/* ------------------------------------------------------------------------------------------ */
/* Logging to the host                                                                         */
/* ------------------------------------------------------------------------------------------ */

void mock_log(const ssd_driver *driver, int32_t level, const char *format, ...) {
    char line[1024];
    va_list args;
    va_start(args, format);
    int n = vsnprintf(line, sizeof line, format, args);
    va_end(args);
    if (n < 0) {
        return;
    }
    size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    driver->host->log(driver->host->ctx, level, line, len);
}
