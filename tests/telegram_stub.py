"""A local stand-in for the Telegram Bot API, for end-to-end tests.

The stub is a real HTTP server on 127.0.0.1 that speaks enough of the Bot API for an unmodified
python-telegram-bot ``Application`` to poll it, so tests exercise the bot over real HTTP instead
of mocking ``Bot`` methods::

    async with TelegramStub(token="123:ABC", bot_username="incident_test_bot") as stub:
        app = (
            ApplicationBuilder()
            .token(stub.token)
            .base_url(f"{stub.root}/bot")
            .base_file_url(f"{stub.root}/file/bot")
            .build()
        )
        ...  # initialize, start polling, start
        question = stub.send_text(Chat(1), User(1, "Ann"), "How many were displaced?")
        [answer] = await stub.wait_for_messages(chat_id=1)
        assert answer["reply_to_message_id"] == question["message_id"]

Users act through ``send_text``, ``send_document`` and ``press_button``; each queues an update
that the bot's long poll picks up at once. What the bot did is recorded in ``sent``, ``edits``,
``chat_actions``, ``callback_answers``, ``commands`` and, for every API call including rejected
ones, ``calls``.

Telegram's behaviour the stub reproduces, because the bot has to cope with it: HTML parse mode
is validated the way tdlib does it (same error texts, byte offsets, UTF-16 entity offsets), the
4096-character limit is applied after entity parsing, replies to unknown messages and sends to
unknown chats are refused, a second concurrent ``getUpdates`` ends the first with 409, and
``fail_next`` injects one flood-control error so retries can be tested.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import string
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Literal

from aiohttp import web

JSONDict = dict[str, Any]

MAX_MESSAGE_LENGTH = 4096
"""Telegram's limit for a message text, counted after entity parsing (in UTF-16 code units)."""

MAX_CALLBACK_DATA_BYTES = 64
MAX_UPDATES_PER_CALL = 100

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
PARSE_MODES = frozenset({"html", "markdown", "markdownv2"})

# The tags tdlib's HTML parser accepts; anything else is "Unsupported start tag".
HTML_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "code",
        "pre",
        "blockquote",
        "tg-spoiler",
        "tg-emoji",
        "span",
    }
)
_SIMPLE_TAG_ENTITIES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_NAMED_HTML_ENTITIES = {b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"'}

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)


@dataclass(frozen=True)
class Chat:
    """A chat the bot is in. Group and supergroup ids are negative on real Telegram."""

    id: int
    type: Literal["private", "group", "supergroup"] = "private"
    title: str | None = None


@dataclass(frozen=True)
class User:
    """A human Telegram user who writes to the bot."""

    id: int
    first_name: str
    username: str | None = None

    def to_json(self) -> JSONDict:
        """The Bot API ``User`` object."""
        user: JSONDict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            user["username"] = self.username
        return user


class EntityParseError(ValueError):
    """Telegram would reject this HTML text; the message is Telegram's description."""


class BotApiError(Exception):
    """An error answer of the Bot API: HTTP status, description and optional parameters."""

    def __init__(
        self, error_code: int, description: str, parameters: JSONDict | None = None
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def to_json(self) -> JSONDict:
        """The JSON body Telegram sends with this error."""
        body: JSONDict = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad_request(reason: str) -> BotApiError:
    return BotApiError(400, f"Bad Request: {reason}")


# --------------------------------------------------------------------------------------------
# Text: UTF-16 offsets, HTML parse mode, automatic entities
# --------------------------------------------------------------------------------------------


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit of Telegram's entity offsets."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _is_space(byte: int) -> bool:
    # tdlib treats NUL as space; past the end of the text we read NUL like its C string does.
    return byte in b" \t\r\n\v\f\x00"


def _decode_html_entity(data: bytes, pos: int) -> tuple[int, int] | None:
    """Decode ``&...;`` at ``pos`` like tdlib: (code point, next position), or None if literal."""
    end = pos + 1
    if data[end : end + 1] == b"#":
        end += 1
        digits, base = string.digits, 10
        if data[end : end + 1] == b"x":
            digits, base = string.hexdigits, 16
            end += 1
        start = end
        while end < len(data) and chr(data[end]) in digits:
            end += 1
        code = int(data[start:end], base) if end > start else 0
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return None
    else:
        while end < len(data) and chr(data[end]).isascii() and chr(data[end]).isalpha():
            end += 1
        named = _NAMED_HTML_ENTITIES.get(data[pos + 1 : end])
        if named is None:
            return None
        code = ord(named)
    if data[end : end + 1] == b";":
        end += 1
    return code, end


@dataclass
class _OpenTag:
    name: str
    argument: str
    utf16_offset: int
    text_offset: int
    expandable: bool = False


def _html_entity(tag: _OpenTag, offset: int, length: int, text: bytearray) -> JSONDict | None:
    entity: JSONDict = {"type": "", "offset": offset, "length": length}
    if tag.name in _SIMPLE_TAG_ENTITIES:
        entity["type"] = _SIMPLE_TAG_ENTITIES[tag.name]
    elif tag.name == "tg-emoji":
        if not tag.argument.isdigit() or int(tag.argument) == 0:
            raise EntityParseError("Invalid custom emoji identifier specified")
        entity.update(type="custom_emoji", custom_emoji_id=tag.argument)
    elif tag.name == "a":
        url = tag.argument or text[tag.text_offset :].decode("utf-8", "replace")
        if not url:
            return None
        if url.startswith("tg://user?id=") and url[len("tg://user?id=") :].isdigit():
            user_id = int(url[len("tg://user?id=") :])
            user = {"id": user_id, "is_bot": False, "first_name": ""}
            entity.update(type="text_mention", user=user)
        else:
            entity.update(type="text_link", url=url if "://" in url else f"http://{url}")
    elif tag.name == "blockquote":
        entity["type"] = "expandable_blockquote" if tag.expandable else "blockquote"
    elif tag.name in ("pre", "code"):
        entity["type"] = tag.name
        if tag.argument:
            entity["language"] = tag.argument
    return entity


def _merge_pre_code(entities: list[JSONDict], entity: JSONDict) -> bool:
    """``<pre><code class="language-x">`` is one ``pre`` entity with a language, as in tdlib."""
    if not entities:
        return False
    last = entities[-1]
    same_span = (last["offset"], last["length"]) == (entity["offset"], entity["length"])
    if same_span and {last["type"], entity["type"]} == {"pre", "code"}:
        language = last.get("language") or entity.get("language")
        if language:
            entities[-1] = {**entity, "type": "pre", "language": language}
            return True
    return False


def _trim(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Strip surrounding whitespace like Telegram, keeping entity offsets right."""
    stripped = text.strip()
    shift = utf16_len(text[: len(text) - len(text.lstrip())])
    limit = utf16_len(stripped)
    kept = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, limit)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


def parse_html(html: str) -> tuple[str, list[JSONDict]]:
    """Parse Telegram HTML into plain text and Bot API entities, exactly as strictly as tdlib.

    Raises:
        EntityParseError: with Telegram's own description (the part after
            "Bad Request: can't parse entities: "), e.g. ``Unsupported start tag "p" at byte
            offset 0``. Offsets in those messages count UTF-8 bytes, like Telegram's.
    """
    data = html.encode("utf-8", "surrogatepass")
    size = len(data)

    def at(pos: int) -> int:
        return data[pos] if pos < size else 0

    out = bytearray()
    utf16_offset = 0
    entities: list[JSONDict] = []
    open_tags: list[_OpenTag] = []
    i = 0
    while i < size:
        byte = data[i]
        if byte == ord("&"):
            decoded = _decode_html_entity(data, i)
            if decoded is not None:
                code, i = decoded
                utf16_offset += 2 if code > 0xFFFF else 1
                out += chr(code).encode("utf-8", "surrogatepass")
                continue
        if byte != ord("<"):
            if byte & 0xC0 != 0x80:  # first byte of a character; 4-byte ones are surrogate pairs
                utf16_offset += 2 if byte >= 0xF0 else 1
            out.append(byte)
            i += 1
            continue

        begin = i
        i += 1
        if at(i) != ord("/"):
            while not _is_space(at(i)) and at(i) != ord(">"):
                i += 1
            if at(i) == 0:
                raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
            name = data[begin + 1 : i].decode("utf-8", "replace").lower()
            if name not in HTML_TAGS:
                raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {begin}')
            tag = _OpenTag(name, "", utf16_offset, len(out))
            i = _parse_attributes(data, i, begin, tag)
            if name == "span" and tag.argument != "spoiler":
                raise EntityParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {begin}'
                )
            open_tags.append(tag)
        else:
            if not open_tags:
                raise EntityParseError(f"Unexpected end tag at byte offset {begin}")
            while not _is_space(at(i)) and at(i) != ord(">"):
                i += 1
            end_name = data[begin + 2 : i].decode("utf-8", "replace").lower()
            while at(i) != 0 and _is_space(at(i)):
                i += 1
            if at(i) != ord(">"):
                raise EntityParseError(f"Unclosed end tag at byte offset {begin}")
            tag = open_tags.pop()
            if end_name and end_name != tag.name:
                raise EntityParseError(
                    f'Unmatched end tag at byte offset {begin}, expected "</{tag.name}>", '
                    f'found "</{end_name}>"'
                )
            if utf16_offset > tag.utf16_offset:
                entity = _html_entity(tag, tag.utf16_offset, utf16_offset - tag.utf16_offset, out)
                if entity is not None and not _merge_pre_code(entities, entity):
                    entities.append(entity)
        i += 1  # past '>'
    if open_tags:
        raise EntityParseError(
            f'Can\'t find end tag corresponding to start tag "{open_tags[-1].name}"'
        )
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    try:
        text = out.decode("utf-8")
    except UnicodeDecodeError:
        raise EntityParseError(
            "Text contains invalid Unicode characters after decoding HTML entities, "
            "check for unmatched surrogate code units"
        ) from None
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return text, entities


def _parse_attributes(data: bytes, i: int, begin: int, tag: _OpenTag) -> int:
    """Read the attributes of a start tag from ``i``; returns the position of its ``>``."""

    def at(pos: int) -> int:
        return data[pos] if pos < len(data) else 0

    while at(i) != ord(">"):
        while at(i) != 0 and _is_space(at(i)):
            i += 1
        if at(i) == ord(">"):
            break
        name_begin = i
        while not _is_space(at(i)) and at(i) not in (ord("="), ord(">")):
            i += 1
        attribute = data[name_begin:i].decode("utf-8", "replace")
        if not attribute:
            raise EntityParseError(
                f'Empty attribute name in the tag "{tag.name}" at byte offset {begin}'
            )
        while at(i) != 0 and _is_space(at(i)):
            i += 1
        if at(i) != ord("="):
            # Newer Telegram accepts the value-less <blockquote expandable>.
            if tag.name == "blockquote" and attribute == "expandable":
                tag.expandable = True
                continue
            raise EntityParseError(
                "Expected equal sign in declaration of an attribute of the tag "
                f'"{tag.name}" at byte offset {begin}'
            )
        i += 1
        while at(i) != 0 and _is_space(at(i)):
            i += 1
        if at(i) == 0:
            raise EntityParseError(f'Unclosed start tag "{tag.name}" at byte offset {begin}')
        if at(i) not in (ord("'"), ord('"')):
            token_begin = i
            while chr(at(i)).isascii() and (chr(at(i)).isalnum() or at(i) in b".-"):
                i += 1
            value = data[token_begin:i].decode().lower()
            if not _is_space(at(i)) and at(i) != ord(">"):
                raise EntityParseError(f"Unexpected end of name token at byte offset {token_begin}")
        else:
            quote = at(i)
            i += 1
            raw = bytearray()
            while at(i) != quote and at(i) != 0:
                decoded = _decode_html_entity(data, i) if at(i) == ord("&") else None
                if decoded is not None:
                    code, i = decoded
                    raw += chr(code).encode("utf-8", "surrogatepass")
                    continue
                raw.append(at(i))
                i += 1
            if at(i) == quote:
                i += 1
            value = raw.decode("utf-8", "replace")
        if at(i) == 0:
            raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
        if tag.name == "a" and attribute == "href":
            tag.argument = value
        elif tag.name == "code" and attribute == "class" and value.startswith("language-"):
            tag.argument = value[len("language-") :]
        elif tag.name == "span" and attribute == "class" and value.startswith("tg-"):
            tag.argument = value[len("tg-") :]
        elif tag.name == "tg-emoji" and attribute == "emoji-id":
            tag.argument = value
    return i


_NAME_CHARS = frozenset(string.ascii_letters + string.digits + "_")
_COMMAND_NAME_CHARS = frozenset(string.ascii_lowercase + string.digits + "_")


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _run_of_name_chars(text: str, start: int) -> int:
    end = start
    while end < len(text) and text[end] in _NAME_CHARS:
        end += 1
    return end


def _bot_command_spans(text: str) -> Iterable[tuple[int, int]]:
    """Where Telegram's clients mark ``/command`` and ``/command@bot_name`` (tdlib's rules)."""
    i = 0
    while (i := text.find("/", i)) != -1:
        if i > 0 and (_is_word_char(text[i - 1]) or text[i - 1] in "/<>"):
            i += 1
            continue
        start, end = i, _run_of_name_chars(text, i + 1)
        i = end
        if not 1 <= end - start - 1 <= 64:
            continue
        if end < len(text) and text[end] == "@":
            i = _run_of_name_chars(text, end + 1)
            if not 3 <= i - end - 1 <= 32:
                continue
            end = i
        if end < len(text) and (_is_word_char(text[end]) or text[end] in "/<>"):
            continue
        yield start, end


def _mention_spans(text: str) -> Iterable[tuple[int, int]]:
    """Where Telegram's clients mark ``@username`` mentions (tdlib's rules)."""
    i = 0
    while (i := text.find("@", i)) != -1:
        if i > 0 and _is_word_char(text[i - 1]):
            i += 1
            continue
        start, end = i, _run_of_name_chars(text, i + 1)
        i = end
        if not 2 <= end - start - 1 <= 32:
            continue
        if end < len(text) and _is_word_char(text[end]):
            continue
        yield start, end


def detect_entities(text: str) -> list[JSONDict]:
    """The ``bot_command`` and ``mention`` entities Telegram attaches to a user's text."""
    spans = [("bot_command", span) for span in _bot_command_spans(text)]
    spans += [("mention", span) for span in _mention_spans(text)]
    return sorted(
        (
            {"type": kind, "offset": utf16_len(text[:start]), "length": utf16_len(text[start:end])}
            for kind, (start, end) in spans
        ),
        key=lambda e: e["offset"],
    )


# --------------------------------------------------------------------------------------------
# Request parameters
# --------------------------------------------------------------------------------------------


class _Params:
    """Bot API parameters from a query string, JSON body or form; form values arrive as text."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.raw: JSONDict = dict(values)

    def get_str(self, name: str) -> str | None:
        value = self.raw.get(name)
        return None if value is None else str(value)

    def get_int(self, name: str, default: int | None = None) -> int | None:
        value = self.raw.get(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise _bad_request(f"invalid {name} specified") from None

    def get_float(self, name: str, default: float) -> float:
        value = self.raw.get(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise _bad_request(f"invalid {name} specified") from None

    def get_bool(self, name: str) -> bool:
        return self.raw.get(name) in (True, 1, "true", "True", "1")

    def get_json(self, name: str) -> Any:
        value = self.raw.get(name)
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise _bad_request(f"can't parse {name} JSON object") from None


async def _read_params(request: web.Request) -> _Params:
    values: JSONDict = dict(request.query)
    if request.body_exists:
        if request.content_type == "application/json":
            body = await request.json()
            if not isinstance(body, dict):
                raise _bad_request("JSON object expected in the request body")
            values.update(body)
        else:
            form = await request.post()
            for name, value in form.items():
                values[name] = value.file.read() if isinstance(value, web.FileField) else value
    return _Params(values)


# --------------------------------------------------------------------------------------------
# The stub
# --------------------------------------------------------------------------------------------


class _Signal:
    """Wakes every waiter whenever shared state changes; notify() needs no lock or await."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait_until(self, condition: Callable[[], bool], timeout: float) -> bool:
        """Wait until ``condition()`` holds; False if ``timeout`` seconds passed first."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not condition():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            try:
                await asyncio.wait_for(self._event.wait(), remaining)
            except TimeoutError:
                return condition()
        return True


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    mime_type: str


@dataclass
class _ChatState:
    chat: JSONDict
    messages: dict[int, JSONDict]
    next_message_id: int = 1


# A handler returns the result, or an awaitable of it (getUpdates waits).
MethodHandler = Callable[[_Params], Any]


class TelegramStub:
    """A local Bot API server for one bot, plus the users who talk to it.

    Use it as ``async with TelegramStub() as stub:``; ``stub.root`` is the server's base URL.
    Everything runs on the test's event loop; user actions are plain (non-async) calls.
    """

    def __init__(
        self,
        token: str = "123:ABC",
        bot_username: str = "incident_test_bot",
        bot_first_name: str = "Incident Test Bot",
    ) -> None:
        bot_id, _, secret = token.partition(":")
        if not bot_id.isdigit() or not secret:
            raise ValueError(f"token must look like '<bot id>:<secret>', got {token!r}")
        self.token = token
        self.bot_user: JSONDict = {
            "id": int(bot_id),
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }

        self.sent: list[JSONDict] = []
        """Every message the bot sent: chat_id, message_id, text (as sent, e.g. raw HTML),
        parse_mode, reply_to_message_id, quote, reply_markup, link_preview_options, and
        ``message``: the Message object returned to the bot (plain text plus entities)."""
        self.edits: list[JSONDict] = []
        """editMessageText / editMessageReplyMarkup calls that succeeded: method, chat_id,
        message_id, text, parse_mode, reply_markup, message (the edited Message)."""
        self.chat_actions: list[JSONDict] = []
        """sendChatAction calls: chat_id, action."""
        self.callback_answers: list[JSONDict] = []
        """answerCallbackQuery calls: callback_query_id, text, show_alert, url, cache_time."""
        self.commands: list[JSONDict] = []
        """setMyCommands calls: commands, scope (default ``{"type": "default"}``),
        language_code."""
        self.calls: list[JSONDict] = []
        """Every API call in arrival order: method, params (as received), ok, error_code,
        description. Rejected calls are here and nowhere else."""

        self._runner: web.AppRunner | None = None
        self._root: str | None = None
        self._closing = False
        self._chats: dict[int, _ChatState] = {}
        self._files: dict[str, _StoredFile] = {}
        self._updates: list[JSONDict] = []
        self._update_ids = itertools.count(100_000)
        self._file_numbers = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._open_callback_queries: dict[str, JSONDict] = {}
        self._my_commands: dict[str, list[JSONDict]] = {}
        self._poll_generation = 0
        self._failures: dict[str, deque[BotApiError]] = defaultdict(deque)
        self._updates_signal = _Signal()
        self._activity_signal = _Signal()
        self._methods: dict[str, tuple[str, MethodHandler]] = {
            name.lower(): (name, handler)
            for name, handler in {
                "getMe": self._get_me,
                "getUpdates": self._get_updates,
                "deleteWebhook": self._delete_webhook,
                "setMyCommands": self._set_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "getMyCommands": self._get_my_commands,
                "sendMessage": self._send_message,
                "editMessageText": self._edit_message_text,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "sendChatAction": self._send_chat_action,
                "answerCallbackQuery": self._answer_callback_query,
                "getFile": self._get_file,
            }.items()
        }

    # -- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> TelegramStub:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        if self._runner is not None:
            raise RuntimeError("TelegramStub is already running")
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api_call)
        app.router.add_route("GET", "/file/bot{token}/{file_path:.+}", self._handle_download)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown_path)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self._root = f"http://{host}:{port}"
        self._closing = False

    async def stop(self) -> None:
        """Answer pending long polls and shut the server down."""
        if self._runner is None:
            return
        self._closing = True
        self._updates_signal.notify()
        await self._runner.cleanup()
        self._runner = None

    @property
    def root(self) -> str:
        """Base URL of the running server, e.g. ``http://127.0.0.1:41234``."""
        if self._root is None:
            raise RuntimeError("TelegramStub is not running; use 'async with TelegramStub()'")
        return self._root

    @property
    def bot_id(self) -> int:
        """The bot's user id, the number before the colon in the token."""
        return int(self.bot_user["id"])

    # -- what users do -----------------------------------------------------------------------

    def send_text(
        self, chat: Chat, user: User, text: str, reply_to: Mapping[str, Any] | None = None
    ) -> JSONDict:
        """``user`` writes ``text`` in ``chat``, optionally replying to a message there.

        ``reply_to`` is any message of that chat: a dict returned by these methods, an entry
        of ``sent`` or the ``message`` inside it. ``/commands`` and ``@mentions`` get the
        entities Telegram would attach. Returns the user's Message object.
        """
        message = self._new_user_message(chat, user, reply_to)
        message["text"] = text
        if entities := detect_entities(text):
            message["entities"] = entities
        self._enqueue({"message": message})
        return message

    def send_document(
        self,
        chat: Chat,
        user: User,
        filename: str,
        data: bytes,
        mime_type: str,
        caption: str | None = None,
    ) -> JSONDict:
        """``user`` sends a file; the bot can fetch it with getFile and download it.

        Returns the user's Message object; its ``document`` holds the file_id.
        """
        number = next(self._file_numbers)
        stored = _StoredFile(
            file_id=f"BQACAgIAAxkBAAI{number:06d}",
            file_unique_id=f"AgAD{number:06d}",
            file_path=f"documents/file_{number}{PurePosixPath(filename).suffix}",
            data=bytes(data),
            mime_type=mime_type,
        )
        self._files[stored.file_id] = stored
        message = self._new_user_message(chat, user, None)
        message["document"] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": filename,
            "mime_type": mime_type,
            "file_size": len(stored.data),
        }
        if caption is not None:
            message["caption"] = caption
            if entities := detect_entities(caption):
                message["caption_entities"] = entities
        self._enqueue({"message": message})
        return message

    def press_button(
        self, chat: Chat, user: User, message: Mapping[str, Any], callback_data: str
    ) -> JSONDict:
        """``user`` presses the inline button carrying ``callback_data`` under a bot message.

        Returns the CallbackQuery object the bot receives.

        Raises:
            ValueError: if the message is unknown, not the bot's, or has no such button.
        """
        state = self._known_chat(chat)
        current = self._stored_message(state, message)
        if current.get("from", {}).get("id") != self.bot_id:
            raise ValueError(f"message {current['message_id']} was not sent by the bot")
        buttons = [
            button
            for row in current.get("reply_markup", {}).get("inline_keyboard", [])
            for button in row
        ]
        if not any(button.get("callback_data") == callback_data for button in buttons):
            raise ValueError(
                f"message {current['message_id']} has no button with callback_data "
                f"{callback_data!r}; its buttons: {buttons}"
            )
        query = {
            "id": str(next(self._callback_ids)),
            "from": user.to_json(),
            "message": current,
            "chat_instance": str(-abs(chat.id)),
            "data": callback_data,
        }
        self._open_callback_queries[query["id"]] = query
        self._enqueue({"callback_query": query})
        return query

    # -- what tests observe ------------------------------------------------------------------

    async def wait_for_messages(
        self,
        chat_id: int | None = None,
        count: int = 1,
        timeout: float = 20,
        predicate: Callable[[JSONDict], bool] | None = None,
        since: int = 0,
    ) -> list[JSONDict]:
        """Wait until the bot has sent ``count`` messages matching, and return the first ones.

        Messages are entries of ``sent``, counted from index ``since`` (pass ``len(stub.sent)``
        to ignore what was sent before), in ``chat_id`` if given and accepted by ``predicate``
        if given.

        Raises:
            AssertionError: on timeout, listing what the bot did send and any rejected calls.
        """

        def matching() -> list[JSONDict]:
            return [
                sent
                for sent in self.sent[since:]
                if (chat_id is None or sent["chat_id"] == chat_id)
                and (predicate is None or predicate(sent))
            ]

        if await self._activity_signal.wait_until(lambda: len(matching()) >= count, timeout):
            return matching()[:count]
        where = "" if chat_id is None else f" in chat {chat_id}"
        received = [{k: v for k, v in s.items() if k != "message"} for s in self.sent[since:]]
        rejected = [call for call in self.calls if not call["ok"]]
        raise AssertionError(
            f"expected {count} bot message(s){where} within {timeout}s, "
            f"{len(matching())} matched.\n"
            f"bot messages: {json.dumps(received, ensure_ascii=False, indent=1)}\n"
            f"rejected API calls: {json.dumps(rejected, ensure_ascii=False, default=str)}"
        )

    async def wait_for(
        self, condition: Callable[[], bool], timeout: float = 20, description: str = "condition"
    ) -> None:
        """Wait until ``condition()`` holds, for conditions on what the bot did via the API.

        ``condition`` is re-checked whenever an API call arrives or is answered, so it must
        depend on the stub's records; for state the bot changes afterwards (``bot_data``,
        the engine) use an ``asyncio.Event`` or queue of your own.

        Raises:
            AssertionError: on timeout, naming ``description``.
        """
        if not await self._activity_signal.wait_until(condition, timeout):
            raise AssertionError(f"timed out after {timeout}s waiting for {description}")

    def fail_next(
        self,
        method: str,
        error_code: int = 429,
        retry_after: int | None = 1,
        description: str | None = None,
    ) -> None:
        """Make the next call of ``method`` fail once with ``error_code``.

        The default is Telegram's flood control: 429 "Too Many Requests: retry after 1" with
        ``parameters.retry_after``, which PTB raises as ``RetryAfter``. Calls queue up: call
        this twice to fail the next two calls.
        """
        name = method.lower()
        if name not in self._methods:
            raise ValueError(f"unknown Bot API method {method!r}")
        parameters = {"retry_after": retry_after} if retry_after is not None else None
        if description is None:
            description = (
                f"Too Many Requests: retry after {retry_after}"
                if error_code == 429
                else f"Injected failure of {method}"
            )
        self._failures[name].append(BotApiError(error_code, description, parameters))

    def messages_in(self, chat_id: int) -> list[JSONDict]:
        """The current state of every message (users' and bot's) in a chat, oldest first."""
        state = self._chats.get(chat_id)
        return [] if state is None else list(state.messages.values())

    @property
    def pending_updates(self) -> list[JSONDict]:
        """Updates queued and not yet confirmed by the bot's ``getUpdates`` offset."""
        return list(self._updates)

    # -- chats, messages and updates ---------------------------------------------------------

    def _known_chat(self, chat: Chat, user: User | None = None) -> _ChatState:
        state = self._chats.get(chat.id)
        if state is None:
            chat_json: JSONDict = {"id": chat.id, "type": chat.type}
            if chat.type == "private":
                if user is None:
                    raise ValueError(f"chat {chat.id} has no messages yet")
                chat_json["first_name"] = user.first_name
                if user.username:
                    chat_json["username"] = user.username
            else:
                chat_json["title"] = chat.title or f"Group {chat.id}"
            state = self._chats[chat.id] = _ChatState(chat=chat_json, messages={})
        return state

    def _stored_message(self, state: _ChatState, message: Mapping[str, Any]) -> JSONDict:
        message_id = message.get("message_id")
        if message_id not in state.messages:
            raise ValueError(f"message {message_id} is not in chat {state.chat['id']}")
        return state.messages[message_id]

    def _store(self, state: _ChatState, message: JSONDict) -> JSONDict:
        state.messages[message["message_id"]] = message
        return message

    def _new_message(self, state: _ChatState, sender: JSONDict) -> JSONDict:
        message_id = state.next_message_id
        state.next_message_id += 1
        return {
            "message_id": message_id,
            "from": sender,
            "chat": state.chat,
            "date": int(time.time()),
        }

    def _new_user_message(
        self, chat: Chat, user: User, reply_to: Mapping[str, Any] | None
    ) -> JSONDict:
        state = self._known_chat(chat, user)
        message = self._new_message(state, user.to_json())
        if reply_to is not None:
            message["reply_to_message"] = _without_reply(self._stored_message(state, reply_to))
        return self._store(state, message)

    def _enqueue(self, payload: JSONDict) -> None:
        self._updates.append({"update_id": next(self._update_ids), **payload})
        self._updates_signal.notify()

    def _confirm_updates(self, offset: int) -> None:
        if offset < 0:
            self._updates = self._updates[offset:]
        elif offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

    def _chat_for(self, params: _Params) -> _ChatState:
        chat_id = params.get_str("chat_id")
        if not chat_id:
            raise _bad_request("chat_id is empty")
        try:
            state = self._chats.get(int(chat_id))
        except ValueError:
            state = None
        if state is None:
            raise _bad_request("chat not found")
        return state

    # -- HTTP plumbing -----------------------------------------------------------------------

    async def _handle_api_call(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _json_error(BotApiError(401, "Unauthorized"))
        known = self._methods.get(request.match_info["method"].lower())
        if known is None:
            return _json_error(BotApiError(404, "Not Found: method not found"))
        name, handler = known
        try:
            params = await _read_params(request)
        except BotApiError as error:
            return _json_error(error)
        except ConnectionError:
            # PTB cancels its in-flight getUpdates on shutdown, sometimes mid-upload.
            return web.Response(status=400)
        call: JSONDict = {"method": name, "params": params.raw, "ok": False}
        self.calls.append(call)
        self._activity_signal.notify()
        try:
            if self._failures[name.lower()]:
                raise self._failures[name.lower()].popleft()
            result = handler(params)
            if asyncio.iscoroutine(result):
                result = await result
            call["ok"] = True
        except BotApiError as error:
            call.update(error_code=error.error_code, description=error.description)
            return _json_error(error)
        finally:
            self._activity_signal.notify()
        return web.json_response({"ok": True, "result": result})

    async def _handle_download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _json_error(BotApiError(401, "Unauthorized"))
        path = request.match_info["file_path"]
        for stored in self._files.values():
            if stored.file_path == path:
                return web.Response(body=stored.data, content_type=stored.mime_type)
        return _json_error(BotApiError(404, "Not Found"))

    async def _handle_unknown_path(self, request: web.Request) -> web.Response:
        return _json_error(BotApiError(404, "Not Found"))

    # -- Bot API methods ---------------------------------------------------------------------

    def _get_me(self, params: _Params) -> JSONDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": True,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: _Params) -> list[JSONDict]:
        self._confirm_updates(params.get_int("offset", 0) or 0)
        limit = min(max(params.get_int("limit") or MAX_UPDATES_PER_CALL, 1), MAX_UPDATES_PER_CALL)
        timeout = max(params.get_float("timeout", 0.0), 0.0)
        allowed = params.get_json("allowed_updates") or None

        def deliverable() -> list[JSONDict]:
            return [
                update
                for update in self._updates
                if allowed is None or any(kind in update for kind in allowed)
            ][:limit]

        # Telegram serves one long poll per bot: a newer request ends the older one with 409.
        self._poll_generation += 1
        generation = self._poll_generation
        self._updates_signal.notify()
        await self._updates_signal.wait_until(
            lambda: self._closing or generation != self._poll_generation or bool(deliverable()),
            timeout,
        )
        if generation != self._poll_generation:
            raise BotApiError(409, CONFLICT)
        return deliverable()

    def _delete_webhook(self, params: _Params) -> bool:
        if params.get_bool("drop_pending_updates"):
            self._updates.clear()
        return True

    @staticmethod
    def _scope_key(params: _Params) -> tuple[JSONDict, str]:
        scope = params.get_json("scope") or {"type": "default"}
        language = params.get_str("language_code") or ""
        return scope, json.dumps([scope, language], sort_keys=True)

    def _set_my_commands(self, params: _Params) -> bool:
        commands = params.get_json("commands")
        if not isinstance(commands, list):
            raise _bad_request("commands must be a JSON array")
        for command in commands:
            name = command.get("command", "")
            if not (1 <= len(name) <= 32 and set(name) <= _COMMAND_NAME_CHARS):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        scope, key = self._scope_key(params)
        self._my_commands[key] = commands
        self.commands.append(
            {"commands": commands, "scope": scope, "language_code": params.get_str("language_code")}
        )
        return True

    def _delete_my_commands(self, params: _Params) -> bool:
        self._my_commands.pop(self._scope_key(params)[1], None)
        return True

    def _get_my_commands(self, params: _Params) -> list[JSONDict]:
        return self._my_commands.get(self._scope_key(params)[1], [])

    def _render_text(self, params: _Params) -> tuple[str, str, list[JSONDict]]:
        """(text as sent, plain text, entities) after Telegram's parse-mode checks."""
        raw = params.get_str("text") or ""
        parse_mode = params.get_str("parse_mode")
        if parse_mode and parse_mode.lower() not in PARSE_MODES:
            raise _bad_request("unsupported parse_mode")
        if parse_mode and parse_mode.lower() == "html":
            try:
                plain, entities = parse_html(raw)
            except EntityParseError as error:
                raise _bad_request(f"can't parse entities: {error}") from None
        else:
            plain, entities = raw, params.get_json("entities") or []
        plain, entities = _trim(plain, entities)
        if not plain:
            raise _bad_request("message text is empty")
        if utf16_len(plain) > MAX_MESSAGE_LENGTH:
            raise _bad_request("message is too long")
        return raw, plain, entities

    @staticmethod
    def _reply_markup(params: _Params) -> JSONDict | None:
        markup = params.get_json("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if not button.get("text"):
                    raise _bad_request("text buttons are unallowed in the inline keyboard")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES:
                    raise _bad_request("BUTTON_DATA_INVALID")
        return markup

    def _send_message(self, params: _Params) -> JSONDict:
        state = self._chat_for(params)
        raw, plain, entities = self._render_text(params)
        markup = self._reply_markup(params)

        reply_parameters = params.get_json("reply_parameters") or {}
        reply_to_id = reply_parameters.get("message_id", params.get_int("reply_to_message_id"))
        allow_without_reply = reply_parameters.get(
            "allow_sending_without_reply", params.get_bool("allow_sending_without_reply")
        )
        replied = state.messages.get(int(reply_to_id)) if reply_to_id is not None else None
        if reply_to_id is not None and replied is None and not allow_without_reply:
            raise _bad_request("message to be replied not found")

        message = self._new_message(state, self.bot_user)
        message["text"] = plain
        if entities:
            message["entities"] = entities
        if replied is not None:
            message["reply_to_message"] = _without_reply(replied)
        if markup and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        link_preview = params.get_json("link_preview_options")
        if link_preview is not None:
            message["link_preview_options"] = link_preview
        self._store(state, message)
        self.sent.append(
            {
                "chat_id": state.chat["id"],
                "message_id": message["message_id"],
                "text": raw,
                "parse_mode": params.get_str("parse_mode"),
                "reply_to_message_id": None if replied is None else replied["message_id"],
                "quote": reply_parameters.get("quote"),
                "reply_markup": markup,
                "link_preview_options": link_preview,
                "message": message,
            }
        )
        return message

    def _editable_message(self, params: _Params) -> tuple[_ChatState, JSONDict]:
        if params.get_str("inline_message_id"):
            raise _bad_request("inline messages are not supported by the stub")
        state = self._chat_for(params)
        message = state.messages.get(params.get_int("message_id") or 0)
        if message is None:
            raise _bad_request("message to edit not found")
        if message["from"].get("id") != self.bot_id:
            raise _bad_request("message can't be edited")
        return state, message

    def _record_edit(
        self,
        method: str,
        params: _Params,
        state: _ChatState,
        edited: JSONDict,
        markup: JSONDict | None,
        text: str | None,
    ) -> JSONDict:
        self._store(state, edited)
        self.edits.append(
            {
                "method": method,
                "chat_id": state.chat["id"],
                "message_id": edited["message_id"],
                "text": text,
                "parse_mode": params.get_str("parse_mode"),
                "reply_markup": markup,
                "message": edited,
            }
        )
        return edited

    def _edit_message_text(self, params: _Params) -> JSONDict:
        state, current = self._editable_message(params)
        raw, plain, entities = self._render_text(params)
        markup = self._reply_markup(params)
        edited = {k: v for k, v in current.items() if k not in ("entities", "reply_markup")}
        edited.update(text=plain, edit_date=int(time.time()))
        if entities:
            edited["entities"] = entities
        if markup and "inline_keyboard" in markup:
            edited["reply_markup"] = markup
        if _content(edited) == _content(current):
            raise _bad_request(NOT_MODIFIED)
        return self._record_edit("editMessageText", params, state, edited, markup, raw)

    def _edit_message_reply_markup(self, params: _Params) -> JSONDict:
        state, current = self._editable_message(params)
        markup = self._reply_markup(params)
        edited = {k: v for k, v in current.items() if k != "reply_markup"}
        edited["edit_date"] = int(time.time())
        if markup and "inline_keyboard" in markup:
            edited["reply_markup"] = markup
        if _content(edited) == _content(current):
            raise _bad_request(NOT_MODIFIED)
        return self._record_edit("editMessageReplyMarkup", params, state, edited, markup, None)

    def _send_chat_action(self, params: _Params) -> bool:
        state = self._chat_for(params)
        action = params.get_str("action")
        if action not in CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        self.chat_actions.append({"chat_id": state.chat["id"], "action": action})
        return True

    def _answer_callback_query(self, params: _Params) -> bool:
        query_id = params.get_str("callback_query_id") or ""
        if self._open_callback_queries.pop(query_id, None) is None:
            raise _bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        self.callback_answers.append(
            {
                "callback_query_id": query_id,
                "text": params.get_str("text"),
                "show_alert": params.get_bool("show_alert"),
                "url": params.get_str("url"),
                "cache_time": params.get_int("cache_time"),
            }
        )
        return True

    def _get_file(self, params: _Params) -> JSONDict:
        stored = self._files.get(params.get_str("file_id") or "")
        if stored is None:
            raise _bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }


def _without_reply(message: JSONDict) -> JSONDict:
    """Telegram nests replied-to messages one level deep only."""
    return {k: v for k, v in message.items() if k != "reply_to_message"}


def _content(message: JSONDict) -> tuple[Any, ...]:
    return message.get("text"), message.get("entities"), message.get("reply_markup")


def _json_error(error: BotApiError) -> web.Response:
    return web.json_response(error.to_json(), status=error.error_code)
