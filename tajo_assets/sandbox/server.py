"""Run an ASGI app of the sandbox on 127.0.0.1 in a background thread."""

import socket
import threading
import time
from types import TracebackType

import uvicorn

LOOPBACK = "127.0.0.1"


class ServerThread:
    """Serves one ASGI app over real HTTP on loopback until `stop()`.

    `port=0` picks a free port; the bound port is known as soon as `start()`
    returns, so callers never race for it.
    """

    def __init__(self, app, port: int = 0, name: str = "sandbox") -> None:
        self.app = app
        self.name = name
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((LOOPBACK, port))
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(
            app, log_level="warning", lifespan="off", access_log=False
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._socket]},
            name=f"{name}-http",
            daemon=True,
        )

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self, timeout_s: float = 10.0) -> "ServerThread":
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"{self.name} server thread died while starting")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} server did not start in {timeout_s}s")
            time.sleep(0.01)
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout_s)
        self._socket.close()

    def __enter__(self) -> "ServerThread":
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
