"""A minimal FastCGI client (responder role) for tests that talk to the
workers' socket directly, bypassing nginx: to send a body slowly, or to hold
a request in flight while the master is signalled."""
import socket
import struct

BEGIN, PARAMS, STDIN, STDOUT, END = 1, 4, 5, 6, 3


def _record(kind, content, req_id=1):
    out = b""
    for i in range(0, max(len(content), 1), 65535):
        chunk = content[i:i + 65535]
        pad = (8 - len(chunk) % 8) % 8
        out += struct.pack(">BBHHBx", 1, kind, req_id, len(chunk), pad) + chunk + b"\0" * pad
        if not content:
            break
    return out


def _pair(k, v):
    k, v = k.encode(), v.encode()

    def ln(n):
        return bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)
    return ln(len(k)) + ln(len(v)) + k + v


class Request:
    """A request to the unix socket path, or to (host, port) over TCP from
    the local address source (None: the kernel's choice)."""

    def __init__(self, path, params, source=None):
        if isinstance(path, tuple):
            self.sock = socket.create_connection(
                path, timeout=30, source_address=(source, 0) if source else None)
        else:
            self.sock = socket.socket(socket.AF_UNIX)
            self.sock.connect(path)
        self.sock.sendall(_record(BEGIN, struct.pack(">HB5x", 1, 0)))
        body = b"".join(_pair(k, v) for k, v in params.items())
        self.sock.sendall(_record(PARAMS, body) + _record(PARAMS, b""))

    def send(self, data):
        self.sock.sendall(_record(STDIN, data))

    def finish(self):
        self.sock.sendall(_record(STDIN, b""))
        out = b""
        buf = b""
        while True:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            buf += chunk
            while len(buf) >= 8:
                _, kind, _, clen, pad = struct.unpack(">BBHHBx", buf[:8])
                if len(buf) < 8 + clen + pad:
                    break
                if kind == STDOUT:
                    out += buf[8:8 + clen]
                buf = buf[8 + clen + pad:]
                if kind == END:
                    self.sock.close()
                    return out
        self.sock.close()
        return out


def params(method, uri, content_type="", length=None):
    p = {"REQUEST_METHOD": method, "DOCUMENT_URI": uri, "SCRIPT_NAME": uri,
         "REQUEST_URI": uri, "QUERY_STRING": "", "CONTENT_TYPE": content_type,
         "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "REQUEST_ID": "test"}
    if length is not None:
        p["CONTENT_LENGTH"] = str(length)
    return p
