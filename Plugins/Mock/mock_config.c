/*
 * mock_config.c — the instance's config, a JSON object given to create (the operator's
 * --driver-config). Every key is optional; an unknown key or a wrong type is an
 * SSD_INVALID_ARGUMENT, so that a typo is never silently ignored. README.md lists the keys.
 */
#define _POSIX_C_SOURCE 200809L

#include "mock_driver.h"

#include <stdlib.h>
#include <string.h>

const char *const mock_op_names[MOCK_OP_COUNT] = {
    [MOCK_OP_START] = "start",
    [MOCK_OP_STOP] = "stop",
    [MOCK_OP_HIBERNATE] = "hibernate",
    [MOCK_OP_WAKE] = "wake",
    [MOCK_OP_GET] = "get",
    [MOCK_OP_LIST] = "list",
    [MOCK_OP_HEALTH] = "health",
    [MOCK_OP_NODE_METRICS] = "nodeMetrics",
    [MOCK_OP_SESSION_METRICS] = "sessionMetrics",
};

#define DAY_MS INT64_C(86400000)
#define GIB (INT64_C(1) << 30)

static void set_defaults(mock_config *config) {
    memset(config, 0, sizeof *config);
    config->hibernate = MOCK_HIBERNATE_DISK;
    config->health = "healthy";
    config->log_lines = 20;
    config->log_interval_ms = 100;
    config->node_cpu_cores = 4;
    config->node_memory_bytes = 8 * GIB;
    config->node_disk_bytes = 100 * GIB;
    config->events = true;
    /* fail[] is all SSD_OK (0): nothing fails. */
}

/* --- typed readers: `name` is the key as the operator wrote it, for the message ----------- */

static bool read_int(const mj_value *v, const char *name, int64_t min, int64_t max, int64_t *out,
                     mock_error *err) {
    if (v->type != MJ_NUMBER || !v->as.number.is_integer || v->as.number.integer < min ||
        v->as.number.integer > max) {
        return mock_fail(err, SSD_INVALID_ARGUMENT,
                         "config key \"%s\" must be an integer from %lld to %lld", name,
                         (long long)min, (long long)max);
    }
    *out = v->as.number.integer;
    return true;
}

static bool read_bool(const mj_value *v, const char *name, bool *out, mock_error *err) {
    if (v->type != MJ_BOOL) {
        return mock_fail(err, SSD_INVALID_ARGUMENT, "config key \"%s\" must be a boolean, not %s",
                         name, mj_type_name(v->type));
    }
    *out = v->as.boolean;
    return true;
}

/* A string the mock keeps: no NUL inside, at most `max_len` bytes, copied into *out. */
static bool read_string(const mj_value *v, const char *name, size_t min_len, size_t max_len,
                        char **out, mock_error *err) {
    if (v->type != MJ_STRING || !mj_string_is_plain(v) || v->as.string.len < min_len ||
        v->as.string.len > max_len) {
        return mock_fail(err, SSD_INVALID_ARGUMENT,
                         "config key \"%s\" must be a string of %zu to %zu bytes", name, min_len,
                         max_len);
    }
    char *copy = strdup(v->as.string.chars);
    if (copy == NULL) {
        return mock_fail(err, SSD_INTERNAL, "out of memory");
    }
    free(*out);
    *out = copy;
    return true;
}

/* One of three words; *index receives its position. */
static bool read_choice(const mj_value *v, const char *name, const char *const choices[3],
                        size_t *index, mock_error *err) {
    for (size_t i = 0; i < 3 && v->type == MJ_STRING; i++) {
        if (strlen(choices[i]) == v->as.string.len &&
            memcmp(choices[i], v->as.string.chars, v->as.string.len) == 0) {
            *index = i;
            return true;
        }
    }
    return mock_fail(err, SSD_INVALID_ARGUMENT,
                     "config key \"%s\" must be \"%s\", \"%s\" or \"%s\"", name, choices[0],
                     choices[1], choices[2]);
}

static bool unknown_key(const mj_member *m, const char *prefix, mock_error *err) {
    return mock_fail(err, SSD_INVALID_ARGUMENT, "unknown config key \"%s%.100s\"", prefix, m->key);
}

static bool key_is(const mj_member *m, const char *key) {
    return strlen(key) == m->key_len && memcmp(key, m->key, m->key_len) == 0;
}

/* --- composite keys ---------------------------------------------------------------------- */

/* "fail": {"start": "UNAVAILABLE", ...} */
static bool read_fail(const mj_value *v, mock_config *config, mock_error *err) {
    if (v->type != MJ_OBJECT) {
        return mock_fail(err, SSD_INVALID_ARGUMENT,
                         "config key \"fail\" must be an object of operation: status code name");
    }
    for (size_t i = 0; i < v->as.object.count; i++) {
        const mj_member *m = &v->as.object.members[i];
        size_t op = MOCK_OP_COUNT;
        for (size_t k = 0; k < MOCK_OP_COUNT; k++) {
            if (key_is(m, mock_op_names[k])) {
                op = k;
            }
        }
        if (op == MOCK_OP_COUNT) {
            return unknown_key(m, "fail.", err);
        }
        ssd_status code;
        if (m->value.type != MJ_STRING ||
            !mock_status_from_name(m->value.as.string.chars, m->value.as.string.len, &code) ||
            code == SSD_OK) {
            return mock_fail(err, SSD_INVALID_ARGUMENT,
                             "config key \"fail.%s\" must be an error code name such as "
                             "\"UNAVAILABLE\" or \"INTERNAL\"",
                             mock_op_names[op]);
        }
        config->fail[op] = code;
    }
    return true;
}

/* "node": {"cpuCores": 4, "memoryBytes": ..., "diskBytes": ...} */
static bool read_node(const mj_value *v, mock_config *config, mock_error *err) {
    if (v->type != MJ_OBJECT) {
        return mock_fail(err, SSD_INVALID_ARGUMENT, "config key \"node\" must be an object");
    }
    for (size_t i = 0; i < v->as.object.count; i++) {
        const mj_member *m = &v->as.object.members[i];
        bool ok;
        if (key_is(m, "cpuCores")) {
            ok = m->value.type == MJ_NUMBER && m->value.as.number.value >= 0 &&
                 m->value.as.number.value <= 1e6;
            if (!ok) {
                return mock_fail(err, SSD_INVALID_ARGUMENT,
                                 "config key \"node.cpuCores\" must be a number from 0 to 1000000");
            }
            config->node_cpu_cores = m->value.as.number.value;
        } else if (key_is(m, "memoryBytes")) {
            ok = read_int(&m->value, "node.memoryBytes", 0, INT64_MAX, &config->node_memory_bytes,
                          err);
        } else if (key_is(m, "diskBytes")) {
            ok = read_int(&m->value, "node.diskBytes", 0, INT64_MAX, &config->node_disk_bytes,
                          err);
        } else {
            return unknown_key(m, "node.", err);
        }
        if (!ok) {
            return false;
        }
    }
    return true;
}

/* --- the config object ------------------------------------------------------------------- */

static bool read_member(const mj_member *m, mock_config *config, mock_error *err) {
    static const char *const hibernate_kinds[] = {"disk", "memory", "none"};
    static const char *const health_states[] = {"healthy", "degraded", "unhealthy"};
    const mj_value *v = &m->value;
    size_t choice;

    if (key_is(m, "startDelayMs")) {
        return read_int(v, "startDelayMs", 0, DAY_MS, &config->start_delay_ms, err);
    } else if (key_is(m, "stopDelayMs")) {
        return read_int(v, "stopDelayMs", 0, DAY_MS, &config->stop_delay_ms, err);
    } else if (key_is(m, "hibernateDelayMs")) {
        return read_int(v, "hibernateDelayMs", 0, DAY_MS, &config->hibernate_delay_ms, err);
    } else if (key_is(m, "wakeDelayMs")) {
        return read_int(v, "wakeDelayMs", 0, DAY_MS, &config->wake_delay_ms, err);
    } else if (key_is(m, "hibernate")) {
        if (!read_choice(v, "hibernate", hibernate_kinds, &choice, err)) {
            return false;
        }
        /* The array order matches mock_hibernate_kind. */
        config->hibernate = (mock_hibernate_kind)choice;
        return true;
    } else if (key_is(m, "fail")) {
        return read_fail(v, config, err);
    } else if (key_is(m, "health")) {
        if (!read_choice(v, "health", health_states, &choice, err)) {
            return false;
        }
        config->health = health_states[choice];
        return true;
    } else if (key_is(m, "healthDetail")) {
        return read_string(v, "healthDetail", 0, 1024, &config->health_detail, err);
    } else if (key_is(m, "maxSessions")) {
        return read_int(v, "maxSessions", 0, 1000000, &config->max_sessions, err);
    } else if (key_is(m, "publicHost")) {
        return read_string(v, "publicHost", 1, 255, &config->public_host, err);
    } else if (key_is(m, "logLines")) {
        return read_int(v, "logLines", 0, 1000000, &config->log_lines, err);
    } else if (key_is(m, "logIntervalMs")) {
        return read_int(v, "logIntervalMs", 1, DAY_MS, &config->log_interval_ms, err);
    } else if (key_is(m, "logWriteBytes")) {
        return read_int(v, "logWriteBytes", 0, 1 << 20, &config->log_write_bytes, err);
    } else if (key_is(m, "node")) {
        return read_node(v, config, err);
    } else if (key_is(m, "events")) {
        return read_bool(v, "events", &config->events, err);
    } else if (key_is(m, "nonblockingCalls")) {
        config->nonblocking_calls_set = true;
        return read_bool(v, "nonblockingCalls", &config->nonblocking_calls, err);
    }
    return unknown_key(m, "", err);
}

bool mock_config_parse(const char *json, size_t len, mock_config *config, mock_error *err) {
    char problem[128];
    set_defaults(config);

    /* No config at all is the same as "{}". */
    mj_value *root = len == 0 ? NULL : mj_parse(json, len, problem, sizeof problem);
    if (len != 0 && root == NULL) {
        return problem[0] == '\0' ? mock_fail(err, SSD_INTERNAL, "out of memory")
                                  : mock_fail(err, SSD_INVALID_ARGUMENT, "config: %s", problem);
    }
    if (root != NULL && root->type != MJ_OBJECT) {
        mj_free(root);
        return mock_fail(err, SSD_INVALID_ARGUMENT, "config must be a JSON object");
    }
    bool ok = true;
    for (size_t i = 0; root != NULL && ok && i < root->as.object.count; i++) {
        ok = read_member(&root->as.object.members[i], config, err);
    }
    mj_free(root);

    if (ok && config->public_host == NULL) {
        config->public_host = strdup("127.0.0.1");
        ok = config->public_host != NULL || mock_fail(err, SSD_INTERNAL, "out of memory");
    }
    if (ok && config->health_detail == NULL) {
        config->health_detail = strdup("in-memory mock platform");
        ok = config->health_detail != NULL || mock_fail(err, SSD_INTERNAL, "out of memory");
    }
    if (!ok) {
        mock_config_free(config);
    }
    return ok;
}

void mock_config_free(mock_config *config) {
    free(config->public_host);
    free(config->health_detail);
    config->public_host = NULL;
    config->health_detail = NULL;
}

ssd_capabilities mock_config_capabilities(const mock_config *config) {
    ssd_capabilities caps = SSD_CAP_NODE_METRICS | SSD_CAP_SESSION_METRICS | SSD_CAP_LOGS |
                            SSD_CAP_LOGS_FOLLOW;
    if (config->hibernate == MOCK_HIBERNATE_DISK) {
        caps |= SSD_CAP_HIBERNATE_DISK;
    } else if (config->hibernate == MOCK_HIBERNATE_MEMORY) {
        caps |= SSD_CAP_HIBERNATE_MEMORY;
    }
    if (config->events) {
        caps |= SSD_CAP_SESSION_EVENTS;
    }
    bool sleeps = config->start_delay_ms > 0 || config->stop_delay_ms > 0 || config->hibernate_delay_ms > 0 ||
                  config->wake_delay_ms > 0;
    if (config->nonblocking_calls_set ? config->nonblocking_calls : !sleeps) {
        caps |= SSD_CAP_NONBLOCKING_CALLS;
    }
    return caps;
}
