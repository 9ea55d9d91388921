/*
 * mock_platform.c — the fake platform: process-global sessions, published ports and log lines.
 * See mock_platform.h. Sessions are kept in an array searched linearly: a mock holds tens or
 * hundreds of sessions, not millions.
 */
#define _POSIX_C_SOURCE 200809L

#include "mock_platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The platform. Static: shared by every instance in the process, never freed. */
static pthread_mutex_t platform_lock = PTHREAD_MUTEX_INITIALIZER;
static mock_session **sessions;
static size_t session_count;
static size_t session_cap;
static uint64_t last_incarnation;

/* Published ports are handed out from 40000 upwards, wrapping at 65535, like a container
 * runtime's ephemeral range. Uniqueness after a wrap is not checked: nothing listens on them. */
enum { FIRST_HOST_PORT = 40000, LAST_HOST_PORT = 65535 };
static int64_t next_host_port = FIRST_HOST_PORT;

void mock_platform_lock(void) {
    pthread_mutex_lock(&platform_lock);
}

void mock_platform_unlock(void) {
    pthread_mutex_unlock(&platform_lock);
}

const char *mock_state_name(mock_state state) {
    switch (state) {
    case MOCK_STATE_STARTING: return "starting";
    case MOCK_STATE_RUNNING: return "running";
    case MOCK_STATE_HIBERNATED: return "hibernated";
    case MOCK_STATE_FAILED: return "failed";
    }
    return "failed";
}

void mock_session_free(mock_session *session) {
    if (session == NULL) {
        return;
    }
    for (size_t i = 0; i < session->port_count; i++) {
        free(session->ports[i].name);
    }
    free(session->ports);
    free(session->message);
    free(session->user);
    free(session->image);
    free(session->public_host);
    free(session->later_ms);
    free(session);
}

bool mock_platform_insert(mock_session *session) {
    if (session_count == session_cap) {
        size_t new_cap = session_cap == 0 ? 16 : session_cap * 2;
        mock_session **grown = realloc(sessions, new_cap * sizeof *grown);
        if (grown == NULL) {
            return false;
        }
        sessions = grown;
        session_cap = new_cap;
    }
    session->incarnation = ++last_incarnation;
    sessions[session_count++] = session;
    return true;
}

void mock_platform_remove(mock_session *session) {
    for (size_t i = 0; i < session_count; i++) {
        if (sessions[i] == session) {
            sessions[i] = sessions[--session_count];
            mock_session_free(session);
            return;
        }
    }
}

mock_session *mock_platform_find(const char *id) {
    for (size_t i = 0; i < session_count; i++) {
        if (strcmp(sessions[i]->id, id) == 0) {
            return sessions[i];
        }
    }
    return NULL;
}

mock_session *mock_platform_find_exact(const char *id, uint64_t incarnation) {
    mock_session *session = mock_platform_find(id);
    return session != NULL && session->incarnation == incarnation ? session : NULL;
}

size_t mock_platform_count(void) {
    return session_count;
}

mock_session *mock_platform_at(size_t index) {
    return index < session_count ? sessions[index] : NULL;
}

static int64_t allocate_host_port(void) {
    int64_t port = next_host_port;
    next_host_port = port == LAST_HOST_PORT ? FIRST_HOST_PORT : port + 1;
    return port;
}

void mock_session_set_running(mock_session *session) {
    if (session->state == MOCK_STATE_STARTING) {
        session->initial_ms = mock_now_wall_ms(); /* the lines it "has" at start */
    }
    for (size_t i = 0; i < session->port_count; i++) {
        session->ports[i].host_port = allocate_host_port();
    }
    session->state = MOCK_STATE_RUNNING;
    /* Lines are made only while running: resume the rhythm from now, not from before. */
    session->next_line_mono_ms = mock_now_mono_ms() + session->log_interval_ms;
}

/* --- SessionStatus ----------------------------------------------------------------------- */

static void write_url(mj_writer *w, const char *host, int64_t port) {
    char url[320];
    /* An IPv6 literal needs brackets in a URL. */
    bool ipv6 = strchr(host, ':') != NULL && host[0] != '[';
    snprintf(url, sizeof url, ipv6 ? "http://[%.256s]:%lld" : "http://%.256s:%lld", host,
             (long long)port);
    mj_cstring(w, url);
}

void mock_session_write_status(const mock_session *session, mj_writer *w) {
    mj_object_begin(w);
    mj_member_cstring(w, "sessionId", session->id);
    mj_member_cstring(w, "state", mock_state_name(session->state));

    mj_key(w, "endpoints"); /* published only while running */
    mj_array_begin(w);
    if (session->state == MOCK_STATE_RUNNING) {
        for (size_t i = 0; i < session->port_count; i++) {
            mj_object_begin(w);
            mj_member_cstring(w, "name", session->ports[i].name);
            mj_member_int(w, "port", session->ports[i].port);
            mj_key(w, "url");
            write_url(w, session->public_host, session->ports[i].host_port);
            mj_object_end(w);
        }
    }
    mj_array_end(w);

    mj_key(w, "platformMetadata");
    mj_object_begin(w);
    char workload[sizeof "mock-" + MOCK_ID_MAX];
    snprintf(workload, sizeof workload, "mock-%s", session->id);
    mj_member_cstring(w, "workloadName", workload);
    mj_member_cstring(w, "image", session->image);
    mj_member_cstring(w, "user", session->user);
    mj_object_end(w);

    if (session->state == MOCK_STATE_FAILED && session->message != NULL) {
        mj_member_cstring(w, "message", session->message);
    }
    mj_object_end(w);
}

/* --- log lines --------------------------------------------------------------------------- */

int64_t mock_session_line_count(const mock_session *session) {
    if (session->state == MOCK_STATE_STARTING) {
        return 0; /* nothing has run yet */
    }
    return session->initial_lines + (int64_t)session->later_count;
}

int64_t mock_session_line_ms(const mock_session *session, int64_t line) {
    if (line <= session->initial_lines) {
        return session->initial_ms;
    }
    return session->later_ms[line - session->initial_lines - 1];
}

/* Appends `text` to out[*used..MOCK_LINE_MAX - 1), cutting it if it does not fit. */
static void put_text(char out[MOCK_LINE_MAX], size_t *used, const char *text, size_t len) {
    size_t room = MOCK_LINE_MAX - 1 - *used;
    size_t n = len < room ? len : room;
    memcpy(out + *used, text, n);
    *used += n;
}

/* Built by hand, without snprintf, and with the stamp of the previous line reused (lines come in
 * runs with one stamp): the benchmarks stream hundreds of thousands of these, and they should
 * measure the agent, not the mock's formatting. */
size_t mock_session_format_line(const mock_session *session, int64_t line, char out[MOCK_LINE_MAX]) {
    static _Thread_local int64_t stamp_ms = -1;
    static _Thread_local char stamp[32];
    int64_t ms = mock_session_line_ms(session, line);
    if (ms != stamp_ms) {
        mock_format_rfc3339(ms, stamp);
        stamp_ms = ms;
    }
    char digits[24];
    size_t digit_count = 0;
    unsigned long long value = line < 0 ? 0 : (unsigned long long)line;
    do {
        digits[sizeof digits - 1 - digit_count++] = (char)('0' + value % 10);
        value /= 10;
    } while (value > 0);

    size_t used = 0;
    put_text(out, &used, stamp, strlen(stamp));
    put_text(out, &used, " mock ", 6);
    put_text(out, &used, session->id, strlen(session->id));
    put_text(out, &used, " line ", 6);
    put_text(out, &used, digits + sizeof digits - digit_count, digit_count);
    out[used++] = '\n'; /* put_text leaves room for it */
    return used;
}

/* Timestamps never decrease (unless the wall clock is stepped back), so the first match
 * starts the range. */
int64_t mock_session_first_line_since(const mock_session *session, int64_t since_ms) {
    int64_t count = mock_session_line_count(session);
    if (session->initial_lines > 0 && session->initial_ms >= since_ms) {
        return 1;
    }
    for (size_t i = 0; i < session->later_count; i++) {
        if (session->later_ms[i] >= since_ms) {
            return session->initial_lines + (int64_t)i + 1;
        }
    }
    return count + 1;
}

void mock_session_produce_lines(mock_session *session) {
    if (session->state != MOCK_STATE_RUNNING || session->followers == 0) {
        return;
    }
    int64_t now = mock_now_mono_ms();
    int64_t stamp = mock_now_wall_ms();
    while (session->next_line_mono_ms <= now) {
        if (session->later_count == session->later_cap) {
            size_t new_cap = session->later_cap == 0 ? 64 : session->later_cap * 2;
            int64_t *grown = realloc(session->later_ms, new_cap * sizeof *grown);
            if (grown == NULL) {
                return; /* out of memory: the line is made later */
            }
            session->later_ms = grown;
            session->later_cap = new_cap;
        }
        session->later_ms[session->later_count++] = stamp;
        session->next_line_mono_ms += session->log_interval_ms;
    }
}

void mock_session_add_follower(mock_session *session) {
    if (session->followers++ == 0) {
        session->next_line_mono_ms = mock_now_mono_ms() + session->log_interval_ms;
    }
}

void mock_session_remove_follower(mock_session *session) {
    if (session->followers > 0) {
        session->followers--;
    }
}
