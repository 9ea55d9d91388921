/*
 * streamspace_driver.h — the StreamSpace agent driver ABI, version 1.
 *
 * This header is the authoritative contract between the StreamSpace agent (the "host") and a
 * platform driver (a shared object the host loads with dlopen). A driver can be written in any
 * language that can export a C function: C, C++, Swift, Rust, Zig...  Docs/driver-abi.md is the
 * vendor's guide; where the two disagree, this header wins.
 *
 * ---------------------------------------------------------------------------------------------
 * 1. SHAPE OF THE CONTRACT
 * ---------------------------------------------------------------------------------------------
 * - A driver exports exactly one symbol: `streamspace_driver_entry_v1` (SSD_ENTRY_SYMBOL_V1).
 *   The host calls it once, first, to negotiate the version and obtain the driver's function
 *   table (`ssd_driver_api`). Nothing else needs to be exported; hide everything else.
 * - Only the envelope is C: negotiation, tables, status codes, capability bits and raw log
 *   bytes. Domain objects (session spec, session status, metrics, errors, describe) cross as
 *   UTF-8 JSON, as (pointer, length) views that are NOT NUL-terminated. Their JSON Schemas are
 *   published in Docs/schemas/. Readers ignore JSON fields they do not know.
 * - Every table starts with `struct_size`. Minor versions only APPEND members at the end; a
 *   reader accepts a larger table than it knows and ignores the tail, and treats a member that
 *   lies beyond a smaller table's `struct_size` as absent (NULL). Each member says "since 1.N".
 * - Optional features are discovered through capability bits (SSD_CAP_*), never by comparing
 *   version numbers.
 *
 * ---------------------------------------------------------------------------------------------
 * 2. RULES (numbered, so that a conformance failure can name the rule it broke)
 * ---------------------------------------------------------------------------------------------
 * R1  Memory: no allocation is ever freed across the boundary. Every pointer the host passes is
 *     BORROWED for the duration of the call only; copy what you need to keep. Every pointer the
 *     driver passes to a host callback is borrowed for the duration of that callback; the host
 *     copies. (Host detects: no. Breaking it is a use-after-free.)
 * R2  Replies: every function that takes an `ssd_reply` calls `reply.fn` EXACTLY ONCE. Functions
 *     tagged [sync-reply] call it before they return; [async-reply] functions may call it before
 *     returning or later, from any thread. (Host detects a second reply and logs it as a driver
 *     bug; a missing reply leaves the operation hanging until its deadline.)
 * R3  Threads: the host never calls a [may-block] function from its network event loop; it runs
 *     them on worker threads, so they may block for as long as the platform needs. [non-blocking]
 *     functions must return in microseconds and do no I/O. An instance that declares
 *     SSD_CAP_NONBLOCKING_CALLS promises that its [may-block] functions never block either; the
 *     host then calls them from its own threads, without a worker-thread hand-off. Host callbacks (`ssd_host`,
 *     `ssd_reply`) may be called from any thread, including threads the driver created.
 * R4  Concurrency: the host issues at most ONE mutating operation (start, stop, hibernate, wake)
 *     per session id at a time; operations on different sessions, and all read operations
 *     (get, list, metrics, health, describe, logs), may run concurrently with anything. A driver
 *     must therefore be thread-safe across sessions.
 * R5  Locks: never call a host callback while holding a lock that another driver entry point
 *     may need. The host never re-enters the driver from inside a callback.
 * R6  Idempotency: the session id (chosen by the host) is the idempotency key. Start of a session
 *     that exists replies with its current status (OK, not ALREADY_EXISTS; the spec is not
 *     compared). Stop of a session that does not exist replies OK with state "terminated".
 *     Hibernate of a hibernated session and wake of a running session reply OK with the current
 *     status.
 * R7  Validation: a driver rejects what it does not understand BEFORE it touches the platform:
 *     an invalid spec or session id replies SSD_INVALID_ARGUMENT and creates nothing.
 * R8  Lifetime: `destroy` is called once, after every reply has been delivered and every log
 *     stream has ended. When `destroy` returns, no driver thread may run and no callback may
 *     follow. The host never unloads (dlclose) a driver.
 * R9  Output: a driver never writes to stdout (it belongs to the host's CLI). Diagnostics go to
 *     `ssd_host.log`. Secrets (passwords, keys, tokens) are never logged.
 * R10 Recovery: a driver keeps no state that cannot be rebuilt from the platform. After the host
 *     restarts, `list_sessions` must find every session the driver created (by labels, tags or
 *     metadata that carry the session id) and must never report resources it did not create.
 *
 * Thread/lifecycle tags used below (CLAP-style, one per function):
 *   [once]           called exactly once per loaded driver / instance, as stated
 *   [any-thread]     may be called from any host thread
 *   [may-block]      may block; the host calls it from a worker thread (R3)
 *   [non-blocking]   must not block or do I/O (R3); starting a thread is allowed
 *   [sync-reply]     calls its reply before returning (R2)
 *   [async-reply]    calls its reply exactly once, now or later, from any thread (R2)
 *
 * ---------------------------------------------------------------------------------------------
 * 3. JSON OBJECTS (full schemas in Docs/schemas/, one NAME.schema.json per object)
 * ---------------------------------------------------------------------------------------------
 * SessionSpec   {"id":"alice-firefox-1a2b3c4d","user":"alice",
 *                "template":{"name":"firefox","image":"lscr.io/linuxserver/firefox:latest",
 *                            "env":{"TZ":"UTC"},"ports":[{"name":"vnc","port":3000,"protocol":"tcp"}],
 *                            "volumeMounts":[{"name":"home","mountPath":"/config"}]},
 *                "resources":{"cpu":"1000m","memory":"2Gi","cpuMillicores":1000,
 *                             "memoryBytes":2147483648},
 *                "persistentHome":true,"labels":{"team":"qa"}}
 *               The host has validated the spec (the id, ports 1-65535 with unique lowercase
 *               names, absolute mount paths, env names) and parsed the resource quantities;
 *               cpuMillicores and memoryBytes always agree with cpu and memory. The session's id
 *               is "id" here and "sessionId" in every other object (the seed's spelling).
 *               persistentHome: mount the user's home volume (one per user and driver, named
 *               from "user", created when missing) at the template's volume mount named "home"
 *               (or /config); stop keeps it unless deleteVolumes.
 * SessionStatus {"sessionId":"…","state":"starting|running|hibernated|failed|terminated",
 *                "endpoints":[{"name":"vnc","port":3000,"url":"http://203.0.113.7:49153",
 *                              "dial":"127.0.0.1:49153"}],
 *                "platformMetadata":{"workloadName":"ss-…"},"message":"why it failed"}
 *               An endpoint with a "url" is reachable now; one without is not (yet). The host
 *               reports the endpoint named "vnc" (else the first) to the Control Plane as the
 *               session's viewer. "dial" (optional, host:port) is where the agent itself
 *               connects when that is not the url's host and port; the agent's session tunnel
 *               and VNC relay connect only there, and only while the session is running.
 *               platformMetadata "workloadName" (the container, instance, VM or pod name) is
 *               reported to the Control Plane as "podName" too, the one field it stores.
 * SessionList   {"sessions":[SessionStatus, ...]}
 * StopRequest   {"sessionId":"…","deleteVolumes":false}
 * Describe      {"name":"docker","version":"1.2.0","platform":"docker","vendor":"…",
 *                "description":"…"}       (platform: the StreamSpace platform to register as:
 *                                           kubernetes | docker | vm | cloud)
 * NodeMetrics   {"cpuCores":2,"cpuUsedCores":0.4,"memoryBytes":…,"memoryUsedBytes":…,
 *                "diskBytes":…,"diskUsedBytes":…}
 * SessionMetrics {"sessionId":"…","cpuUsedCores":0.1,"memoryBytes":…,"memoryUsedBytes":…}
 * Health        {"status":"healthy|degraded|unhealthy","detail":"docker daemon not reachable"}
 * LogRequest    {"sessionId":"…","follow":true,"tailLines":100,"sinceTime":"2025-01-01T00:00:00Z"}
 *               follow defaults to false. sinceTime filters first, then tailLines keeps the last
 *               lines of what is left (Docker's order); sinceTime also applies to followed lines.
 * Error         {"code":"UNAVAILABLE","message":"a sentence a person can act on",
 *                "retryAfterMs":5000,"detail":{...}}
 */
#ifndef STREAMSPACE_DRIVER_H
#define STREAMSPACE_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------ */
/* Versions                                                                                    */
/* ------------------------------------------------------------------------------------------ */

/** A version is (major << 16) | minor. The major is also in the entry symbol's name. */
#define SSD_MAKE_VERSION(major, minor) ((uint32_t)(((uint32_t)(major) << 16) | (uint32_t)(minor)))
#define SSD_VERSION_MAJOR(version) ((uint32_t)(version) >> 16)
#define SSD_VERSION_MINOR(version) ((uint32_t)(version) & 0xFFFFu)

/** The version this header describes. (Plain literals, so that every language's C importer
 *  sees them: 0x00010000 == SSD_MAKE_VERSION(1, 0).) */
#define SSD_ABI_VERSION_1_0 0x00010000u
#define SSD_ABI_VERSION SSD_ABI_VERSION_1_0

/** The one symbol a driver exports. A future incompatible ABI exports `..._v2` beside it. */
#define SSD_ENTRY_SYMBOL_V1 "streamspace_driver_entry_v1"

/* ------------------------------------------------------------------------------------------ */
/* Status codes: a closed set. Each says whether and how the host may retry.                   */
/* ------------------------------------------------------------------------------------------ */

typedef int32_t ssd_status;

enum {
    /** Success. */
    SSD_OK = 0,
    /** The input is invalid (spec, id, config). Never retried: the input must change. */
    SSD_INVALID_ARGUMENT = 1,
    /** The session (or other object) does not exist. Not retried. */
    SSD_NOT_FOUND = 2,
    /** A conflicting object exists that the driver does not manage. Not retried. */
    SSD_ALREADY_EXISTS = 3,
    /** The platform is not in a state that allows this (e.g. image missing). Not retried until
     *  an operator acts; the error message must say what to do. */
    SSD_FAILED_PRECONDITION = 4,
    /** The driver does not implement this operation or option. Never retried. */
    SSD_UNSUPPORTED = 5,
    /** The platform is unreachable or overloaded. Retried with backoff (see retryAfterMs). */
    SSD_UNAVAILABLE = 6,
    /** The platform did not answer in time. The outcome is UNKNOWN: the host re-reads the
     *  session with get_session before deciding anything. */
    SSD_TIMEOUT = 7,
    /** Capacity exhausted (quota, no free port, no memory). Retried later, not at once. */
    SSD_RESOURCE_EXHAUSTED = 8,
    /** The operation was cancelled by the host (log streams). Not an error of the platform. */
    SSD_CANCELLED = 9,
    /** A bug in the driver or an unexpected platform answer. Not retried. */
    SSD_INTERNAL = 10,
    /** The driver and host versions cannot work together: the entry point's answer, and
     *  create's when the ssd_host table is smaller than the driver needs. */
    SSD_INCOMPATIBLE = 11
};
/** Codes outside this range, from a future driver, are treated by the host as SSD_INTERNAL. */
#define SSD_STATUS_LAST SSD_INCOMPATIBLE

/* ------------------------------------------------------------------------------------------ */
/* Capability bits: what the driver instance provides. Constant for an instance's lifetime.    */
/* ------------------------------------------------------------------------------------------ */

typedef uint64_t ssd_capabilities;

/** Hibernate keeps the session's memory (Hyper-V Save-VM, vSphere suspend, CRIU). */
#define SSD_CAP_HIBERNATE_MEMORY 0x01ull /* 1 << 0; never together with _DISK */
/** Hibernate stops the session and keeps only its disk (container stop, scale to zero). */
#define SSD_CAP_HIBERNATE_DISK 0x02ull /* 1 << 1 */
/** node_metrics is implemented. */
#define SSD_CAP_NODE_METRICS 0x04ull /* 1 << 2 */
/** session_metrics is implemented. */
#define SSD_CAP_SESSION_METRICS 0x08ull /* 1 << 3 */
/** open_logs / cancel_logs / resume_logs are implemented (tail and since). */
#define SSD_CAP_LOGS 0x10ull /* 1 << 4 */
/** open_logs also supports "follow": true. Requires SSD_CAP_LOGS. */
#define SSD_CAP_LOGS_FOLLOW 0x20ull /* 1 << 5; only together with SSD_CAP_LOGS */
/** "persistentHome": true keeps the home volume across stop/start (unless deleteVolumes). */
#define SSD_CAP_PERSISTENT_HOME 0x40ull /* 1 << 6 */
/** The driver reports changes it observes by itself through ssd_host.session_changed. */
#define SSD_CAP_SESSION_EVENTS 0x80ull /* 1 << 7 */
/** Every [may-block] function of this instance returns within microseconds and does no I/O on
 *  the caller's thread: it replies at once, or hands the work to threads of its own and replies
 *  later ([async-reply]). The host may then call these functions from any of its threads, which
 *  saves a thread hand-off per call (R3). Declare it only if it always holds: a call that blocks
 *  stalls the host's own threads. A host that sees calls take longer than 20 ms to
 *  return logs it and goes back to worker threads for that instance. A host that does not know
 *  the bit ignores it and uses worker threads, which is always correct. */
#define SSD_CAP_NONBLOCKING_CALLS 0x100ull /* 1 << 8 */
/* Bits 9..63 are reserved; a host ignores bits it does not know. */

/** Hibernation kind is one of the two SSD_CAP_HIBERNATE_* bits, or neither ("none"). Hosts decide
 *  what to call by capability bits, never by NULL members: a driver whose instances differ (one
 *  configured without hibernation) keeps the members and replies SSD_UNSUPPORTED. A member that
 *  a declared capability needs must not be NULL (the host refuses such an instance). */

/* ------------------------------------------------------------------------------------------ */
/* Replies                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/**
 * The result of an operation, delivered exactly once (R2).
 *
 * @param ctx     the `ctx` of the ssd_reply the host passed.
 * @param status  SSD_OK or an error code.
 * @param json    on SSD_OK the operation's result object (see each operation); on error an
 *                Error object, or NULL. Borrowed for the duration of this call (R1).
 * @param len     length of `json` in bytes (0 when json is NULL).
 * [any-thread]
 */
typedef void (*ssd_reply_fn)(void *ctx, ssd_status status, const char *json, size_t len);

typedef struct ssd_reply {
    ssd_reply_fn fn;
    void *ctx; /**< Host-owned; opaque to the driver; pass it back unchanged. */
} ssd_reply;

/* ------------------------------------------------------------------------------------------ */
/* Host services: what the host provides to a driver instance                                  */
/* ------------------------------------------------------------------------------------------ */

/** Log levels for ssd_host.log. */
enum {
    SSD_LOG_TRACE = 0,
    SSD_LOG_DEBUG = 1,
    SSD_LOG_INFO = 2,
    SSD_LOG_WARNING = 3,
    SSD_LOG_ERROR = 4
};

/** Channels for log stream bytes. */
enum {
    SSD_CHANNEL_STDOUT = 1,
    SSD_CHANNEL_STDERR = 2,
    SSD_CHANNEL_CONSOLE = 3 /**< a VM's or system container's console: one merged stream */
};

/** What ssd_host.log_write answers: flow control for log streams. */
enum {
    /** Accepted; keep writing. */
    SSD_FLOW_CONTINUE = 0,
    /** Accepted, but the host's buffer for this stream is full: stop writing until the host
     *  calls resume_logs for the stream. (The bytes of this call are never dropped.) */
    SSD_FLOW_PAUSE = 1,
    /** Not accepted: the stream is being cancelled. Stop writing, call log_end. */
    SSD_FLOW_STOP = 2
};

typedef struct ssd_host {
    /** sizeof(ssd_host) as the host compiled it. Members past it are absent. since 1.0 */
    uint32_t struct_size;
    /** The ABI version the host implements. since 1.0 */
    uint32_t abi_version;
    /** Host-owned context; pass it as the first argument of every callback below. The host sets
     *  every callback member of its version (none is NULL). since 1.0 */
    void *ctx;

    /** Writes one line into the agent's log (never stdout). `message` is UTF-8, no trailing
     *  newline needed, borrowed for the call. Never pass secrets (R9).
     *  [any-thread] [non-blocking]  since 1.0 */
    void (*log)(void *ctx, int32_t level, const char *message, size_t len);

    /** Delivers bytes of an open log stream (see open_logs). The answer is an SSD_FLOW_* value.
     *  Never called after log_end for the same stream. `data` is borrowed for the call (the host
     *  copies it); any length, not necessarily whole lines. Each call has a fixed cost: deliver
     *  what you have read in one call rather than a line at a time.
     *  [any-thread] [non-blocking]  since 1.0 */
    int32_t (*log_write)(void *ctx, uint64_t stream_id, int32_t channel, const uint8_t *data,
                         size_t len);

    /** Ends a log stream, exactly once per opened stream: SSD_OK when the stream reached its end
     *  (no follow, or the session stopped), SSD_CANCELLED after cancel_logs, or an error code
     *  with an optional Error object. It may come at any time, also while the stream is paused.
     *  [any-thread] [non-blocking]  since 1.0 */
    void (*log_end)(void *ctx, uint64_t stream_id, ssd_status status, const char *error_json,
                    size_t len);

    /** Reports a session status change the driver observed by itself (a container died, a VM was
     *  stopped by hand). `status_json` is a SessionStatus. Only drivers declaring
     *  SSD_CAP_SESSION_EVENTS need call it.  [any-thread] [non-blocking]  since 1.0 */
    void (*session_changed)(void *ctx, const char *status_json, size_t len);
} ssd_host;

/* ------------------------------------------------------------------------------------------ */
/* The driver's function table                                                                 */
/* ------------------------------------------------------------------------------------------ */

/** A driver instance: opaque to the host, defined by the driver. */
typedef struct ssd_driver ssd_driver;

typedef struct ssd_driver_api {
    /** sizeof(ssd_driver_api) as the driver compiled it. since 1.0 */
    uint32_t struct_size;
    /** The ABI version the driver implements (SSD_ABI_VERSION when it was built). since 1.0 */
    uint32_t abi_version;

    /* --- instance lifecycle (mandatory) ------------------------------------------------- */

    /** Creates an instance from a JSON config object (the operator's --driver-config; "{}" when
     *  none). Validates the config (unknown keys are an SSD_INVALID_ARGUMENT) and may check that
     *  the platform is reachable, but must succeed while it is not (report that via health).
     *  On success stores the instance in *out_driver and returns SSD_OK without calling `error`.
     *  On failure returns the code and calls `error` once with an Error object before returning.
     *  `host` stays valid until destroy returns.
     *  [once per instance] [may-block] [sync-reply]  since 1.0 */
    ssd_status (*create)(const ssd_host *host, const char *config_json, size_t config_len,
                         ssd_driver **out_driver, ssd_reply error);

    /** Releases the instance (R8). Platform resources (sessions) are NOT touched.
     *  [once per instance] [may-block]  since 1.0 */
    void (*destroy)(ssd_driver *driver);

    /** Replies a Describe object.  [any-thread] [non-blocking] [sync-reply]  since 1.0 */
    void (*describe)(ssd_driver *driver, ssd_reply reply);

    /** Returns the instance's SSD_CAP_* bits.  [any-thread] [non-blocking]  since 1.0 */
    ssd_capabilities (*capabilities)(ssd_driver *driver);

    /** Replies a Health object. Must answer even when the platform is down (that is the point).
     *  [any-thread] [may-block] [async-reply]  since 1.0 */
    void (*health)(ssd_driver *driver, ssd_reply reply);

    /* --- sessions (mandatory) ------------------------------------------------------------ */

    /** Starts a session from a SessionSpec. Replies the SessionStatus once the session runs (or
     *  "starting" if the platform keeps working on it). Idempotent (R6); validates first (R7).
     *  [any-thread] [may-block] [async-reply]  since 1.0 */
    void (*start_session)(ssd_driver *driver, const char *spec_json, size_t len, ssd_reply reply);

    /** Stops and removes a session from a StopRequest. Keeps volumes unless "deleteVolumes".
     *  Replies a SessionStatus with state "terminated". Idempotent (R6).
     *  [any-thread] [may-block] [async-reply]  since 1.0 */
    void (*stop_session)(ssd_driver *driver, const char *request_json, size_t len,
                         ssd_reply reply);

    /** Replies the SessionStatus of one session, SSD_NOT_FOUND if the driver has none by that id.
     *  `session_id` is UTF-8, not NUL-terminated.
     *  [any-thread] [may-block] [async-reply]  since 1.0 */
    void (*get_session)(ssd_driver *driver, const char *session_id, size_t len, ssd_reply reply);

    /** Replies a SessionList of every session this driver manages on the platform (R10).
     *  [any-thread] [may-block] [async-reply]  since 1.0 */
    void (*list_sessions)(ssd_driver *driver, ssd_reply reply);

    /* --- hibernation (required when SSD_CAP_HIBERNATE_MEMORY or _DISK is set) ----------- */

    /** Hibernates a running session; replies its SessionStatus ("hibernated"). Idempotent.
     *  [any-thread] [may-block] [async-reply]  since 1.0 */
    void (*hibernate_session)(ssd_driver *driver, const char *session_id, size_t len,
                              ssd_reply reply);

    /** Wakes a hibernated session; replies its SessionStatus ("running") with its endpoints as
     *  they are now (they may have changed). Idempotent.
     *  [any-thread] [may-block] [async-reply]  since 1.0 */
    void (*wake_session)(ssd_driver *driver, const char *session_id, size_t len, ssd_reply reply);

    /* --- metrics (required by SSD_CAP_NODE_METRICS / SSD_CAP_SESSION_METRICS) ------------- */

    /** Replies a NodeMetrics object for the platform host(s) this driver drives.
     *  [any-thread] [may-block] [async-reply]  since 1.0 */
    void (*node_metrics)(ssd_driver *driver, ssd_reply reply);

    /** Replies a SessionMetrics object for one session, SSD_NOT_FOUND if unknown.
     *  [any-thread] [may-block] [async-reply]  since 1.0 */
    void (*session_metrics)(ssd_driver *driver, const char *session_id, size_t len,
                            ssd_reply reply);

    /* --- logs (required by SSD_CAP_LOGS) -------------------------------------------------- */

    /** Opens a log stream for a LogRequest. `stream_id` is chosen by the host, unique for the
     *  instance and never reused. The driver then delivers bytes with ssd_host.log_write (honouring its SSD_FLOW_*
     *  answer) and ends the stream with ssd_host.log_end EXACTLY ONCE — also when opening fails
     *  (e.g. SSD_NOT_FOUND), in which case log_end may be called before open_logs returns.
     *  [any-thread] [non-blocking]  since 1.0 */
    void (*open_logs)(ssd_driver *driver, uint64_t stream_id, const char *request_json,
                      size_t len);

    /** The host's buffer for the stream drained after an SSD_FLOW_PAUSE: writing may go on.
     *  A resume for a stream that already ended is ignored.
     *  [any-thread] [non-blocking]  since 1.0 */
    void (*resume_logs)(ssd_driver *driver, uint64_t stream_id);

    /** Ends the stream early: the driver stops writing and calls log_end(SSD_CANCELLED) soon
     *  (from any thread). A cancel for a stream that already ended is ignored.
     *  [any-thread] [non-blocking]  since 1.0 */
    void (*cancel_logs)(ssd_driver *driver, uint64_t stream_id);

    /* New members are appended here, each marked "since 1.N". */
} ssd_driver_api;

/* ------------------------------------------------------------------------------------------ */
/* The entry point                                                                             */
/* ------------------------------------------------------------------------------------------ */

typedef struct ssd_negotiation {
    /** sizeof(ssd_negotiation) as the host compiled it. since 1.0 */
    uint32_t struct_size;
    /** The oldest driver ABI version the host accepts. Both versions here carry the major of
     *  the symbol being called (1 for ..._v1). since 1.0 */
    uint32_t host_min_version;
    /** The newest ABI version the host knows. A driver that needs something newer (say, a host
     *  service added in 1.3) answers SSD_INCOMPATIBLE. since 1.0 */
    uint32_t host_max_version;
} ssd_negotiation;

/**
 * The one symbol a driver exports. The host calls it once, before anything else.
 *
 * The driver compares the host's range with what it needs. If it can work with this host it
 * stores a pointer to its static function table in *out_api and returns SSD_OK; the table must
 * live as long as the process (it is never freed: the host never unloads a driver). Otherwise it
 * returns SSD_INCOMPATIBLE and leaves *out_api alone. The host then checks the table itself:
 * same major, abi_version >= host_min_version, every mandatory member present.
 *
 * The host calls it first, before anything else; it may call it again (the conformance kit
 * offers other ranges), so it must have no side effect beyond answering.
 *
 * [any-thread] [non-blocking]
 */
ssd_status streamspace_driver_entry_v1(const ssd_negotiation *negotiation,
                                       const ssd_driver_api **out_api);

/** The entry point's type, for hosts that resolve it with dlsym. */
typedef ssd_status (*ssd_entry_v1_fn)(const ssd_negotiation *negotiation,
                                      const ssd_driver_api **out_api);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* STREAMSPACE_DRIVER_H */
