/*
 * mock_logs.c — log streams.
 *
 * open_logs is [non-blocking]: it validates the request, finds the session and starts one thread
 * per stream; that thread writes the lines with host->log_write and ends the stream with
 * host->log_end exactly once. The stream's thread is the only caller of log_write and log_end
 * for its stream (except when opening fails, where open_logs ends the stream itself), which is
 * what makes "exactly once" easy to see.
 *
 * A stream ends with
 *   SSD_OK         when it has written every line it was asked for (no follow), or when the
 *                  session stops running (it was stopped, hibernated or crashed);
 *   SSD_CANCELLED  after cancel_logs, after the host answered SSD_FLOW_STOP, or at destroy.
 *
 * Flow control: after SSD_FLOW_PAUSE the thread waits until resume_logs (or a cancel). A resume
 * may arrive before the thread has started waiting, so resume_logs sets a flag that the thread
 * clears before each write rather than signalling a waiter that may not exist yet.
 */
#define _POSIX_C_SOURCE 200809L

#include "mock_platform.h"

#include <stdlib.h>
#include <string.h>

struct mock_stream {
    mock_stream *next;
    ssd_driver *driver;
    uint64_t id;
    mock_log_request request;
    uint64_t incarnation; /* of the session when the stream opened */
    bool following;       /* counted in the session's followers */
    int64_t next_line;    /* the next line to write (thread only) */
    int64_t last_line;    /* without follow: the last line to write */

    /* Guarded by driver->mutex. */
    bool cancelled; /* cancel_logs was called */
    bool resumed;   /* resume_logs was called since the last write */
    bool finished;  /* log_end has been called: the thread is about to exit */
    pthread_t thread;
};

/* ------------------------------------------------------------------------------------------ */
/* The stream's thread                                                                         */
/* ------------------------------------------------------------------------------------------ */

static bool must_stop(const mock_stream *stream) {
    return stream->cancelled || stream->driver->shutting_down;
}

/* Before a write: false if the stream must end. Forgets resumes that came before this write. */
static bool may_write(mock_stream *stream) {
    ssd_driver *driver = stream->driver;
    pthread_mutex_lock(&driver->mutex);
    bool ok = !must_stop(stream);
    stream->resumed = false;
    pthread_mutex_unlock(&driver->mutex);
    return ok;
}

/* After SSD_FLOW_PAUSE: waits for resume_logs. False if the stream must end instead. */
static bool wait_for_resume(mock_stream *stream) {
    ssd_driver *driver = stream->driver;
    pthread_mutex_lock(&driver->mutex);
    while (!stream->resumed && !must_stop(stream)) {
        pthread_cond_wait(&driver->changed, &driver->mutex);
    }
    bool ok = !must_stop(stream);
    pthread_mutex_unlock(&driver->mutex);
    return ok;
}

/* Following and caught up: waits until the next line is due. False if the stream must end. */
static bool wait_for_next_line(mock_stream *stream, int64_t due_ms) {
    ssd_driver *driver = stream->driver;
    pthread_mutex_lock(&driver->mutex);
    if (!must_stop(stream) && mock_now_mono_ms() < due_ms) {
        mock_wait_until(driver, due_ms); /* one wait: woken early, the caller looks again */
    }
    bool ok = !must_stop(stream);
    pthread_mutex_unlock(&driver->mutex);
    return ok;
}

/* Writes lines until the stream ends; returns how it ends. With logWriteBytes, each log_write
 * carries as many whole lines as are ready and fit (as a driver reading a file or a socket
 * would); otherwise one line. */
static ssd_status run_stream(mock_stream *stream) {
    const ssd_host *host = stream->driver->host;
    const mock_log_request *request = &stream->request;
    size_t capacity = MOCK_LINE_MAX;
    if ((size_t)stream->driver->config.log_write_bytes > capacity) {
        capacity = (size_t)stream->driver->config.log_write_bytes;
    }
    char *batch = malloc(capacity);
    if (batch == NULL) {
        return SSD_RESOURCE_EXHAUSTED;
    }
    ssd_status result;
    for (;;) {
        size_t used = 0;
        int64_t lines = 0;
        bool found = false;
        bool running = false;
        int64_t due_ms = 0;

        /* Take the next lines (if there are any) under the lock; write them without. */
        mock_platform_lock();
        mock_session *session = mock_platform_find_exact(request->session_id, stream->incarnation);
        if (session != NULL) {
            found = true;
            mock_session_produce_lines(session);
            int64_t limit = request->follow ? mock_session_line_count(session) : stream->last_line;
            /* Lines stamped before sinceTime are skipped (lines made while following too). */
            while (request->has_since && stream->next_line <= limit &&
                   mock_session_line_ms(session, stream->next_line) < request->since_ms) {
                stream->next_line++;
            }
            while (stream->next_line + lines <= limit && capacity - used >= MOCK_LINE_MAX &&
                   (lines == 0 || stream->driver->config.log_write_bytes > 0)) {
                used += mock_session_format_line(session, stream->next_line + lines, batch + used);
                lines++;
            }
            running = session->state == MOCK_STATE_RUNNING;
            due_ms = session->next_line_mono_ms;
        }
        mock_platform_unlock();

        if (!found) {
            result = SSD_OK; /* the session was stopped: its lines are gone */
            break;
        }
        if (lines > 0) {
            if (!may_write(stream)) {
                result = SSD_CANCELLED;
                break;
            }
            int32_t flow = host->log_write(host->ctx, stream->id, SSD_CHANNEL_STDOUT,
                                           (const uint8_t *)batch, used);
            stream->next_line += lines;
            if (flow == SSD_FLOW_STOP) {
                result = SSD_CANCELLED;
                break;
            }
            if (flow == SSD_FLOW_PAUSE && !wait_for_resume(stream)) {
                result = SSD_CANCELLED;
                break;
            }
            continue;
        }
        /* Caught up. */
        if (!request->follow || !running || !stream->following) {
            result = SSD_OK;
            break;
        }
        if (!wait_for_next_line(stream, due_ms)) {
            result = SSD_CANCELLED;
            break;
        }
    }
    free(batch);
    return result;
}

static void *stream_main(void *arg) {
    mock_stream *stream = arg;
    ssd_driver *driver = stream->driver;

    ssd_status status = run_stream(stream);

    if (stream->following) {
        mock_platform_lock();
        mock_session *session =
            mock_platform_find_exact(stream->request.session_id, stream->incarnation);
        if (session != NULL) {
            mock_session_remove_follower(session);
        }
        mock_platform_unlock();
    }
    driver->host->log_end(driver->host->ctx, stream->id, status, NULL, 0);

    pthread_mutex_lock(&driver->mutex);
    stream->finished = true;
    pthread_mutex_unlock(&driver->mutex);
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Bookkeeping                                                                                 */
/* ------------------------------------------------------------------------------------------ */

/* A stream that is open (not finished) by that id; call with driver->mutex held. */
static mock_stream *find_open_stream(ssd_driver *driver, uint64_t id) {
    for (mock_stream *s = driver->streams; s != NULL; s = s->next) {
        if (s->id == id && !s->finished) {
            return s;
        }
    }
    return NULL;
}

/* Unlinks the finished streams (all of them when `all`), to be joined and freed. */
static mock_stream *take_streams(ssd_driver *driver, bool all) {
    mock_stream *taken = NULL;
    pthread_mutex_lock(&driver->mutex);
    for (mock_stream **link = &driver->streams; *link != NULL;) {
        mock_stream *stream = *link;
        if (all || stream->finished) {
            *link = stream->next;
            stream->next = taken;
            taken = stream;
        } else {
            link = &stream->next;
        }
    }
    pthread_mutex_unlock(&driver->mutex);
    return taken;
}

/* A finished thread has already called log_end; joining it waits only for its return. */
static void join_streams(mock_stream *streams) {
    while (streams != NULL) {
        mock_stream *next = streams->next;
        pthread_join(streams->thread, NULL);
        free(streams);
        streams = next;
    }
}

void mock_logs_join_all(ssd_driver *driver) {
    join_streams(take_streams(driver, true));
}

/* Ends a stream that could not be opened, with an Error object (from the calling thread). */
static void end_with_error(ssd_driver *driver, uint64_t stream_id, const mock_error *err) {
    mj_writer w;
    mj_writer_init(&w);
    mock_write_error(&w, err);
    driver->host->log_end(driver->host->ctx, stream_id, err->code, w.failed ? NULL : w.data,
                          w.failed ? 0 : w.len);
    mj_writer_free(&w);
}

/* ------------------------------------------------------------------------------------------ */
/* The table members                                                                           */
/* ------------------------------------------------------------------------------------------ */

void mock_open_logs(ssd_driver *driver, uint64_t stream_id, const char *json, size_t len) {
    mock_error err;
    join_streams(take_streams(driver, false)); /* reap threads that have ended */

    mock_stream *stream = calloc(1, sizeof *stream);
    if (stream == NULL) {
        mock_fail(&err, SSD_RESOURCE_EXHAUSTED, "out of memory for a log stream");
        end_with_error(driver, stream_id, &err);
        return;
    }
    if (!mock_parse_log_request(json, len, &stream->request, &err)) {
        free(stream);
        end_with_error(driver, stream_id, &err);
        return;
    }
    stream->driver = driver;
    stream->id = stream_id;
    const mock_log_request *request = &stream->request;

    /* Choose the first line now: "existing lines" are those the session has at this moment. */
    mock_platform_lock();
    mock_session *session = mock_platform_find(request->session_id);
    if (session != NULL) {
        mock_session_produce_lines(session);
        int64_t count = mock_session_line_count(session);
        int64_t first = 1;
        if (request->has_since) {
            first = mock_session_first_line_since(session, request->since_ms);
        }
        if (request->tail_lines >= 0 && count - request->tail_lines + 1 > first) {
            first = count - request->tail_lines + 1;
        }
        stream->incarnation = session->incarnation;
        stream->next_line = first;
        stream->last_line = count;
        /* Following a session that does not run only shows what it has. */
        stream->following = request->follow && session->state == MOCK_STATE_RUNNING;
        if (stream->following) {
            mock_session_add_follower(session);
        }
    }
    mock_platform_unlock();
    if (session == NULL) {
        mock_fail(&err, SSD_NOT_FOUND, "session \"%s\" not found", request->session_id);
        free(stream);
        end_with_error(driver, stream_id, &err);
        return;
    }

    /* Listed before the thread runs, so that a cancel can find it at once. */
    pthread_mutex_lock(&driver->mutex);
    int rc = -1;
    bool duplicate = find_open_stream(driver, stream_id) != NULL;
    if (!duplicate) {
        rc = pthread_create(&stream->thread, NULL, stream_main, stream);
        if (rc == 0) {
            stream->next = driver->streams;
            driver->streams = stream;
        }
    }
    pthread_mutex_unlock(&driver->mutex);
    if (rc == 0) {
        return;
    }

    if (stream->following) {
        mock_platform_lock();
        session = mock_platform_find_exact(request->session_id, stream->incarnation);
        if (session != NULL) {
            mock_session_remove_follower(session);
        }
        mock_platform_unlock();
    }
    if (duplicate) {
        mock_fail(&err, SSD_INVALID_ARGUMENT, "log stream %llu is already open",
                  (unsigned long long)stream_id);
    } else {
        mock_fail(&err, SSD_RESOURCE_EXHAUSTED, "no thread for log stream %llu",
                  (unsigned long long)stream_id);
    }
    free(stream);
    end_with_error(driver, stream_id, &err);
}

void mock_resume_logs(ssd_driver *driver, uint64_t stream_id) {
    pthread_mutex_lock(&driver->mutex);
    mock_stream *stream = find_open_stream(driver, stream_id);
    if (stream != NULL) { /* an unknown or ended stream is ignored */
        stream->resumed = true;
        pthread_cond_broadcast(&driver->changed);
    }
    pthread_mutex_unlock(&driver->mutex);
}

void mock_cancel_logs(ssd_driver *driver, uint64_t stream_id) {
    pthread_mutex_lock(&driver->mutex);
    mock_stream *stream = find_open_stream(driver, stream_id);
    if (stream != NULL) { /* an unknown or ended stream is ignored */
        stream->cancelled = true;
        pthread_cond_broadcast(&driver->changed);
    }
    pthread_mutex_unlock(&driver->mutex);
}
