// generated from Docs/schemas by Scripts/gen-schemas.py — do not edit
//
// The driver ABI v1 JSON Schemas, embedded because an installed agent has no Docs/ folder.
// Edit Docs/schemas/<name>.schema.json, then run Scripts/gen-schemas.py.

enum DriverSchemas {
    /// Every Docs/schemas/<name>.schema.json, by name, with its exact text.
    static let all: [(name: String, text: String)] = [
        (name: "describe", text: #"""
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://streamspace.io/schemas/driver/v1/describe.schema.json",
  "title": "Describe",
  "description": "Who the driver is, replied by describe (non-blocking, so it must be built without platform I/O). The host logs it and registers with the Control Plane under the platform it names. Readers ignore fields they do not know.",
  "type": "object",
  "required": ["name", "version", "platform"],
  "properties": {
    "name": {
      "description": "The driver's short name: lowercase letters, digits, '_' and '-', starting with a letter or digit, e.g. \"docker\", \"lxd\", \"hyperv\". It is what `agent --driver NAME` loads (lib<name>.so).",
      "type": "string",
      "pattern": "^[a-z0-9][a-z0-9_-]*$"
    },
    "version": {
      "description": "The driver's own release version (not the ABI version), preferably semantic versioning, e.g. \"1.2.0\".",
      "type": "string",
      "minLength": 1
    },
    "platform": {
      "description": "The Control Plane platform the agent registers as: \"kubernetes\", \"docker\", \"vm\" (LXD, Hyper-V, vCenter, libvirt...) or \"cloud\". The Control Plane accepts no other value.",
      "enum": ["kubernetes", "docker", "vm", "cloud"]
    },
    "vendor": {
      "description": "Who builds and supports the driver, e.g. \"StreamSpace\" or \"Example Corp\".",
      "type": "string"
    },
    "description": {
      "description": "One sentence saying what the driver drives, e.g. \"Runs sessions as Docker containers on the local Docker Engine.\"",
      "type": "string"
    }
  },
  "examples": [
    {"name": "docker", "version": "1.2.0", "platform": "docker", "vendor": "StreamSpace",
     "description": "Runs sessions as Docker containers on the local Docker Engine."}
  ]
}

"""#),
        (name: "error", text: #"""
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://streamspace.io/schemas/driver/v1/error.schema.json",
  "title": "Error",
  "description": "Why an operation failed: the JSON that accompanies a non-OK ssd_status in a reply, in create's error reply and in log_end. The C status code decides what the host does (retry or not); this object tells a person why. Readers ignore fields they do not know.",
  "type": "object",
  "required": ["message"],
  "properties": {
    "code": {
      "description": "The status code's name without the SSD_ prefix, e.g. \"UNAVAILABLE\" for SSD_UNAVAILABLE; when present it must name the same code as the ssd_status passed beside this object. OK is not an error and never appears here.",
      "enum": ["INVALID_ARGUMENT", "NOT_FOUND", "ALREADY_EXISTS", "FAILED_PRECONDITION", "UNSUPPORTED",
               "UNAVAILABLE", "TIMEOUT", "RESOURCE_EXHAUSTED", "CANCELLED", "INTERNAL", "INCOMPATIBLE"]
    },
    "message": {
      "description": "A sentence a person can act on, e.g. \"image lscr.io/linuxserver/firefox:latest not found: pull it or fix the template\". Shown to operators and sent to the Control Plane in failed messages. Never empty; never include secrets.",
      "type": "string",
      "minLength": 1
    },
    "retryAfterMs": {
      "description": "For UNAVAILABLE and RESOURCE_EXHAUSTED: the earliest sensible retry, in milliseconds from now, e.g. 5000. The host waits at least this long before retrying; absent, it uses its own backoff.",
      "type": "integer",
      "minimum": 0
    },
    "detail": {
      "description": "Machine-readable particulars for logs and debugging, free-form, e.g. {\"httpStatus\": 404, \"platformError\": \"No such image\"}. Must be a JSON object. Never include secrets.",
      "type": "object"
    }
  },
  "examples": [
    {"code": "UNAVAILABLE", "message": "docker daemon not reachable at /var/run/docker.sock", "retryAfterMs": 5000,
     "detail": {"errno": "ECONNREFUSED"}}
  ]
}

"""#),
        (name: "health", text: #"""
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://streamspace.io/schemas/driver/v1/health.schema.json",
  "title": "Health",
  "description": "Whether the driver can reach and use its platform, replied by health. A driver must answer even (above all) when the platform is down: that is an OK reply carrying \"unhealthy\", not an error. The host sends it to the Control Plane as the \"health\" member of the metrics message. Readers ignore fields they do not know.",
  "type": "object",
  "required": ["status"],
  "properties": {
    "status": {
      "description": "\"healthy\": the platform answers and sessions can be started. \"degraded\": it answers but something limits it (low disk, a cluster node down, slow API). \"unhealthy\": sessions cannot be started or managed now (daemon unreachable, credentials rejected).",
      "enum": ["healthy", "degraded", "unhealthy"]
    },
    "detail": {
      "description": "A sentence for an operator saying what is wrong and, ideally, what to do, e.g. \"docker daemon not reachable at /var/run/docker.sock\". Usually absent when healthy. Never include secrets.",
      "type": "string"
    }
  },
  "examples": [
    {"status": "healthy"},
    {"status": "unhealthy", "detail": "docker daemon not reachable"}
  ]
}

"""#),
        (name: "log-request", text: #"""
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://streamspace.io/schemas/driver/v1/log-request.schema.json",
  "title": "LogRequest",
  "description": "Which session's logs open_logs streams, and which part of them. Built by the host from the Control Plane's logs_request (its requestId stays with the host: the driver sees the host's stream_id instead). Readers ignore fields they do not know.",
  "type": "object",
  "required": ["sessionId"],
  "properties": {
    "sessionId": {
      "description": "The id of the session whose logs to stream, as SessionSpec.id gave it, e.g. \"alice-firefox-1a2b3c4d\". Unknown: end the stream with NOT_FOUND.",
      "type": "string",
      "pattern": "^[a-z0-9]([a-z0-9._-]{0,98}[a-z0-9])?$"
    },
    "follow": {
      "description": "true: after the existing lines, keep streaming new output until the session stops or the host cancels (needs SSD_CAP_LOGS_FOLLOW; without it, end the stream with UNSUPPORTED). false or absent: stream what exists now, then end with OK.",
      "type": "boolean",
      "default": false
    },
    "tailLines": {
      "description": "Start with only the last N lines of existing output, e.g. 100; 0 means none (with follow: only new output). Absent: all of it (subject to sinceTime).",
      "type": "integer",
      "minimum": 0
    },
    "sinceTime": {
      "description": "Only output written at or after this instant, an RFC 3339 date-time, e.g. \"2025-01-01T00:00:00Z\" or \"2025-12-04T13:11:05.123456789-07:00\". Combined with tailLines, both limits apply.",
      "type": "string",
      "format": "date-time"
    }
  },
  "examples": [
    {"sessionId": "alice-firefox-1a2b3c4d", "follow": true, "tailLines": 100,
     "sinceTime": "2025-01-01T00:00:00Z"}
  ]
}

"""#),
        (name: "node-metrics", text: #"""
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://streamspace.io/schemas/driver/v1/node-metrics.schema.json",
  "title": "NodeMetrics",
  "description": "Capacity and usage of the platform host(s) the driver drives, replied by node_metrics (drivers declaring SSD_CAP_NODE_METRICS). For a multi-host platform (a cluster, a vCenter) the figures are totals over the hosts that run sessions. The host sends it to the Control Plane as the \"node\" member of the metrics message, with the same field names. Readers ignore fields they do not know.",
  "type": "object",
  "required": ["cpuCores", "cpuUsedCores", "memoryBytes", "memoryUsedBytes", "diskBytes", "diskUsedBytes"],
  "properties": {
    "cpuCores": {
      "description": "CPU capacity available to sessions, in cores (logical CPUs); fractional when a quota applies, e.g. 2 or 3.5.",
      "type": "number",
      "minimum": 0
    },
    "cpuUsedCores": {
      "description": "CPU in use, in cores, averaged over the driver's last sampling interval, e.g. 0.4 (forty percent of one core).",
      "type": "number",
      "minimum": 0
    },
    "memoryBytes": {
      "description": "Memory capacity in bytes, an integer, e.g. 8589934592 for 8 GiB.",
      "type": "integer",
      "minimum": 0
    },
    "memoryUsedBytes": {
      "description": "Memory in use in bytes, an integer, e.g. 3221225472.",
      "type": "integer",
      "minimum": 0
    },
    "diskBytes": {
      "description": "Capacity in bytes of the storage that holds session images and volumes, an integer, e.g. 107374182400.",
      "type": "integer",
      "minimum": 0
    },
    "diskUsedBytes": {
      "description": "Bytes used on that storage, an integer, e.g. 42949672960.",
      "type": "integer",
      "minimum": 0
    }
  },
  "examples": [
    {"cpuCores": 2, "cpuUsedCores": 0.4, "memoryBytes": 8589934592, "memoryUsedBytes": 3221225472,
     "diskBytes": 107374182400, "diskUsedBytes": 42949672960}
  ]
}

"""#),
        (name: "session-list", text: #"""
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://streamspace.io/schemas/driver/v1/session-list.schema.json",
  "title": "SessionList",
  "description": "Every session the driver manages on the platform, replied by list_sessions. The driver rebuilds it from the platform itself (labels, tags or metadata carrying the session id), never from memory alone, and never lists resources it did not create (rule R10). The host sends it on to the Control Plane as session_sync, on every (re)connect and every sync interval. Readers ignore fields they do not know.",
  "type": "object",
  "required": ["sessions"],
  "properties": {
    "sessions": {
      "description": "One SessionStatus per session, in any order; empty when the driver manages none. A session appears at most once.",
      "type": "array",
      "items": {
        "$ref": "https://streamspace.io/schemas/driver/v1/session-status.schema.json"
      }
    }
  },
  "examples": [
    {
      "sessions": [
        {"sessionId": "alice-firefox-1a2b3c4d", "state": "running",
         "endpoints": [{"name": "vnc", "port": 3000, "url": "http://127.0.0.1:49153"}]},
        {"sessionId": "bob-gimp-0badf00d", "state": "hibernated"}
      ]
    },
    {"sessions": []}
  ]
}

"""#),
        (name: "session-metrics", text: #"""
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://streamspace.io/schemas/driver/v1/session-metrics.schema.json",
  "title": "SessionMetrics",
  "description": "Resource usage of one session, replied by session_metrics (drivers declaring SSD_CAP_SESSION_METRICS); NOT_FOUND when the driver has no such session. The host sends it to the Control Plane as one entry of the \"sessions\" member of the metrics message, with the same field names. Readers ignore fields they do not know.",
  "type": "object",
  "required": ["sessionId", "cpuUsedCores", "memoryBytes", "memoryUsedBytes"],
  "properties": {
    "sessionId": {
      "description": "The id of the session measured, as SessionSpec.id gave it, e.g. \"alice-firefox-1a2b3c4d\".",
      "type": "string",
      "pattern": "^[a-z0-9]([a-z0-9._-]{0,98}[a-z0-9])?$"
    },
    "cpuUsedCores": {
      "description": "CPU the session uses, in cores, averaged over the driver's last sampling interval, e.g. 0.1.",
      "type": "number",
      "minimum": 0
    },
    "memoryBytes": {
      "description": "The session's memory limit in bytes, an integer: normally SessionSpec.resources.memoryBytes, or what the platform actually enforces, e.g. 2147483648.",
      "type": "integer",
      "minimum": 0
    },
    "memoryUsedBytes": {
      "description": "Memory the session uses in bytes, an integer, e.g. 524288000.",
      "type": "integer",
      "minimum": 0
    }
  },
  "examples": [
    {"sessionId": "alice-firefox-1a2b3c4d", "cpuUsedCores": 0.1, "memoryBytes": 2147483648,
     "memoryUsedBytes": 524288000}
  ]
}

"""#),
        (name: "session-spec", text: #"""
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://streamspace.io/schemas/driver/v1/session-spec.schema.json",
  "title": "SessionSpec",
  "description": "The session to create, passed to start_session. The host builds it from the Control Plane's start_session command (template manifest, resources, persistentHome, tags) and validates it against this schema before any driver sees it; a driver still rejects with INVALID_ARGUMENT whatever it cannot honour, before it touches the platform (rule R7). Readers ignore fields they do not know: more may be added in later minor versions.",
  "type": "object",
  "required": ["id", "user", "template"],
  "properties": {
    "id": {
      "description": "The session id, chosen by the Control Plane as {user}-{template}-{8 hex digits} and validated by the host, e.g. \"alice-firefox-1a2b3c4d\". It is the idempotency key of every operation (rule R6): put it in the names, labels or tags of every platform resource the driver creates, so that list_sessions finds them again after a restart (rule R10). 1 to 100 characters: lowercase letters, digits, '.', '_' and '-', beginning and ending with a letter or a digit, so it is safe in container names, Kubernetes labels and file names.",
      "type": "string",
      "pattern": "^[a-z0-9]([a-z0-9._-]{0,98}[a-z0-9])?$"
    },
    "user": {
      "description": "The StreamSpace user who owns the session, as the Control Plane names them, e.g. \"alice\". Informational: use it for labels and audit trails, never as a platform credential.",
      "type": "string",
      "minLength": 1
    },
    "template": {
      "description": "What to run: the container image (or VM image or template) and how to run it, taken by the host from the template manifest (Template CRD spec).",
      "type": "object",
      "required": ["image"],
      "properties": {
        "name": {
          "description": "The template's name in the StreamSpace catalogue, e.g. \"firefox\". Informational (labels, display); drivers must not derive the image from it.",
          "type": "string"
        },
        "image": {
          "description": "The image to run, from the template's spec.baseImage, e.g. \"lscr.io/linuxserver/firefox:latest\" for container platforms. VM platforms interpret it as their own image or template name. Pull or locate it as the platform does; if it cannot be found, reply FAILED_PRECONDITION with a message that names it.",
          "type": "string",
          "minLength": 1
        },
        "env": {
          "description": "Environment variables for the session's main process, name to value, e.g. {\"TZ\": \"UTC\", \"PUID\": \"1000\"}. Values are always strings. May hold secrets: never log the values (rule R9).",
          "type": "object",
          "additionalProperties": {
            "description": "The variable's value, always a string (\"1000\", not 1000).",
            "type": "string"
          }
        },
        "ports": {
          "description": "The ports the session serves inside its container or VM, from the template's spec.ports. The driver publishes them and reports where each can be reached in SessionStatus.endpoints, under the same name.",
          "type": "array",
          "items": {
            "description": "One port the session listens on.",
            "type": "object",
            "required": ["name", "port"],
            "properties": {
              "name": {
                "description": "The port's name, unique within the template, e.g. \"vnc\" or \"http\"; SessionStatus.endpoints[].name refers to it. 1 to 63 lowercase letters, digits and '-'.",
                "type": "string",
                "minLength": 1,
                "maxLength": 63,
                "pattern": "^[a-z0-9-]{1,63}$"
              },
              "port": {
                "description": "The port number inside the session (the container port), 1 to 65535, e.g. 3000 for a LinuxServer KasmVNC web UI.",
                "type": "integer",
                "minimum": 1,
                "maximum": 65535
              },
              "protocol": {
                "description": "The transport protocol, lowercase: \"tcp\" (the default when absent) or \"udp\". The host lowercases Kubernetes-style \"TCP\"/\"UDP\" from template manifests.",
                "enum": ["tcp", "udp"],
                "default": "tcp"
              }
            }
          }
        },
        "volumeMounts": {
          "description": "Volumes to mount into the session, from the template's spec.volumeMounts, e.g. [{\"name\": \"home\", \"mountPath\": \"/config\"}]. With persistentHome, the driver keeps the volume named \"home\" across stop and start.",
          "type": "array",
          "items": {
            "description": "One volume mount.",
            "type": "object",
            "required": ["name", "mountPath"],
            "properties": {
              "name": {
                "description": "The volume's name within the session, e.g. \"home\". The driver names the platform volume after it (together with whatever makes it unique on the platform) and labels it so that list_sessions and stop_session can find it.",
                "type": "string",
                "minLength": 1
              },
              "mountPath": {
                "description": "Where the volume appears inside the session: an absolute path, e.g. \"/config\".",
                "type": "string",
                "pattern": "^/(?!(.*/)?\\.\\.(/|$))"
              }
            }
          }
        }
      }
    },
    "resources": {
      "description": "The session's resource limits. The host fills in both forms: the quantity strings as the Control Plane sent them (falling back to the template's defaults, then to 2Gi and 1000m) and the same values parsed into numbers; the two forms always agree, so a driver may use whichever suits its platform.",
      "type": "object",
      "properties": {
        "cpu": {
          "description": "CPU limit as a Kubernetes quantity string, e.g. \"1000m\" (one core) or \"2\" (two cores).",
          "type": "string"
        },
        "memory": {
          "description": "Memory limit as a Kubernetes quantity string, e.g. \"2Gi\" or \"512Mi\".",
          "type": "string"
        },
        "cpuMillicores": {
          "description": "CPU limit in thousandths of a core, parsed by the host from cpu, e.g. 1000 for \"1000m\" or \"1\".",
          "type": "integer",
          "minimum": 1
        },
        "memoryBytes": {
          "description": "Memory limit in bytes, parsed by the host from memory, e.g. 2147483648 for \"2Gi\".",
          "type": "integer",
          "minimum": 1
        }
      }
    },
    "persistentHome": {
      "description": "true: the session's home volume outlives the session: stop_session keeps it unless StopRequest.deleteVolumes is true, and a later start with the same spec finds it again. Honoured only by drivers that declare SSD_CAP_PERSISTENT_HOME. false or absent: the home is removed with the session.",
      "type": "boolean",
      "default": false
    },
    "labels": {
      "description": "Extra key/value labels from the Control Plane (template tags, team...), e.g. {\"team\": \"qa\"}. A driver may copy them onto platform resources as labels or tags, after its own labels (which carry the session id) and without letting them override those.",
      "type": "object",
      "additionalProperties": {
        "description": "The label's value, always a string.",
        "type": "string"
      }
    }
  },
  "examples": [
    {
      "id": "alice-firefox-1a2b3c4d",
      "user": "alice",
      "template": {
        "name": "firefox",
        "image": "lscr.io/linuxserver/firefox:latest",
        "env": {"TZ": "UTC"},
        "ports": [{"name": "vnc", "port": 3000, "protocol": "tcp"}],
        "volumeMounts": [{"name": "home", "mountPath": "/config"}]
      },
      "resources": {"cpu": "1000m", "memory": "2Gi", "cpuMillicores": 1000, "memoryBytes": 2147483648},
      "persistentHome": true,
      "labels": {"team": "qa"}
    }
  ]
}

"""#),
        (name: "session-status", text: #"""
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://streamspace.io/schemas/driver/v1/session-status.schema.json",
  "title": "SessionStatus",
  "description": "What a driver knows about one session, as it is on the platform now. Replied by start_session, stop_session, get_session, hibernate_session and wake_session, listed by list_sessions (in SessionList) and pushed through ssd_host.session_changed. The host turns it into the Control Plane's status message (state, vncReady, vncPort, platformMetadata) and into session_sync entries. Readers ignore fields they do not know.",
  "type": "object",
  "required": ["sessionId", "state"],
  "properties": {
    "sessionId": {
      "description": "The id of the session, exactly as SessionSpec.id gave it, e.g. \"alice-firefox-1a2b3c4d\".",
      "type": "string",
      "pattern": "^[a-z0-9]([a-z0-9._-]{0,98}[a-z0-9])?$"
    },
    "state": {
      "description": "The session's state as the driver observes it on the platform: \"starting\" (created, not yet serving), \"running\" (serving its endpoints), \"hibernated\" (paused by hibernate_session, resumable by wake_session), \"failed\" (cannot run; say why in message) or \"terminated\" (gone, or never existed: what stop_session replies). The Control Plane's own transitional states (pending, hibernating, waking, terminating) are set by the server and never reported by a driver.",
      "enum": ["starting", "running", "hibernated", "failed", "terminated"]
    },
    "endpoints": {
      "description": "Where the session's ports can be reached from the agent's network now, one entry per published SessionSpec port, e.g. [{\"name\": \"vnc\", \"port\": 3000, \"url\": \"http://127.0.0.1:49153\"}]. Empty or absent while the session is not running. Endpoints may change across hibernate and wake; wake_session reports them as they are after waking.",
      "type": "array",
      "items": {
        "description": "One reachable endpoint of the session.",
        "type": "object",
        "required": ["name"],
        "properties": {
          "name": {
            "description": "The name of the SessionSpec port this endpoint publishes, e.g. \"vnc\".",
            "type": "string",
            "minLength": 1
          },
          "port": {
            "description": "The port number inside the session that this endpoint publishes (the SessionSpec port), 1 to 65535, e.g. 3000. The host reports it to the Control Plane as vncPort for the \"vnc\" endpoint.",
            "type": "integer",
            "minimum": 1,
            "maximum": 65535
          },
          "url": {
            "description": "An absolute URI at which the endpoint can be reached from the agent's host, with a scheme and an authority, e.g. \"http://127.0.0.1:49153\" (a host port published by Docker) or \"http://10.42.0.17:3000\" (a pod IP).",
            "type": "string",
            "format": "uri",
            "pattern": "^[A-Za-z][A-Za-z0-9+.-]*://"
          },
          "dial": {
            "description": "Where the agent itself connects to this endpoint, as host:port (an IPv6 address in brackets), when that is not the authority of url: e.g. \"127.0.0.1:49153\" for a port Docker publishes on every address and url names by its public host. Absent: url's host and port. The agent's session tunnel and VNC relay connect only to these addresses, and only while the session is running.",
            "type": "string",
            "pattern": "^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}$"
          }
        }
      }
    },
    "platformMetadata": {
      "description": "Platform-specific facts useful to an operator, passed through to the Control Plane's status.platformMetadata untouched, e.g. {\"containerName\": \"ss-alice-firefox-1a2b3c4d\"} or {\"podName\": \"...\", \"namespace\": \"streamspace\"}. Must be a JSON object. Never put secrets in it.",
      "type": "object"
    },
    "message": {
      "description": "A sentence for a person explaining the state, above all why a session \"failed\", e.g. \"image lscr.io/linuxserver/firefox:latest not found\". Optional for other states.",
      "type": "string"
    }
  },
  "examples": [
    {
      "sessionId": "alice-firefox-1a2b3c4d",
      "state": "running",
      "endpoints": [{"name": "vnc", "port": 3000, "url": "http://127.0.0.1:49153"}],
      "platformMetadata": {"containerName": "ss-alice-firefox-1a2b3c4d"}
    },
    {
      "sessionId": "alice-firefox-1a2b3c4d",
      "state": "failed",
      "message": "image lscr.io/linuxserver/firefox:latest not found"
    }
  ]
}

"""#),
        (name: "stop-request", text: #"""
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://streamspace.io/schemas/driver/v1/stop-request.schema.json",
  "title": "StopRequest",
  "description": "Which session stop_session stops and removes, and what becomes of its volumes. Built by the host from the Control Plane's stop_session command. Stopping a session that does not exist replies OK with state \"terminated\" (rule R6). Readers ignore fields they do not know.",
  "type": "object",
  "required": ["sessionId"],
  "properties": {
    "sessionId": {
      "description": "The id of the session to stop, as SessionSpec.id gave it, e.g. \"alice-firefox-1a2b3c4d\".",
      "type": "string",
      "pattern": "^[a-z0-9]([a-z0-9._-]{0,98}[a-z0-9])?$"
    },
    "deleteVolumes": {
      "description": "true: also delete the session's volumes, including a persistent home (the Control Plane's deletePVC). false or absent: keep them, so that a persistent home survives.",
      "type": "boolean",
      "default": false
    }
  },
  "examples": [
    {"sessionId": "alice-firefox-1a2b3c4d", "deleteVolumes": false}
  ]
}

"""#),
    ]
}
