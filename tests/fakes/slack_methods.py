"""The Web API methods the fake Slack answers, and the scope each one needs.

Each method takes a `Request` (parsed params, granted scopes) and returns Slack's
JSON answer or raises `SlackError`. Scopes are checked first, as Slack does, and
every scope a call needed is noted so tests can compare it with manifest.yml.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.fakes.slack_blocks import VIEW_BLOCKS, block_errors
from tests.fakes.slack_request import Request, missing
from tests.fakes.slack_state import JSON, PUBLIC, Channel, Message, SlackError, Workspace

# Every scope a call of the method may need; for conversations.* which one depends on
# the channel's type. chat:write.public only for public channels the bot is not in.
SCOPES_BY_METHOD: dict[str, tuple[str, ...]] = {
    "auth.test": (),
    "apps.connections.open": (),  # app-level token (connections:write), not a bot scope
    "chat.postMessage": ("chat:write", "chat:write.public"),
    "chat.update": ("chat:write",),
    "chat.postEphemeral": ("chat:write",),
    "chat.delete": ("chat:write",),
    "conversations.history": ("channels:history", "groups:history", "im:history"),
    "conversations.replies": ("channels:history", "groups:history", "im:history"),
    "conversations.info": ("channels:read", "groups:read", "im:read"),
    "conversations.open": ("im:write",),
    "conversations.join": ("channels:join",),
    "users.info": ("users:read",),
    "views.publish": (),
    "views.open": (),
    "files.getUploadURLExternal": ("files:write",),
    "files.completeUploadExternal": ("files:write",),
}
TEXT_MAX = 40_000


def auth_test(req: Request) -> JSON:
    ws = req.ws
    return {
        "ok": True,
        "url": "https://fake-workspace.invalid/",
        "team": "Fake Workspace",
        "user": "imgmetrics",
        "team_id": ws.team_id,
        "user_id": ws.bot_user_id,
        "bot_id": ws.bot_id,
        "is_enterprise_install": False,
    }


def apps_connections_open(req: Request) -> JSON:
    """Socket Mode's WebSocket URL; FakeSlack only lets an app-level token get here."""
    if req.ws.socket_url is None:
        raise SlackError("no_socket_mode_server")  # the test started no FakeSocketMode
    return {"ok": True, "url": req.ws.socket_url}


def _may_post(req: Request, ch: Channel) -> None:
    if ch.member:
        return
    if ch.kind == PUBLIC and req.has("chat:write.public"):
        req.require("chat:write.public")
        return
    raise SlackError("not_in_channel")


def _content(req: Request, *, required: bool = True) -> JSON:
    """text/blocks/attachments/metadata given in the call, checked as Slack checks them."""
    found: JSON = {k: req.json(k) for k in ("blocks", "attachments", "metadata") if k in req.params}
    if "text" in req.params:
        found["text"] = req.params["text"]
    if required and not any(found.get(k) for k in ("text", "blocks", "attachments")):
        raise SlackError("no_text")
    if len(str(found.get("text") or "")) > TEXT_MAX:
        raise SlackError("msg_too_long")
    if found.get("blocks") and (errors := block_errors(found["blocks"])):
        raise SlackError("invalid_blocks", errors=errors)
    meta = found.get("metadata")
    if meta is not None and not (
        isinstance(meta, dict)
        and isinstance(meta.get("event_type"), str)
        and isinstance(meta.get("event_payload"), dict)
    ):
        raise SlackError("invalid_metadata_format")
    return {k: v for k, v in found.items() if v is not None}


def chat_post_message(req: Request) -> JSON:
    req.require("chat:write")
    ch = req.channel()
    _may_post(req, ch)
    content = _content(req)
    msg = req.ws.post(
        ch,
        str(content.get("text") or ""),
        blocks=content.get("blocks") or [],
        attachments=content.get("attachments") or [],
        metadata=content.get("metadata"),
        thread_ts=req.opt("thread_ts"),
    )
    return {"ok": True, "channel": ch.id, "ts": msg.ts, "message": _api(req.ws, msg, True)}


def chat_update(req: Request) -> JSON:
    req.require("chat:write")
    ch = req.channel()
    msg = req.ws.find(ch.id, req.need("ts"))
    content = _content(req, required=False)
    msg.text = str(content.get("text", msg.text))
    msg.blocks = content.get("blocks", msg.blocks)
    msg.attachments = content.get("attachments", msg.attachments)
    msg.metadata = content.get("metadata", msg.metadata)
    msg.edits += 1
    message = _api(req.ws, msg, True)
    return {"ok": True, "channel": ch.id, "ts": msg.ts, "text": msg.text, "message": message}


def chat_post_ephemeral(req: Request) -> JSON:
    req.require("chat:write")
    ch = req.channel()
    _may_post(req, ch)
    user, content = req.need("user"), _content(req)
    ts = req.ws.next_ts()
    seen = {"channel": ch.id, "user": user, "message_ts": ts, "thread_ts": req.opt("thread_ts")}
    seen |= {"text": content.get("text", ""), "blocks": content.get("blocks", [])}
    req.ws.ephemerals.setdefault(ch.id, []).append(seen)
    return {"ok": True, "message_ts": ts}


def chat_delete(req: Request) -> JSON:
    req.require("chat:write")
    ch = req.channel()
    msg = req.ws.find(ch.id, req.need("ts"))
    req.ws.delete(msg)
    return {"ok": True, "channel": ch.id, "ts": msg.ts}


def _ts_key(ts: str) -> tuple[int, int]:
    whole, _, frac = ts.partition(".")
    return int(whole or 0), int((frac + "000000")[:6])


def _page(req: Request, messages: list[Message], include_metadata: bool) -> JSON:
    """One page of `messages` (already in answer order) honouring limit and cursor."""
    limit = max(1, min(req.number("limit", 100), 999))
    cursor = req.opt("cursor") or "next:0"
    start = int(cursor.removeprefix("next:")) if cursor.startswith("next:") else 0
    chunk, more = messages[start : start + limit], start + limit < len(messages)
    return {
        "ok": True,
        "messages": [_api(req.ws, m, include_metadata) for m in chunk],
        "has_more": more,
        "response_metadata": {"next_cursor": f"next:{start + limit}" if more else ""},
    }


def _readable(req: Request) -> Channel:
    ch = req.channel("history")
    if not ch.member:
        raise SlackError("not_in_channel")
    return ch


def conversations_history(req: Request) -> JSON:
    ch = _readable(req)
    inclusive = req.flag("inclusive")
    oldest = _ts_key(req.opt("oldest") or "0")
    latest = _ts_key(req.opt("latest") or "9999999999.999999")

    def within(m: Message) -> bool:
        key = _ts_key(m.ts)
        return (oldest <= key <= latest) if inclusive else (oldest < key < latest)

    top = [m for m in req.ws.messages[ch.id] if m.thread_ts in (None, m.ts) and within(m)]
    newest_first = sorted(top, key=lambda m: _ts_key(m.ts), reverse=True)
    return _page(req, newest_first, req.flag("include_all_metadata")) | {"pin_count": 0}


def conversations_replies(req: Request) -> JSON:
    ch = _readable(req)
    parent = req.ws.find(ch.id, req.need("ts"))
    thread = [parent] + [req.ws.find(ch.id, ts) for ts in parent.replies]
    return _page(req, thread, req.flag("include_all_metadata"))


def conversations_info(req: Request) -> JSON:
    return {"ok": True, "channel": req.channel("read").info()}


def conversations_open(req: Request) -> JSON:
    req.require("im:write")
    users = [u.strip() for u in req.need("users").split(",") if u.strip()]
    if len(users) != 1:
        raise SlackError("invalid_arguments", response_metadata=missing("users (exactly one)"))
    if not users[0].startswith(("U", "W")):
        raise SlackError("user_not_found")
    ch = req.ws.dm(users[0])
    return {"ok": True, "channel": ch.info() if req.flag("return_im") else {"id": ch.id}}


def conversations_join(req: Request) -> JSON:
    req.require("channels:join")
    ch = req.channel()
    if ch.kind != PUBLIC:
        raise SlackError("method_not_supported_for_channel_type")
    warning = {"warning": "already_in_channel"} if ch.member else {}
    ch.member = True
    return {"ok": True, "channel": ch.info(), **warning}


def users_info(req: Request) -> JSON:
    req.require("users:read")
    user = req.ws.users.get(req.need("user"))
    if user is None:
        raise SlackError("user_not_found")
    return {"ok": True, "user": user.info() | {"team_id": req.ws.team_id}}


def _view(req: Request, kind: str) -> JSON:
    view = req.json("view")
    if not isinstance(view, dict) or view.get("type") != kind:
        raise SlackError("invalid_arguments", response_metadata=missing(f"view of type {kind}"))
    if errors := block_errors(view.get("blocks", []), VIEW_BLOCKS):
        raise SlackError("invalid_arguments", response_metadata={"messages": errors})
    ws = req.ws
    return view | {"id": ws.next_id("V"), "team_id": ws.team_id, "app_id": ws.app_id}


def views_publish(req: Request) -> JSON:
    user = req.need("user_id")
    view = _view(req, "home")
    req.ws.home_views[user] = view
    return {"ok": True, "view": view}


def views_open(req: Request) -> JSON:
    req.need("trigger_id")
    view = _view(req, "modal")
    req.ws.opened_views.append(view)
    return {"ok": True, "view": view}


def files_get_upload_url(req: Request) -> JSON:
    req.require("files:write")
    filename, length = req.need("filename"), req.number("length", -1)
    if length < 0:
        raise SlackError("invalid_arguments", response_metadata=missing("length"))
    upload = req.ws.new_upload(filename, length)
    return {"ok": True, "upload_url": req.ws.upload_base + upload.id, "file_id": upload.id}


def files_complete_upload(req: Request) -> JSON:
    req.require("files:write")
    items = req.json("files")
    if not isinstance(items, list) or not items:
        raise SlackError("invalid_arguments", response_metadata=missing("files"))
    uploads = [req.ws.uploads.get(str(item.get("id"))) for item in items]
    if any(u is None or u.data is None for u in uploads):
        raise SlackError("file_not_found")
    channel = req.opt("channel_id") or (req.opt("channels") or "").split(",")[0] or None
    ch = req.ws.channel(channel) if channel else None
    if ch is not None:
        _may_post(req, ch)
    done = []
    for item, upload in zip(items, uploads, strict=True):
        assert upload is not None
        upload.title, upload.completed = item.get("title") or upload.filename, True
        upload.channel = ch.id if ch else None
        upload.thread_ts = req.opt("thread_ts")
        upload.initial_comment = req.opt("initial_comment")
        done.append(upload.api())
    if ch is not None:
        text = req.opt("initial_comment") or ""
        req.ws.post(ch, text, files=done, thread_ts=req.opt("thread_ts"))
    return {"ok": True, "files": done}


def _api(ws: Workspace, msg: Message, include_metadata: bool) -> JSON:
    return msg.api(ws.bot_id, ws.app_id, include_metadata)


METHODS: dict[str, Callable[[Request], JSON]] = {
    "auth.test": auth_test,
    "apps.connections.open": apps_connections_open,
    "chat.postMessage": chat_post_message,
    "chat.update": chat_update,
    "chat.postEphemeral": chat_post_ephemeral,
    "chat.delete": chat_delete,
    "conversations.history": conversations_history,
    "conversations.replies": conversations_replies,
    "conversations.info": conversations_info,
    "conversations.open": conversations_open,
    "conversations.join": conversations_join,
    "users.info": users_info,
    "views.publish": views_publish,
    "views.open": views_open,
    "files.getUploadURLExternal": files_get_upload_url,
    "files.completeUploadExternal": files_complete_upload,
}
