/*
 * mock_platform.h — internal: the fake platform the mock drives.
 *
 * A real driver talks to Docker, Kubernetes or a hypervisor; the mock keeps its "platform" in
 * process-global memory instead. Every instance of the driver in the process shares it, so an
 * instance destroyed and created again finds its sessions, as a driver does after the agent
 * restarts (R10). Nothing here calls the host.
 *
 * The functions on sessions and on the platform require the platform lock (mock_platform_lock),
 * except mock_session_free and mock_state_name. Session pointers are valid only while the lock
 * is held: after unlocking, find the session again by id and incarnation.
 */
#ifndef MOCK_PLATFORM_H
#define MOCK_PLATFORM_H

#include "mock_driver.h"

typedef enum mock_state {
    MOCK_STATE_STARTING,   /* start_session is waiting out startDelayMs */
    MOCK_STATE_RUNNING,
    MOCK_STATE_HIBERNATED,
    MOCK_STATE_FAILED      /* an injected crash; only stop removes it */
} mock_state;

/** "starting", "running", "hibernated", "failed". */
const char *mock_state_name(mock_state state);

typedef struct mock_port {
    char *name;
    int64_t port;      /* the template's port, inside the session */
    int64_t host_port; /* where the platform publishes it; renewed on every wake */
} mock_port;

struct mock_session {
    char id[MOCK_ID_MAX + 1];
    uint64_t incarnation; /* unique per start: a stopped and restarted id gets a new one */
    mock_state state;
    char *message; /* why it failed, or NULL */

    /* From the spec and the config of the instance that started it. */
    char *user;
    char *image;
    char *public_host;
    mock_port *ports;
    size_t port_count;
    int64_t memory_bytes; /* resources.memoryBytes, or 2 GiB */

    /* Log lines: lines 1..initial_lines are stamped initial_ms (the start); later lines, made
     * while a follow stream is open and the session runs, are stamped later_ms[i]. */
    int64_t log_interval_ms;
    int64_t initial_lines;
    int64_t initial_ms;
    int64_t *later_ms;
    size_t later_count;
    size_t later_cap;
    int followers;              /* open follow streams (of any instance) */
    int64_t next_line_mono_ms;  /* when the next line is due, while followers > 0 */
};

void mock_platform_lock(void);
void mock_platform_unlock(void);

/** Frees a session that is not (or no longer) on the platform. Needs no lock. */
void mock_session_free(mock_session *session);

/** Adds a session, giving it a fresh incarnation. False when out of memory. */
bool mock_platform_insert(mock_session *session);
/** Removes a session from the platform and frees it. */
void mock_platform_remove(mock_session *session);

mock_session *mock_platform_find(const char *id);
/** The session only if it is still the same incarnation. */
mock_session *mock_platform_find_exact(const char *id, uint64_t incarnation);

size_t mock_platform_count(void);
mock_session *mock_platform_at(size_t index);

/** Moves a session to "running": publishes its ports on new host ports, and (on the first
 *  run) gives it `initial_lines` log lines stamped now. */
void mock_session_set_running(mock_session *session);

/** Writes the session's SessionStatus. */
void mock_session_write_status(const mock_session *session, mj_writer *w);

/** Log lines. Line numbers start at 1; mock_session_line_count() is the newest. */
int64_t mock_session_line_count(const mock_session *session);
int64_t mock_session_line_ms(const mock_session *session, int64_t line);
/** Writes line `line` ("<RFC 3339> mock <id> line <n>\n") to `out`; returns its length. */
/** The longest line format_line writes (a longer one is cut, still ending in a newline). */
#define MOCK_LINE_MAX 256
size_t mock_session_format_line(const mock_session *session, int64_t line, char out[MOCK_LINE_MAX]);
/** The first line stamped at or after `since_ms` (line_count + 1 when none). */
int64_t mock_session_first_line_since(const mock_session *session, int64_t since_ms);
/** Appends the lines that have come due, if the session runs and someone follows. */
void mock_session_produce_lines(mock_session *session);
/** A follow stream opens on (or leaves) the session: lines are produced while followers > 0. */
void mock_session_add_follower(mock_session *session);
void mock_session_remove_follower(mock_session *session);

#endif /* MOCK_PLATFORM_H */
