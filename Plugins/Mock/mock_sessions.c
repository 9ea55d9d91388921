/*
 * mock_sessions.c — the session operations, metrics, health and describe, and the injected
 * crashes ("mock.crashAfterMs").
 *
 * Every operation follows the same order: validate the input (R7), apply an injected failure
 * from the config's "fail", then act on the platform. The configured delays are slept in the
 * calling thread (these functions are [may-block]) with no lock held, and every reply is sent
 * after the platform lock is released (R5). Each function replies exactly once (R2), before it
 * returns.
 */
#define _POSIX_C_SOURCE 200809L

#include "mock_platform.h"

#include <stdlib.h>
#include <string.h>

#define MIB (INT64_C(1) << 20)
#define GIB (INT64_C(1) << 30)

/* Replies the error injected for `op`, if the config has one. */
static bool injected_failure(const ssd_driver *driver, mock_op op, ssd_reply reply) {
    ssd_status code = driver->config.fail[op];
    if (code == SSD_OK) {
        return false;
    }
    mock_reply_failure(reply, code, "injected failure for %s", mock_op_names[op]);
    return true;
}

static void reply_not_found(ssd_reply reply, const char *id) {
    mock_reply_failure(reply, SSD_NOT_FOUND, "session \"%s\" not found", id);
}

/* The SessionStatus of a session that is gone. The mock always writes the same four members;
 * a terminated session has no endpoints and no metadata. */
static void reply_terminated(ssd_reply reply, const char *id) {
    mj_writer w;
    mj_writer_init(&w);
    mj_object_begin(&w);
    mj_member_cstring(&w, "sessionId", id);
    mj_member_cstring(&w, "state", "terminated");
    mj_key(&w, "endpoints");
    mj_array_begin(&w);
    mj_array_end(&w);
    mj_key(&w, "platformMetadata");
    mj_object_begin(&w);
    mj_object_end(&w);
    mj_object_end(&w);
    mock_reply_json(reply, &w);
}

/* ------------------------------------------------------------------------------------------ */
/* Injected crashes: one timer thread per crashing session, owned by the instance that         */
/* started it, joined by destroy (R8).                                                         */
/* ------------------------------------------------------------------------------------------ */

struct mock_timer {
    mock_timer *next;
    ssd_driver *driver;
    char session_id[MOCK_ID_MAX + 1];
    uint64_t incarnation;
    int64_t due_ms; /* on the monotonic clock */
    bool finished;  /* guarded by driver->mutex: the thread has done its work */
    pthread_t thread;
};

static void *crash_timer_main(void *arg) {
    mock_timer *timer = arg;
    ssd_driver *driver = timer->driver;

    pthread_mutex_lock(&driver->mutex);
    while (!driver->shutting_down && mock_now_mono_ms() < timer->due_ms) {
        mock_wait_until(driver, timer->due_ms);
    }
    bool shutting_down = driver->shutting_down;
    pthread_mutex_unlock(&driver->mutex);

    bool crashed = false;
    mj_writer w;
    mj_writer_init(&w);
    if (!shutting_down) {
        mock_platform_lock();
        /* Only the same incarnation, and only if it still runs. */
        mock_session *session = mock_platform_find_exact(timer->session_id, timer->incarnation);
        char *message = strdup("mock: injected crash");
        if (session != NULL && session->state == MOCK_STATE_RUNNING && message != NULL) {
            free(session->message);
            session->message = message;
            session->state = MOCK_STATE_FAILED;
            message = NULL;
            mock_session_write_status(session, &w);
            crashed = true;
        }
        free(message);
        mock_platform_unlock();
    }

    if (crashed) {
        mock_log(driver, SSD_LOG_INFO, "mock: session %s crashed (injected)", timer->session_id);
        if ((driver->capabilities & SSD_CAP_SESSION_EVENTS) != 0 && !w.failed) {
            driver->host->session_changed(driver->host->ctx, w.data, w.len);
        }
        mock_wake_all_instances(); /* its follow streams end */
    }
    mj_writer_free(&w);

    pthread_mutex_lock(&driver->mutex);
    timer->finished = true;
    pthread_mutex_unlock(&driver->mutex);
    return NULL;
}

/* Unlinks the timers whose threads are done (all of them when `all`), to be joined. */
static mock_timer *take_timers(ssd_driver *driver, bool all) {
    mock_timer *taken = NULL;
    pthread_mutex_lock(&driver->mutex);
    for (mock_timer **link = &driver->timers; *link != NULL;) {
        mock_timer *timer = *link;
        if (all || timer->finished) {
            *link = timer->next;
            timer->next = taken;
            taken = timer;
        } else {
            link = &timer->next;
        }
    }
    pthread_mutex_unlock(&driver->mutex);
    return taken;
}

static void join_timers(mock_timer *timers) {
    while (timers != NULL) {
        mock_timer *next = timers->next;
        pthread_join(timers->thread, NULL);
        free(timers);
        timers = next;
    }
}

static void schedule_crash(ssd_driver *driver, const char *id, uint64_t incarnation,
                           int64_t after_ms) {
    join_timers(take_timers(driver, false)); /* reap the ones that already fired */

    mock_timer *timer = calloc(1, sizeof *timer);
    if (timer == NULL) {
        mock_log(driver, SSD_LOG_WARNING, "mock: out of memory; session %s will not crash", id);
        return;
    }
    timer->driver = driver;
    strcpy(timer->session_id, id);
    timer->incarnation = incarnation;
    timer->due_ms = mock_now_mono_ms() + after_ms;

    pthread_mutex_lock(&driver->mutex);
    int rc = pthread_create(&timer->thread, NULL, crash_timer_main, timer);
    if (rc == 0) {
        timer->next = driver->timers;
        driver->timers = timer;
    }
    pthread_mutex_unlock(&driver->mutex);
    if (rc != 0) {
        free(timer);
        mock_log(driver, SSD_LOG_WARNING, "mock: no thread for the crash timer of session %s", id);
    }
}

void mock_timers_join_all(ssd_driver *driver) {
    join_timers(take_timers(driver, true));
}

/* ------------------------------------------------------------------------------------------ */
/* describe, health                                                                            */
/* ------------------------------------------------------------------------------------------ */

void mock_describe(ssd_driver *driver, ssd_reply reply) {
    (void)driver;
    mj_writer w;
    mj_writer_init(&w);
    mj_object_begin(&w);
    mj_member_cstring(&w, "name", "mock");
    mj_member_cstring(&w, "version", "1.0.0");
    mj_member_cstring(&w, "platform", "docker");
    mj_member_cstring(&w, "vendor", "StreamSpace");
    mj_member_cstring(&w, "description", "In-memory mock platform for tests and as a template");
    mj_object_end(&w);
    mock_reply_json(reply, &w);
}

void mock_health(ssd_driver *driver, ssd_reply reply) {
    if (injected_failure(driver, MOCK_OP_HEALTH, reply)) {
        return;
    }
    mj_writer w;
    mj_writer_init(&w);
    mj_object_begin(&w);
    mj_member_cstring(&w, "status", driver->config.health);
    mj_member_cstring(&w, "detail", driver->config.health_detail);
    mj_object_end(&w);
    mock_reply_json(reply, &w);
}

/* ------------------------------------------------------------------------------------------ */
/* start, stop                                                                                 */
/* ------------------------------------------------------------------------------------------ */

void mock_start_session(ssd_driver *driver, const char *json, size_t len, ssd_reply reply) {
    mock_error err;
    mock_session *session;
    int64_t crash_after_ms;
    if (!mock_parse_spec(json, len, &driver->config, &session, &crash_after_ms, &err)) {
        mock_reply_error(reply, &err);
        return;
    }
    if (injected_failure(driver, MOCK_OP_START, reply)) {
        mock_session_free(session);
        return;
    }

    char id[MOCK_ID_MAX + 1];
    strcpy(id, session->id);
    int64_t max = driver->config.max_sessions;
    int64_t delay = driver->config.start_delay_ms;
    mj_writer w;
    mj_writer_init(&w);

    /* Phase 1: reserve the id, in state "starting". A session that exists is the answer (R6);
     * reserving first also makes a concurrent start of the same id find it. */
    mock_platform_lock();
    mock_session *existing = mock_platform_find(id);
    if (existing != NULL) {
        mock_session_write_status(existing, &w);
        mock_platform_unlock();
        mock_session_free(session);
        mock_reply_json(reply, &w);
        return;
    }
    if (max > 0 && (int64_t)mock_platform_count() >= max) {
        mock_platform_unlock();
        mock_session_free(session);
        mj_writer_free(&w);
        mock_reply_failure(reply, SSD_RESOURCE_EXHAUSTED,
                           "the platform holds its maximum of %lld sessions (config maxSessions); "
                           "stop one first",
                           (long long)max);
        return;
    }
    if (!mock_platform_insert(session)) {
        mock_platform_unlock();
        mock_session_free(session);
        mj_writer_free(&w);
        mock_reply_failure(reply, SSD_INTERNAL, "out of memory");
        return;
    }
    uint64_t incarnation = session->incarnation;
    if (delay == 0) {
        mock_session_set_running(session); /* no reason to let others see "starting" */
        mock_session_write_status(session, &w);
    }
    mock_platform_unlock();

    /* Phase 2: the platform "works" for startDelayMs, then the session runs. */
    if (delay > 0) {
        mock_sleep_ms(delay);
        mock_platform_lock();
        session = mock_platform_find_exact(id, incarnation);
        if (session == NULL) { /* stopped meanwhile: the host promised not to (R4) */
            mock_platform_unlock();
            mj_writer_free(&w);
            mock_reply_failure(reply, SSD_FAILED_PRECONDITION,
                               "session \"%s\" was stopped while it was starting", id);
            return;
        }
        mock_session_set_running(session);
        mock_session_write_status(session, &w);
        mock_platform_unlock();
    }

    mock_log(driver, SSD_LOG_INFO, "mock: started session %s", id);
    if (crash_after_ms >= 0) {
        schedule_crash(driver, id, incarnation, crash_after_ms);
    }
    mock_reply_json(reply, &w);
}

void mock_stop_session(ssd_driver *driver, const char *json, size_t len, ssd_reply reply) {
    mock_error err;
    char id[MOCK_ID_MAX + 1];
    if (!mock_parse_stop_request(json, len, id, &err)) {
        mock_reply_error(reply, &err);
        return;
    }
    if (injected_failure(driver, MOCK_OP_STOP, reply)) {
        return;
    }

    mock_platform_lock();
    mock_session *session = mock_platform_find(id);
    bool exists = session != NULL;
    uint64_t incarnation = exists ? session->incarnation : 0;
    mock_platform_unlock();

    if (exists) { /* an unknown id is already stopped (R6): no delay */
        mock_sleep_ms(driver->config.stop_delay_ms);
        mock_platform_lock();
        session = mock_platform_find_exact(id, incarnation);
        if (session != NULL) {
            mock_platform_remove(session); /* its log lines go with it */
        }
        mock_platform_unlock();
        mock_wake_all_instances(); /* its follow streams see it is gone and end */
        mock_log(driver, SSD_LOG_INFO, "mock: stopped session %s", id);
    }
    reply_terminated(reply, id);
}

/* ------------------------------------------------------------------------------------------ */
/* hibernate, wake: the same move in two directions                                            */
/* ------------------------------------------------------------------------------------------ */

static void transition(ssd_driver *driver, mock_op op, const char *raw_id, size_t len,
                       mock_state from, mock_state to, int64_t delay_ms, ssd_reply reply) {
    mock_error err;
    char id[MOCK_ID_MAX + 1];
    if (driver->config.hibernate == MOCK_HIBERNATE_NONE) {
        mock_reply_failure(reply, SSD_UNSUPPORTED,
                           "this instance does not hibernate (config \"hibernate\": \"none\")");
        return;
    }
    if (!mock_parse_session_id(raw_id, len, id, &err)) {
        mock_reply_error(reply, &err);
        return;
    }
    if (injected_failure(driver, op, reply)) {
        return;
    }

    /* Look, and if there is a delay, sleep it and look again: the session may have crashed or
     * been stopped meanwhile. */
    mj_writer w;
    mj_writer_init(&w);
    uint64_t incarnation = 0;
    bool waited = false;
    for (;;) {
        mock_platform_lock();
        mock_session *session = mock_platform_find(id);
        if (session != NULL && waited && session->incarnation != incarnation) {
            session = NULL; /* stopped and started again: not the session we looked at */
        }
        if (session == NULL) {
            mock_platform_unlock();
            mj_writer_free(&w);
            reply_not_found(reply, id);
            return;
        }
        if (session->state == to) { /* already there (R6) */
            mock_session_write_status(session, &w);
            mock_platform_unlock();
            mock_reply_json(reply, &w);
            return;
        }
        if (session->state != from) {
            mock_state state = session->state;
            mock_platform_unlock();
            mj_writer_free(&w);
            mock_reply_failure(reply, SSD_FAILED_PRECONDITION,
                               "session \"%s\" is %s; only a %s session can %s", id,
                               mock_state_name(state), mock_state_name(from), mock_op_names[op]);
            return;
        }
        if (waited || delay_ms == 0) {
            if (to == MOCK_STATE_RUNNING) {
                mock_session_set_running(session); /* on new host ports */
            } else {
                session->state = to;
            }
            mock_session_write_status(session, &w);
            mock_platform_unlock();
            break;
        }
        incarnation = session->incarnation;
        mock_platform_unlock();
        mock_sleep_ms(delay_ms);
        waited = true;
    }
    if (to != MOCK_STATE_RUNNING) {
        mock_wake_all_instances(); /* follow streams end when the session stops running */
    }
    mock_log(driver, SSD_LOG_INFO, "mock: session %s is %s", id, mock_state_name(to));
    mock_reply_json(reply, &w);
}

void mock_hibernate_session(ssd_driver *driver, const char *id, size_t len, ssd_reply reply) {
    transition(driver, MOCK_OP_HIBERNATE, id, len, MOCK_STATE_RUNNING, MOCK_STATE_HIBERNATED,
               driver->config.hibernate_delay_ms, reply);
}

void mock_wake_session(ssd_driver *driver, const char *id, size_t len, ssd_reply reply) {
    transition(driver, MOCK_OP_WAKE, id, len, MOCK_STATE_HIBERNATED, MOCK_STATE_RUNNING,
               driver->config.wake_delay_ms, reply);
}

/* ------------------------------------------------------------------------------------------ */
/* get, list                                                                                   */
/* ------------------------------------------------------------------------------------------ */

void mock_get_session(ssd_driver *driver, const char *raw_id, size_t len, ssd_reply reply) {
    mock_error err;
    char id[MOCK_ID_MAX + 1];
    if (!mock_parse_session_id(raw_id, len, id, &err)) {
        mock_reply_error(reply, &err);
        return;
    }
    if (injected_failure(driver, MOCK_OP_GET, reply)) {
        return;
    }
    mj_writer w;
    mj_writer_init(&w);
    mock_platform_lock();
    mock_session *session = mock_platform_find(id);
    if (session != NULL) {
        mock_session_write_status(session, &w);
    }
    mock_platform_unlock();
    if (session == NULL) {
        mj_writer_free(&w);
        reply_not_found(reply, id);
        return;
    }
    mock_reply_json(reply, &w);
}

void mock_list_sessions(ssd_driver *driver, ssd_reply reply) {
    if (injected_failure(driver, MOCK_OP_LIST, reply)) {
        return;
    }
    mj_writer w;
    mj_writer_init(&w);
    mj_object_begin(&w);
    mj_key(&w, "sessions");
    mj_array_begin(&w);
    mock_platform_lock();
    for (size_t i = 0; i < mock_platform_count(); i++) {
        mock_session_write_status(mock_platform_at(i), &w);
    }
    mock_platform_unlock();
    mj_array_end(&w);
    mj_object_end(&w);
    mock_reply_json(reply, &w);
}

/* ------------------------------------------------------------------------------------------ */
/* metrics: made-up but consistent figures                                                     */
/* ------------------------------------------------------------------------------------------ */

static int64_t min64(int64_t a, int64_t b) {
    return a < b ? a : b;
}

void mock_node_metrics(ssd_driver *driver, ssd_reply reply) {
    if (injected_failure(driver, MOCK_OP_NODE_METRICS, reply)) {
        return;
    }
    int64_t running = 0;
    int64_t total;
    mock_platform_lock();
    total = (int64_t)mock_platform_count();
    for (size_t i = 0; i < mock_platform_count(); i++) {
        running += mock_platform_at(i)->state == MOCK_STATE_RUNNING;
    }
    mock_platform_unlock();

    const mock_config *c = &driver->config;
    double cpu_used = 0.25 * (double)running;
    /* Per session: a quarter core and 256 MiB while running, 1 GiB of disk while it exists. */
    mj_writer w;
    mj_writer_init(&w);
    mj_object_begin(&w);
    mj_member_double(&w, "cpuCores", c->node_cpu_cores);
    mj_member_double(&w, "cpuUsedCores",
                     cpu_used < c->node_cpu_cores ? cpu_used : c->node_cpu_cores);
    mj_member_int(&w, "memoryBytes", c->node_memory_bytes);
    mj_member_int(&w, "memoryUsedBytes", min64(running * 256 * MIB, c->node_memory_bytes));
    mj_member_int(&w, "diskBytes", c->node_disk_bytes);
    mj_member_int(&w, "diskUsedBytes", min64(total * GIB, c->node_disk_bytes));
    mj_object_end(&w);
    mock_reply_json(reply, &w);
}

void mock_session_metrics(ssd_driver *driver, const char *raw_id, size_t len, ssd_reply reply) {
    mock_error err;
    char id[MOCK_ID_MAX + 1];
    if (!mock_parse_session_id(raw_id, len, id, &err)) {
        mock_reply_error(reply, &err);
        return;
    }
    if (injected_failure(driver, MOCK_OP_SESSION_METRICS, reply)) {
        return;
    }
    bool found = false;
    bool running = false;
    int64_t memory_bytes = 0;
    mock_platform_lock();
    mock_session *session = mock_platform_find(id);
    if (session != NULL) {
        found = true;
        running = session->state == MOCK_STATE_RUNNING;
        memory_bytes = session->memory_bytes;
    }
    mock_platform_unlock();
    if (!found) {
        reply_not_found(reply, id);
        return;
    }
    /* A running session uses a quarter core and 256 MiB; any other uses nothing. */
    mj_writer w;
    mj_writer_init(&w);
    mj_object_begin(&w);
    mj_member_cstring(&w, "sessionId", id);
    mj_member_double(&w, "cpuUsedCores", running ? 0.25 : 0);
    mj_member_int(&w, "memoryBytes", memory_bytes);
    mj_member_int(&w, "memoryUsedBytes", running ? 256 * MIB : 0);
    mj_object_end(&w);
    mock_reply_json(reply, &w);
}
