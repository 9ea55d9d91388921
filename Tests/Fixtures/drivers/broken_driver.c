/* Deliberately broken drivers for the loader's tests. Build one per defect:
 *   gcc -shared -fPIC -I Sources/DriverABI/include -DDEFECT=<n> broken_driver.c -o broken.so
 * DEFECT 0: none (a good driver)
 *        1: no entry symbol            2: refuses every host (INCOMPATIBLE)
 *        3: claims ABI 2.0             4: start_session is NULL
 *        5: table smaller than ABI 1.0 6: declares hibernation without hibernate_session
 *        7: replies twice to health    8: writes to stdout in describe
 */
#include <stdio.h>
#include <string.h>
#include "streamspace_driver.h"

struct ssd_driver { const ssd_host *host; };
static struct ssd_driver the_instance;

static void reply_json(ssd_reply reply, ssd_status status, const char *json) {
    reply.fn(reply.ctx, status, json, strlen(json));
}

static ssd_status create(const ssd_host *host, const char *config, size_t len, ssd_driver **out, ssd_reply error) {
    (void)config; (void)len; (void)error;
    the_instance.host = host;
    *out = &the_instance;
    return SSD_OK;
}
static void destroy(ssd_driver *driver) { (void)driver; }
static void describe(ssd_driver *driver, ssd_reply reply) {
    (void)driver;
#if DEFECT == 8
    printf("hello from a driver that prints\n");
    fflush(stdout);
#endif
    reply_json(reply, SSD_OK, "{\"name\":\"broken\",\"version\":\"0.0.1\",\"platform\":\"docker\"}");
}
static ssd_capabilities capabilities(ssd_driver *driver) {
    (void)driver;
#if DEFECT == 6
    return SSD_CAP_HIBERNATE_DISK;
#else
    return 0;
#endif
}
static void health(ssd_driver *driver, ssd_reply reply) {
    (void)driver;
    reply_json(reply, SSD_OK, "{\"status\":\"healthy\"}");
#if DEFECT == 7
    reply_json(reply, SSD_OK, "{\"status\":\"healthy\"}");
#endif
}
static void not_found(ssd_reply reply) {
    reply_json(reply, SSD_NOT_FOUND, "{\"code\":\"NOT_FOUND\",\"message\":\"broken: nothing here\"}");
}
__attribute__((unused)) static void start_session(ssd_driver *d, const char *j, size_t n, ssd_reply r) { (void)d; (void)j; (void)n; not_found(r); }
static void stop_session(ssd_driver *d, const char *j, size_t n, ssd_reply r) { (void)d; (void)j; (void)n; not_found(r); }
static void get_session(ssd_driver *d, const char *j, size_t n, ssd_reply r) { (void)d; (void)j; (void)n; not_found(r); }
static void list_sessions(ssd_driver *d, ssd_reply r) { (void)d; reply_json(r, SSD_OK, "{\"sessions\":[]}"); }

__attribute__((unused)) static const ssd_driver_api api = {
#if DEFECT == 5
    .struct_size = 16,
#else
    .struct_size = sizeof(ssd_driver_api),
#endif
#if DEFECT == 3
    .abi_version = SSD_MAKE_VERSION(2, 0),
#else
    .abi_version = SSD_ABI_VERSION,
#endif
    .create = create,
    .destroy = destroy,
    .describe = describe,
    .capabilities = capabilities,
    .health = health,
#if DEFECT != 4
    .start_session = start_session,
#endif
    .stop_session = stop_session,
    .get_session = get_session,
    .list_sessions = list_sessions,
};

#if DEFECT != 1
__attribute__((visibility("default")))
ssd_status streamspace_driver_entry_v1(const ssd_negotiation *negotiation, const ssd_driver_api **out_api) {
    (void)negotiation;
#if DEFECT == 2
    (void)out_api;
    return SSD_INCOMPATIBLE;
#else
    *out_api = &api;
    return SSD_OK;
#endif
}
#endif
