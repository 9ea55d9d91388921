/*
 * mock_driver.h — internal to the mock driver: the instance, its config, and the functions the
 * files share. Nothing here is part of the ABI; the host only ever sees streamspace_driver.h.
 *
 * How the files divide the work:
 *   mock_driver.c    the entry point, the function table, create / destroy / capabilities
 *   mock_config.c    the instance's JSON config (--driver-config)
 *   mock_validate.c  session ids and the request objects (SessionSpec, StopRequest, LogRequest)
 *   mock_platform.c  the fake platform: process-global sessions, ports and log lines
 *   mock_sessions.c  the session operations, metrics, health, describe, injected crashes
 *   mock_logs.c      log streams: one thread per open stream, flow control, cancel
 *   mock_util.c      clocks, RFC 3339, replies and Error objects, logging to the host
 *   mini_json.c      a small JSON reader and writer
 *
 * Locks (R5: none is ever held while calling the host):
 *   - the platform lock (mock_platform.c) guards the sessions of every instance;
 *   - each instance's `mutex` guards its streams, its crash timers and `shutting_down`;
 *   - the instance-list lock (mock_driver.c) guards the list of live instances.
 *   The only nesting is instance-list lock -> an instance's mutex (to wake its threads); the
 *   platform lock is never held together with another.
 */
#ifndef MOCK_DRIVER_H
#define MOCK_DRIVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mini_json.h"
#include "streamspace_driver.h"

/** Session ids are 1 to 100 characters (see mock_validate.c). */
#define MOCK_ID_MAX 100

/* ------------------------------------------------------------------------------------------ */
/* Errors on their way to a reply                                                              */
/* ------------------------------------------------------------------------------------------ */

typedef struct mock_error {
    ssd_status code;
    char message[512]; /* starts with "mock: " */
} mock_error;

/** Fills `err` ("mock: " + the formatted text) and returns false, so that a validator can
 *  `return mock_fail(err, SSD_INVALID_ARGUMENT, "...")`. */
bool mock_fail(mock_error *err, ssd_status code, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* ------------------------------------------------------------------------------------------ */
/* Config                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/** The operations `fail` can target. */
typedef enum mock_op {
    MOCK_OP_START,
    MOCK_OP_STOP,
    MOCK_OP_HIBERNATE,
    MOCK_OP_WAKE,
    MOCK_OP_GET,
    MOCK_OP_LIST,
    MOCK_OP_HEALTH,
    MOCK_OP_NODE_METRICS,
    MOCK_OP_SESSION_METRICS,
    MOCK_OP_COUNT
} mock_op;

/** The names `fail` uses, indexed by mock_op: "start", ..., "sessionMetrics". */
extern const char *const mock_op_names[MOCK_OP_COUNT];

typedef enum mock_hibernate_kind {
    MOCK_HIBERNATE_DISK,
    MOCK_HIBERNATE_MEMORY,
    MOCK_HIBERNATE_NONE
} mock_hibernate_kind;

typedef struct mock_config {
    int64_t start_delay_ms;
    int64_t stop_delay_ms;
    int64_t hibernate_delay_ms;
    int64_t wake_delay_ms;
    mock_hibernate_kind hibernate;
    ssd_status fail[MOCK_OP_COUNT]; /* SSD_OK: the operation works */
    const char *health;             /* "healthy", "degraded" or "unhealthy" (static) */
    char *health_detail;
    int64_t max_sessions; /* 0: unlimited */
    char *public_host;
    int64_t log_lines;
    int64_t log_interval_ms;
    int64_t log_write_bytes; /* 0: one line per log_write; else whole lines up to this many */
    double node_cpu_cores;
    int64_t node_memory_bytes;
    int64_t node_disk_bytes;
    bool events;
    /* SSD_CAP_NONBLOCKING_CALLS: by default declared when no delay is configured (the mock's
     * only blocking); the config may force it either way, to test hosts with a driver that
     * breaks the promise. */
    bool nonblocking_calls;
    bool nonblocking_calls_set;
} mock_config;

/** Parses and validates the config object; on failure fills `err` (INVALID_ARGUMENT or
 *  INTERNAL) and leaves nothing to free. */
bool mock_config_parse(const char *json, size_t len, mock_config *config, mock_error *err);
void mock_config_free(mock_config *config);
ssd_capabilities mock_config_capabilities(const mock_config *config);

/* ------------------------------------------------------------------------------------------ */
/* The instance                                                                                */
/* ------------------------------------------------------------------------------------------ */

typedef struct mock_stream mock_stream; /* mock_logs.c */
typedef struct mock_timer mock_timer;   /* mock_sessions.c */

struct ssd_driver {
    const ssd_host *host; /* borrowed; valid until destroy returns */
    mock_config config;
    ssd_capabilities capabilities;

    pthread_mutex_t mutex; /* guards the fields below */
    pthread_cond_t changed; /* on CLOCK_MONOTONIC; broadcast on cancel, resume, shutdown and
                               whenever a session stops running */
    bool shutting_down;     /* destroy has begun: every thread of the instance must end */
    mock_stream *streams;   /* log streams, running or finished but not yet joined */
    mock_timer *timers;     /* injected-crash timers, likewise */

    ssd_driver *next_instance; /* in the list of live instances (mock_driver.c) */
};

/** Waits on driver->changed until woken or until `deadline_ms` on mock_now_mono_ms()'s clock.
 *  Call with driver->mutex held. */
void mock_wait_until(ssd_driver *driver, int64_t deadline_ms);

/** Wakes every thread of the instance so that it re-checks its conditions. */
void mock_wake_threads(ssd_driver *driver);

/** Wakes the threads of every live instance: after a session stops running (stop, hibernate,
 *  crash), so that follow streams on it end at once, whichever instance opened them. Call with
 *  no lock held. */
void mock_wake_all_instances(void);

/* ------------------------------------------------------------------------------------------ */
/* Requests (mock_validate.c)                                                                  */
/* ------------------------------------------------------------------------------------------ */

/** Checks a session id (pointer and length) and copies it, NUL-terminated, into `out`. */
bool mock_parse_session_id(const char *id, size_t len, char out[MOCK_ID_MAX + 1],
                           mock_error *err);

typedef struct mock_session mock_session; /* mock_platform.h */

/** Validates a SessionSpec and builds the session it describes (not yet on the platform).
 *  `crash_after_ms` is the "mock.crashAfterMs" label, or -1. */
bool mock_parse_spec(const char *json, size_t len, const mock_config *config,
                     mock_session **out, int64_t *crash_after_ms, mock_error *err);

/** Validates a StopRequest; copies its session id. */
bool mock_parse_stop_request(const char *json, size_t len, char id[MOCK_ID_MAX + 1],
                             mock_error *err);

typedef struct mock_log_request {
    char session_id[MOCK_ID_MAX + 1];
    bool follow;
    int64_t tail_lines; /* -1: all lines */
    bool has_since;
    int64_t since_ms; /* Unix ms, rounded up: lines stamped earlier are skipped */
} mock_log_request;

bool mock_parse_log_request(const char *json, size_t len, mock_log_request *request,
                            mock_error *err);

/* ------------------------------------------------------------------------------------------ */
/* Operations (mock_sessions.c, mock_logs.c): the members of the function table                */
/* ------------------------------------------------------------------------------------------ */

void mock_describe(ssd_driver *driver, ssd_reply reply);
void mock_health(ssd_driver *driver, ssd_reply reply);
void mock_start_session(ssd_driver *driver, const char *json, size_t len, ssd_reply reply);
void mock_stop_session(ssd_driver *driver, const char *json, size_t len, ssd_reply reply);
void mock_get_session(ssd_driver *driver, const char *id, size_t len, ssd_reply reply);
void mock_list_sessions(ssd_driver *driver, ssd_reply reply);
void mock_hibernate_session(ssd_driver *driver, const char *id, size_t len, ssd_reply reply);
void mock_wake_session(ssd_driver *driver, const char *id, size_t len, ssd_reply reply);
void mock_node_metrics(ssd_driver *driver, ssd_reply reply);
void mock_session_metrics(ssd_driver *driver, const char *id, size_t len, ssd_reply reply);

void mock_open_logs(ssd_driver *driver, uint64_t stream_id, const char *json, size_t len);
void mock_resume_logs(ssd_driver *driver, uint64_t stream_id);
void mock_cancel_logs(ssd_driver *driver, uint64_t stream_id);

/** For destroy, after `shutting_down` is set and the threads woken: join and free every
 *  stream (each has called log_end) and every crash timer. */
void mock_logs_join_all(ssd_driver *driver);
void mock_timers_join_all(ssd_driver *driver);

/* ------------------------------------------------------------------------------------------ */
/* Utilities (mock_util.c)                                                                     */
/* ------------------------------------------------------------------------------------------ */

/** Milliseconds on CLOCK_MONOTONIC (for deadlines) and CLOCK_REALTIME (Unix time, for log
 *  timestamps). */
int64_t mock_now_mono_ms(void);
int64_t mock_now_wall_ms(void);

/** Blocks the calling thread for `ms` milliseconds (the [may-block] operations' delays). */
void mock_sleep_ms(int64_t ms);

/** Writes "2025-01-01T12:00:00.123Z" (24 characters and a NUL) for Unix time `ms`. */
void mock_format_rfc3339(int64_t ms, char out[32]);

/** Parses an RFC 3339 date-time ("Z" or "+hh:mm"/"-hh:mm", optional fraction) to Unix ms,
 *  rounding a sub-millisecond fraction up. */
bool mock_parse_rfc3339(const char *text, size_t len, int64_t *ms);

/** "INVALID_ARGUMENT" for SSD_INVALID_ARGUMENT, and so on ("OK" included). */
const char *mock_status_name(ssd_status status);
/** The reverse; false for an unknown name. */
bool mock_status_from_name(const char *name, size_t len, ssd_status *status);

/** Writes an Error object {"code":..,"message":..}. */
void mock_write_error(mj_writer *w, const mock_error *err);

/** Replies SSD_OK with the writer's text and frees the writer (SSD_INTERNAL if it failed). */
void mock_reply_json(ssd_reply reply, mj_writer *w);

/** Replies err->code with its Error object. */
void mock_reply_error(ssd_reply reply, const mock_error *err);

/** Formats and replies an error in one call. */
void mock_reply_failure(ssd_reply reply, ssd_status code, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/** Sends a line to the host's log (never to stdout or stderr, R9). */
void mock_log(const ssd_driver *driver, int32_t level, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* MOCK_DRIVER_H */
