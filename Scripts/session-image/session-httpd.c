/* session-httpd: the test session image's web server (streamspace-test/httpd:2).
 *
 * One port, two jobs, as a desktop web UI (KasmVNC, Selkies) has: it serves the files of a
 * directory over HTTP/1.1 (GET and HEAD, one request per connection), and a WebSocket at
 * /echo that sends every text or binary message back. That is enough to test a viewer
 * proxy end to end: a page, its script's WebSocket (a relative URL), a large download.
 *
 * Usage: session-httpd PORT DIR. One process per connection (fork); no dependencies beyond
 * libc; built with -static into the image. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- SHA-1 (RFC 3174), only for Sec-WebSocket-Accept ---- */
static uint32_t rol(uint32_t v, int n) { return (v << n) | (v >> (32 - n)); }

static void sha1(const unsigned char *data, size_t len, unsigned char out[20]) {
    uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    size_t total = ((len + 8) / 64 + 1) * 64;
    unsigned char *msg = calloc(total, 1);
    memcpy(msg, data, len);
    msg[len] = 0x80;
    uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++) msg[total - 1 - i] = (unsigned char)(bits >> (8 * i));
    for (size_t off = 0; off < total; off += 64) {
        uint32_t w[80];
        for (int i = 0; i < 16; i++)
            w[i] = (uint32_t)msg[off + 4 * i] << 24 | (uint32_t)msg[off + 4 * i + 1] << 16 |
                   (uint32_t)msg[off + 4 * i + 2] << 8 | msg[off + 4 * i + 3];
        for (int i = 16; i < 80; i++) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
        uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
        for (int i = 0; i < 80; i++) {
            uint32_t f, k;
            if (i < 20) { f = (b & c) | (~b & d); k = 0x5A827999; }
            else if (i < 40) { f = b ^ c ^ d; k = 0x6ED9EBA1; }
            else if (i < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8F1BBCDC; }
            else { f = b ^ c ^ d; k = 0xCA62C1D6; }
            uint32_t t = rol(a, 5) + f + e + k + w[i];
            e = d; d = c; c = rol(b, 30); b = a; a = t;
        }
        h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e;
    }
    free(msg);
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 4; j++) out[4 * i + j] = (unsigned char)(h[i] >> (24 - 8 * j));
}

static void base64(const unsigned char *in, size_t len, char *out) {
    static const char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0) | (i + 2 < len ? in[i + 2] : 0);
        out[o++] = table[(v >> 18) & 63];
        out[o++] = table[(v >> 12) & 63];
        out[o++] = i + 1 < len ? table[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? table[v & 63] : '=';
    }
    out[o] = 0;
}

/* ---- I/O helpers ---- */
static int write_all(int fd, const void *buf, size_t len) {
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int read_all(int fd, void *buf, size_t len) {
    char *p = buf;
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static void respond(int fd, const char *status, const char *body) {
    char head[256];
    int n = snprintf(head, sizeof head, "HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                     status, strlen(body));
    write_all(fd, head, (size_t)n);
    write_all(fd, body, strlen(body));
}

/* The value of header `name` in the request head, copied into out (empty when absent). */
static void header(const char *head, const char *name, char *out, size_t size) {
    out[0] = 0;
    size_t nl = strlen(name);
    for (const char *line = strstr(head, "\r\n"); line && line[2]; line = strstr(line + 2, "\r\n")) {
        const char *start = line + 2;
        if (strncasecmp(start, name, nl) == 0 && start[nl] == ':') {
            start += nl + 1;
            while (*start == ' ') start++;
            size_t len = strcspn(start, "\r\n");
            if (len >= size) len = size - 1;
            memcpy(out, start, len);
            out[len] = 0;
            return;
        }
    }
}

/* ---- WebSocket echo (RFC 6455): frames from the client are masked; ours are not ---- */
static void echo(int fd, const char *key) {
    char accept_in[128], accept[64];
    unsigned char digest[20];
    snprintf(accept_in, sizeof accept_in, "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
    sha1((const unsigned char *)accept_in, strlen(accept_in), digest);
    base64(digest, 20, accept);
    char reply[256];
    int n = snprintf(reply, sizeof reply, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Accept: %s\r\n\r\n", accept);
    if (write_all(fd, reply, (size_t)n) < 0) return;
    for (;;) {
        unsigned char h[2], mask[4], ext[8];
        if (read_all(fd, h, 2) < 0) return;
        int opcode = h[0] & 15;
        uint64_t len = h[1] & 127;
        if (len == 126) { if (read_all(fd, ext, 2) < 0) return; len = (uint64_t)ext[0] << 8 | ext[1]; }
        else if (len == 127) { if (read_all(fd, ext, 8) < 0) return; len = 0; for (int i = 0; i < 8; i++) len = len << 8 | ext[i]; }
        if (!(h[1] & 128) || len > (16u << 20)) return; /* unmasked or absurd: not a browser */
        if (read_all(fd, mask, 4) < 0) return;
        unsigned char *payload = malloc(len ? len : 1);
        if (!payload || read_all(fd, payload, len) < 0) { free(payload); return; }
        for (uint64_t i = 0; i < len; i++) payload[i] ^= mask[i % 4];
        if (opcode == 9) opcode = 10;              /* ping → pong */
        else if (opcode == 10) { free(payload); continue; }
        unsigned char out[10];
        size_t olen = 2;
        out[0] = (unsigned char)(0x80 | opcode);   /* fragments are echoed frame by frame */
        if (!(h[0] & 128) || opcode == 0) out[0] = h[0] & 0x8F;
        if (len < 126) out[1] = (unsigned char)len;
        else if (len < 65536) { out[1] = 126; out[2] = (unsigned char)(len >> 8); out[3] = (unsigned char)len; olen = 4; }
        else { out[1] = 127; for (int i = 0; i < 8; i++) out[2 + i] = (unsigned char)(len >> (56 - 8 * i)); olen = 10; }
        int failed = write_all(fd, out, olen) < 0 || write_all(fd, payload, len) < 0;
        free(payload);
        if (failed || opcode == 8) return;         /* close echoed: done */
    }
}

static const char *content_type(const char *path) {
    const char *dot = strrchr(path, '.');
    if (dot && strcmp(dot, ".html") == 0) return "text/html; charset=utf-8";
    if (dot && strcmp(dot, ".js") == 0) return "text/javascript";
    if (dot && strcmp(dot, ".txt") == 0) return "text/plain; charset=utf-8";
    return "application/octet-stream";
}

static void serve_file(int fd, const char *dir, const char *target, int head_only) {
    char path[1024];
    size_t tlen = strcspn(target, "?#");
    if (target[0] != '/' || strstr(target, "..") || tlen > 512) { respond(fd, "400 Bad Request", "bad path\n"); return; }
    snprintf(path, sizeof path, "%s%.*s%s", dir, (int)tlen, target, target[tlen - 1] == '/' ? "index.html" : "");
    int file = open(path, O_RDONLY);
    struct stat st;
    if (file < 0 || fstat(file, &st) < 0 || !S_ISREG(st.st_mode)) {
        if (file >= 0) close(file);
        respond(fd, "404 Not Found", "not found\n");
        return;
    }
    char head[256];
    int n = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %lld\r\nConnection: close\r\n\r\n",
                     content_type(path), (long long)st.st_size);
    if (write_all(fd, head, (size_t)n) == 0 && !head_only) {
        static char buf[64 * 1024];
        ssize_t got;
        while ((got = read(file, buf, sizeof buf)) > 0)
            if (write_all(fd, buf, (size_t)got) < 0) break;
    }
    close(file);
}

static void handle(int fd, const char *dir) {
    char head[8192] = "";
    size_t used = 0;
    while (!strstr(head, "\r\n\r\n")) {         /* the request head, at most 8 KiB */
        if (used == sizeof head - 1) { respond(fd, "431 Request Header Fields Too Large", "head too large\n"); return; }
        ssize_t n = read(fd, head + used, sizeof head - 1 - used);
        if (n <= 0) return;
        used += (size_t)n;
        head[used] = 0;
    }
    char method[8], target[1024], upgrade[64], key[64];
    if (sscanf(head, "%7s %1023s", method, target) != 2) { respond(fd, "400 Bad Request", "bad request line\n"); return; }
    header(head, "Upgrade", upgrade, sizeof upgrade);
    header(head, "Sec-WebSocket-Key", key, sizeof key);
    if (strncmp(target, "/echo", 5) == 0 && (target[5] == 0 || target[5] == '?')) {
        if (strcasecmp(upgrade, "websocket") != 0 || !key[0]) { respond(fd, "426 Upgrade Required", "a WebSocket echo\n"); return; }
        echo(fd, key);
    } else if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) {
        serve_file(fd, dir, target, method[0] == 'H');
    } else {
        respond(fd, "405 Method Not Allowed", "GET or HEAD\n");
    }
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: session-httpd PORT DIR\n"); return 2; }
    signal(SIGCHLD, SIG_IGN);                  /* children are reaped by the kernel */
    signal(SIGPIPE, SIG_IGN);
    int server = socket(AF_INET6, SOCK_STREAM, 0);
    int on = 1, off = 0;
    setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    setsockopt(server, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    struct sockaddr_in6 addr = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)atoi(argv[1])), .sin6_addr = in6addr_any};
    if (bind(server, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(server, 128) < 0) { perror("session-httpd"); return 1; }
    for (;;) {
        int fd = accept(server, NULL, NULL);
        if (fd < 0) continue;
        if (fork() == 0) {
            close(server);
            alarm(900);                        /* no connection outlives a quarter hour */
            handle(fd, argv[2]);
            shutdown(fd, SHUT_WR);
            char sink[512];
            while (read(fd, sink, sizeof sink) > 0) {} /* let the client read it all before the close */
            _exit(0);
        }
        close(fd);
    }
}
