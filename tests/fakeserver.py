"""Loopback OpenAI-compatible HTTP server for tests and benchmarks (stdlib only).

The ``openai`` client talks through ``httpx2``, which respx / pytest-httpx do not
intercept, so tests point a real client at a real socket on 127.0.0.1::

    from fakeserver import FakeOpenAI, Fault, Reply

    with FakeOpenAI(latency=0.0) as server:
        server.push(Fault.status(429, retry_after=2), Fault.drop())
        client = openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0)
        ...
        assert server.count == 3 and server.requests[0].status == 429

Endpoints: ``POST /v1/chat/completions``, ``GET /v1/models``, and the Batch API's
``/v1/files`` (upload, retrieve, content, delete) and ``/v1/batches`` (create,
retrieve, list, cancel).  Anything else gets an OpenAI-style 404.  Streaming
(``"stream": true``) is not implemented and is answered with a 400 error.

Prompt caching (``FakeOpenAI(prompt_cache=True)``) works as OpenAI documents it: a
prompt of at least 1,024 tokens whose exact prefix was processed before (same model
and ``prompt_cache_key``) is served from the cache in steps of 128 tokens, reported as
``usage.prompt_tokens_details.cached_tokens``.  Tokens are 4 characters of the
messages' contents joined by newlines, one per CJK or kana character (as ``prompt_tokens``
counts them); a prompt
enters the cache when its answer is sent, so requests in flight together do not
share it.

Batches: a created batch is ``validating``; on its first retrieve it runs every line
through the same responder (and prompt cache) and ends as the next outcome queued
with ``plan_batches`` (default ``completed``): ``"completed"``, ``"hold"`` (stays
``in_progress`` until ``finish_batches()``), ``("expired", n)`` (only the first n
lines answered, the rest ``batch_expired`` in the error file) or ``("failed",
message)`` (validation failed, no files).

Standalone (benchmarks)::

    python tests/fakeserver.py --port 0 --latency 0.3 [--max-in-flight 4]

prints the base URL on its first stdout line and serves until killed
(SIGINT/SIGTERM; a summary of the counters goes to stderr on exit).
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import random
import re
import signal
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["FakeOpenAI", "Fault", "Reply", "RecordedRequest", "default_responder", "error_body"]

CHAT_PATH = "/v1/chat/completions"
MODELS_PATH = "/v1/models"
FILES_PATH = "/v1/files"
BATCHES_PATH = "/v1/batches"
CACHE_MIN_TOKENS = 1024  # OpenAI: prompts of 1,024 tokens or more
CACHE_STEP_TOKENS = 128  # cache hits in increments of 128 tokens
CHARS_PER_TOKEN = 4


# --------------------------------------------------------------------------- data types


@dataclass
class Reply:
    """What the responder returns for a normal answer (a plain ``str`` is also accepted)."""

    content: str | None
    finish_reason: str = "stop"
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cached_tokens: int | None = None
    refusal: str | None = None


@dataclass
class Fault:
    """A scripted misbehaviour; build with the ``Fault.status/hang/drop/truncate`` helpers."""

    kind: str  # "status" | "hang" | "drop" | "truncate"
    code: int = 0
    retry_after: int | float | str | None = None
    body: Any = None
    seconds: float = 0.0
    text: str = ""
    headers: dict = field(default_factory=dict)

    @classmethod
    def status(
        cls,
        code: int,
        retry_after: int | float | str | None = None,
        body: Any = None,
        headers: dict | None = None,
    ) -> Fault:
        """Answer with HTTP ``code``. ``body`` (dict or str) defaults to an OpenAI error JSON
        matching the code (401 invalid_api_key, 404 model_not_found, 429 rate_limit_exceeded,
        5xx server_error, ...). ``retry_after`` sets the ``Retry-After`` header."""
        return cls("status", code=code, retry_after=retry_after, body=body, headers=dict(headers or {}))

    @classmethod
    def hang(cls, seconds: float) -> Fault:
        """Sleep ``seconds`` and then answer normally (to exceed a client timeout)."""
        return cls("hang", seconds=float(seconds))

    @classmethod
    def drop(cls) -> Fault:
        """Read the request, then shut the connection down without any response."""
        return cls("drop")

    @classmethod
    def truncate(cls, text: str = "Truncated answer") -> Fault:
        """Answer normally with ``text`` and ``finish_reason="length"``."""
        return cls("truncate", text=text)


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict  # header names lower-cased
    json: Any  # parsed body (None for GET / empty / unparsable body)
    time: float  # time.monotonic() at arrival (after the body was read)
    status: int | None = None  # response status; None while pending or when dropped
    fault: Fault | None = None  # the scripted fault applied to this request, if any
    finished: float | None = None  # time.monotonic() when the answer was ready
    raw: bytes = field(default=b"", repr=False)  # the request body as sent
    _held: bool = field(default=False, repr=False)  # counted in in_flight


Responder = Callable[[dict], Reply | str | Fault]


# --------------------------------------------------------------------------- helpers

_ERRORS = {
    400: ("invalid_request_error", None, "Bad request."),
    401: (
        "invalid_request_error",
        "invalid_api_key",
        "Incorrect API key provided: sk-test. You can find your API key at https://platform.openai.com/account/api-keys.",
    ),
    403: (
        "invalid_request_error",
        "unsupported_country_region_territory",
        "Country, region, or territory not supported.",
    ),
    404: ("invalid_request_error", "model_not_found", "The model does not exist or you do not have access to it."),
    409: ("invalid_request_error", "conflict", "Conflict."),
    422: ("invalid_request_error", None, "Unprocessable entity."),
    429: ("rate_limit_error", "rate_limit_exceeded", "Rate limit reached. Please try again later."),
    500: ("server_error", "server_error", "The server had an error while processing your request. Sorry about that!"),
    502: ("server_error", "bad_gateway", "Bad gateway."),
    503: ("server_error", "service_unavailable", "The engine is currently overloaded, please try again later."),
}


def error_body(code: int, message: str | None = None, type_: str | None = None, err_code: str | None = None) -> dict:
    """OpenAI-style error JSON for an HTTP status code."""
    d_type, d_code, d_msg = _ERRORS.get(
        code, ("server_error" if code >= 500 else "invalid_request_error", None, f"HTTP {code}")
    )
    return {
        "error": {
            "message": message or d_msg,
            "type": type_ or d_type,
            "param": None,
            "code": err_code if err_code is not None else d_code,
        }
    }


# Characters tokenizers count about one token each (CJK, kana, Hangul, full-width forms); other text ~4 characters a token.
_WIDE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


def _token_list(text: str) -> list[str]:
    """The text cut into tokens: one per wide character, four characters of anything else (a shorter tail kept)."""
    out: list[str] = []
    start = 0
    for match in _WIDE.finditer(text):
        run = text[start : match.start()]
        out += [run[i : i + CHARS_PER_TOKEN] for i in range(0, len(run), CHARS_PER_TOKEN)]
        out.append(match.group())
        start = match.end()
    run = text[start:]
    out += [run[i : i + CHARS_PER_TOKEN] for i in range(0, len(run), CHARS_PER_TOKEN)]
    return out


def _estimate_tokens(text: str) -> int:
    wide = len(_WIDE.findall(text))
    return wide + (len(text) - wide) // CHARS_PER_TOKEN if wide else len(text) // CHARS_PER_TOKEN


def _prompt_text(request_json: dict) -> str:
    parts = []
    for m in request_json.get("messages") or []:
        c = m.get("content") if isinstance(m, dict) else None
        if isinstance(c, str):
            parts.append(c)
        elif isinstance(c, list):  # content parts
            parts.extend(p.get("text", "") for p in c if isinstance(p, dict))
    return "\n".join(parts)


_WORDS = (
    "model data layer token weight gradient training inference signal pattern context memory "
    "vector space function input output example error loss batch step update parameter network "
    "attention sequence word meaning score probability sample noise rule feature label map "
    "system process result value idea picture recipe kitchen library map journey bridge "
    "simple small large careful quick slow useful common rare stable precise rough"
).split()
_VERBS = "learns maps turns compares stores adjusts predicts measures combines filters reuses keeps".split()


def default_responder(request_json: dict) -> str:
    """Deterministic ~150-word Markdown answer (no title) derived from a hash of the messages."""
    messages = request_json.get("messages") or []
    digest = hashlib.sha256(json.dumps(messages, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    rng = random.Random(digest)

    def sentence(n: int) -> str:
        words = [rng.choice(_WORDS) for _ in range(n)]
        words.insert(rng.randrange(1, n), rng.choice(_VERBS))
        s = " ".join(words)
        if rng.random() < 0.3:
            w = rng.choice(_WORDS)
            s = s.replace(w, f"**{w}**", 1) if w in s.split() else s
        return s[0].upper() + s[1:] + "."

    para1 = " ".join(sentence(rng.randint(8, 11)) for _ in range(4))  # ~44 words
    bullets = "\n".join(f"- {sentence(rng.randint(6, 8))}" for _ in range(4))  # ~32 words
    para2 = " ".join(sentence(rng.randint(8, 11)) for _ in range(4))  # ~44 words
    para3 = " ".join(sentence(rng.randint(8, 10)) for _ in range(3))  # ~30 words
    # The reference is letters only: a real answer's figures come from its concept, and the
    # number check would (rightly) reject a figure invented by a fake.
    ref = digest[:8].translate(str.maketrans("0123456789", "ghijklmnop"))
    return f"{para1}\n\n{bullets}\n\n{para2}\n\n{para3} (ref {ref})\n"


# --------------------------------------------------------------------------- HTTP handler


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every response carries Content-Length
    server_version = "FakeOpenAI/1.0"
    sys_version = ""
    fake: FakeOpenAI  # set on the per-server subclass

    def log_message(self, format: str, *args: Any) -> None:  # silence stderr noise
        pass

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm and
        # the client's delayed ACK add ~40 ms to every answer on a kept-alive connection.
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        self.fake._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.fake._track(self.connection, add=False)

    # -- plumbing

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send_json(self, status: int, payload: Any, headers: dict | None = None) -> None:
        if isinstance(payload, (bytes, bytearray)):
            data = bytes(payload)
        elif isinstance(payload, str):
            data = payload.encode()
        else:
            data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            if not any(k.lower() == "content-type" for k in (headers or {})):  # a fault may answer with another type
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-request-id", "req_" + uuid.uuid4().hex[:24])
            for k, v in (headers or {}).items():
                self.send_header(k, str(v))
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:  # client went away (e.g. timed out during a hang)
            self.close_connection = True

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # -- verbs

    def do_GET(self) -> None:
        self._dispatch("GET", b"")

    def do_POST(self) -> None:
        self._dispatch("POST", self._read_body())

    def do_PUT(self) -> None:
        self._dispatch("PUT", self._read_body())

    def do_DELETE(self) -> None:
        self._dispatch("DELETE", self._read_body())

    def _dispatch(self, method: str, raw: bytes) -> None:
        fake = self.fake
        path = self.path.split("?", 1)[0]
        parsed: Any = None
        bad_json = False
        if raw:
            try:
                parsed = json.loads(raw)
            except ValueError:
                bad_json = True
        rec = RecordedRequest(
            method=method,
            path=path,
            headers={k.lower(): v for k, v in self.headers.items()},
            json=parsed,
            time=time.monotonic(),
        )
        rec.raw = raw
        admitted = fake._admit(rec)
        if not admitted:
            fake._done(rec, 429)
            self._send_json(
                429,
                error_body(
                    429,
                    "Rate limit reached: too many requests in flight (fake server max_in_flight).",
                    "rate_limit_error",
                    "rate_limit_exceeded",
                ),
                {"Retry-After": fake.retry_after},
            )
            return
        try:
            if path == MODELS_PATH and method == "GET":
                body = {
                    "object": "list",
                    "data": [
                        {"id": m, "object": "model", "created": 1700000000, "owned_by": "fake"} for m in fake.models
                    ],
                }
                fake._done(rec, 200)
                self._send_json(200, body)
            elif path == CHAT_PATH and method == "POST":
                if bad_json or not isinstance(parsed, dict):
                    fake._done(rec, 400)
                    self._send_json(400, error_body(400, "We could not parse the JSON body of your request."))
                    return
                self._chat(rec, parsed)
            elif path == FILES_PATH or path.startswith(FILES_PATH + "/"):
                self._files(rec, method, path, raw)
            elif path == BATCHES_PATH or path.startswith(BATCHES_PATH + "/"):
                self._batches(rec, method, path, parsed)
            else:
                fake._done(rec, 404)
                self._send_json(
                    404, error_body(404, f"Invalid URL ({method} {path})", "invalid_request_error", "unknown_url")
                )
        finally:
            fake._release(rec)

    def _chat(self, rec: RecordedRequest, req: dict) -> None:
        fake = self.fake
        fault = fake._next_fault()
        rec.fault = fault
        if req.get("stream"):
            fake._done(rec, 400)
            self._send_json(
                400, error_body(400, "FakeOpenAI does not implement streaming.", "invalid_request_error", "unsupported")
            )
            return
        if fault is None and fake.responder is not None:
            try:
                result = fake.responder(req)
            except Exception as exc:  # surface responder bugs as a 500 with the message
                fake.errors.append(exc)
                fake._done(rec, 500)
                self._send_json(500, error_body(500, f"responder raised {type(exc).__name__}: {exc}"))
                return
            if isinstance(result, Fault):
                fault = rec.fault = result
        else:
            result = None

        if fault is not None and fault.kind == "status":
            hdrs = dict(fault.headers)
            if fault.retry_after is not None:
                hdrs["Retry-After"] = fault.retry_after
            body = fault.body if fault.body is not None else error_body(fault.code)
            if not fake._sleep(fake.latency):
                return self._drop()
            fake._done(rec, fault.code)
            self._send_json(fault.code, body, hdrs)
            return
        if fault is not None and fault.kind == "drop":
            fake._done(rec, None)
            self._drop()
            return

        cached = fake.cache_peek(req) if fake.prompt_cache else None  # what the cache held as the request arrived
        delay = fake.latency + (fault.seconds if fault is not None and fault.kind == "hang" else 0.0)
        if not fake._sleep(delay):  # server stopping: give up silently
            return self._drop()

        if fault is not None and fault.kind == "truncate":
            reply = Reply(fault.text, finish_reason="length")
        else:
            if result is None:
                result = default_responder(req)
            reply = Reply(result) if isinstance(result, str) else result

        fake._done(rec, 200)
        self._send_json(200, fake._completion(req, reply, cached))

    # -- files and batches

    def _send_bytes(self, status: int, data: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            self.close_connection = True

    def _not_found(self, rec: RecordedRequest, what: str) -> None:
        self.fake._done(rec, 404)
        self._send_json(404, error_body(404, f"No such {what}.", "invalid_request_error", None))

    def _files(self, rec: RecordedRequest, method: str, path: str, raw: bytes) -> None:
        fake = self.fake
        parts = path[len(FILES_PATH) :].strip("/").split("/") if path != FILES_PATH else []
        if method == "POST" and not parts:
            fields = _multipart(self.headers.get("Content-Type", ""), raw)
            upload = fields.get("file")
            purpose = fields.get("purpose", (None, b""))[1].decode()
            if upload is None or not purpose:
                fake._done(rec, 400)
                self._send_json(400, error_body(400, "'file' and 'purpose' are required."))
                return
            obj = fake._add_file(upload[1], upload[0] or "upload.jsonl", purpose)
            fake._done(rec, 200)
            self._send_json(200, obj)
            return
        with fake.lock:
            stored = fake.files.get(parts[0]) if parts else None
        if stored is None:
            return self._not_found(rec, "file")
        if method == "GET" and len(parts) == 2 and parts[1] == "content":
            fake._done(rec, 200)
            self._send_bytes(200, stored["data"])
        elif method == "GET" and len(parts) == 1:
            fake._done(rec, 200)
            self._send_json(200, stored["object"])
        elif method == "DELETE" and len(parts) == 1:
            with fake.lock:
                fake.files.pop(parts[0], None)
            fake._done(rec, 200)
            self._send_json(200, {"id": parts[0], "object": "file", "deleted": True})
        else:
            self._not_found(rec, "file route")

    def _batches(self, rec: RecordedRequest, method: str, path: str, req: Any) -> None:
        fake = self.fake
        parts = path[len(BATCHES_PATH) :].strip("/").split("/") if path != BATCHES_PATH else []
        if method == "POST" and not parts:
            if not isinstance(req, dict):
                fake._done(rec, 400)
                self._send_json(400, error_body(400, "We could not parse the JSON body of your request."))
                return
            problem = fake._batch_problem(req)
            if problem:
                fake._done(rec, 400)
                self._send_json(400, error_body(400, problem))
                return
            obj = fake._create_batch(req)
            fake._done(rec, 200)
            self._send_json(200, obj)
            return
        if method == "GET" and not parts:
            with fake.lock:
                data = [dict(b) for b in reversed(list(fake.batches.values()))]
            fake._done(rec, 200)
            self._send_json(
                200,
                {
                    "object": "list",
                    "data": data,
                    "first_id": data[0]["id"] if data else None,
                    "last_id": data[-1]["id"] if data else None,
                    "has_more": False,
                },
            )
            return
        with fake.lock:
            known = parts[0] in fake.batches if parts else False
        if not known:
            return self._not_found(rec, "batch")
        if method == "GET" and len(parts) == 1:
            obj = fake._advance_batch(parts[0])
        elif method == "POST" and len(parts) == 2 and parts[1] == "cancel":
            obj = fake._cancel_batch(parts[0])
        else:
            return self._not_found(rec, "batch route")
        fake._done(rec, 200)
        self._send_json(200, obj)


def _multipart(content_type: str, raw: bytes) -> dict[str, tuple[str | None, bytes]]:
    """The fields of a multipart/form-data body: name -> (filename, bytes)."""
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw)
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            fields[name] = (part.get_filename(), part.get_payload(decode=True) or b"")
    return fields


def _blocks(text: str, seed: str) -> list[str]:
    """Chained hashes of each whole 128-token block of a prompt: block k's hash stands for the
    exact prefix up to its end, so two prompts share a cached prefix exactly as far as their
    hashes agree."""
    tokens = _token_list(text)
    out, digest = [], hashlib.sha256(seed.encode()).hexdigest()
    for start in range(0, len(tokens) - CACHE_STEP_TOKENS + 1, CACHE_STEP_TOKENS):
        block = "\x00".join(tokens[start : start + CACHE_STEP_TOKENS])
        digest = hashlib.sha256((digest + block).encode()).hexdigest()
        out.append(digest)
    return out


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


# --------------------------------------------------------------------------- public server


class FakeOpenAI:
    """Loopback OpenAI-compatible server; use as a context manager (or ``start()``/``stop()``)."""

    models = ["gpt-4o-mini", "gpt-4o", "gpt-4.1-mini"]

    def __init__(
        self,
        responder: Responder | None = None,
        latency: float = 0.0,
        max_in_flight: int | None = None,
        retry_after: int | float | str = 1,
        host: str = "127.0.0.1",
        port: int = 0,
        prompt_cache: bool = False,
    ) -> None:
        self.responder = responder
        self.prompt_cache = prompt_cache
        self.cached_blocks: set[str] = set()
        self.prompt_tokens_total = 0  # over every answer (batches included)
        self.cached_tokens_total = 0
        self.files: dict[str, dict] = {}
        self.batches: dict[str, dict] = {}
        self.batch_lines: list[tuple[str, str, dict]] = []  # (batch id, custom_id, body) of every line run
        self._batch_outcomes: collections.deque = collections.deque()
        self._batch_work: dict[str, dict] = {}
        self.latency = float(latency)
        self.max_in_flight = max_in_flight
        self.retry_after = retry_after
        self.requests: list[RecordedRequest] = []
        self.errors: list[BaseException] = []  # exceptions raised by the responder
        self.in_flight = 0
        self.peak_in_flight = 0
        self.count = 0  # requests received (all endpoints, refused ones included)
        self.refused = 0  # answered 429 by max_in_flight (scripted 429 faults not counted)
        self.lock = threading.Lock()
        self._faults: collections.deque[Fault] = collections.deque()
        self._conns: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._host, self._port = host, port
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle

    def start(self) -> FakeOpenAI:
        handler = type("BoundHandler", (_Handler,), {"fake": self})
        self._httpd = _Server((self._host, self._port), handler)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="FakeOpenAI", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._stopping.set()  # wakes latency / hang sleeps
        self._httpd.shutdown()
        with self.lock:
            conns = list(self._conns)
        for c in conns:  # unblock keep-alive handlers waiting for the next request
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return (
            f"http://127.0.0.1:{self.port}/v1"
            if self._host in ("127.0.0.1", "0.0.0.0", "")
            else f"http://{self._host}:{self.port}/v1"
        )

    # -- scripting

    def push(self, *faults: Fault) -> None:
        """Queue faults (FIFO); each chat-completion request consumes at most one."""
        with self.lock:
            self._faults.extend(faults)

    @property
    def pending_faults(self) -> int:
        with self.lock:
            return len(self._faults)

    @property
    def completions(self) -> list[RecordedRequest]:
        """Recorded POST /v1/chat/completions requests."""
        with self.lock:
            return [r for r in self.requests if r.path == CHAT_PATH]

    # -- internals used by the handler

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self.lock:
            (self._conns.add if add else self._conns.discard)(conn)

    def _admit(self, rec: RecordedRequest) -> bool:
        with self.lock:
            self.requests.append(rec)
            self.count += 1
            if self.max_in_flight is not None and self.in_flight >= self.max_in_flight:
                self.refused += 1
                return False
            self.in_flight += 1
            rec._held = True
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            return True

    def _done(self, rec: RecordedRequest, status: int | None) -> None:
        """Record the status and leave the in-flight set *before* the bytes go out, so a
        client that has its answer already sees consistent counters."""
        with self.lock:
            rec.status = status
            rec.finished = time.monotonic()
            self._unhold(rec)

    def _release(self, rec: RecordedRequest) -> None:
        with self.lock:
            self._unhold(rec)

    def _unhold(self, rec: RecordedRequest) -> None:  # caller holds self.lock
        if rec._held:
            rec._held = False
            self.in_flight -= 1

    def _next_fault(self) -> Fault | None:
        with self.lock:
            return self._faults.popleft() if self._faults else None

    def _sleep(self, seconds: float) -> bool:
        """Sleep, but return False early if the server is stopping."""
        if seconds <= 0:
            return not self._stopping.is_set()
        return not self._stopping.wait(seconds)

    def _completion(self, req: dict, reply: Reply, cached: int | None = None) -> dict:
        content = reply.content
        prompt_tokens = reply.prompt_tokens if reply.prompt_tokens is not None else _estimate_tokens(_prompt_text(req))
        completion_tokens = (
            reply.completion_tokens
            if reply.completion_tokens is not None
            else _estimate_tokens((content or "") + (reply.refusal or ""))
        )
        usage: dict[str, Any] = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        if reply.cached_tokens is not None:
            cached = reply.cached_tokens
        elif self.prompt_cache:
            cached = min(prompt_tokens, self.cache_peek(req) if cached is None else cached)
            self._cache_insert(req)
        else:
            cached = None
        if cached is not None:
            usage["prompt_tokens_details"] = {"cached_tokens": cached, "audio_tokens": 0}
        with self.lock:
            self.prompt_tokens_total += prompt_tokens
            self.cached_tokens_total += cached or 0
        return {
            "id": "chatcmpl-" + uuid.uuid4().hex,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": req.get("model") or "gpt-4o-mini",
            "system_fingerprint": "fp_fake",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": reply.refusal, "annotations": []},
                    "logprobs": None,
                    "finish_reason": reply.finish_reason,
                }
            ],
            "usage": usage,
            "service_tier": req.get("service_tier") or "default",
        }

    # -- prompt cache

    def cache_peek(self, req: dict) -> int:
        """Tokens of this prompt the cache holds now, as the request arrives (0 under 1,024)."""
        hit = 0
        with self.lock:
            for digest in _blocks(_prompt_text(req), _cache_seed(req)):
                if digest not in self.cached_blocks:
                    break
                hit += 1
        cached = hit * CACHE_STEP_TOKENS
        return cached if cached >= CACHE_MIN_TOKENS else 0

    def _cache_insert(self, req: dict) -> None:
        """The prompt's prefix is cached once it has been processed."""
        blocks = _blocks(_prompt_text(req), _cache_seed(req))
        with self.lock:
            self.cached_blocks.update(blocks)

    # -- files and batches

    def _add_file(self, data: bytes, filename: str, purpose: str) -> dict:
        file_id = "file-" + uuid.uuid4().hex[:24]
        obj = {
            "id": file_id,
            "object": "file",
            "bytes": len(data),
            "created_at": int(time.time()),
            "filename": filename,
            "purpose": purpose,
            "status": "processed",
            "expires_at": None,
            "status_details": None,
        }
        with self.lock:
            self.files[file_id] = {"data": data, "object": obj}
        return obj

    def plan_batches(self, *outcomes: Any) -> None:
        """Queue how the next created batches end (see the module docstring)."""
        with self.lock:
            self._batch_outcomes.extend(outcomes)

    def finish_batches(self) -> None:
        """Let every held batch complete on its next retrieve."""
        with self.lock:
            for work in self._batch_work.values():
                if work["outcome"] == "hold":
                    work["outcome"] = "completed"

    def _batch_problem(self, req: dict) -> str | None:
        with self.lock:
            stored = self.files.get(req.get("input_file_id") or "")
        if stored is None:
            return f"Invalid 'input_file_id': {req.get('input_file_id')!r}."
        if req.get("endpoint") != CHAT_PATH:
            return f"Invalid 'endpoint': {req.get('endpoint')!r}; this server batches {CHAT_PATH} only."
        if req.get("completion_window") != "24h":
            return "Invalid 'completion_window': only '24h' is supported."
        if stored["object"]["purpose"] != "batch":
            return "The input file's purpose must be 'batch'."
        return None

    def _create_batch(self, req: dict) -> dict:
        batch_id = "batch_" + uuid.uuid4().hex[:24]
        now = int(time.time())
        obj = {
            "id": batch_id,
            "object": "batch",
            "endpoint": req["endpoint"],
            "errors": None,
            "input_file_id": req["input_file_id"],
            "completion_window": "24h",
            "status": "validating",
            "output_file_id": None,
            "error_file_id": None,
            "created_at": now,
            "in_progress_at": None,
            "expires_at": now + 86400,
            "finalizing_at": None,
            "completed_at": None,
            "failed_at": None,
            "expired_at": None,
            "cancelling_at": None,
            "cancelled_at": None,
            "request_counts": {"total": 0, "completed": 0, "failed": 0},
            "metadata": req.get("metadata"),
        }
        with self.lock:
            outcome = self._batch_outcomes.popleft() if self._batch_outcomes else "completed"
            self.batches[batch_id] = obj
            self._batch_work[batch_id] = {"outcome": outcome}
        return dict(obj)

    def _cancel_batch(self, batch_id: str) -> dict:
        with self.lock:
            obj = self.batches[batch_id]
            if obj["status"] in ("validating", "in_progress"):
                self._batch_work[batch_id]["outcome"] = "cancelled"
                obj.update(status="cancelling", cancelling_at=int(time.time()))
            return dict(obj)

    def _advance_batch(self, batch_id: str) -> dict:
        """Run a batch on its first retrieve after creation (or after finish_batches)."""
        with self.lock:
            obj = self.batches[batch_id]
            work = self._batch_work[batch_id]
            if obj["status"] not in ("validating", "in_progress", "cancelling"):
                return dict(obj)
            outcome = work["outcome"]
            if outcome == "hold":
                obj.update(status="in_progress", in_progress_at=obj["in_progress_at"] or int(time.time()))
                return dict(obj)
            data = self.files[obj["input_file_id"]]["data"]
        now = int(time.time())
        if isinstance(outcome, tuple) and outcome[0] == "failed":
            with self.lock:
                obj.update(
                    status="failed",
                    failed_at=now,
                    errors={
                        "object": "list",
                        "data": [{"code": "invalid_request", "message": outcome[1], "param": None, "line": None}],
                    },
                )
                return dict(obj)
        lines = [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]
        answered = len(lines)
        if isinstance(outcome, tuple) and outcome[0] == "expired":
            answered = int(outcome[1])
        elif outcome == "cancelled":
            answered = 0
        outputs, errors = [], []
        for index, line in enumerate(lines):
            custom_id = line.get("custom_id")
            if index >= answered:
                code = "batch_cancelled" if outcome == "cancelled" else "batch_expired"
                errors.append(
                    {
                        "id": "batch_req_" + uuid.uuid4().hex[:24],
                        "custom_id": custom_id,
                        "response": None,
                        "error": {
                            "code": code,
                            "message": "This request could not be executed before the completion window expired."
                            if code == "batch_expired"
                            else "The batch was cancelled before this request executed.",
                        },
                    }
                )
                continue
            with self.lock:
                self.batch_lines.append((batch_id, custom_id, line.get("body") or {}))
            status, body = self._batch_answer(line.get("body") or {})
            record = {
                "id": "batch_req_" + uuid.uuid4().hex[:24],
                "custom_id": custom_id,
                "response": {"status_code": status, "request_id": "req_" + uuid.uuid4().hex[:24], "body": body},
                "error": None,
            }
            (outputs if status == 200 else errors).append(record)
        out_id = self._add_file(_jsonl(outputs), "batch_output.jsonl", "batch_output")["id"] if outputs else None
        err_id = self._add_file(_jsonl(errors), "batch_errors.jsonl", "batch_output")["id"] if errors else None
        final = (
            "completed" if outcome in ("completed", "hold") else "cancelled" if outcome == "cancelled" else "expired"
        )
        with self.lock:
            obj.update(
                status=final,
                output_file_id=out_id,
                error_file_id=err_id,
                in_progress_at=obj["in_progress_at"] or now,
                finalizing_at=now,
                request_counts={"total": len(lines), "completed": len(outputs), "failed": len(errors)},
                **{f"{final}_at": now},
            )
            return dict(obj)

    def _batch_answer(self, req: dict) -> tuple[int, dict]:
        """One batch line through the responder: (status code, body)."""
        result: Any = None
        if self.responder is not None:
            try:
                result = self.responder(req)
            except Exception as exc:
                self.errors.append(exc)
                return 500, error_body(500, f"responder raised {type(exc).__name__}: {exc}")
        if isinstance(result, Fault):
            if result.kind == "status":
                return result.code, result.body if result.body is not None else error_body(result.code)
            if result.kind == "truncate":
                return 200, self._completion(req, Reply(result.text, finish_reason="length"))
            result = None
        if result is None:
            result = default_responder(req)
        reply = Reply(result) if isinstance(result, str) else result
        return 200, self._completion(req, reply)


def _cache_seed(req: dict) -> str:
    """Prompts share a cache by model and `prompt_cache_key` (which routes them to one machine)."""
    return f"{req.get('model')}\0{req.get('prompt_cache_key') or ''}"


def _jsonl(records: list[dict]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode("utf-8")


# --------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Loopback OpenAI-compatible fake server")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--latency", type=float, default=0.0, help="seconds before each completion answer")
    ap.add_argument("--max-in-flight", type=int, default=None, help="429 beyond this many concurrent requests")
    ap.add_argument("--retry-after", default="1", help="Retry-After value for max-in-flight 429s")
    ap.add_argument("--prompt-cache", action="store_true", help="cache prompt prefixes as OpenAI documents")
    args = ap.parse_args(argv)

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    server = FakeOpenAI(
        latency=args.latency,
        max_in_flight=args.max_in_flight,
        retry_after=args.retry_after,
        host=args.host,
        port=args.port,
        prompt_cache=args.prompt_cache,
    )
    with server:
        print(server.base_url, flush=True)
        while not stop.wait(0.5):
            pass
    print(
        f"fakeserver: count={server.count} refused={server.refused} peak_in_flight={server.peak_in_flight}",
        file=sys.stderr,
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
