/* Pins the ABI 1.0 layout on LP64 platforms: a change that moves a member of a published table
 * breaks every driver in the field, so it must break this build first. Members are appended at
 * the end only (the header's section 1). */
#include "streamspace_driver.h"

#if defined(__LP64__)
#define SSD_PIN(type, member, offset) _Static_assert(offsetof(type, member) == (offset), \
    #type "." #member " moved: ABI 1.0 members must never move")

SSD_PIN(ssd_negotiation, struct_size, 0);
SSD_PIN(ssd_negotiation, host_min_version, 4);
SSD_PIN(ssd_negotiation, host_max_version, 8);

SSD_PIN(ssd_reply, fn, 0);
SSD_PIN(ssd_reply, ctx, 8);

SSD_PIN(ssd_host, struct_size, 0);
SSD_PIN(ssd_host, abi_version, 4);
SSD_PIN(ssd_host, ctx, 8);
SSD_PIN(ssd_host, log, 16);
SSD_PIN(ssd_host, log_write, 24);
SSD_PIN(ssd_host, log_end, 32);
SSD_PIN(ssd_host, session_changed, 40);

SSD_PIN(ssd_driver_api, struct_size, 0);
SSD_PIN(ssd_driver_api, abi_version, 4);
SSD_PIN(ssd_driver_api, create, 8);
SSD_PIN(ssd_driver_api, destroy, 16);
SSD_PIN(ssd_driver_api, describe, 24);
SSD_PIN(ssd_driver_api, capabilities, 32);
SSD_PIN(ssd_driver_api, health, 40);
SSD_PIN(ssd_driver_api, start_session, 48);
SSD_PIN(ssd_driver_api, stop_session, 56);
SSD_PIN(ssd_driver_api, get_session, 64);
SSD_PIN(ssd_driver_api, list_sessions, 72);
SSD_PIN(ssd_driver_api, hibernate_session, 80);
SSD_PIN(ssd_driver_api, wake_session, 88);
SSD_PIN(ssd_driver_api, node_metrics, 96);
SSD_PIN(ssd_driver_api, session_metrics, 104);
SSD_PIN(ssd_driver_api, open_logs, 112);
SSD_PIN(ssd_driver_api, resume_logs, 120);
SSD_PIN(ssd_driver_api, cancel_logs, 128);
_Static_assert(sizeof(ssd_driver_api) == 136, "ssd_driver_api 1.0 is 136 bytes");
_Static_assert(sizeof(ssd_host) == 48, "ssd_host 1.0 is 48 bytes");
#endif
