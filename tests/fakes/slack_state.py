"""The fake Slack workspace's state: channels, users, messages, uploads and views.

Plain data, guarded by FakeSlack's lock. `slack_methods.py` changes it the way the
Web API methods do; FakeSlack's helpers read it back the way a user would see it.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]

PUBLIC, PRIVATE, IM = "public", "private", "im"


class SlackError(Exception):
    """A method's `{"ok": false, "error": code, ...}` answer."""

    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra

    def body(self) -> JSON:
        return {"ok": False, "error": self.code, **self.extra}


@dataclass
class Channel:
    id: str
    name: str
    kind: str = PUBLIC
    member: bool = True  # is the bot in it? (no chat:write.public: it must be invited)
    user: str | None = None  # the other party of a DM

    def info(self) -> JSON:
        return {
            "id": self.id,
            "name": self.name,
            "is_channel": self.kind == PUBLIC,
            "is_group": False,
            "is_im": self.kind == IM,
            "is_private": self.kind != PUBLIC,
            "is_member": self.member,
            "is_archived": False,
            "created": 1_600_000_000,
            **({"user": self.user} if self.user else {}),
        }


@dataclass
class User:
    id: str
    name: str
    admin: bool = False
    owner: bool = False
    tz: str = "UTC"

    def info(self) -> JSON:
        return {
            "id": self.id,
            "team_id": "T1",
            "name": self.name,
            "real_name": self.name.title(),
            "deleted": False,
            "is_bot": False,
            "is_admin": self.admin,
            "is_owner": self.owner,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "tz": self.tz,
            "profile": {"real_name": self.name.title(), "display_name": self.name},
        }


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    user: str
    blocks: list[Any] = field(default_factory=list)
    attachments: list[Any] = field(default_factory=list)
    thread_ts: str | None = None
    metadata: JSON | None = None
    files: list[JSON] = field(default_factory=list)
    edits: int = 0
    replies: list[str] = field(default_factory=list)  # ts of replies, if a thread parent

    def seen(self) -> JSON:
        """Every field a test may assert on, always present."""
        return copy.deepcopy(
            {
                "channel": self.channel,
                "ts": self.ts,
                "thread_ts": self.thread_ts,
                "text": self.text,
                "blocks": self.blocks,
                "attachments": self.attachments,
                "metadata": self.metadata,
                "files": self.files,
                "user": self.user,
                "edited": self.edits > 0,
            }
        )

    def api(self, bot_id: str, app_id: str, include_metadata: bool) -> JSON:
        """The message as conversations.history/replies return it: absent keys left out."""
        out: JSON = {"type": "message", "user": self.user, "bot_id": bot_id, "app_id": app_id}
        out |= {"text": self.text, "ts": self.ts}
        if self.blocks:
            out["blocks"] = self.blocks
        if self.attachments:
            out["attachments"] = self.attachments
        if self.thread_ts:
            out["thread_ts"] = self.thread_ts
        if self.replies:
            out |= {"reply_count": len(self.replies), "latest_reply": self.replies[-1]}
        if self.edits:
            out["edited"] = {"user": self.user, "ts": self.ts}
        if self.files:
            out["files"] = self.files
        if include_metadata and self.metadata is not None:
            out["metadata"] = self.metadata
        return copy.deepcopy(out)


@dataclass
class Upload:
    """One file of files_upload_v2: announced, then its bytes posted, then completed."""

    id: str
    filename: str
    length: int
    data: bytes | None = None
    title: str | None = None
    channel: str | None = None
    thread_ts: str | None = None
    initial_comment: str | None = None
    completed: bool = False

    def api(self) -> JSON:
        return {
            "id": self.id,
            "name": self.filename,
            "title": self.title or self.filename,
            "size": len(self.data or b""),
            "channels": [self.channel] if self.channel else [],
        }


class Workspace:
    """Everything the fake Slack knows; callers hold FakeSlack's lock."""

    def __init__(self, *, ts_base: int, auto_channels: bool) -> None:
        self.team_id, self.bot_user_id, self.bot_id, self.app_id = "T1", "UBOT", "BBOT", "A1"
        self.auto_channels = auto_channels
        self.channels: dict[str, Channel] = {}
        self.users: dict[str, User] = {}
        self.messages: dict[str, list[Message]] = {}
        self.ephemerals: dict[str, list[JSON]] = {}
        self.uploads: dict[str, Upload] = {}
        self.home_views: dict[str, JSON] = {}
        self.opened_views: list[JSON] = []
        self.upload_base = ""  # FakeSlack's URL for the bytes of an upload, id appended
        self.socket_url: str | None = None  # a FakeSocketMode's, once one runs
        self._ts_base = ts_base
        self._seq = itertools.count(1)

    def next_ts(self) -> str:
        """Slack-shaped ts strings that grow both as strings and as numbers."""
        n = next(self._seq)
        return f"{self._ts_base + n}.{n % 1_000_000:06d}"

    def next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._seq):08d}"

    def new_upload(self, filename: str, length: int) -> Upload:
        upload = Upload(self.next_id("F"), filename, length)
        self.uploads[upload.id] = upload
        return upload

    def channel(self, channel_id: str) -> Channel:
        known_user = channel_id in self.users or self.auto_channels
        if channel_id.startswith(("U", "W")) and known_user:
            return self.dm(channel_id)  # chat.postMessage(channel=user_id) posts to the DM
        found = self.channels.get(channel_id)
        if found is None and self.auto_channels and channel_id[:1] in ("C", "G", "D"):
            kind = {"C": PUBLIC, "G": PRIVATE, "D": IM}[channel_id[0]]
            found = self.add_channel(channel_id, channel_id.lower(), kind=kind, member=True)
        if found is None:
            raise SlackError("channel_not_found")
        return found

    def add_channel(self, channel_id: str, name: str, *, kind: str, member: bool) -> Channel:
        ch = Channel(channel_id, name, kind=kind, member=member)
        self.channels[channel_id] = ch
        self.messages.setdefault(channel_id, [])
        return ch

    def dm(self, user_id: str) -> Channel:
        for ch in self.channels.values():
            if ch.kind == IM and ch.user == user_id:
                return ch
        ch = self.add_channel("D" + user_id.lstrip("UW"), user_id, kind=IM, member=True)
        ch.user = user_id
        return ch

    def find(self, channel_id: str, ts: str) -> Message:
        for msg in self.messages.get(channel_id, []):
            if msg.ts == ts:
                return msg
        raise SlackError("message_not_found")

    def post(self, ch: Channel, text: str, **fields: Any) -> Message:
        msg = Message(ch.id, self.next_ts(), text, self.bot_user_id, **fields)
        if msg.thread_ts is not None:
            parent = self._thread_parent(ch.id, msg.thread_ts)
            if parent is not None:
                msg.thread_ts = parent.ts
                parent.thread_ts = parent.ts
                parent.replies.append(msg.ts)
        self.messages.setdefault(ch.id, []).append(msg)
        return msg

    def _thread_parent(self, channel_id: str, thread_ts: str) -> Message | None:
        try:
            found = self.find(channel_id, thread_ts)
        except SlackError:
            return None
        if found.thread_ts and found.thread_ts != found.ts:  # a reply: its thread's parent
            return self.find(channel_id, found.thread_ts)
        return found

    def delete(self, msg: Message) -> None:
        self.messages[msg.channel].remove(msg)
        if msg.thread_ts and msg.thread_ts != msg.ts:
            parent = self.find(msg.channel, msg.thread_ts)
            parent.replies.remove(msg.ts)
