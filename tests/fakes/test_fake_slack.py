"""FakeSlack answers the real slack_sdk WebClient the way Slack does, and records it.

Every test drives the fake through the real client (or Bolt, or raw HTTP for the
wire details), so what passes here is what the bot's own code will meet.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from urllib.error import HTTPError

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.webhook import WebhookClient

from tests.fakes.slack import ALL_SCOPES, SCOPES_BY_METHOD, FakeSlack

META = {"event_type": "imgmetrics_outbox", "event_payload": {"outbox_id": 42}}


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as running:
        yield running


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(base_url=fake.url, token="xoxb-test", retry_handlers=[])


def _error(call: Callable[[], object]) -> str:
    """The Slack error code a failing WebClient call raised."""
    with pytest.raises(SlackApiError) as raised:
        call()
    return str(raised.value.response["error"])


def test_starts_fast_and_closes_cleanly() -> None:
    started = time.perf_counter()
    fake = FakeSlack()
    assert time.perf_counter() - started < 0.5
    assert fake.url.startswith("http://127.0.0.1:") and fake.url.endswith("/api/")
    assert httpx.post(fake.url + "auth.test", headers={"Authorization": "Bearer xoxb-test"}).json()[
        "ok"
    ]
    closing = time.perf_counter()
    fake.close()
    fake.close()  # idempotent
    assert time.perf_counter() - closing < 0.5
    with pytest.raises(httpx.ConnectError):
        httpx.post(fake.url + "auth.test")


def test_auth_and_recording_without_secrets(fake: FakeSlack, client: WebClient) -> None:
    assert client.auth_test()["user_id"] == "UBOT"
    bad = WebClient(base_url=fake.url, token="xoxb-wrong", retry_handlers=[])
    assert _error(bad.auth_test) == "invalid_auth"
    assert _error(lambda: WebClient(base_url=fake.url).auth_test()) == "not_authed"
    form = httpx.post(fake.url + "auth.test", data={"token": "xoxb-test"}).json()
    assert form["ok"] is True  # a token form field works too, as on Slack
    calls = fake.calls("auth.test")
    assert [c.ok for c in calls] == [True, False, False, True]
    for call in calls:
        assert "token" not in call.params
        assert all(k.lower() != "authorization" for k in call.headers)
    assert _error(lambda: client.api_call("no.suchMethod")) == "unknown_method"


def test_posts_threads_updates_and_history(fake: FakeSlack, client: WebClient) -> None:
    first = client.chat_postMessage(channel="C1", text="alert", metadata=META)
    reply = client.chat_postMessage(channel="C1", text="why", thread_ts=first["ts"])
    second = client.chat_postMessage(channel="C1", text="digest", blocks=_section("*digest*"))
    assert float(first["ts"]) < float(reply["ts"]) < float(second["ts"])
    client.chat_update(channel="C1", ts=first["ts"], text="alert resolved")

    seen = fake.messages("C1")
    assert [m["text"] for m in seen] == ["alert resolved", "why", "digest"]
    assert seen[0]["edited"] and seen[0]["metadata"] == META and seen[0]["thread_ts"] == first["ts"]
    assert seen[1]["thread_ts"] == first["ts"] and seen[2]["blocks"] == _section("*digest*")

    history = client.conversations_history(channel="C1")["messages"]
    assert [m["text"] for m in history] == ["digest", "alert resolved"]  # newest first, no replies
    assert all("metadata" not in m for m in history)
    assert history[1]["reply_count"] == 1
    tagged = client.conversations_history(channel="C1", include_all_metadata=True)["messages"]
    assert tagged[1]["metadata"] == META
    thread = client.conversations_replies(channel="C1", ts=first["ts"])["messages"]
    assert [m["text"] for m in thread] == ["alert resolved", "why"]
    assert fake.scopes_used() == {"chat:write", "channels:history"}


def test_history_pages_and_time_bounds(client: WebClient) -> None:
    stamps = [client.chat_postMessage(channel="G7", text=str(i))["ts"] for i in range(5)]
    page = client.conversations_history(channel="G7", limit=2)
    assert [m["text"] for m in page["messages"]] == ["4", "3"] and page["has_more"]
    rest = client.conversations_history(
        channel="G7", limit=10, cursor=page["response_metadata"]["next_cursor"]
    )
    assert [m["text"] for m in rest["messages"]] == ["2", "1", "0"] and not rest["has_more"]
    window = client.conversations_history(channel="G7", oldest=stamps[1], latest=stamps[3])
    assert [m["text"] for m in window["messages"]] == ["2"]
    inclusive = client.conversations_history(
        channel="G7", oldest=stamps[1], latest=stamps[3], inclusive=True
    )
    assert [m["text"] for m in inclusive["messages"]] == ["3", "2", "1"]


def test_form_and_json_bodies_are_both_accepted(fake: FakeSlack) -> None:
    auth = {"Authorization": "Bearer xoxb-test"}
    form = {"channel": "C1", "text": "form", "blocks": json.dumps(_section("f"))}
    assert httpx.post(fake.url + "chat.postMessage", data=form, headers=auth).json()["ok"]
    body = {"channel": "C1", "text": "json", "blocks": _section("j"), "metadata": META}
    assert httpx.post(fake.url + "chat.postMessage", json=body, headers=auth).json()["ok"]
    broken = httpx.post(
        fake.url + "chat.postMessage",
        content=b"{not json",
        headers=auth | {"Content-Type": "application/json"},
    )
    assert broken.json()["error"] == "invalid_json"
    seen = fake.messages("C1")
    assert [(m["text"], m["blocks"]) for m in seen] == [
        ("form", _section("f")),
        ("json", _section("j")),
    ]
    assert seen[1]["metadata"] == META
    assert fake.calls("chat.postMessage")[0].params["channel"] == "C1"


def test_slack_rejects_what_slack_rejects(client: WebClient) -> None:
    no_text = {"channel": "C1"}  # through api_call: chat_postMessage would warn first
    assert _error(lambda: client.api_call("chat.postMessage", json=no_text)) == "no_text"
    too_many = [{"type": "divider"}] * 51
    assert _error(lambda: client.chat_postMessage(channel="C1", text="x", blocks=too_many)) == (
        "invalid_blocks"
    )
    long = _section("x" * 3001)
    assert _error(lambda: client.chat_postMessage(channel="C1", text="x", blocks=long)) == (
        "invalid_blocks"
    )
    bad_meta = {"event_type": "x"}
    assert _error(lambda: client.chat_postMessage(channel="C1", text="x", metadata=bad_meta)) == (
        "invalid_metadata_format"
    )
    assert _error(lambda: client.chat_update(channel="C1", ts="1.000001", text="x")) == (
        "message_not_found"
    )


def test_bot_must_be_invited_without_chat_write_public(fake: FakeSlack, client: WebClient) -> None:
    fake.add_channel("C9", "elsewhere", member=False)
    assert _error(lambda: client.chat_postMessage(channel="C9", text="x")) == "not_in_channel"
    assert _error(lambda: client.conversations_history(channel="C9")) == "not_in_channel"
    assert _error(lambda: client.conversations_join(channel="C9")) == "missing_scope"
    assert "channels:join" in fake.scopes_used()  # a needed scope shows even when refused
    assert fake.messages("C9") == []
    strict = FakeSlack(auto_channels=False)
    with strict:
        other = WebClient(base_url=strict.url, token="xoxb-test", retry_handlers=[])
        assert _error(lambda: other.chat_postMessage(channel="C1", text="x")) == "channel_not_found"


def test_every_scope_can_be_granted(client: WebClient) -> None:
    with FakeSlack(scopes=ALL_SCOPES) as fake:
        wide = WebClient(base_url=fake.url, token="xoxb-test", retry_handlers=[])
        fake.add_channel("C9", "elsewhere", member=False)
        assert wide.chat_postMessage(channel="C9", text="public post")["ok"]
        assert wide.conversations_join(channel="C9")["channel"]["is_member"] is True
        assert wide.conversations_info(channel="C9")["channel"]["name"] == "elsewhere"
        assert fake.scopes_used() == {
            "chat:write",
            "chat:write.public",
            "channels:join",
            "channels:read",
        }
        for call in fake.calls():
            assert set(call.scopes) <= set(SCOPES_BY_METHOD[call.method])


def test_ephemeral_delete_users_dm_and_views(fake: FakeSlack, client: WebClient) -> None:
    fake.add_user("U1", "alice", admin=True)
    fake.add_user("U2", "bob")
    assert client.users_info(user="U1")["user"]["is_admin"] is True
    assert client.users_info(user="U2")["user"]["is_owner"] is False
    assert _error(lambda: client.users_info(user="U404")) == "user_not_found"

    client.chat_postEphemeral(channel="C1", user="U2", text="only you")
    assert [(e["user"], e["text"]) for e in fake.ephemerals("C1")] == [("U2", "only you")]
    ts = client.chat_postMessage(channel="C1", text="oops")["ts"]
    client.chat_delete(channel="C1", ts=ts)
    assert fake.messages("C1") == []

    dm = client.conversations_open(users="U2")["channel"]["id"]
    assert dm.startswith("D") and client.conversations_open(users="U2")["channel"]["id"] == dm
    assert client.chat_postMessage(channel="U2", text="to bob")["channel"] == dm
    assert [m["text"] for m in fake.messages(dm)] == ["to bob"]
    home = {"type": "home", "blocks": _section("hello")}
    assert client.views_publish(user_id="U1", view=home)["view"]["id"].startswith("V")
    published = fake.home_view("U1")
    assert published is not None and published["blocks"] == home["blocks"]
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "Rule"}, "blocks": []}
    client.views_open(trigger_id="1.2.3", view=modal)
    assert [v["title"]["text"] for v in fake.opened_views()] == ["Rule"]
    assert _error(lambda: client.views_publish(user_id="U1", view={"type": "modal"})) == (
        "invalid_arguments"
    )


def test_files_upload_v2_into_a_thread_and_a_dm(fake: FakeSlack, client: WebClient) -> None:
    parent = client.chat_postMessage(channel="C1", text="chart below")["ts"]
    done = client.files_upload_v2(
        channel="C1", thread_ts=parent, content=b"\x89PNG...", filename="cost.png", title="Cost"
    )
    assert done["file"]["title"] == "Cost"
    dm = client.conversations_open(users="U2")["channel"]["id"]
    client.files_upload_v2(channel=dm, content="a,b\n1,2\n", filename="export.csv", title="Export")

    fake.fail_next("upload", "internal_error", status=500)
    with pytest.raises(HTTPError) as failed:  # slack_sdk posts the bytes with plain urllib
        client.files_upload_v2(channel="C1", content=b"lost", filename="lost.png", title="Lost")
    failed.value.close()

    files = fake.files()
    assert [(f["title"], f["data"], f["channels"]) for f in files] == [
        ("Cost", b"\x89PNG...", ["C1"]),
        ("Export", b"a,b\n1,2\n", [dm]),
    ]
    assert files[0]["thread_ts"] == parent
    in_thread = fake.messages("C1")[1]
    assert in_thread["thread_ts"] == parent and in_thread["files"][0]["name"] == "cost.png"
    steps = [c.method for c in fake.calls() if c.method.startswith("files.")]
    complete = ["files.getUploadURLExternal", "files.completeUploadExternal"]
    assert steps == [*complete, *complete, "files.getUploadURLExternal"]
    assert fake.scopes_used() == {"chat:write", "files:write", "im:write"}


def test_rate_limit_is_retried_after_retry_after(fake: FakeSlack) -> None:
    raw = {"Authorization": "Bearer xoxb-test"}
    fake.fail_next("auth.test", retry_after=7)
    limited = httpx.post(fake.url + "auth.test", headers=raw)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"

    retrying = WebClient(
        base_url=fake.url,
        token="xoxb-test",
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)],
    )
    fake.fail_next("chat.postMessage", retry_after=0)  # the handler sleeps 0 s + jitter < 1 s
    assert retrying.chat_postMessage(channel="C1", text="after 429")["ok"]
    assert [c.status for c in fake.calls("chat.postMessage")] == [429, 200]
    assert [m["text"] for m in fake.messages("C1")] == ["after 429"]


def test_server_errors_and_lost_replies(fake: FakeSlack, client: WebClient) -> None:
    no_wait = FixedValueRetryIntervalCalculator(0.0)
    retrying = WebClient(
        base_url=fake.url,
        token="xoxb-test",
        retry_handlers=[ServerErrorRetryHandler(max_retry_count=1, interval_calculator=no_wait)],
    )
    fake.fail_next("chat.postMessage", "service_unavailable", status=503)
    assert retrying.chat_postMessage(channel="C1", text="after 503")["ok"]

    fake.fail_next("chat.postMessage", "internal_error", status=500, applied=True)
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C1", text="taken, reply lost")
    fake.fail_next("chat.postMessage", "disconnect", applied=True)
    with pytest.raises(OSError):
        client.chat_postMessage(channel="C1", text="taken, connection dropped")
    with pytest.raises(ValueError, match=r"chat\.postmessage"):
        fake.fail_next("chat.postmessage")  # a typo would otherwise never fire
    fake.fail_next("chat.postMessage", "channel_not_found", count=2)
    assert _error(lambda: client.chat_postMessage(channel="C1", text="no")) == "channel_not_found"
    assert _error(lambda: client.chat_postMessage(channel="C1", text="no")) == "channel_not_found"
    client.chat_postMessage(channel="C1", text="fine again")

    texts = [m["text"] for m in fake.messages("C1")]
    assert texts == ["after 503", "taken, reply lost", "taken, connection dropped", "fine again"]
    assert [c.status for c in fake.calls("chat.postMessage")] == [503, 200, 500, 0, 200, 200, 200]


def test_response_urls_record_and_show(fake: FakeSlack) -> None:
    posted = WebClient(base_url=fake.url, token="xoxb-test").chat_postMessage(
        channel="C1", text="alert", blocks=_section("alert")
    )
    plain = WebhookClient(fake.response_url("r1"))
    assert plain.send(text="just recorded").status_code == 200
    assert fake.responses("r1") == [{"text": "just recorded"}]

    command = WebhookClient(fake.response_url("r2", channel="C1", user="U1"))
    command.send(text="private answer")
    command.send(text="shared answer", response_type="in_channel")
    assert [(e["user"], e["text"]) for e in fake.ephemerals("C1")] == [("U1", "private answer")]
    button = WebhookClient(fake.response_url("r3", channel="C1", message_ts=posted["ts"]))
    button.send(text="silenced for 1h", replace_original=True)
    assert [m["text"] for m in fake.messages("C1")] == ["silenced for 1h", "shared answer"]
    assert fake.messages("C1")[0]["edited"]

    for n in range(3):
        assert command.send(text=f"use {n + 3}").status_code == 200
    assert command.send(text="sixth use").status_code == 404  # 5 uses per response_url
    assert len(fake.responses("r2")) == 5


def test_delay_and_wait_for(fake: FakeSlack, client: WebClient) -> None:
    fake.delays["chat.postMessage"] = 0.2
    started = time.perf_counter()
    worker = threading.Thread(target=lambda: client.chat_postMessage(channel="C1", text="late"))
    worker.start()
    seen = fake.wait_for(lambda: fake.messages("C1"), timeout=5.0)
    assert seen[0]["text"] == "late" and time.perf_counter() - started >= 0.2
    worker.join(timeout=5)
    with pytest.raises(TimeoutError, match=r"chat\.postMessage"):
        fake.wait_for(lambda: fake.messages("C2"), timeout=0.1)
    # The predicate runs unlocked: it may itself call the fake.
    assert fake.wait_for(lambda: client.conversations_history(channel="C1")["messages"])


def test_close_does_not_wait_for_a_slow_answer() -> None:
    fake = FakeSlack()
    fake.delay = 30.0
    slow = WebClient(base_url=fake.url, token="xoxb-test", retry_handlers=[], timeout=10)
    answers: list[bool] = []
    worker = threading.Thread(target=lambda: answers.append(slow.auth_test()["ok"]), daemon=True)
    worker.start()
    fake.wait_for(lambda: fake.received == 1)  # the request is in, held by the delay
    started = time.perf_counter()
    fake.close()
    worker.join(timeout=5)
    assert answers == [True]  # the held request is answered at once, not dropped
    assert time.perf_counter() - started < 2


def _section(text: str) -> list[dict[str, object]]:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
