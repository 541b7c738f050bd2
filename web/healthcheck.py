"""`python -m web.healthcheck`: exit 0 when /healthz answers 200 (the image's HEALTHCHECK)."""

from __future__ import annotations

import http.client
import socket
import sys

from advisor.settings import SettingsError, load_settings

TIMEOUT = 3  # seconds


class SocketConnection(http.client.HTTPConnection):
    """HTTP over a Unix socket (gunicorn bound to unix:PATH)."""

    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=TIMEOUT)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(TIMEOUT)
        self.sock.connect(self.path)


def main() -> int:
    try:
        settings = load_settings()  # where gunicorn listens: the same ADVISOR_BIND
    except SettingsError as exc:
        print(f"unhealthy: {exc.format_message()}", file=sys.stderr)
        return 1
    if settings.socket_path:
        connection: http.client.HTTPConnection = SocketConnection(settings.socket_path)
    else:
        connection = http.client.HTTPConnection("127.0.0.1", settings.port, timeout=TIMEOUT)
    try:
        connection.request("GET", "/healthz")
        return 0 if connection.getresponse().status == 200 else 1
    except OSError as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    finally:
        connection.close()


if __name__ == "__main__":
    raise SystemExit(main())
