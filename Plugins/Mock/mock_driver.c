/*
 * mock_driver.c — the mock driver's entry point, its function table, and the instance
 * lifecycle (create, destroy, capabilities).
 *
 * The mock is an in-memory "platform" scripted by its config (delays, injected failures, health,
 * log rhythm), used by the host's tests, benchmarks and conformance kit. It is also the template
 * for a driver written in C: copy this folder, keep the shape, and replace mock_platform.c and
 * mock_sessions.c with calls to your platform. README.md describes the config.
 *
 * Only streamspace_driver_entry_v1 is exported; everything else is built with
 * -fvisibility=hidden (or is static).
 */
#define _POSIX_C_SOURCE 200809L

#include "mock_driver.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------------------------------------ */
/* Live instances: so that a session stopped through one instance ends the follow streams      */
/* another instance has open on it (see mock_wake_all_instances).                              */
/* ------------------------------------------------------------------------------------------ */

static pthread_mutex_t instances_lock = PTHREAD_MUTEX_INITIALIZER;
static ssd_driver *instances;

static void register_instance(ssd_driver *driver) {
    pthread_mutex_lock(&instances_lock);
    driver->next_instance = instances;
    instances = driver;
    pthread_mutex_unlock(&instances_lock);
}

static void unregister_instance(ssd_driver *driver) {
    pthread_mutex_lock(&instances_lock);
    for (ssd_driver **link = &instances; *link != NULL; link = &(*link)->next_instance) {
        if (*link == driver) {
            *link = driver->next_instance;
            break;
        }
    }
    pthread_mutex_unlock(&instances_lock);
}

void mock_wake_all_instances(void) {
    pthread_mutex_lock(&instances_lock);
    for (ssd_driver *driver = instances; driver != NULL; driver = driver->next_instance) {
        mock_wake_threads(driver);
    }
    pthread_mutex_unlock(&instances_lock);
}

/* ------------------------------------------------------------------------------------------ */
/* create, destroy, capabilities                                                               */
/* ------------------------------------------------------------------------------------------ */

/* The host services this driver calls, all of which exist since 1.0. */
static bool host_is_usable(const ssd_host *host, mock_error *err) {
    if (host == NULL) {
        return mock_fail(err, SSD_INCOMPATIBLE, "create was given no host table");
    }
    if (host->struct_size < offsetof(ssd_host, session_changed) + sizeof host->session_changed) {
        return mock_fail(err, SSD_INCOMPATIBLE,
                         "the host table is %u bytes; version 1.0 needs %zu", host->struct_size,
                         offsetof(ssd_host, session_changed) + sizeof host->session_changed);
    }
    if (SSD_VERSION_MAJOR(host->abi_version) != 1) {
        return mock_fail(err, SSD_INCOMPATIBLE, "the host implements ABI %u.%u, not 1.x",
                         SSD_VERSION_MAJOR(host->abi_version),
                         SSD_VERSION_MINOR(host->abi_version));
    }
    if (host->log == NULL || host->log_write == NULL || host->log_end == NULL ||
        host->session_changed == NULL) {
        return mock_fail(err, SSD_INCOMPATIBLE,
                         "the host table lacks a callback (log, log_write, log_end or "
                         "session_changed)");
    }
    return true;
}

static ssd_status mock_create(const ssd_host *host, const char *config_json, size_t config_len,
                              ssd_driver **out_driver, ssd_reply error) {
    mock_error err;
    mock_config config;
    ssd_driver *driver = NULL;
    pthread_condattr_t attr;

    if (out_driver == NULL) {
        mock_fail(&err, SSD_INVALID_ARGUMENT, "create was given no out_driver");
        goto failed;
    }
    if (!host_is_usable(host, &err) ||
        !mock_config_parse(config_json, config_json != NULL ? config_len : 0, &config, &err)) {
        goto failed;
    }
    driver = calloc(1, sizeof *driver);
    if (driver == NULL) {
        mock_config_free(&config);
        mock_fail(&err, SSD_INTERNAL, "out of memory");
        goto failed;
    }
    driver->host = host;
    driver->config = config;
    driver->capabilities = mock_config_capabilities(&config);

    /* Deadlines are on the monotonic clock: a wall-clock step must not stall a stream. */
    pthread_mutex_init(&driver->mutex, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&driver->changed, &attr);
    pthread_condattr_destroy(&attr);

    mock_log(driver, SSD_LOG_INFO,
             "mock: instance created (hibernate: %s, events: %s, publicHost: %s)",
             config.hibernate == MOCK_HIBERNATE_DISK     ? "disk"
             : config.hibernate == MOCK_HIBERNATE_MEMORY ? "memory"
                                                         : "none",
             config.events ? "on" : "off", config.public_host);
    register_instance(driver);
    *out_driver = driver;
    return SSD_OK;

failed:
    if (error.fn != NULL) {
        mock_reply_error(error, &err);
    }
    return err.code;
}

/* R8: by the time destroy returns, every thread of the instance has ended; a stream still open
 * (the host promised there would be none) first gets its log_end(SSD_CANCELLED). The sessions
 * stay on the platform for the next instance. */
static void mock_destroy(ssd_driver *driver) {
    if (driver == NULL) {
        return;
    }
    unregister_instance(driver); /* nobody wakes it from now on */
    pthread_mutex_lock(&driver->mutex);
    driver->shutting_down = true;
    pthread_cond_broadcast(&driver->changed);
    pthread_mutex_unlock(&driver->mutex);

    mock_logs_join_all(driver);
    mock_timers_join_all(driver);

    pthread_cond_destroy(&driver->changed);
    pthread_mutex_destroy(&driver->mutex);
    mock_config_free(&driver->config);
    free(driver);
}

static ssd_capabilities mock_capabilities(ssd_driver *driver) {
    return driver->capabilities;
}

/* ------------------------------------------------------------------------------------------ */
/* The table and the entry point                                                               */
/* ------------------------------------------------------------------------------------------ */

static const ssd_driver_api mock_api = {
    .struct_size = sizeof(ssd_driver_api),
    .abi_version = SSD_ABI_VERSION,
    .create = mock_create,
    .destroy = mock_destroy,
    .describe = mock_describe,
    .capabilities = mock_capabilities,
    .health = mock_health,
    .start_session = mock_start_session,
    .stop_session = mock_stop_session,
    .get_session = mock_get_session,
    .list_sessions = mock_list_sessions,
    /* Set even when an instance is configured with "hibernate": "none": the table is shared by
     * all instances, so those two reply SSD_UNSUPPORTED instead. */
    .hibernate_session = mock_hibernate_session,
    .wake_session = mock_wake_session,
    .node_metrics = mock_node_metrics,
    .session_metrics = mock_session_metrics,
    .open_logs = mock_open_logs,
    .resume_logs = mock_resume_logs,
    .cancel_logs = mock_cancel_logs,
};

__attribute__((visibility("default"))) ssd_status
streamspace_driver_entry_v1(const ssd_negotiation *negotiation, const ssd_driver_api **out_api) {
    /* The fields read below must lie within the host's struct. */
    size_t needed = offsetof(ssd_negotiation, host_max_version) + sizeof(uint32_t);
    if (negotiation == NULL || out_api == NULL || negotiation->struct_size < needed) {
        return SSD_INCOMPATIBLE;
    }
    uint32_t host_min = negotiation->host_min_version;
    uint32_t host_max = negotiation->host_max_version;
    /* We implement exactly 1.0: the host must accept it (min <= 1.0 <= max, major 1). */
    if (SSD_VERSION_MAJOR(host_min) != 1 || host_min > SSD_ABI_VERSION ||
        host_max < SSD_ABI_VERSION_1_0) {
        return SSD_INCOMPATIBLE;
    }
    *out_api = &mock_api;
    return SSD_OK;
}
