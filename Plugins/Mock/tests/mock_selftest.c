/*
 * mock_selftest.c — exercises the mock driver through the real boundary: dlopen, the entry
 * point, the function table and a fake host. Not part of the SwiftPM target.
 *
 *   gcc -std=c11 -Wall -Wextra -O1 -g -fsanitize=address,undefined \
 *       -I Sources/DriverABI/include -I Plugins/Mock \
 *       Plugins/Mock/tests/mock_selftest.c Plugins/Mock/mini_json.c -o /tmp/mock_selftest \
 *       -ldl -lpthread
 *   /tmp/mock_selftest /tmp/mock.so
 *
 * It links mini_json.c itself, only to check that every JSON the driver sends is valid.
 * Prints "N passed, N failed" and exits non-zero on failure.
 */
#define _POSIX_C_SOURCE 200809L

#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mini_json.h"
#include "streamspace_driver.h"

/* ------------------------------------------------------------------------------------------ */
/* Checks                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static int passed, failed;
static const char *current_test = "";

#define CHECK(cond, ...)                                                                       \
    do {                                                                                       \
        if (cond) {                                                                            \
            passed++;                                                                          \
        } else {                                                                               \
            failed++;                                                                          \
            printf("FAIL [%s] %s:%d: %s — ", current_test, __FILE__, __LINE__, #cond);         \
            printf(__VA_ARGS__);                                                               \
            printf("\n");                                                                      \
        }                                                                                      \
    } while (0)

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const ssd_driver_api *api;

/* ------------------------------------------------------------------------------------------ */
/* Replies                                                                                     */
/* ------------------------------------------------------------------------------------------ */

typedef struct reply_box {
    pthread_mutex_t mutex;
    int count;
    ssd_status status;
    char json[65536];
    size_t len;
    bool has_json;
} reply_box;

static void reply_fn(void *ctx, ssd_status status, const char *json, size_t len) {
    reply_box *box = ctx;
    pthread_mutex_lock(&box->mutex);
    box->count++;
    box->status = status;
    box->has_json = json != NULL;
    box->len = len < sizeof box->json - 1 ? len : sizeof box->json - 1;
    if (json != NULL) {
        memcpy(box->json, json, box->len);
    }
    box->json[box->len] = '\0';
    pthread_mutex_unlock(&box->mutex);
}

static void box_init(reply_box *box) {
    memset(box, 0, sizeof *box);
    pthread_mutex_init(&box->mutex, NULL);
}

static ssd_reply reply_to(reply_box *box) {
    ssd_reply r = {reply_fn, box};
    return r;
}

static const char *status_names[] = {"OK",          "INVALID_ARGUMENT", "NOT_FOUND",
                                     "ALREADY_EXISTS", "FAILED_PRECONDITION", "UNSUPPORTED",
                                     "UNAVAILABLE", "TIMEOUT",          "RESOURCE_EXHAUSTED",
                                     "CANCELLED",   "INTERNAL",         "INCOMPATIBLE"};

/* Every reply: exactly once, valid JSON; an error carries {"code": <its name>, "message":
 * "mock: ..."}. */
static void check_reply_shape(const reply_box *box, const char *what) {
    CHECK(box->count == 1, "%s: %d replies", what, box->count);
    CHECK(box->has_json, "%s: no JSON", what);
    if (!box->has_json) {
        return;
    }
    char problem[128];
    mj_value *v = mj_parse(box->json, box->len, problem, sizeof problem);
    CHECK(v != NULL && v->type == MJ_OBJECT, "%s: invalid JSON (%s): %s", what, problem,
          box->json);
    if (v != NULL && box->status != SSD_OK) {
        const mj_value *code = mj_get(v, "code");
        const mj_value *message = mj_get(v, "message");
        CHECK(code != NULL && code->type == MJ_STRING && box->status >= 0 &&
                  box->status <= SSD_STATUS_LAST &&
                  strcmp(code->as.string.chars, status_names[box->status]) == 0,
              "%s: error code mismatch: %s", what, box->json);
        CHECK(message != NULL && message->type == MJ_STRING &&
                  strncmp(message->as.string.chars, "mock: ", 6) == 0,
              "%s: bad message: %s", what, box->json);
    }
    mj_free(v);
}

/* ------------------------------------------------------------------------------------------ */
/* The fake host                                                                               */
/* ------------------------------------------------------------------------------------------ */

enum { MAX_STREAMS = 1024 };

typedef struct stream_record {
    int writes;
    int ends;
    ssd_status end_status;
    bool write_after_end;
    char first_line[256];
    char last_line[256];
    char error_json[1024];
    /* Flow answers: pause on the pause_at-th write (1-based), stop on the stop_at-th. */
    int pause_at;
    int stop_at;
    bool channel_ok;
} stream_record;

typedef struct fake_host {
    ssd_host host;
    pthread_mutex_t mutex;
    int log_lines;
    int events;
    char last_event[4096];
    stream_record streams[MAX_STREAMS];
} fake_host;

static void host_log(void *ctx, int32_t level, const char *message, size_t len) {
    fake_host *h = ctx;
    pthread_mutex_lock(&h->mutex);
    h->log_lines++;
    pthread_mutex_unlock(&h->mutex);
    if (getenv("MOCK_SELFTEST_VERBOSE") != NULL) {
        printf("  [driver log %d] %.*s\n", level, (int)len, message);
    }
}

static int32_t host_log_write(void *ctx, uint64_t id, int32_t channel, const uint8_t *data,
                              size_t len) {
    fake_host *h = ctx;
    int32_t answer = SSD_FLOW_CONTINUE;
    pthread_mutex_lock(&h->mutex);
    stream_record *s = &h->streams[id % MAX_STREAMS];
    if (s->ends > 0) {
        s->write_after_end = true;
    }
    s->writes++;
    s->channel_ok = channel == SSD_CHANNEL_STDOUT;
    size_t n = len < 255 ? len : 255;
    if (s->writes == 1) {
        memcpy(s->first_line, data, n);
        s->first_line[n] = '\0';
    }
    memcpy(s->last_line, data, n);
    s->last_line[n] = '\0';
    if (s->stop_at > 0 && s->writes >= s->stop_at) {
        answer = SSD_FLOW_STOP;
    } else if (s->pause_at > 0 && s->writes == s->pause_at) {
        answer = SSD_FLOW_PAUSE;
    }
    pthread_mutex_unlock(&h->mutex);
    return answer;
}

static void host_log_end(void *ctx, uint64_t id, ssd_status status, const char *json,
                         size_t len) {
    fake_host *h = ctx;
    pthread_mutex_lock(&h->mutex);
    stream_record *s = &h->streams[id % MAX_STREAMS];
    s->ends++;
    s->end_status = status;
    size_t n = len < sizeof s->error_json - 1 ? len : sizeof s->error_json - 1;
    if (json != NULL) {
        memcpy(s->error_json, json, n);
    }
    s->error_json[json != NULL ? n : 0] = '\0';
    pthread_mutex_unlock(&h->mutex);
}

static void host_session_changed(void *ctx, const char *json, size_t len) {
    fake_host *h = ctx;
    pthread_mutex_lock(&h->mutex);
    h->events++;
    size_t n = len < sizeof h->last_event - 1 ? len : sizeof h->last_event - 1;
    memcpy(h->last_event, json, n);
    h->last_event[n] = '\0';
    pthread_mutex_unlock(&h->mutex);
}

static fake_host *host_new(void) {
    fake_host *h = calloc(1, sizeof *h);
    h->host.struct_size = sizeof(ssd_host);
    h->host.abi_version = SSD_ABI_VERSION;
    h->host.ctx = h;
    h->host.log = host_log;
    h->host.log_write = host_log_write;
    h->host.log_end = host_log_end;
    h->host.session_changed = host_session_changed;
    pthread_mutex_init(&h->mutex, NULL);
    return h;
}

static void host_free(fake_host *h) {
    pthread_mutex_destroy(&h->mutex);
    free(h);
}

/* Snapshot of a stream record. */
static stream_record stream_get(fake_host *h, uint64_t id) {
    pthread_mutex_lock(&h->mutex);
    stream_record s = h->streams[id % MAX_STREAMS];
    pthread_mutex_unlock(&h->mutex);
    return s;
}

static void stream_set_flow(fake_host *h, uint64_t id, int pause_at, int stop_at) {
    pthread_mutex_lock(&h->mutex);
    h->streams[id % MAX_STREAMS].pause_at = pause_at;
    h->streams[id % MAX_STREAMS].stop_at = stop_at;
    pthread_mutex_unlock(&h->mutex);
}

/* Waits (up to timeout) until the stream has ended; returns whether it did. */
static bool wait_end(fake_host *h, uint64_t id, long timeout_ms) {
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        stream_record s = stream_get(h, id);
        if (s.ends > 0) {
            return true;
        }
        if (now_ms() > deadline) {
            return false;
        }
        sleep_ms(2);
    }
}

static bool wait_writes(fake_host *h, uint64_t id, int writes, long timeout_ms) {
    long long deadline = now_ms() + timeout_ms;
    while (stream_get(h, id).writes < writes) {
        if (now_ms() > deadline) {
            return false;
        }
        sleep_ms(2);
    }
    return true;
}

/* ------------------------------------------------------------------------------------------ */
/* Calling the driver                                                                          */
/* ------------------------------------------------------------------------------------------ */

static ssd_driver *create(fake_host *h, const char *config, reply_box *error, ssd_status *status) {
    ssd_driver *driver = NULL;
    box_init(error);
    *status = api->create(&h->host, config, strlen(config), &driver, reply_to(error));
    return driver;
}

static ssd_driver *create_ok(fake_host *h, const char *config) {
    reply_box error;
    ssd_status status;
    ssd_driver *driver = create(h, config, &error, &status);
    CHECK(status == SSD_OK && driver != NULL && error.count == 0, "create(%s): %d %s", config,
          status, error.json);
    return driver;
}

typedef enum { OP_START, OP_STOP, OP_GET, OP_HIBERNATE, OP_WAKE, OP_SMETRICS } op_kind;

/* Calls an operation with a JSON or id argument; checks the reply's shape. */
static void call(ssd_driver *d, op_kind op, const char *arg, reply_box *box) {
    box_init(box);
    size_t len = strlen(arg);
    switch (op) {
    case OP_START: api->start_session(d, arg, len, reply_to(box)); break;
    case OP_STOP: api->stop_session(d, arg, len, reply_to(box)); break;
    case OP_GET: api->get_session(d, arg, len, reply_to(box)); break;
    case OP_HIBERNATE: api->hibernate_session(d, arg, len, reply_to(box)); break;
    case OP_WAKE: api->wake_session(d, arg, len, reply_to(box)); break;
    case OP_SMETRICS: api->session_metrics(d, arg, len, reply_to(box)); break;
    }
    check_reply_shape(box, arg);
}

static void call0(ssd_driver *d, void (*fn)(ssd_driver *, ssd_reply), reply_box *box) {
    box_init(box);
    fn(d, reply_to(box));
    check_reply_shape(box, "no-argument call");
}

static char *spec(char *buf, size_t size, const char *id, const char *labels) {
    snprintf(buf, size,
             "{\"id\":\"%s\",\"user\":\"alice\",\"template\":{\"name\":\"firefox\","
             "\"image\":\"lscr.io/linuxserver/firefox:latest\",\"env\":{\"TZ\":\"UTC\"},"
             "\"ports\":[{\"name\":\"vnc\",\"port\":3000,\"protocol\":\"tcp\"}],"
             "\"volumeMounts\":[{\"name\":\"home\",\"mountPath\":\"/config\"}]},"
             "\"resources\":{\"cpu\":\"1000m\",\"memory\":\"2Gi\",\"cpuMillicores\":1000,"
             "\"memoryBytes\":1073741824},\"persistentHome\":true,\"labels\":{%s}}",
             id, labels != NULL ? labels : "\"team\":\"qa\"");
    return buf;
}

static void start_ok(ssd_driver *d, const char *id) {
    char s[2048];
    reply_box box;
    call(d, OP_START, spec(s, sizeof s, id, NULL), &box);
    CHECK(box.status == SSD_OK && strstr(box.json, "\"state\":\"running\"") != NULL,
          "start %s: %d %s", id, box.status, box.json);
}

static void stop_ok(ssd_driver *d, const char *id) {
    char req[256];
    reply_box box;
    snprintf(req, sizeof req, "{\"sessionId\":\"%s\"}", id);
    call(d, OP_STOP, req, &box);
    CHECK(box.status == SSD_OK && strstr(box.json, "\"state\":\"terminated\"") != NULL,
          "stop %s: %d %s", id, box.status, box.json);
}

static void open_logs(ssd_driver *d, uint64_t stream, const char *json) {
    api->open_logs(d, stream, json, strlen(json));
}

/* The host port in the first endpoint's url, or -1. */
static long endpoint_port(const char *json) {
    const char *url = strstr(json, "\"url\":\"http://127.0.0.1:");
    return url != NULL ? strtol(url + strlen("\"url\":\"http://127.0.0.1:"), NULL, 10) : -1;
}

/* ------------------------------------------------------------------------------------------ */
/* Tests                                                                                       */
/* ------------------------------------------------------------------------------------------ */

static void test_negotiation(ssd_entry_v1_fn entry) {
    current_test = "negotiation";
    const ssd_driver_api *out = NULL;
    ssd_negotiation n = {sizeof n, SSD_MAKE_VERSION(1, 0), SSD_MAKE_VERSION(1, 0)};

    CHECK(entry(NULL, &out) == SSD_INCOMPATIBLE && out == NULL, "NULL negotiation");
    ssd_negotiation small = n;
    small.struct_size = 8;
    CHECK(entry(&small, &out) == SSD_INCOMPATIBLE && out == NULL, "small struct");
    ssd_negotiation v2 = {sizeof n, SSD_MAKE_VERSION(2, 0), SSD_MAKE_VERSION(2, 3)};
    CHECK(entry(&v2, &out) == SSD_INCOMPATIBLE && out == NULL, "v2 host");
    ssd_negotiation newer_min = {sizeof n, SSD_MAKE_VERSION(1, 2), SSD_MAKE_VERSION(1, 5)};
    CHECK(entry(&newer_min, &out) == SSD_INCOMPATIBLE && out == NULL, "host needs 1.2");
    ssd_negotiation old = {sizeof n, SSD_MAKE_VERSION(0, 9), SSD_MAKE_VERSION(0, 9)};
    CHECK(entry(&old, &out) == SSD_INCOMPATIBLE && out == NULL, "0.9 host");
    ssd_negotiation wide = {sizeof n, SSD_MAKE_VERSION(1, 0), SSD_MAKE_VERSION(1, 7)};
    CHECK(entry(&wide, &out) == SSD_OK && out != NULL, "1.0..1.7 host");

    out = NULL;
    CHECK(entry(&n, &out) == SSD_OK && out != NULL, "1.0 host");
    api = out;
    CHECK(api->struct_size == sizeof(ssd_driver_api), "struct_size %u", api->struct_size);
    CHECK(api->abi_version == SSD_ABI_VERSION, "abi_version %x", api->abi_version);
    CHECK(api->create && api->destroy && api->describe && api->capabilities && api->health &&
              api->start_session && api->stop_session && api->get_session &&
              api->list_sessions && api->hibernate_session && api->wake_session &&
              api->node_metrics && api->session_metrics && api->open_logs &&
              api->resume_logs && api->cancel_logs,
          "a member is NULL");
}

static void expect_create_error(fake_host *h, const char *config, const char *message_part) {
    reply_box error;
    ssd_status status;
    ssd_driver *d = create(h, config, &error, &status);
    CHECK(status == SSD_INVALID_ARGUMENT && d == NULL, "create(%s) gave %d", config, status);
    CHECK(error.count == 1 && error.status == SSD_INVALID_ARGUMENT, "create(%s): error replies %d",
          config, error.count);
    check_reply_shape(&error, config);
    CHECK(strstr(error.json, message_part) != NULL, "create(%s): message %s", config, error.json);
}

static void test_config(fake_host *h) {
    current_test = "config";
    expect_create_error(h, "{\"x\":1}",
                        "{\"code\":\"INVALID_ARGUMENT\",\"message\":\"mock: unknown config key "
                        "\\\"x\\\"\"}");
    expect_create_error(h, "{\"startDelayMs\":\"5\"}", "startDelayMs");
    expect_create_error(h, "{\"startDelayMs\":-1}", "startDelayMs");
    expect_create_error(h, "{\"startDelayMs\":1.5}", "startDelayMs");
    expect_create_error(h, "{\"hibernate\":\"cold\"}", "hibernate");
    expect_create_error(h, "{\"fail\":{\"start\":\"NOPE\"}}", "fail.start");
    expect_create_error(h, "{\"fail\":{\"start\":\"OK\"}}", "fail.start");
    expect_create_error(h, "{\"fail\":{\"describe\":\"INTERNAL\"}}", "fail.describe");
    expect_create_error(h, "{\"node\":{\"gpus\":1}}", "node.gpus");
    expect_create_error(h, "{\"events\":1}", "events");
    expect_create_error(h, "{\"publicHost\":\"\"}", "publicHost");
    expect_create_error(h, "{\"logIntervalMs\":0}", "logIntervalMs");
    expect_create_error(h, "[]", "object");
    expect_create_error(h, "{\"a\":1,}", "invalid JSON");
    expect_create_error(h, "{\"health\":\"healthy\",\"health\":\"degraded\"}", "duplicate");

    ssd_driver *d = create_ok(h, "{}");
    ssd_capabilities caps = api->capabilities(d);
    ssd_capabilities want = SSD_CAP_HIBERNATE_DISK | SSD_CAP_NODE_METRICS |
                            SSD_CAP_SESSION_METRICS | SSD_CAP_LOGS | SSD_CAP_LOGS_FOLLOW |
                            SSD_CAP_SESSION_EVENTS | SSD_CAP_NONBLOCKING_CALLS;
    CHECK(caps == want, "default caps %llx", (unsigned long long)caps);
    api->destroy(d);

    /* A delay is slept in the call: no nonblocking-calls, unless the config forces it. */
    d = create_ok(h, "{\"wakeDelayMs\":5}");
    caps = api->capabilities(d);
    CHECK(!(caps & SSD_CAP_NONBLOCKING_CALLS), "delay caps %llx", (unsigned long long)caps);
    api->destroy(d);
    d = create_ok(h, "{\"wakeDelayMs\":5,\"nonblockingCalls\":true}");
    caps = api->capabilities(d);
    CHECK(caps & SSD_CAP_NONBLOCKING_CALLS, "forced caps %llx", (unsigned long long)caps);
    api->destroy(d);
    d = create_ok(h, "{\"nonblockingCalls\":false}");
    caps = api->capabilities(d);
    CHECK(!(caps & SSD_CAP_NONBLOCKING_CALLS), "refused caps %llx", (unsigned long long)caps);
    api->destroy(d);
    expect_create_error(h, "{\"nonblockingCalls\":1}", "nonblockingCalls");

    d = create_ok(h, "{\"hibernate\":\"memory\",\"events\":false}");
    caps = api->capabilities(d);
    CHECK((caps & SSD_CAP_HIBERNATE_MEMORY) && !(caps & SSD_CAP_HIBERNATE_DISK) &&
              !(caps & SSD_CAP_SESSION_EVENTS),
          "memory caps %llx", (unsigned long long)caps);
    api->destroy(d);

    /* Everything at once, all valid. */
    d = create_ok(h, "{\"startDelayMs\":0,\"stopDelayMs\":0,\"hibernateDelayMs\":0,"
                     "\"wakeDelayMs\":0,\"hibernate\":\"none\",\"fail\":{},\"health\":\"degraded\","
                     "\"healthDetail\":\"disk \\\"almost\\\" full\\n\",\"maxSessions\":3,"
                     "\"publicHost\":\"10.0.0.5\",\"logLines\":5,\"logIntervalMs\":50,"
                     "\"node\":{\"cpuCores\":2.5,\"memoryBytes\":1024,\"diskBytes\":2048},"
                     "\"events\":true}");
    caps = api->capabilities(d);
    CHECK(!(caps & (SSD_CAP_HIBERNATE_MEMORY | SSD_CAP_HIBERNATE_DISK)), "none caps");
    reply_box box;
    call0(d, api->health, &box);
    CHECK(box.status == SSD_OK &&
              strcmp(box.json,
                     "{\"status\":\"degraded\",\"detail\":\"disk \\\"almost\\\" full\\n\"}") == 0,
          "health %s", box.json);
    call(d, OP_HIBERNATE, "whatever", &box);
    CHECK(box.status == SSD_UNSUPPORTED, "hibernate none: %d", box.status);
    call(d, OP_WAKE, "whatever", &box);
    CHECK(box.status == SSD_UNSUPPORTED, "wake none: %d", box.status);
    call0(d, api->node_metrics, &box);
    CHECK(strstr(box.json, "\"cpuCores\":2.5") != NULL && strstr(box.json, "\"memoryBytes\":1024"),
          "node %s", box.json);
    api->destroy(d);

    /* No config at all means "{}". */
    ssd_driver *empty = NULL;
    reply_box error;
    box_init(&error);
    CHECK(api->create(&h->host, NULL, 0, &empty, reply_to(&error)) == SSD_OK && empty != NULL,
          "NULL config");
    api->destroy(empty);

    /* A host table that is too small. */
    fake_host *tiny = host_new();
    tiny->host.struct_size = 16;
    box_init(&error);
    CHECK(api->create(&tiny->host, "{}", 2, &empty, reply_to(&error)) == SSD_INCOMPATIBLE &&
              error.count == 1,
          "tiny host");
    host_free(tiny);
}

static void test_describe_health(fake_host *h) {
    current_test = "describe+health";
    ssd_driver *d = create_ok(h, "{}");
    reply_box box;
    call0(d, api->describe, &box);
    CHECK(box.status == SSD_OK &&
              strcmp(box.json, "{\"name\":\"mock\",\"version\":\"1.0.0\",\"platform\":\"docker\","
                               "\"vendor\":\"StreamSpace\",\"description\":\"In-memory mock "
                               "platform for tests and as a template\"}") == 0,
          "describe %s", box.json);
    call0(d, api->health, &box);
    CHECK(box.status == SSD_OK && strstr(box.json, "\"status\":\"healthy\""), "health %s",
          box.json);
    api->destroy(d);

    d = create_ok(h, "{\"fail\":{\"health\":\"UNAVAILABLE\"}}");
    call0(d, api->health, &box);
    CHECK(box.status == SSD_UNAVAILABLE &&
              strcmp(box.json, "{\"code\":\"UNAVAILABLE\",\"message\":\"mock: injected failure "
                               "for health\"}") == 0,
          "fail.health %s", box.json);
    api->destroy(d);
}

static void test_lifecycle(fake_host *h) {
    current_test = "lifecycle";
    ssd_driver *d = create_ok(h, "{}");
    char s[2048];
    reply_box box;

    call(d, OP_START, spec(s, sizeof s, "alice-firefox-1a2b3c4d", NULL), &box);
    CHECK(box.status == SSD_OK, "start %d %s", box.status, box.json);
    CHECK(strstr(box.json, "\"sessionId\":\"alice-firefox-1a2b3c4d\",\"state\":\"running\"") !=
              NULL,
          "%s", box.json);
    CHECK(strstr(box.json, "\"endpoints\":[{\"name\":\"vnc\",\"port\":3000,\"url\":\"http://"
                           "127.0.0.1:") != NULL,
          "endpoint %s", box.json);
    CHECK(strstr(box.json, "\"platformMetadata\":{\"workloadName\":\"mock-alice-firefox-"
                           "1a2b3c4d\",\"image\":\"lscr.io/linuxserver/firefox:latest\","
                           "\"user\":\"alice\"}") != NULL,
          "metadata %s", box.json);
    long port1 = endpoint_port(box.json);
    CHECK(port1 >= 40000 && port1 <= 65535, "port %ld", port1);

    /* Idempotent start: the same status, same port (R6). */
    static char first[sizeof box.json];
    memcpy(first, box.json, sizeof first);
    call(d, OP_START, s, &box);
    CHECK(box.status == SSD_OK && strcmp(box.json, first) == 0, "second start %s", box.json);

    call(d, OP_GET, "alice-firefox-1a2b3c4d", &box);
    CHECK(box.status == SSD_OK && strcmp(box.json, first) == 0, "get %s", box.json);

    call0(d, api->list_sessions, &box);
    CHECK(box.status == SSD_OK && strncmp(box.json, "{\"sessions\":[", 13) == 0 &&
              strstr(box.json, first) != NULL,
          "list %s", box.json);

    call(d, OP_SMETRICS, "alice-firefox-1a2b3c4d", &box);
    CHECK(box.status == SSD_OK &&
              strcmp(box.json, "{\"sessionId\":\"alice-firefox-1a2b3c4d\",\"cpuUsedCores\":0.25,"
                               "\"memoryBytes\":1073741824,\"memoryUsedBytes\":268435456}") == 0,
          "session metrics %s", box.json);

    call0(d, api->node_metrics, &box);
    CHECK(box.status == SSD_OK && strstr(box.json, "\"cpuCores\":4,\"cpuUsedCores\":0.25,"
                                                   "\"memoryBytes\":8589934592,"
                                                   "\"memoryUsedBytes\":268435456,"
                                                   "\"diskBytes\":107374182400,"
                                                   "\"diskUsedBytes\":1073741824") != NULL,
          "node metrics %s", box.json);

    call(d, OP_HIBERNATE, "alice-firefox-1a2b3c4d", &box);
    CHECK(box.status == SSD_OK && strstr(box.json, "\"state\":\"hibernated\",\"endpoints\":[]"),
          "hibernate %s", box.json);
    call(d, OP_HIBERNATE, "alice-firefox-1a2b3c4d", &box);
    CHECK(box.status == SSD_OK && strstr(box.json, "\"state\":\"hibernated\""), "hibernate 2 %s",
          box.json);
    call(d, OP_SMETRICS, "alice-firefox-1a2b3c4d", &box);
    CHECK(box.status == SSD_OK && strstr(box.json, "\"cpuUsedCores\":0,") &&
              strstr(box.json, "\"memoryUsedBytes\":0}"),
          "hibernated metrics %s", box.json);

    call(d, OP_WAKE, "alice-firefox-1a2b3c4d", &box);
    CHECK(box.status == SSD_OK && strstr(box.json, "\"state\":\"running\""), "wake %s", box.json);
    long port2 = endpoint_port(box.json);
    CHECK(port2 >= 40000 && port2 != port1, "new port %ld vs %ld", port2, port1);
    call(d, OP_WAKE, "alice-firefox-1a2b3c4d", &box);
    CHECK(box.status == SSD_OK && endpoint_port(box.json) == port2, "wake 2 %s", box.json);

    stop_ok(d, "alice-firefox-1a2b3c4d");
    call(d, OP_GET, "alice-firefox-1a2b3c4d", &box);
    CHECK(box.status == SSD_NOT_FOUND, "get after stop %d", box.status);
    stop_ok(d, "alice-firefox-1a2b3c4d"); /* R6: stopping a stopped session is OK */
    call(d, OP_HIBERNATE, "alice-firefox-1a2b3c4d", &box);
    CHECK(box.status == SSD_NOT_FOUND, "hibernate unknown %d", box.status);
    call(d, OP_WAKE, "alice-firefox-1a2b3c4d", &box);
    CHECK(box.status == SSD_NOT_FOUND, "wake unknown %d", box.status);
    call(d, OP_SMETRICS, "alice-firefox-1a2b3c4d", &box);
    CHECK(box.status == SSD_NOT_FOUND, "metrics unknown %d", box.status);
    api->destroy(d);
}

static void test_invalid(fake_host *h) {
    current_test = "invalid";
    ssd_driver *d = create_ok(h, "{}");
    reply_box box;
    static const char *bad_specs[] = {
        "",
        "not json",
        "[]",
        "{\"id\":\"bad\"}",
        "{\"id\":\"Bad\",\"user\":\"a\",\"template\":{\"image\":\"i\"}}",
        "{\"id\":\"-bad\",\"user\":\"a\",\"template\":{\"image\":\"i\"}}",
        "{\"id\":\"bad-\",\"user\":\"a\",\"template\":{\"image\":\"i\"}}",
        "{\"id\":\"b d\",\"user\":\"a\",\"template\":{\"image\":\"i\"}}",
        "{\"id\":\"bad\",\"user\":\"\",\"template\":{\"image\":\"i\"}}",
        "{\"id\":\"bad\",\"user\":\"a\",\"template\":{\"image\":\"\"}}",
        "{\"id\":\"bad\",\"user\":\"a\",\"template\":{\"image\":\"i\",\"env\":{\"A\":1}}}",
        "{\"id\":\"bad\",\"user\":\"a\",\"template\":{\"image\":\"i\",\"ports\":[{\"name\":\"v\","
        "\"port\":0}]}}",
        "{\"id\":\"bad\",\"user\":\"a\",\"template\":{\"image\":\"i\",\"ports\":[{\"name\":\"v\","
        "\"port\":70000}]}}",
        "{\"id\":\"bad\",\"user\":\"a\",\"template\":{\"image\":\"i\",\"ports\":[{\"name\":\"v\","
        "\"port\":80,\"protocol\":\"sctp\"}]}}",
        "{\"id\":\"bad\",\"user\":\"a\",\"template\":{\"image\":\"i\",\"ports\":[{\"port\":80}]}}",
        "{\"id\":\"bad\",\"user\":\"a\",\"template\":{\"image\":\"i\",\"volumeMounts\":[{\"name\":"
        "\"h\",\"mountPath\":\"relative\"}]}}",
        "{\"id\":\"bad\",\"user\":\"a\",\"template\":{\"image\":\"i\"},\"resources\":"
        "{\"memoryBytes\":-1}}",
        "{\"id\":\"bad\",\"user\":\"a\",\"template\":{\"image\":\"i\"},\"persistentHome\":\"yes\"}",
        "{\"id\":\"bad\",\"user\":\"a\",\"template\":{\"image\":\"i\"},\"labels\":{\"a\":true}}",
        "{\"id\":\"bad\",\"user\":\"a\",\"template\":{\"image\":\"i\"},\"labels\":"
        "{\"mock.crashAfterMs\":\"soon\"}}",
        "{\"id\":\"bad\",\"user\":\"a\",\"template\":{\"image\":\"i\\ud800\"}}",
        "{\"id\":\"bad\",\"user\":\"a\",\"template\":{\"image\":\"i\"}} x",
    };
    for (size_t i = 0; i < sizeof bad_specs / sizeof *bad_specs; i++) {
        call(d, OP_START, bad_specs[i], &box);
        CHECK(box.status == SSD_INVALID_ARGUMENT, "spec %zu gave %d: %s", i, box.status,
              box.json);
    }
    /* 101 characters */
    char long_id[128];
    memset(long_id, 'a', 101);
    long_id[101] = '\0';
    call(d, OP_GET, long_id, &box);
    CHECK(box.status == SSD_INVALID_ARGUMENT && strstr(box.json, "101"), "long id %s", box.json);
    long_id[100] = '\0';
    call(d, OP_GET, long_id, &box);
    CHECK(box.status == SSD_NOT_FOUND, "100-char id %d", box.status);
    call(d, OP_GET, "", &box);
    CHECK(box.status == SSD_INVALID_ARGUMENT, "empty id");
    call(d, OP_GET, "a", &box);
    CHECK(box.status == SSD_NOT_FOUND, "one-char id");
    call(d, OP_STOP, "{\"sessionId\":\"UPPER\"}", &box);
    CHECK(box.status == SSD_INVALID_ARGUMENT, "stop bad id");
    call(d, OP_STOP, "{\"sessionId\":\"ok\",\"deleteVolumes\":\"no\"}", &box);
    CHECK(box.status == SSD_INVALID_ARGUMENT, "stop bad deleteVolumes");

    /* Nothing was created (R7). */
    call0(d, api->list_sessions, &box);
    CHECK(strstr(box.json, "\"bad\"") == NULL, "list after invalid: %s", box.json);
    api->destroy(d);
}

static void test_failures(fake_host *h) {
    current_test = "injected failures";
    ssd_driver *d = create_ok(h, "{\"fail\":{\"start\":\"UNAVAILABLE\",\"get\":\"TIMEOUT\","
                                 "\"list\":\"INTERNAL\",\"nodeMetrics\":\"UNAVAILABLE\","
                                 "\"sessionMetrics\":\"INTERNAL\",\"stop\":\"TIMEOUT\"}}");
    char s[2048];
    reply_box box;
    call(d, OP_START, spec(s, sizeof s, "fails", NULL), &box);
    CHECK(box.status == SSD_UNAVAILABLE &&
              strcmp(box.json, "{\"code\":\"UNAVAILABLE\",\"message\":\"mock: injected failure "
                               "for start\"}") == 0,
          "start %s", box.json);
    call(d, OP_START, "{}", &box);
    CHECK(box.status == SSD_INVALID_ARGUMENT, "validation comes first: %d", box.status);
    call(d, OP_GET, "fails", &box);
    CHECK(box.status == SSD_TIMEOUT && strstr(box.json, "injected failure for get"), "get %s",
          box.json);
    call0(d, api->list_sessions, &box);
    CHECK(box.status == SSD_INTERNAL, "list %d", box.status);
    call0(d, api->node_metrics, &box);
    CHECK(box.status == SSD_UNAVAILABLE, "node %d", box.status);
    call(d, OP_SMETRICS, "fails", &box);
    CHECK(box.status == SSD_INTERNAL, "smetrics %d", box.status);
    call(d, OP_STOP, "{\"sessionId\":\"fails\"}", &box);
    CHECK(box.status == SSD_TIMEOUT, "stop %d", box.status);
    api->destroy(d);

    d = create_ok(h, "{\"maxSessions\":1}");
    start_ok(d, "cap-1");
    call(d, OP_START, spec(s, sizeof s, "cap-2", NULL), &box);
    CHECK(box.status == SSD_RESOURCE_EXHAUSTED, "maxSessions: %d %s", box.status, box.json);
    call(d, OP_START, spec(s, sizeof s, "cap-1", NULL), &box);
    CHECK(box.status == SSD_OK, "existing session despite maxSessions: %d", box.status);
    stop_ok(d, "cap-1");
    api->destroy(d);
}

static void test_json_escaping(fake_host *h) {
    current_test = "json escaping";
    ssd_driver *d = create_ok(h, "{}");
    reply_box box;
    const char *json = "{\"id\":\"esc\",\"user\":\"al\\\"ice\\\\ \\u00e9\\ud83d\\ude00"
                       "\\/\",\"template\":{\"image\":\"img\"},\"extra\":[1,2,{\"x\":null}]}";
    call(d, OP_START, json, &box);
    CHECK(box.status == SSD_OK, "start %d %s", box.status, box.json);
    mj_value *v = mj_parse(box.json, box.len, NULL, 0);
    const mj_value *user = mj_get(mj_get(v, "platformMetadata"), "user");
    const char want[] = "al\"ice\\ \xc3\xa9\xf0\x9f\x98\x80/";
    CHECK(user != NULL && user->as.string.len == sizeof want - 1 &&
              memcmp(user->as.string.chars, want, sizeof want - 1) == 0,
          "user round trip: %s", box.json);
    mj_free(v);
    stop_ok(d, "esc");

    /* Control characters in a user, a label or an env value are refused (R7), tab included
     * outside env values. */
    const char *refused[] = {
        "{\"id\":\"esc2\",\"user\":\"al\\u0001ice\",\"template\":{\"image\":\"img\"}}",
        "{\"id\":\"esc2\",\"user\":\"al\\nice\",\"template\":{\"image\":\"img\"}}",
        "{\"id\":\"esc2\",\"user\":\"al\\tice\",\"template\":{\"image\":\"img\"}}",
        "{\"id\":\"esc2\",\"user\":\"alice\",\"template\":{\"image\":\"img\",\"env\":{\"TZ\":\"UTC\\n\"}}}",
        "{\"id\":\"esc2\",\"user\":\"alice\",\"template\":{\"image\":\"img\",\"env\":{\"TZ\":\"\\u001b[2J\"}}}",
        "{\"id\":\"esc2\",\"user\":\"alice\",\"template\":{\"image\":\"img\",\"env\":{\"TZ\":\"a\xe2\x80\xa8" "b\"}}}",
        "{\"id\":\"esc2\",\"user\":\"alice\",\"template\":{\"image\":\"img\"},\"labels\":{\"team\":\"a\\rb\"}}",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        call(d, OP_START, refused[i], &box);
        CHECK(box.status == SSD_INVALID_ARGUMENT && strstr(box.json, "control characters") != NULL,
              "control characters refused (%zu): %d %s", i, box.status, box.json);
    }
    call(d, OP_START, "{\"id\":\"esc3\",\"user\":\"alice\",\"template\":{\"image\":\"img\",\"env\":{\"MOTD\":\"a\\tb\"}}}", &box);
    CHECK(box.status == SSD_OK, "a tab in an env value passes: %d %s", box.status, box.json);
    stop_ok(d, "esc3");
    api->destroy(d);

    /* The writer escapes what it is given, control characters included. */
    mj_writer w;
    mj_writer_init(&w);
    mj_string(&w, "a\x01\n\"b", 5);
    const char escaped[] = "\"a\\u0001\\n\\\"b\"";
    CHECK(!w.failed && w.len == sizeof escaped - 1 && memcmp(w.data, escaped, sizeof escaped - 1) == 0,
          "writer escapes: %.*s", (int)w.len, w.data);
    mj_writer_free(&w);
}

/* --- logs ------------------------------------------------------------------------------- */

static int line_number(const char *line) {
    const char *p = strstr(line, " line ");
    return p != NULL ? atoi(p + 6) : -1;
}

static void test_logs_tail(fake_host *h) {
    current_test = "logs tail";
    ssd_driver *d = create_ok(h, "{\"logLines\":20}");
    start_ok(d, "logs-1");

    open_logs(d, 1, "{\"sessionId\":\"logs-1\",\"follow\":false}");
    CHECK(wait_end(h, 1, 2000), "stream 1 ended");
    stream_record s = stream_get(h, 1);
    CHECK(s.writes == 20 && s.ends == 1 && s.end_status == SSD_OK && s.channel_ok,
          "all: %d writes, %d ends, status %d", s.writes, s.ends, s.end_status);
    CHECK(line_number(s.first_line) == 1 && line_number(s.last_line) == 20, "lines %s / %s",
          s.first_line, s.last_line);
    /* "2025-01-01T12:00:00.123Z mock logs-1 line 1\n" */
    CHECK(strlen(s.first_line) > 25 && s.first_line[4] == '-' && s.first_line[10] == 'T' &&
              s.first_line[19] == '.' && s.first_line[23] == 'Z' &&
              strcmp(s.first_line + 24, " mock logs-1 line 1\n") == 0,
          "format %s", s.first_line);

    open_logs(d, 2, "{\"sessionId\":\"logs-1\",\"follow\":false,\"tailLines\":5}");
    CHECK(wait_end(h, 2, 2000), "stream 2 ended");
    s = stream_get(h, 2);
    CHECK(s.writes == 5 && line_number(s.first_line) == 16 && line_number(s.last_line) == 20 &&
              s.end_status == SSD_OK && s.ends == 1,
          "tail 5: %d writes, %s", s.writes, s.first_line);

    open_logs(d, 3, "{\"sessionId\":\"logs-1\",\"tailLines\":0}");
    CHECK(wait_end(h, 3, 2000), "stream 3 ended");
    s = stream_get(h, 3);
    CHECK(s.writes == 0 && s.end_status == SSD_OK, "tail 0: %d writes", s.writes);

    open_logs(d, 4, "{\"sessionId\":\"logs-1\",\"sinceTime\":\"2999-01-01T00:00:00Z\"}");
    CHECK(wait_end(h, 4, 2000), "stream 4 ended");
    CHECK(stream_get(h, 4).writes == 0, "since future");

    open_logs(d, 5, "{\"sessionId\":\"logs-1\",\"sinceTime\":\"2001-02-03T04:05:06.789+01:30\","
                    "\"tailLines\":3}");
    CHECK(wait_end(h, 5, 2000), "stream 5 ended");
    s = stream_get(h, 5);
    CHECK(s.writes == 3 && line_number(s.first_line) == 18, "since past + tail 3: %d", s.writes);

    /* Errors end the stream once, from open_logs, with an Error object. */
    open_logs(d, 6, "{\"sessionId\":\"nope\"}");
    s = stream_get(h, 6);
    CHECK(s.ends == 1 && s.end_status == SSD_NOT_FOUND && strstr(s.error_json, "NOT_FOUND"),
          "unknown session: %d %d %s", s.ends, s.end_status, s.error_json);
    open_logs(d, 7, "{\"sessionId\":\"logs-1\",\"sinceTime\":\"yesterday\"}");
    s = stream_get(h, 7);
    CHECK(s.ends == 1 && s.end_status == SSD_INVALID_ARGUMENT && strstr(s.error_json, "sinceTime"),
          "bad since: %s", s.error_json);
    open_logs(d, 8, "{\"sessionId\":\"Logs\"}");
    s = stream_get(h, 8);
    CHECK(s.ends == 1 && s.end_status == SSD_INVALID_ARGUMENT, "bad id");
    open_logs(d, 9, "garbage");
    s = stream_get(h, 9);
    CHECK(s.ends == 1 && s.end_status == SSD_INVALID_ARGUMENT, "bad json");
    open_logs(d, 10, "{\"sessionId\":\"logs-1\",\"tailLines\":-2}");
    s = stream_get(h, 10);
    CHECK(s.ends == 1 && s.end_status == SSD_INVALID_ARGUMENT, "negative tail");

    /* Cancel or resume of unknown / ended streams: ignored. */
    api->cancel_logs(d, 1);
    api->resume_logs(d, 1);
    api->cancel_logs(d, 999);
    api->resume_logs(d, 999);
    sleep_ms(20);
    CHECK(stream_get(h, 1).ends == 1, "cancel after end ignored");
    for (uint64_t i = 1; i <= 10; i++) {
        CHECK(!stream_get(h, i).write_after_end && stream_get(h, i).ends == 1, "stream %llu",
              (unsigned long long)i);
    }
    stop_ok(d, "logs-1");
    api->destroy(d);
}

/* logWriteBytes: whole lines, as many as fit, in one log_write. */
static void test_logs_batched(fake_host *h) {
    current_test = "logs batched";
    ssd_driver *d = create_ok(h, "{\"logLines\":20,\"logWriteBytes\":4096}");
    start_ok(d, "batch-1");
    open_logs(d, 11, "{\"sessionId\":\"batch-1\"}");
    CHECK(wait_end(h, 11, 2000), "stream 11 ended");
    stream_record s = stream_get(h, 11);
    CHECK(s.writes == 1 && s.end_status == SSD_OK && line_number(s.first_line) == 1,
          "20 lines in one write: %d writes, %s", s.writes, s.first_line);
    stop_ok(d, "batch-1");
    api->destroy(d);

    d = create_ok(h, "{\"logLines\":20,\"logWriteBytes\":600}");
    start_ok(d, "batch-2");
    open_logs(d, 12, "{\"sessionId\":\"batch-2\",\"tailLines\":20}");
    CHECK(wait_end(h, 12, 2000), "stream 12 ended");
    s = stream_get(h, 12);
    CHECK(s.writes > 1 && s.writes < 20 && line_number(s.first_line) == 1,
          "a few lines per write: %d writes", s.writes);
    stop_ok(d, "batch-2");
    api->destroy(d);
    expect_create_error(h, "{\"logWriteBytes\":-1}", "logWriteBytes");
    expect_create_error(h, "{\"logWriteBytes\":1048577}", "logWriteBytes");
}

static void test_logs_follow(fake_host *h) {
    current_test = "logs follow";
    ssd_driver *d = create_ok(h, "{\"logLines\":3,\"logIntervalMs\":20}");
    start_ok(d, "follow-1");

    /* follow + cancel */
    open_logs(d, 20, "{\"sessionId\":\"follow-1\",\"follow\":true}");
    CHECK(wait_writes(h, 20, 8, 2000), "follow produced new lines (%d)", stream_get(h, 20).writes);
    stream_record s = stream_get(h, 20);
    CHECK(s.ends == 0, "still open");
    CHECK(line_number(s.first_line) == 1 && line_number(s.last_line) >= 8, "numbering %s",
          s.last_line);
    api->cancel_logs(d, 20);
    CHECK(wait_end(h, 20, 2000), "cancel ends the stream");
    api->cancel_logs(d, 20); /* again: ignored */
    sleep_ms(80);
    s = stream_get(h, 20);
    CHECK(s.ends == 1 && s.end_status == SSD_CANCELLED && !s.write_after_end,
          "exactly one log_end(CANCELLED): %d ends, status %d", s.ends, s.end_status);
    int writes_after_cancel = s.writes;
    sleep_ms(60);
    CHECK(stream_get(h, 20).writes == writes_after_cancel, "no writes after the end");

    /* Two followers share one log: the line rhythm does not double. */
    open_logs(d, 21, "{\"sessionId\":\"follow-1\",\"follow\":true,\"tailLines\":0}");
    open_logs(d, 22, "{\"sessionId\":\"follow-1\",\"follow\":true,\"tailLines\":0}");
    sleep_ms(205);
    int w21 = stream_get(h, 21).writes, w22 = stream_get(h, 22).writes;
    CHECK(w21 >= 5 && w21 <= 14 && w22 >= 5 && w22 <= 14, "rhythm: %d and %d lines in 205 ms",
          w21, w22);

    /* Stopping the session ends its follow streams with OK. */
    stop_ok(d, "follow-1");
    CHECK(wait_end(h, 21, 2000) && wait_end(h, 22, 2000), "stop ends followers");
    CHECK(stream_get(h, 21).end_status == SSD_OK && stream_get(h, 22).end_status == SSD_OK,
          "ended OK: %d %d", stream_get(h, 21).end_status, stream_get(h, 22).end_status);

    /* Hibernate ends a follow stream too (the session stops running). */
    start_ok(d, "follow-2");
    open_logs(d, 23, "{\"sessionId\":\"follow-2\",\"follow\":true}");
    CHECK(wait_writes(h, 23, 3, 2000), "backlog");
    reply_box box;
    call(d, OP_HIBERNATE, "follow-2", &box);
    CHECK(wait_end(h, 23, 2000) && stream_get(h, 23).end_status == SSD_OK, "hibernate ends");
    /* Following a hibernated session shows what it has, then ends. */
    open_logs(d, 24, "{\"sessionId\":\"follow-2\",\"follow\":true}");
    CHECK(wait_end(h, 24, 2000) && stream_get(h, 24).end_status == SSD_OK &&
              stream_get(h, 24).writes >= 3,
          "follow hibernated");
    stop_ok(d, "follow-2");

    /* A session stopped through another instance ends the stream at once, not at its next
     * line (a day away here). */
    ssd_driver *slow = create_ok(h, "{\"logLines\":2,\"logIntervalMs\":86400000}");
    start_ok(slow, "follow-x");
    open_logs(slow, 26, "{\"sessionId\":\"follow-x\",\"follow\":true}");
    CHECK(wait_writes(h, 26, 2, 2000), "backlog of follow-x");
    long long t0 = now_ms();
    stop_ok(d, "follow-x");
    CHECK(wait_end(h, 26, 2000) && stream_get(h, 26).end_status == SSD_OK && now_ms() - t0 < 500,
          "cross-instance stop ended the stream in %lld ms", now_ms() - t0);
    api->destroy(slow);

    /* FLOW_STOP: the host refuses; the stream ends CANCELLED. */
    start_ok(d, "follow-3");
    stream_set_flow(h, 25, 0, 2);
    open_logs(d, 25, "{\"sessionId\":\"follow-3\",\"follow\":true}");
    CHECK(wait_end(h, 25, 2000), "flow stop ends");
    s = stream_get(h, 25);
    CHECK(s.writes == 2 && s.end_status == SSD_CANCELLED && s.ends == 1, "flow stop: %d %d",
          s.writes, s.end_status);
    stop_ok(d, "follow-3");
    api->destroy(d);
}

static void test_logs_pause(fake_host *h) {
    current_test = "logs pause/resume";
    ssd_driver *d = create_ok(h, "{\"logLines\":20}");
    start_ok(d, "pause-1");

    stream_set_flow(h, 30, 3, 0);
    open_logs(d, 30, "{\"sessionId\":\"pause-1\"}");
    CHECK(wait_writes(h, 30, 3, 2000), "wrote up to the pause");
    sleep_ms(50);
    stream_record s = stream_get(h, 30);
    CHECK(s.writes == 3 && s.ends == 0, "paused: %d writes, %d ends", s.writes, s.ends);
    api->resume_logs(d, 30);
    CHECK(wait_end(h, 30, 2000), "resumed and ended");
    s = stream_get(h, 30);
    CHECK(s.writes == 20 && s.end_status == SSD_OK && s.ends == 1, "after resume: %d %d",
          s.writes, s.end_status);

    /* Cancel while paused. */
    stream_set_flow(h, 31, 1, 0);
    open_logs(d, 31, "{\"sessionId\":\"pause-1\"}");
    CHECK(wait_writes(h, 31, 1, 2000), "paused at 1");
    sleep_ms(20);
    api->cancel_logs(d, 31);
    CHECK(wait_end(h, 31, 2000) && stream_get(h, 31).end_status == SSD_CANCELLED &&
              stream_get(h, 31).writes == 1,
          "cancel while paused");

    /* A resume that races the pause (called from inside log_write's answer path) is kept:
     * here the host resumes immediately after answering PAUSE. */
    stream_set_flow(h, 32, 5, 0);
    open_logs(d, 32, "{\"sessionId\":\"pause-1\"}");
    CHECK(wait_writes(h, 32, 5, 2000), "paused at 5");
    api->resume_logs(d, 32);
    CHECK(wait_end(h, 32, 2000) && stream_get(h, 32).writes == 20, "early resume");
    stop_ok(d, "pause-1");
    api->destroy(d);
}

static void test_crash(fake_host *h) {
    current_test = "crashAfterMs";
    ssd_driver *d = create_ok(h, "{\"logIntervalMs\":10}");
    char s[2048];
    reply_box box;
    pthread_mutex_lock(&h->mutex);
    int events_before = h->events;
    pthread_mutex_unlock(&h->mutex);

    call(d, OP_START, spec(s, sizeof s, "crash-1", "\"mock.crashAfterMs\":\"60\""), &box);
    CHECK(box.status == SSD_OK && strstr(box.json, "\"running\""), "start %s", box.json);
    open_logs(d, 40, "{\"sessionId\":\"crash-1\",\"follow\":true}");

    long long deadline = now_ms() + 2000;
    int events = events_before;
    while (events == events_before && now_ms() < deadline) {
        sleep_ms(5);
        pthread_mutex_lock(&h->mutex);
        events = h->events;
        pthread_mutex_unlock(&h->mutex);
    }
    CHECK(events == events_before + 1, "one session_changed (%d)", events - events_before);
    pthread_mutex_lock(&h->mutex);
    CHECK(strstr(h->last_event, "\"sessionId\":\"crash-1\",\"state\":\"failed\"") &&
              strstr(h->last_event, "\"message\":\"mock: injected crash\""),
          "event %s", h->last_event);
    pthread_mutex_unlock(&h->mutex);

    call(d, OP_GET, "crash-1", &box);
    CHECK(box.status == SSD_OK && strstr(box.json, "\"state\":\"failed\"") &&
              strstr(box.json, "\"endpoints\":[]") && strstr(box.json, "injected crash"),
          "get failed %s", box.json);
    call(d, OP_HIBERNATE, "crash-1", &box);
    CHECK(box.status == SSD_FAILED_PRECONDITION, "hibernate failed: %d", box.status);
    call(d, OP_WAKE, "crash-1", &box);
    CHECK(box.status == SSD_FAILED_PRECONDITION, "wake failed: %d", box.status);
    CHECK(wait_end(h, 40, 2000) && stream_get(h, 40).end_status == SSD_OK,
          "crash ends the follow stream");
    stop_ok(d, "crash-1");

    /* Destroy before the crash is due: the timer thread is joined, no event follows. */
    call(d, OP_START, spec(s, sizeof s, "crash-2", "\"mock.crashAfterMs\":\"100000\""), &box);
    long long t0 = now_ms();
    api->destroy(d);
    CHECK(now_ms() - t0 < 1000, "destroy did not wait for the timer (%lld ms)", now_ms() - t0);

    /* events: false — no callback. */
    d = create_ok(h, "{\"events\":false}");
    pthread_mutex_lock(&h->mutex);
    events_before = h->events;
    pthread_mutex_unlock(&h->mutex);
    stop_ok(d, "crash-2");
    call(d, OP_START, spec(s, sizeof s, "crash-3", "\"mock.crashAfterMs\":\"10\""), &box);
    sleep_ms(100);
    call(d, OP_GET, "crash-3", &box);
    CHECK(strstr(box.json, "\"failed\""), "crash-3 failed %s", box.json);
    pthread_mutex_lock(&h->mutex);
    CHECK(h->events == events_before, "no event without SSD_CAP_SESSION_EVENTS");
    pthread_mutex_unlock(&h->mutex);
    stop_ok(d, "crash-3");
    api->destroy(d);
}

static void test_destroy_with_open_stream(fake_host *h) {
    current_test = "destroy with open stream";
    ssd_driver *d = create_ok(h, "{\"logIntervalMs\":30}");
    start_ok(d, "destroy-1");
    open_logs(d, 50, "{\"sessionId\":\"destroy-1\",\"follow\":true}");
    stream_set_flow(h, 51, 1, 0);
    open_logs(d, 51, "{\"sessionId\":\"destroy-1\"}"); /* will sit paused */
    CHECK(wait_writes(h, 50, 20, 2000) && wait_writes(h, 51, 1, 2000), "streams running");
    api->destroy(d);
    /* No waiting: log_end must have happened before destroy returned. */
    stream_record s = stream_get(h, 50);
    CHECK(s.ends == 1 && s.end_status == SSD_CANCELLED, "follow: %d ends, status %d", s.ends,
          s.end_status);
    s = stream_get(h, 51);
    CHECK(s.ends == 1 && s.end_status == SSD_CANCELLED, "paused: %d ends, status %d", s.ends,
          s.end_status);

    /* R10: a new instance finds the session again. */
    d = create_ok(h, "{}");
    reply_box box;
    call0(d, api->list_sessions, &box);
    CHECK(strstr(box.json, "\"sessionId\":\"destroy-1\""), "recovered: %s", box.json);
    stop_ok(d, "destroy-1");
    api->destroy(d);
}

/* --- concurrency ------------------------------------------------------------------------ */

typedef struct start_job {
    ssd_driver *driver;
    char id[64];
    reply_box box;
    pthread_t thread;
} start_job;

static void *start_thread(void *arg) {
    start_job *job = arg;
    char s[2048];
    box_init(&job->box);
    spec(s, sizeof s, job->id, NULL);
    api->start_session(job->driver, s, strlen(s), reply_to(&job->box));
    return NULL;
}

static void test_concurrency(fake_host *h) {
    current_test = "concurrency";
    ssd_driver *d = create_ok(h, "{\"startDelayMs\":150}");
    enum { N = 8 };
    start_job jobs[N];
    long long t0 = now_ms();
    for (int i = 0; i < N; i++) {
        jobs[i].driver = d;
        snprintf(jobs[i].id, sizeof jobs[i].id, "conc-%d", i);
        pthread_create(&jobs[i].thread, NULL, start_thread, &jobs[i]);
    }
    sleep_ms(50);
    reply_box box;
    call(d, OP_GET, "conc-0", &box);
    CHECK(box.status == SSD_OK && strstr(box.json, "\"state\":\"starting\"") &&
              strstr(box.json, "\"endpoints\":[]"),
          "starting while the delay runs: %s", box.json);
    for (int i = 0; i < N; i++) {
        pthread_join(jobs[i].thread, NULL);
        check_reply_shape(&jobs[i].box, jobs[i].id);
        CHECK(jobs[i].box.status == SSD_OK && strstr(jobs[i].box.json, "\"running\""),
              "job %d: %s", i, jobs[i].box.json);
    }
    long long elapsed = now_ms() - t0;
    CHECK(elapsed >= 150 && elapsed < 600, "parallel starts took %lld ms", elapsed);

    /* The same id from several threads: one session, every reply OK. */
    start_job same[4];
    for (int i = 0; i < 4; i++) {
        same[i].driver = d;
        snprintf(same[i].id, sizeof same[i].id, "conc-same");
        pthread_create(&same[i].thread, NULL, start_thread, &same[i]);
    }
    int running = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(same[i].thread, NULL);
        check_reply_shape(&same[i].box, "conc-same");
        CHECK(same[i].box.status == SSD_OK, "same %d: %d", i, same[i].box.status);
        running += strstr(same[i].box.json, "\"running\"") != NULL;
    }
    CHECK(running >= 1, "one start ran it (%d)", running);
    call0(d, api->list_sessions, &box);
    const char *first = strstr(box.json, "\"conc-same\"");
    CHECK(first != NULL && strstr(first + 1, "\"conc-same\"") == NULL, "one conc-same: %s",
          box.json);

    for (int i = 0; i < N; i++) {
        stop_ok(d, jobs[i].id);
    }
    stop_ok(d, "conc-same");
    api->destroy(d);

    /* Many streams at once. */
    d = create_ok(h, "{\"logIntervalMs\":5,\"logLines\":50}");
    start_ok(d, "many");
    enum { STREAMS = 64 };
    for (uint64_t i = 0; i < STREAMS; i++) {
        open_logs(d, 100 + i, i % 2 ? "{\"sessionId\":\"many\",\"follow\":true}"
                                    : "{\"sessionId\":\"many\"}");
    }
    /* Plain streams end by themselves; followers get past the backlog; then cancel all (the
     * cancels of ended streams are ignored). Generous timeouts: valgrind is slow. */
    for (uint64_t i = 0; i < STREAMS; i++) {
        if (i % 2 == 0) {
            wait_end(h, 100 + i, 20000);
        } else {
            wait_writes(h, 100 + i, 50, 20000);
        }
    }
    for (uint64_t i = 0; i < STREAMS; i++) {
        api->cancel_logs(d, 100 + i);
    }
    bool all = true;
    for (uint64_t i = 0; i < STREAMS; i++) {
        all = all && wait_end(h, 100 + i, 2000);
        stream_record s = stream_get(h, 100 + i);
        CHECK(s.ends == 1 && !s.write_after_end && s.writes >= (i % 2 ? 50 : 0),
              "stream %llu: %d ends %d writes", (unsigned long long)(100 + i), s.ends, s.writes);
        if (i % 2 == 0) {
            /* 50 at start, plus what the followers made before it opened. */
            CHECK(s.writes >= 50 && s.end_status == SSD_OK, "plain stream %llu: %d writes, %d",
                  (unsigned long long)i, s.writes, s.end_status);
        } else {
            CHECK(s.end_status == SSD_CANCELLED, "follow stream %llu", (unsigned long long)i);
        }
    }
    CHECK(all, "all streams ended");
    stop_ok(d, "many");
    api->destroy(d);
}

/* --- mini_json on its own --------------------------------------------------------------- */

static bool parses(const char *text, size_t len) {
    mj_value *v = mj_parse(text, len, NULL, 0);
    mj_free(v);
    return v != NULL;
}

#define PARSES(literal) parses(literal, sizeof literal - 1)

static void test_mini_json(void) {
    current_test = "mini_json";
    /* Valid documents. */
    CHECK(PARSES("{}") && PARSES(" [ ] ") && PARSES("null") && PARSES("\"\"") && PARSES("-0") &&
              PARSES("0.5e-3") && PARSES("1E+2") && PARSES("\"\xe2\x82\xac\"") &&
              PARSES("\"\\u20ac\\ud83d\\ude00\""),
          "valid documents");
    /* Invalid ones. */
    CHECK(!PARSES("") && !PARSES("01") && !PARSES("1.") && !PARSES(".5") && !PARSES("+1") &&
              !PARSES("tru") && !PARSES("[1,]") && !PARSES("{\"a\":1,}") && !PARSES("[1] 2") &&
              !PARSES("1e400") && !PARSES("\"a\nb\"") && !PARSES("\"\\x\"") &&
              !PARSES("\"\\udc00\"") && !PARSES("\"\\ud800x\"") &&
              !PARSES("\"\\ud800\\u0041\"") && !PARSES("\"\xc0\xaf\"") &&
              !PARSES("\"\xed\xa0\x80\"") && !PARSES("\"\xf4\x90\x80\x80\"") &&
              !PARSES("\"\xe2\x82\"") && !PARSES("\"abc") && !PARSES("{\"a\" 1}") &&
              !PARSES("{\"a\":1,\"a\":2}") && !PARSES("/* c */ 1") && !PARSES("[1 2]"),
          "invalid documents");
    CHECK(!parses("1\0", 2) && parses("\"\\u0000\"", 8), "NUL handling");

    /* Nesting limit. */
    char deep[2 * MJ_MAX_DEPTH + 4];
    memset(deep, '[', MJ_MAX_DEPTH);
    memset(deep + MJ_MAX_DEPTH, ']', MJ_MAX_DEPTH);
    CHECK(parses(deep, 2 * MJ_MAX_DEPTH), "depth %d", MJ_MAX_DEPTH);
    memset(deep, '[', MJ_MAX_DEPTH + 1);
    memset(deep + MJ_MAX_DEPTH + 1, ']', MJ_MAX_DEPTH + 1);
    CHECK(!parses(deep, 2 * MJ_MAX_DEPTH + 2), "depth %d", MJ_MAX_DEPTH + 1);

    /* Numbers. */
    const char *numbers = "[9223372036854775807,-9223372036854775808,9223372036854775808,"
                          "0.1,1e2,123456789012345678901234,-0.000125]";
    mj_value *v = mj_parse(numbers, strlen(numbers), NULL, 0);
    CHECK(v != NULL && v->as.array.count == 7, "numbers parsed");
    if (v != NULL && v->as.array.count == 7) {
        mj_value *n = v->as.array.items;
        CHECK(n[0].as.number.is_integer && n[0].as.number.integer == INT64_MAX, "int64 max");
        CHECK(n[1].as.number.is_integer && n[1].as.number.integer == INT64_MIN, "int64 min");
        CHECK(!n[2].as.number.is_integer && n[2].as.number.value == 9223372036854775808.0,
              "beyond int64");
        CHECK(!n[3].as.number.is_integer && n[3].as.number.value == 0.1, "0.1");
        CHECK(!n[4].as.number.is_integer && n[4].as.number.value == 100, "1e2 is not an integer");
        CHECK(n[5].as.number.value > 1.2345678901234e23 && n[5].as.number.value < 1.2345678901235e23,
              "long");
        CHECK(n[6].as.number.value == -0.000125, "-0.000125");
    }
    mj_free(v);

    /* Error message names the byte. */
    char problem[128];
    CHECK(mj_parse("{\"a\" 1}", 7, problem, sizeof problem) == NULL &&
              strcmp(problem, "invalid JSON at byte 5: expected ':'") == 0,
          "message: %s", problem);

    /* Writer. */
    mj_writer w;
    mj_writer_init(&w);
    mj_object_begin(&w);
    mj_member_cstring(&w, "s", "q\"b\\c\x01\x1f\x7f\t\xe2\x82\xac\xff");
    mj_key(&w, "a");
    mj_array_begin(&w);
    mj_double(&w, 0.1);
    mj_double(&w, 0.25);
    mj_double(&w, 4);
    mj_double(&w, 1e21);
    mj_double(&w, NAN);
    mj_int(&w, INT64_MIN);
    mj_array_begin(&w);
    mj_array_end(&w);
    mj_object_begin(&w);
    mj_object_end(&w);
    mj_bool(&w, false);
    mj_null(&w);
    mj_array_end(&w);
    mj_object_end(&w);
    const char *want = "{\"s\":\"q\\\"b\\\\c\\u0001\\u001f\x7f\\t\xe2\x82\xac\\ufffd\","
                       "\"a\":[0.1,0.25,4,1e+21,null,-9223372036854775808,[],{},false,null]}";
    CHECK(!w.failed && strcmp(w.data, want) == 0, "writer: %s", w.data);
    CHECK(parses(w.data, w.len), "writer output parses");
    mj_writer_free(&w);
}

/* ------------------------------------------------------------------------------------------ */

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "/tmp/mock.so";
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        printf("dlopen %s: %s\n", path, dlerror());
        return 2;
    }
    ssd_entry_v1_fn entry;
    *(void **)&entry = dlsym(handle, SSD_ENTRY_SYMBOL_V1);
    if (entry == NULL) {
        printf("dlsym %s: %s\n", SSD_ENTRY_SYMBOL_V1, dlerror());
        return 2;
    }

    test_mini_json();
    test_negotiation(entry);
    if (api == NULL) {
        printf("0 passed, %d failed\n", failed);
        return 1;
    }
    fake_host *h = host_new();
    test_config(h);
    test_describe_health(h);
    test_lifecycle(h);
    test_invalid(h);
    test_failures(h);
    test_json_escaping(h);
    test_logs_tail(h);
    test_logs_batched(h);
    test_logs_follow(h);
    test_logs_pause(h);
    test_crash(h);
    test_destroy_with_open_stream(h);
    test_concurrency(h);

    /* Every test stopped its sessions. */
    current_test = "cleanup";
    ssd_driver *d = create_ok(h, "{}");
    reply_box box;
    call0(d, api->list_sessions, &box);
    CHECK(strcmp(box.json, "{\"sessions\":[]}") == 0, "left over: %s", box.json);
    api->destroy(d);
    host_free(h);

    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
