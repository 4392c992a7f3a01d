"""The witness over HTTP (`crosstrust log witness`): `POST /add-checkpoint` as c2sp.org/tlog-witness
defines it, and `GET /` with the witness's key (so a log operator can copy it into its configuration).
A plain threaded HTTP server: a witness serves a few logs a few times a minute."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from translog.witness import MAX_BODY, Answer, Witness, _problem


def handler_for(witness: Witness) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "crosstrust-witness"
        protocol_version = "HTTP/1.1"

        def _send(self, answer: Answer) -> None:
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        def do_GET(self) -> None:  # noqa: N802 - the http.server's name
            if self.path.rstrip("/") == "":
                body = (witness.cosigner.key.encode() + "\n").encode()
                self._send(Answer(200, "text/plain; charset=utf-8", body))
            else:
                self._send(_problem(404, "path", f"no {self.path[:100]}: POST /add-checkpoint"))

        def do_POST(self) -> None:  # noqa: N802
            if self.path != "/add-checkpoint":
                self._send(_problem(404, "path", f"no {self.path[:100]}: POST /add-checkpoint"))
                return
            try:
                length = int(self.headers.get("Content-Length", ""))
            except ValueError:
                self._send(_problem(411, "Content-Length", "a body with its length is required"))
                return
            if not 0 <= length <= MAX_BODY:
                self.close_connection = True
                self._send(_problem(413, "body", f"the body is over {MAX_BODY} bytes"))
                return
            self._send(witness.add_checkpoint(self.rfile.read(length)))

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's name
            return

    return Handler


def serve(witness: Witness, host: str, port: int) -> ThreadingHTTPServer:
    """A server bound to host:port (port 0: any free one); call serve_forever on it."""
    return ThreadingHTTPServer((host, port), handler_for(witness))
