"""Exercise tests/fakeserver.py with the real, installed `openai` client (httpx2 transport)."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from pathlib import Path

import openai
import pytest
from fakeserver import FakeOpenAI, Fault, Reply, default_responder

pytestmark = pytest.mark.timeout(30)

MSGS = [{"role": "user", "content": "Explain LoRA to a chef."}]


def make_client(server: FakeOpenAI, **kw) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0, **kw)


def ask(client: openai.OpenAI, content: str = "Explain LoRA to a chef.", **kw):
    return client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": content}], **kw)


def test_real_openai_client_installed():
    major = int(openai.__version__.split(".")[0])
    assert major >= 1, openai.__version__
    assert hasattr(openai.OpenAI, "chat")
    # the real package, not a stub shadowing it
    assert Path(openai.__file__).parent.name == "openai" and "site-packages" in openai.__file__


def test_normal_completion_parsed_with_usage():
    with FakeOpenAI() as server:
        assert server.base_url.startswith("http://127.0.0.1:") and server.base_url.endswith("/v1")
        client = make_client(server)
        resp = client.chat.completions.create(model="gpt-4.1-mini", messages=MSGS, temperature=0.2)
        assert resp.object == "chat.completion"
        assert resp.id.startswith("chatcmpl-")
        assert resp.model == "gpt-4.1-mini"
        choice = resp.choices[0]
        assert choice.finish_reason == "stop"
        assert choice.message.role == "assistant"
        assert choice.message.refusal is None
        text = choice.message.content
        assert text and not text.lstrip().startswith("#")
        assert resp.usage.completion_tokens == len(text) // 4
        assert resp.usage.prompt_tokens == len(MSGS[0]["content"]) // 4
        assert resp.usage.total_tokens == resp.usage.prompt_tokens + resp.usage.completion_tokens
        # recorded request
        assert server.count == 1 and len(server.requests) == 1
        rec = server.requests[0]
        assert rec.json["model"] == "gpt-4.1-mini" and rec.json["temperature"] == 0.2
        assert rec.json["messages"] == MSGS
        assert rec.headers["authorization"] == "Bearer sk-test"
        assert rec.status == 200 and isinstance(rec.time, float)
        assert server.in_flight == 0 and server.peak_in_flight == 1 and server.refused == 0


def test_responder_reply_usage_cached_tokens_and_refusal():
    seen = []

    def responder(req):
        seen.append(req)
        if "refuse" in req["messages"][-1]["content"]:
            return Reply(None, refusal="I can't help with that.")
        return Reply("Custom *answer*.", prompt_tokens=1200, completion_tokens=7, cached_tokens=1024)

    with FakeOpenAI(responder=responder) as server:
        client = make_client(server)
        resp = ask(client, "hello")
        assert resp.choices[0].message.content == "Custom *answer*."
        assert (resp.usage.prompt_tokens, resp.usage.completion_tokens, resp.usage.total_tokens) == (1200, 7, 1207)
        assert resp.usage.prompt_tokens_details.cached_tokens == 1024
        r2 = ask(client, "please refuse")
        assert r2.choices[0].message.refusal == "I can't help with that."
        assert r2.choices[0].message.content is None
        assert r2.usage.prompt_tokens_details is None
        assert [s["messages"][0]["content"] for s in seen] == ["hello", "please refuse"]


def test_response_format_requests_return_content():
    from pydantic import BaseModel

    class Verdict(BaseModel):
        ok: bool
        issues: list[str]

    with FakeOpenAI(responder=lambda req: json.dumps({"ok": True, "issues": ["none"]})) as server:
        client = make_client(server)
        resp = ask(
            client,
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "verdict", "strict": True, "schema": Verdict.model_json_schema()},
            },
        )
        assert json.loads(resp.choices[0].message.content) == {"ok": True, "issues": ["none"]}
        parsed = client.chat.completions.parse(model="gpt-4o-mini", messages=MSGS, response_format=Verdict)
        assert parsed.choices[0].message.parsed == Verdict(ok=True, issues=["none"])
        assert server.requests[1].json["response_format"]["type"] == "json_schema"


def test_scripted_429_retry_after_seen_by_client():
    with FakeOpenAI() as server:
        server.push(Fault.status(429, retry_after=7))
        client = make_client(server)
        with pytest.raises(openai.RateLimitError) as ei:
            ask(client)
        e = ei.value
        assert e.status_code == 429
        assert e.response.headers["retry-after"] == "7"
        assert e.code == "rate_limit_exceeded" and e.type == "rate_limit_error"
        # the fault is consumed: next request is normal
        assert ask(client).choices[0].finish_reason == "stop"
        assert [r.status for r in server.requests] == [429, 200]
        assert server.refused == 0  # scripted 429s are not max_in_flight refusals


def test_scripted_500_401_404_and_custom_body():
    with FakeOpenAI() as server:
        server.push(
            Fault.status(500),
            Fault.status(401),
            Fault.status(404),
            Fault.status(503, body={"error": {"message": "custom overload", "type": "server_error", "code": "x"}}),
        )
        client = make_client(server)
        with pytest.raises(openai.InternalServerError) as e500:
            ask(client)
        assert e500.value.status_code == 500
        with pytest.raises(openai.AuthenticationError) as e401:
            ask(client)
        assert e401.value.code == "invalid_api_key"
        with pytest.raises(openai.NotFoundError) as e404:
            ask(client)
        assert e404.value.code == "model_not_found"
        with pytest.raises(openai.InternalServerError) as e503:
            ask(client)
        assert e503.value.status_code == 503 and "custom overload" in e503.value.message
        assert server.pending_faults == 0
        assert [r.status for r in server.requests] == [500, 401, 404, 503]


def test_drop_gives_connection_error():
    with FakeOpenAI() as server:
        server.push(Fault.drop())
        client = make_client(server, timeout=5)
        with pytest.raises(openai.APIConnectionError) as ei:
            ask(client)
        assert not isinstance(ei.value, openai.APITimeoutError)
        assert server.requests[0].status is None and server.requests[0].fault.kind == "drop"
        assert server.in_flight == 0
        assert ask(client).choices[0].message.content  # server still healthy afterwards


def test_hang_past_client_timeout_gives_timeout_error():
    with FakeOpenAI() as server:
        server.push(Fault.hang(3600))  # never answered within the test: only the client's timeout ends the call
        client = make_client(server, timeout=0.4)
        with pytest.raises(openai.APITimeoutError):
            ask(client)
        assert server.in_flight == 1  # still "processing" the hung request
        assert ask(make_client(server, timeout=30)).choices[0].finish_reason == "stop"  # no tight timeout under load
    # leaving the context does not wait out the hang (the module's 30 s timeout would fail the test): it is cut
    hung = server.requests[0]
    assert hung.fault.kind == "hang" and hung.status is None and hung.finished is None and server.in_flight == 0


def test_truncate_gives_finish_reason_length():
    with FakeOpenAI() as server:
        server.push(Fault.truncate("The answer was cut"))
        resp = ask(make_client(server))
        assert resp.choices[0].finish_reason == "length"
        assert resp.choices[0].message.content == "The answer was cut"


def _concurrent(client, n):
    barrier = threading.Barrier(n)
    results = [None] * n

    def work(i):
        barrier.wait()
        try:
            results[i] = ask(client, f"question {i}")
        except Exception as exc:  # noqa: BLE001
            results[i] = exc

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    return results


def test_max_in_flight_refuses_concurrent_extras():
    release = threading.Event()

    def held(request):  # the two admitted answers wait until the three extras have their 429s
        release.wait(20)
        return default_responder(request)

    with FakeOpenAI(responder=held, max_in_flight=2, retry_after=3) as server:
        client = make_client(server)
        outcomes = queue.Queue()
        threads = [threading.Thread(target=lambda i=i: outcomes.put(_outcome(client, i))) for i in range(5)]
        for t in threads:
            t.start()
        refused = [outcomes.get(timeout=20) for _ in range(3)]  # answered while both slots are still taken
        assert all(isinstance(e, openai.RateLimitError) for e in refused), refused
        assert server.in_flight == 2 and server.refused == 3
        release.set()
        for t in threads:
            t.join(20)
        ok = [outcomes.get_nowait() for _ in range(2)]
        assert all(not isinstance(r, Exception) for r in ok), ok
        for e in refused:
            assert e.response.headers["retry-after"] == "3"
            assert e.code == "rate_limit_exceeded" and e.type == "rate_limit_error"
        assert server.refused == 3 and server.count == 5
        assert server.peak_in_flight == 2
        assert [r.status for r in server.requests].count(429) == 3
        # once the slots are free, requests are admitted again
        assert ask(client).choices[0].finish_reason == "stop"
        assert server.in_flight == 0


def _outcome(client, i):
    try:
        return ask(client, f"question {i}")
    except Exception as exc:  # noqa: BLE001
        return exc


def test_peak_in_flight_counted():
    arrived = threading.Barrier(4, timeout=20)  # no answer before all four are in flight

    def together(request):
        arrived.wait()
        return default_responder(request)

    with FakeOpenAI(responder=together) as server:
        results = _concurrent(make_client(server), 4)
        assert all(not isinstance(r, Exception) for r in results), results
        assert server.peak_in_flight == 4
        assert server.in_flight == 0 and server.count == 4


def test_latency_holds_every_answer():
    with FakeOpenAI(latency=3600) as server:  # longer than the test: only the client's timeout ends the calls
        client = make_client(server, timeout=0.5)
        with pytest.raises(openai.APITimeoutError):
            ask(client)
        server.push(Fault.status(503))
        with pytest.raises(openai.APITimeoutError):  # an error answer waits too
            ask(client)
        assert server.in_flight == 2 and [r.status for r in server.requests] == [None, None]


def test_default_responder_is_deterministic_markdown():
    with FakeOpenAI() as server:
        client = make_client(server)
        a1 = ask(client, "What is a vector database?").choices[0].message.content
        a2 = ask(client, "What is a vector database?").choices[0].message.content
        b = ask(client, "What is LoRA?").choices[0].message.content
        assert a1 == a2
        assert a1 != b
        for text in (a1, b):
            words = len(text.split())
            assert 120 <= words <= 190, words
            assert not any(line.lstrip().startswith("#") for line in text.splitlines())
            assert "\n\n" in text and "\n- " in text  # paragraphs and a list


def test_models_endpoint_and_unknown_path():
    with FakeOpenAI() as server:
        client = make_client(server)
        ids = [m.id for m in client.models.list()]
        assert "gpt-4o-mini" in ids
        with pytest.raises(openai.NotFoundError):
            client.get("/nope", cast_to=object)
        assert [(r.method, r.path, r.status) for r in server.requests] == [
            ("GET", "/v1/models", 200),
            ("GET", "/v1/nope", 404),
        ]
        assert server.completions == []


def test_responder_exception_becomes_500_and_is_recorded():
    def boom(req):
        raise ValueError("bad prompt")

    with FakeOpenAI(responder=boom) as server:
        with pytest.raises(openai.InternalServerError) as ei:
            ask(make_client(server))
        assert "bad prompt" in ei.value.message
        assert isinstance(server.errors[0], ValueError)


def test_stop_closes_port():
    with FakeOpenAI() as server:
        client = make_client(server, timeout=2)
        ask(client)  # leaves a keep-alive connection open
        url = server.base_url
    with pytest.raises(openai.APIConnectionError):
        openai.OpenAI(base_url=url, api_key="sk-test", max_retries=0, timeout=2).models.list()


def test_standalone_cli_prints_base_url_and_serves():
    script = Path(__file__).with_name("fakeserver.py")
    proc = subprocess.Popen(
        [sys.executable, str(script), "--port", "0", "--latency", "0.05", "--max-in-flight", "4"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
        client = openai.OpenAI(base_url=url, api_key="sk-test", max_retries=0, timeout=5)
        resp = ask(client)
        assert resp.choices[0].finish_reason == "stop" and resp.usage.completion_tokens > 0
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=5)
    assert proc.returncode == 0
    assert "count=1" in err


# --------------------------------------------------------------------------- prompt cache and Batch API

LONG = "The shared instructions and worked examples of one reader. " * 100  # 5,900 characters: 1,475 tokens


def test_prompt_cache_serves_an_exact_prefix_of_1024_tokens_or_more_in_steps_of_128():
    with FakeOpenAI(prompt_cache=True) as server:
        client = make_client(server)

        def cached(system: str, user: str, **kw) -> int:
            messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
            response = client.chat.completions.create(model="gpt-4o-mini", messages=messages, **kw)
            return response.usage.prompt_tokens_details.cached_tokens

        assert cached(LONG, "concept one") == 0  # nothing seen before
        # The same 5,900 characters then a different ending: 11 whole blocks of 128 tokens (512 characters) shared.
        assert cached(LONG, "concept two") == 1408
        assert cached(LONG[:3000], "short") == 0  # a shared prefix under 1,024 tokens is never served
        assert cached("x" + LONG, "concept three") == 0  # one character more at the start: no exact prefix
        assert cached(LONG, "concept four", prompt_cache_key="reader-a") == 0  # another key routes elsewhere
        assert cached(LONG, "concept five", prompt_cache_key="reader-a") == 1408
        assert server.cached_tokens_total == 2816
        assert server.prompt_tokens_total > 5 * 1400


def test_requests_in_flight_together_do_not_share_the_prefix():
    # The first three answers wait until all three have arrived (so all three are in flight together, however
    # slowly the threads start), and none enters the cache before all three have read it: no timing involved.
    arrived, read = threading.Barrier(3, timeout=30), threading.Barrier(3, timeout=30)
    lock, answered = threading.Lock(), []

    def responder(request: dict) -> str:
        with lock:
            answered.append(1)
            first_three = len(answered) <= 3
        if first_three:
            arrived.wait()
        return default_responder(request)

    with FakeOpenAI(prompt_cache=True, responder=responder) as server:
        insert = server._cache_insert

        def insert_after_all_three_read(request: dict) -> None:  # the cache is read before the answer is made
            if len(answered) <= 3:
                read.wait()
            insert(request)

        server._cache_insert = insert_after_all_three_read
        client = make_client(server)
        results = []

        def one(n: int) -> None:
            messages = [{"role": "system", "content": LONG}, {"role": "user", "content": f"concept {n}"}]
            response = client.chat.completions.create(model="gpt-4o-mini", messages=messages)
            results.append(response.usage.prompt_tokens_details.cached_tokens)

        threads = [threading.Thread(target=one, args=(n,)) for n in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        one(4)
        assert results == [0, 0, 0, 1408]


def batch_lines(n: int) -> bytes:
    lines = [
        {
            "custom_id": f"r{i}",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": f"Explain item {i}."}]},
        }
        for i in range(n)
    ]
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


def test_batch_round_trip_with_the_real_client():
    with FakeOpenAI() as server:
        client = make_client(server)
        uploaded = client.files.create(file=("input.jsonl", batch_lines(3)), purpose="batch")
        assert uploaded.purpose == "batch" and uploaded.bytes == len(batch_lines(3))
        batch = client.batches.create(
            input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h", metadata={"run": "1"}
        )
        assert batch.status == "validating" and batch.metadata == {"run": "1"}
        done = client.batches.retrieve(batch.id)
        assert done.status == "completed" and done.error_file_id is None
        assert (done.request_counts.total, done.request_counts.completed) == (3, 3)
        lines = [json.loads(line) for line in client.files.content(done.output_file_id).text.splitlines()]
        assert [line["custom_id"] for line in lines] == ["r0", "r1", "r2"]
        assert all(line["response"]["status_code"] == 200 for line in lines)
        assert lines[0]["response"]["body"]["choices"][0]["message"]["content"]
        assert [b.id for b in client.batches.list()] == [batch.id]
        assert [custom_id for _, custom_id, _ in server.batch_lines] == ["r0", "r1", "r2"]
        assert client.batches.retrieve(batch.id).status == "completed" and len(server.batch_lines) == 3  # runs once


def test_batch_outcomes_expired_held_failed_and_bad_requests():
    with FakeOpenAI() as server:
        client = make_client(server)
        file_id = client.files.create(file=("input.jsonl", batch_lines(3)), purpose="batch").id
        server.plan_batches(("expired", 1), "hold", ("failed", "line 2: bad model"))

        def create():
            return client.batches.create(
                input_file_id=file_id, endpoint="/v1/chat/completions", completion_window="24h"
            )

        expired = client.batches.retrieve(create().id)
        assert expired.status == "expired" and expired.request_counts.completed == 1
        errors = [json.loads(line) for line in client.files.content(expired.error_file_id).text.splitlines()]
        assert [(e["custom_id"], e["error"]["code"]) for e in errors] == [
            ("r1", "batch_expired"),
            ("r2", "batch_expired"),
        ]
        held = create()
        assert client.batches.retrieve(held.id).status == "in_progress"
        server.finish_batches()
        assert client.batches.retrieve(held.id).status == "completed"
        failed = client.batches.retrieve(create().id)
        assert failed.status == "failed" and failed.errors.data[0].message == "line 2: bad model"
        with pytest.raises(openai.BadRequestError, match="completion_window"):
            client.batches.create(input_file_id=file_id, endpoint="/v1/chat/completions", completion_window="1h")
        with pytest.raises(openai.NotFoundError):
            client.batches.retrieve("batch_missing")
        with pytest.raises(openai.BadRequestError, match="input_file_id"):
            client.batches.create(
                input_file_id="file-missing", endpoint="/v1/chat/completions", completion_window="24h"
            )


def test_a_japanese_character_counts_as_a_token_in_usage_and_in_the_cache():
    japanese = "低ランク適応は重みを凍結して小さな更新だけを学ぶ" * 50  # 1,200 characters, kanji and kana only
    with FakeOpenAI(prompt_cache=True) as server:
        client = make_client(server)

        def ask_about(item: str):
            messages = [{"role": "system", "content": japanese}, {"role": "user", "content": item}]
            return client.chat.completions.create(model="gpt-4o-mini", messages=messages).usage

        first = ask_about("一つ目")
        assert first.prompt_tokens == 1200 + 3  # a token per character (the newline between messages is less than one)
        assert ask_about("二つ目").prompt_tokens_details.cached_tokens == 1152  # 9 whole blocks of 128


# --------------------------------------------------------------------------- the fake's answers have the real shapes


def _real(model_class, data):
    """`data` validated by the SDK's own model (strict: no coercion), with no key the model does not know."""
    from pydantic import BaseModel

    parsed = model_class.model_validate(data, strict=True)
    unknown = []

    def walk(value, path):
        if isinstance(value, BaseModel):
            unknown.extend(f"{path}.{key}" for key in value.model_extra or {})
            for name in type(value).model_fields:
                walk(getattr(value, name), f"{path}.{name}")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, f"{path}[{i}]")

    walk(parsed, model_class.__name__)
    assert unknown == [], f"keys only the fake has: {unknown}"
    return parsed


def _error(exc: openai.APIStatusError):
    from openai.types.shared import ErrorObject

    body = exc.response.json()
    assert list(body) == ["error"] and set(body["error"]) == {"message", "type", "param", "code"}  # as OpenAI sends
    return _real(ErrorObject, body["error"])


def test_chat_completions_have_the_sdk_shape():
    from openai.types.chat import ChatCompletion

    replies = iter(
        [
            None,
            Reply("With usage details.", prompt_tokens=1200, completion_tokens=7, cached_tokens=1024),
            Reply(None, refusal="I can't help with that."),
        ]
    )
    with FakeOpenAI(responder=lambda request: next(replies)) as server:
        raw = make_client(server).chat.completions.with_raw_response
        server.push(Fault.truncate("Cut"))  # the first answer; the responder answers the other three
        answers = [raw.create(model="gpt-4o-mini", messages=MSGS).http_response.json() for _ in range(4)]
    truncated, plain, detailed, refused = (_real(ChatCompletion, answer) for answer in answers)
    assert plain.choices[0].message.content and plain.usage.prompt_tokens_details is None
    assert truncated.choices[0].finish_reason == "length"
    assert detailed.usage.prompt_tokens_details.cached_tokens == 1024
    assert refused.choices[0].message.refusal and refused.choices[0].message.content is None


def test_error_answers_have_the_sdk_shape():
    with FakeOpenAI(max_in_flight=0) as server:  # every request refused: the max_in_flight 429
        with pytest.raises(openai.RateLimitError) as refused:
            ask(make_client(server))
    assert _error(refused.value).code == "rate_limit_exceeded"
    with FakeOpenAI() as server:
        client = make_client(server)
        for code in (400, 401, 403, 404, 409, 422, 429, 500, 502, 503):
            server.push(Fault.status(code))
            with pytest.raises(openai.APIStatusError) as scripted:
                ask(client)
            error = _error(scripted.value)
            assert scripted.value.status_code == code and error.message and error.type
        with pytest.raises(openai.APIStatusError) as streaming:
            ask(client, stream=True)
        with pytest.raises(openai.NotFoundError) as unknown:
            client.get("/nope", cast_to=object)
        with pytest.raises(openai.NotFoundError) as no_file:
            client.files.retrieve("file-missing")
        with pytest.raises(openai.BadRequestError) as bad_batch:
            client.batches.create(
                input_file_id="file-missing", endpoint="/v1/chat/completions", completion_window="24h"
            )
    for exc in (streaming, unknown, no_file, bad_batch):
        assert _error(exc.value).message


def test_files_batches_and_models_have_the_sdk_shape():
    from openai.types import Batch, BatchError, FileDeleted, FileObject, Model
    from openai.types.chat import ChatCompletion

    with FakeOpenAI() as server:
        client = make_client(server)
        uploaded = client.files.with_raw_response.create(file=("input.jsonl", batch_lines(3)), purpose="batch")
        file_id = _real(FileObject, uploaded.http_response.json()).id
        assert _real(FileObject, client.files.with_raw_response.retrieve(file_id).http_response.json()).id == file_id
        server.plan_batches("completed", ("expired", 1), "hold", ("failed", "line 2: bad model"))
        batches = client.batches.with_raw_response

        def create():
            answer = batches.create(input_file_id=file_id, endpoint="/v1/chat/completions", completion_window="24h")
            return _real(Batch, answer.http_response.json())

        created = [create() for _ in range(4)]
        assert {b.status for b in created} == {"validating"}
        done, expired, held, failed = (_real(Batch, batches.retrieve(b.id).http_response.json()) for b in created)
        assert (done.status, expired.status, held.status, failed.status) == (
            "completed",
            "expired",
            "in_progress",
            "failed",
        )
        assert _real(BatchError, failed.errors.data[0].model_dump()).message == "line 2: bad model"
        assert _real(Batch, batches.cancel(held.id).http_response.json()).status == "cancelling"
        listed = batches.list().http_response.json()
        assert set(listed) == {"object", "data", "first_id", "last_id", "has_more"} and listed["object"] == "list"
        assert [_real(Batch, b).id for b in listed["data"]] == [b.id for b in reversed(created)]
        # Batch output and error files: one line per request, as the Batch API documents them
        for line in client.files.content(done.output_file_id).text.splitlines():
            record = json.loads(line)
            assert set(record) == {"id", "custom_id", "response", "error"} and record["error"] is None
            assert set(record["response"]) == {"status_code", "request_id", "body"}
            _real(ChatCompletion, record["response"]["body"])
        for line in client.files.content(expired.error_file_id).text.splitlines():
            record = json.loads(line)
            assert set(record) == {"id", "custom_id", "response", "error"} and record["response"] is None
            assert set(record["error"]) == {"code", "message"} and record["error"]["code"] == "batch_expired"
        deleted = client.files.with_raw_response.delete(file_id).http_response.json()
        assert _real(FileDeleted, deleted).deleted is True
        models = client.models.with_raw_response.list().http_response.json()
        assert set(models) == {"object", "data"} and [_real(Model, m).id for m in models["data"]] == server.models
