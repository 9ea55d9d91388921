/*
 * mock_validate.c — checks what the host sends before anything touches the platform (R7):
 * session ids, SessionSpec, StopRequest and LogRequest. Each failure names the field and the
 * problem, e.g. "mock: spec.template.ports[1].port must be an integer from 1 to 65535".
 * Fields the mock does not know are ignored (readers ignore unknown JSON fields); a known field
 * that is JSON null counts as absent.
 */
#define _POSIX_C_SOURCE 200809L

#include "mock_platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GIB (INT64_C(1) << 30)
#define DAY_MS INT64_C(86400000)

/* ------------------------------------------------------------------------------------------ */
/* Session ids: ^[a-z0-9]([a-z0-9._-]{0,98}[a-z0-9])?$                                         */
/* ------------------------------------------------------------------------------------------ */

static bool is_lower_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool mock_parse_session_id(const char *id, size_t len, char out[MOCK_ID_MAX + 1],
                           mock_error *err) {
    if (id == NULL || len == 0) {
        return mock_fail(err, SSD_INVALID_ARGUMENT, "session id is empty");
    }
    if (len > MOCK_ID_MAX) {
        return mock_fail(err, SSD_INVALID_ARGUMENT,
                         "session id is %zu bytes long; at most %d are allowed", len, MOCK_ID_MAX);
    }
    for (size_t i = 0; i < len; i++) {
        char c = id[i];
        if (!is_lower_alnum(c) && c != '.' && c != '_' && c != '-') {
            return mock_fail(err, SSD_INVALID_ARGUMENT,
                             "session id has a character that is not allowed at position %zu "
                             "(allowed: a-z, 0-9, '.', '_', '-')",
                             i + 1);
        }
    }
    if (!is_lower_alnum(id[0]) || !is_lower_alnum(id[len - 1])) {
        return mock_fail(err, SSD_INVALID_ARGUMENT,
                         "session id must start and end with a lowercase letter or a digit");
    }
    memcpy(out, id, len);
    out[len] = '\0';
    return true;
}

/* ------------------------------------------------------------------------------------------ */
/* Field helpers. `path` names the field in messages ("spec.template.image").                  */
/* ------------------------------------------------------------------------------------------ */

/* The member `key`, or NULL when it is absent or null. */
static const mj_value *field(const mj_value *object, const char *key) {
    const mj_value *v = mj_get(object, key);
    return v != NULL && v->type != MJ_NULL ? v : NULL;
}

static bool check_object(const mj_value *v, const char *path, mock_error *err) {
    if (v->type != MJ_OBJECT) {
        return mock_fail(err, SSD_INVALID_ARGUMENT, "%s must be an object, not %s", path,
                         mj_type_name(v->type));
    }
    return true;
}

/* True when the UTF-8 text holds a control character: C0 (tab only where allowed), DEL, C1
 * (U+0080-U+009F) or a Unicode line or paragraph separator (U+2028, U+2029). A newline or an
 * ESC in a name or a value could start a new log line, header or shell command downstream. */
static bool has_control_characters(const char *text, size_t len, bool allow_tab) {
    const unsigned char *b = (const unsigned char *)text;
    for (size_t i = 0; i < len; i++) {
        if ((b[i] < 0x20 && !(allow_tab && b[i] == '\t')) || b[i] == 0x7F) {
            return true;
        }
        if (b[i] == 0xC2 && i + 1 < len && b[i + 1] >= 0x80 && b[i + 1] <= 0x9F) {
            return true;
        }
        if (b[i] == 0xE2 && i + 2 < len && b[i + 1] == 0x80 && (b[i + 2] == 0xA8 || b[i + 2] == 0xA9)) {
            return true;
        }
    }
    return false;
}

static bool check_text(const mj_value *v, const char *path, bool non_empty, bool allow_tab,
                       mock_error *err) {
    if (v == NULL || v->type != MJ_STRING || !mj_string_is_plain(v) ||
        (non_empty && v->as.string.len == 0)) {
        return mock_fail(err, SSD_INVALID_ARGUMENT, "%s must be a%s string", path,
                         non_empty ? " non-empty" : "");
    }
    if (has_control_characters(v->as.string.chars, v->as.string.len, allow_tab)) {
        return mock_fail(err, SSD_INVALID_ARGUMENT, "%s contains control characters", path);
    }
    return true;
}

static bool check_string(const mj_value *v, const char *path, bool non_empty, mock_error *err) {
    return check_text(v, path, non_empty, false, err);
}

static bool check_int(const mj_value *v, const char *path, int64_t min, int64_t max,
                      mock_error *err) {
    if (v->type != MJ_NUMBER || !v->as.number.is_integer || v->as.number.integer < min ||
        v->as.number.integer > max) {
        return mock_fail(err, SSD_INVALID_ARGUMENT, "%s must be an integer from %lld to %lld",
                         path, (long long)min, (long long)max);
    }
    return true;
}

static bool check_bool(const mj_value *v, const char *path, mock_error *err) {
    if (v->type != MJ_BOOL) {
        return mock_fail(err, SSD_INVALID_ARGUMENT, "%s must be a boolean, not %s", path,
                         mj_type_name(v->type));
    }
    return true;
}

static bool string_is(const mj_value *v, const char *word) {
    return v->type == MJ_STRING && v->as.string.len == strlen(word) &&
           memcmp(v->as.string.chars, word, v->as.string.len) == 0;
}

/* An object whose members are all strings without control characters (env, labels); env
 * values may hold tabs. */
static bool check_string_map(const mj_value *v, const char *path, bool allow_tab, mock_error *err) {
    if (!check_object(v, path, err)) {
        return false;
    }
    for (size_t i = 0; i < v->as.object.count; i++) {
        const mj_member *m = &v->as.object.members[i];
        if (m->value.type != MJ_STRING) {
            return mock_fail(err, SSD_INVALID_ARGUMENT, "%s.%.100s must be a string, not %s",
                             path, m->key, mj_type_name(m->value.type));
        }
        if (has_control_characters(m->key, strlen(m->key), false) ||
            memchr(m->value.as.string.chars, '\0', m->value.as.string.len) != NULL ||
            has_control_characters(m->value.as.string.chars, m->value.as.string.len, allow_tab)) {
            return mock_fail(err, SSD_INVALID_ARGUMENT, "%s: a name or value contains control characters", path);
        }
    }
    return true;
}

/* Parses a JSON request and checks it is an object. `what` names it in messages. */
static mj_value *parse_object(const char *json, size_t len, const char *what, mock_error *err) {
    char problem[128];
    mj_value *root = mj_parse(json, len, problem, sizeof problem);
    if (root == NULL) {
        if (problem[0] == '\0') {
            mock_fail(err, SSD_INTERNAL, "out of memory");
        } else {
            mock_fail(err, SSD_INVALID_ARGUMENT, "%s: %s", what, problem);
        }
        return NULL;
    }
    if (root->type != MJ_OBJECT) {
        mock_fail(err, SSD_INVALID_ARGUMENT, "%s must be a JSON object", what);
        mj_free(root);
        return NULL;
    }
    return root;
}

static bool check_session_id_field(const mj_value *v, const char *path, char out[MOCK_ID_MAX + 1],
                                   mock_error *err) {
    if (v == NULL || v->type != MJ_STRING) {
        return mock_fail(err, SSD_INVALID_ARGUMENT, "%s must be a string (the session id)", path);
    }
    return mock_parse_session_id(v->as.string.chars, v->as.string.len, out, err);
}

/* ------------------------------------------------------------------------------------------ */
/* SessionSpec                                                                                 */
/* ------------------------------------------------------------------------------------------ */

static bool check_ports(const mj_value *ports, mock_session *session, mock_error *err) {
    char path[64];
    if (ports->type != MJ_ARRAY) {
        return mock_fail(err, SSD_INVALID_ARGUMENT, "spec.template.ports must be an array");
    }
    session->ports = calloc(ports->as.array.count + 1, sizeof *session->ports);
    if (session->ports == NULL) {
        return mock_fail(err, SSD_INTERNAL, "out of memory");
    }
    for (size_t i = 0; i < ports->as.array.count; i++) {
        const mj_value *port = &ports->as.array.items[i];
        snprintf(path, sizeof path, "spec.template.ports[%zu]", i);
        if (!check_object(port, path, err)) {
            return false;
        }
        snprintf(path, sizeof path, "spec.template.ports[%zu].name", i);
        const mj_value *name = field(port, "name");
        if (!check_string(name, path, true, err)) {
            return false;
        }
        snprintf(path, sizeof path, "spec.template.ports[%zu].port", i);
        const mj_value *number = field(port, "port");
        if (number == NULL) {
            return mock_fail(err, SSD_INVALID_ARGUMENT, "%s is required", path);
        }
        if (!check_int(number, path, 1, 65535, err)) {
            return false;
        }
        const mj_value *protocol = field(port, "protocol");
        if (protocol != NULL && !string_is(protocol, "tcp") && !string_is(protocol, "udp")) {
            return mock_fail(err, SSD_INVALID_ARGUMENT,
                             "spec.template.ports[%zu].protocol must be \"tcp\" or \"udp\"", i);
        }
        mock_port *p = &session->ports[session->port_count++];
        p->port = number->as.number.integer;
        p->name = strdup(name->as.string.chars);
        if (p->name == NULL) {
            return mock_fail(err, SSD_INTERNAL, "out of memory");
        }
    }
    return true;
}

static bool check_volume_mounts(const mj_value *mounts, mock_error *err) {
    char path[64];
    if (mounts->type != MJ_ARRAY) {
        return mock_fail(err, SSD_INVALID_ARGUMENT, "spec.template.volumeMounts must be an array");
    }
    for (size_t i = 0; i < mounts->as.array.count; i++) {
        const mj_value *mount = &mounts->as.array.items[i];
        snprintf(path, sizeof path, "spec.template.volumeMounts[%zu]", i);
        if (!check_object(mount, path, err)) {
            return false;
        }
        snprintf(path, sizeof path, "spec.template.volumeMounts[%zu].name", i);
        if (!check_string(field(mount, "name"), path, true, err)) {
            return false;
        }
        const mj_value *mount_path = field(mount, "mountPath");
        if (mount_path == NULL || mount_path->type != MJ_STRING || !mj_string_is_plain(mount_path) ||
            mount_path->as.string.chars[0] != '/') {
            return mock_fail(err, SSD_INVALID_ARGUMENT,
                             "spec.template.volumeMounts[%zu].mountPath must be an absolute "
                             "path (starting with '/')",
                             i);
        }
    }
    return true;
}

static bool check_template(const mj_value *tmpl, mock_session *session, mock_error *err) {
    const mj_value *v;
    if (tmpl == NULL) {
        return mock_fail(err, SSD_INVALID_ARGUMENT, "spec.template is required");
    }
    if (!check_object(tmpl, "spec.template", err)) {
        return false;
    }
    const mj_value *image = field(tmpl, "image");
    if (!check_string(image, "spec.template.image", true, err)) {
        return false;
    }
    if ((v = field(tmpl, "name")) != NULL && !check_string(v, "spec.template.name", false, err)) {
        return false;
    }
    if ((v = field(tmpl, "env")) != NULL && !check_string_map(v, "spec.template.env", true, err)) {
        return false;
    }
    if ((v = field(tmpl, "volumeMounts")) != NULL && !check_volume_mounts(v, err)) {
        return false;
    }
    if ((v = field(tmpl, "ports")) != NULL && !check_ports(v, session, err)) {
        return false;
    }
    session->image = strdup(image->as.string.chars);
    return session->image != NULL || mock_fail(err, SSD_INTERNAL, "out of memory");
}

static bool check_resources(const mj_value *resources, mock_session *session, mock_error *err) {
    const mj_value *v;
    if (!check_object(resources, "spec.resources", err)) {
        return false;
    }
    if ((v = field(resources, "cpu")) != NULL && !check_string(v, "spec.resources.cpu", true, err)) {
        return false;
    }
    if ((v = field(resources, "memory")) != NULL &&
        !check_string(v, "spec.resources.memory", true, err)) {
        return false;
    }
    if ((v = field(resources, "cpuMillicores")) != NULL &&
        !check_int(v, "spec.resources.cpuMillicores", 0, INT64_MAX, err)) {
        return false;
    }
    if ((v = field(resources, "memoryBytes")) != NULL) {
        if (!check_int(v, "spec.resources.memoryBytes", 0, INT64_MAX, err)) {
            return false;
        }
        session->memory_bytes = v->as.number.integer;
    }
    return true;
}

/* The test hook: "mock.crashAfterMs": "<n>" makes the session fail n ms after it runs. */
static bool check_labels(const mj_value *labels, int64_t *crash_after_ms, mock_error *err) {
    if (!check_string_map(labels, "spec.labels", false, err)) {
        return false;
    }
    const mj_value *crash = mj_get(labels, "mock.crashAfterMs");
    if (crash != NULL) {
        int64_t ms = 0;
        size_t n = crash->as.string.len;
        bool ok = n >= 1 && n <= 9;
        for (size_t i = 0; ok && i < n; i++) {
            char c = crash->as.string.chars[i];
            ok = c >= '0' && c <= '9';
            ms = ms * 10 + (c - '0');
        }
        if (!ok || ms > DAY_MS) {
            return mock_fail(err, SSD_INVALID_ARGUMENT,
                             "label mock.crashAfterMs must be a whole number of milliseconds "
                             "from 0 to %lld, written as a string",
                             (long long)DAY_MS);
        }
        *crash_after_ms = ms;
    }
    return true;
}

static bool check_spec(const mj_value *spec, mock_session *session, int64_t *crash_after_ms,
                       mock_error *err) {
    const mj_value *v;
    if (!check_session_id_field(field(spec, "id"), "spec.id", session->id, err)) {
        return false;
    }
    const mj_value *user = field(spec, "user");
    if (!check_string(user, "spec.user", true, err)) {
        return false;
    }
    if (!check_template(field(spec, "template"), session, err)) {
        return false;
    }
    if ((v = field(spec, "resources")) != NULL && !check_resources(v, session, err)) {
        return false;
    }
    if ((v = field(spec, "persistentHome")) != NULL && !check_bool(v, "spec.persistentHome", err)) {
        return false;
    }
    if ((v = field(spec, "labels")) != NULL && !check_labels(v, crash_after_ms, err)) {
        return false;
    }
    session->user = strdup(user->as.string.chars);
    return session->user != NULL || mock_fail(err, SSD_INTERNAL, "out of memory");
}

bool mock_parse_spec(const char *json, size_t len, const mock_config *config,
                     mock_session **out, int64_t *crash_after_ms, mock_error *err) {
    *out = NULL;
    *crash_after_ms = -1;
    mj_value *spec = parse_object(json, len, "spec", err);
    if (spec == NULL) {
        return false;
    }
    mock_session *session = calloc(1, sizeof *session);
    if (session == NULL) {
        mj_free(spec);
        return mock_fail(err, SSD_INTERNAL, "out of memory");
    }
    session->state = MOCK_STATE_STARTING;
    session->memory_bytes = 2 * GIB;
    session->initial_lines = config->log_lines;
    session->log_interval_ms = config->log_interval_ms;

    bool ok = check_spec(spec, session, crash_after_ms, err);
    mj_free(spec);
    if (ok) {
        session->public_host = strdup(config->public_host);
        ok = session->public_host != NULL || mock_fail(err, SSD_INTERNAL, "out of memory");
    }
    if (!ok) {
        mock_session_free(session);
        return false;
    }
    *out = session;
    return true;
}

/* ------------------------------------------------------------------------------------------ */
/* StopRequest and LogRequest                                                                  */
/* ------------------------------------------------------------------------------------------ */

bool mock_parse_stop_request(const char *json, size_t len, char id[MOCK_ID_MAX + 1],
                             mock_error *err) {
    mj_value *request = parse_object(json, len, "stop request", err);
    if (request == NULL) {
        return false;
    }
    const mj_value *v;
    bool ok = check_session_id_field(field(request, "sessionId"), "sessionId", id, err) &&
              ((v = field(request, "deleteVolumes")) == NULL || check_bool(v, "deleteVolumes", err));
    mj_free(request);
    return ok;
}

bool mock_parse_log_request(const char *json, size_t len, mock_log_request *request,
                            mock_error *err) {
    memset(request, 0, sizeof *request);
    request->tail_lines = -1;
    mj_value *root = parse_object(json, len, "log request", err);
    if (root == NULL) {
        return false;
    }
    const mj_value *v;
    bool ok = check_session_id_field(field(root, "sessionId"), "sessionId", request->session_id,
                                     err);
    if (ok && (v = field(root, "follow")) != NULL) {
        ok = check_bool(v, "follow", err);
        request->follow = ok && v->as.boolean;
    }
    if (ok && (v = field(root, "tailLines")) != NULL) {
        ok = check_int(v, "tailLines", 0, INT64_MAX, err);
        request->tail_lines = ok ? v->as.number.integer : -1;
    }
    if (ok && (v = field(root, "sinceTime")) != NULL) {
        ok = (v->type == MJ_STRING &&
              mock_parse_rfc3339(v->as.string.chars, v->as.string.len, &request->since_ms)) ||
             mock_fail(err, SSD_INVALID_ARGUMENT,
                       "sinceTime must be an RFC 3339 date-time such as \"2025-01-01T00:00:00Z\"");
        request->has_since = ok;
    }
    mj_free(root);
    return ok;
}
