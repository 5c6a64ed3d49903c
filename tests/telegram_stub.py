"""A local stand-in for the Telegram Bot API, for end-to-end tests.

A real HTTP server on 127.0.0.1 that answers the Bot API methods incident-bot calls, so an
unmodified python-telegram-bot ``Application`` polls it over real HTTP::

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

The methods are getMe, setWebhook, deleteWebhook, getUpdates, setMyCommands, sendMessage,
sendMessageDraft, sendChatAction, editMessageText, answerCallbackQuery and getFile, plus
file downloads; any
other method gets Telegram's 404, so a new call in the bot fails the tests until it is added.

Once the bot calls setWebhook, updates are POSTed to its URL (with the secret token header)
instead of being handed out by getUpdates, and tried again until the bot's server answers
200; unlike Telegram, the stub accepts a plain http:// URL on any port.

A draft (sendMessageDraft, private chats only) is shown in its chat until the bot sends a
message there, which replaces it: ``shown_draft(chat_id)`` is what the user sees meanwhile.

Users act through ``send_text``, ``send_document`` and ``press_button``. What the bot did is
recorded in ``sent``, ``drafts``, ``edits``, ``chat_actions``, ``callback_answers``, ``commands``,
``webhook`` and ``webhook_posts`` and, for every API call including refused ones, ``calls``.

Like Telegram, the stub refuses HTML it can't parse, text that is empty or over 4096 UTF-16
units once the markup is parsed, an edit that changes nothing, a second answer to a button
press, callback data over 64 bytes and invalid command names. ``fail_next`` injects an error
such as flood control.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import PurePosixPath
from typing import Any, Literal

from aiohttp import ClientError, ClientSession, web

JSONDict = dict[str, Any]
Params = Mapping[str, str]
"""A request's form fields; PTB sends strings as they are and everything else as JSON."""

MAX_MESSAGE_LENGTH = 4096
"""Telegram's limit for a message text, counted after entity parsing (in UTF-16 code units)."""
MAX_CALLBACK_DATA_BYTES = 64
MAX_UPDATES_PER_CALL = 100  # getUpdates' default limit, which PTB does not change
WEBHOOK_RETRY_SECONDS = 0.2  # before posting an update the webhook refused again

# The tags Telegram's HTML parse mode accepts, and the entity each one makes.
TAG_ENTITIES = {
    **dict.fromkeys(["b", "strong"], "bold"),
    **dict.fromkeys(["i", "em"], "italic"),
    **dict.fromkeys(["u", "ins"], "underline"),
    **dict.fromkeys(["s", "strike", "del"], "strikethrough"),
    **dict.fromkeys(["tg-spoiler", "span"], "spoiler"),
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
# The only named character references Telegram decodes.
NAMED_REFERENCES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

_BOT_COMMAND = re.compile(r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>@])")
_MENTION = re.compile(r"(?<!\w)@[A-Za-z0-9_]{2,32}(?!\w)")
_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
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
# Text: UTF-16 lengths, HTML parse mode, entities of users' messages
# --------------------------------------------------------------------------------------------


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit of Telegram's limits and offsets."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


class EntityParseError(ValueError):
    """HTML Telegram refuses; the message is what follows "can't parse entities: "."""


class _TelegramHTML(HTMLParser):
    """Telegram's HTML parse mode: html.parser splits the text into tags, text and character
    references; the handlers refuse what Telegram refuses and collect text and entities."""

    def __init__(self) -> None:
        # Telegram decodes fewer character references than HTML5, so they are decoded here.
        super().__init__(convert_charrefs=False)
        self.pieces: list[str] = []
        self.length = 0  # of the text so far, in UTF-16 units
        self.entities: list[JSONDict] = []
        self.open: list[tuple[str, JSONDict | None, int]] = []  # tag, entity, start offset

    def _add(self, text: str) -> None:
        self.pieces.append(text)
        self.length += utf16_len(text)

    def handle_data(self, data: str) -> None:
        # html.parser passes a '<' that starts no tag on as text; Telegram refuses it.
        if "<" in data:
            raise EntityParseError('Unexpected "<"; a literal "<" must be written "&lt;"')
        self._add(data)

    def handle_entityref(self, name: str) -> None:
        self._add(NAMED_REFERENCES.get(name, f"&{name};"))  # Telegram leaves others undecoded

    def handle_charref(self, name: str) -> None:
        code = int(name[1:], 16) if name[0] in "xX" else int(name)
        self._add(chr(code) if 0 < code <= 0x10FFFF else f"&#{name};")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag not in TAG_ENTITIES:
            raise EntityParseError(f'Unsupported start tag "{tag}"')
        if tag == "span" and attributes.get("class") != "tg-spoiler":
            raise EntityParseError('Tag "span" must have class "tg-spoiler"')
        entity: JSONDict | None = {"type": TAG_ENTITIES[tag]}
        if tag == "blockquote" and "expandable" in attributes:
            entity = {"type": "expandable_blockquote"}
        elif tag == "a":
            # The bot always gives href; without one Telegram would try the text as the URL.
            href = attributes.get("href")
            entity = {"type": "text_link", "url": href} if href else None
        self.open.append((tag, entity, self.length))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise EntityParseError(f'Unsupported start tag "{tag}/"')

    def handle_endtag(self, tag: str) -> None:
        if not self.open:
            raise EntityParseError(f'Unexpected end tag "</{tag}>"')
        name, entity, start = self.open.pop()
        if tag != name:
            raise EntityParseError(f'Unmatched end tag: expected "</{name}>", found "</{tag}>"')
        if entity is not None and self.length > start:
            self.entities.append({**entity, "offset": start, "length": self.length - start})

    def _refuse_markup(self, data: str) -> None:
        raise EntityParseError("Unsupported comment, declaration or processing instruction")

    handle_comment = handle_decl = handle_pi = unknown_decl = _refuse_markup

    def close(self) -> None:
        super().close()
        if self.open:
            tag = self.open[-1][0]
            raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{tag}"')


def parse_html(html: str) -> tuple[str, list[JSONDict]]:
    """The text and entities Telegram makes of ``html`` in HTML parse mode; entity offsets
    and lengths are in UTF-16 units.

    Raises:
        EntityParseError: for an unknown tag, a tag left open or closed out of order, or a
            stray "<".
    """
    parser = _TelegramHTML()
    parser.feed(html)
    parser.close()
    entities = sorted(parser.entities, key=lambda e: (e["offset"], -e["length"]))
    return "".join(parser.pieces), entities


def _trim(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Telegram strips surrounding whitespace; entities are cut to the text that is left."""
    stripped = text.strip()
    shift = utf16_len(text) - utf16_len(text.lstrip())
    end = utf16_len(stripped)
    kept = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        stop = min(entity["offset"] + entity["length"] - shift, end)
        if stop > start:
            kept.append({**entity, "offset": start, "length": stop - start})
    return stripped, kept


def detect_entities(text: str) -> list[JSONDict]:
    """The ``bot_command`` and ``mention`` entities Telegram attaches to a user's text, which
    PTB's command handlers and mention filters read."""
    found = sorted(
        (match.start(), match.end(), kind)
        for kind, pattern in (("bot_command", _BOT_COMMAND), ("mention", _MENTION))
        for match in pattern.finditer(text)
    )
    return [
        {"type": kind, "offset": utf16_len(text[:start]), "length": utf16_len(text[start:end])}
        for start, end, kind in found
    ]


def _json(params: Params, name: str, default: Any = None) -> Any:
    """A parameter PTB sends JSON-encoded: a number, object or array."""
    value = params.get(name)
    return default if value is None else json.loads(value)


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
        port: int = 0,
    ) -> None:
        self.token = token
        self.port = port
        self.bot_user: JSONDict = {
            "id": int(token.partition(":")[0]),
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }

        self.sent: list[JSONDict] = []
        """Every message the bot sent: chat_id, message_id, text (as sent, e.g. raw HTML),
        parse_mode, reply_to_message_id, reply_markup, and ``message``: the Message object
        returned to the bot, whose text is what the user sees."""
        self.drafts: list[JSONDict] = []
        """sendMessageDraft calls that succeeded: chat_id, draft_id, text (as sent), shown
        (what the user sees of it), sent_before (how many messages ``sent`` held then)."""
        self.edits: list[JSONDict] = []
        """editMessageText calls that succeeded: chat_id, message_id, text (as sent),
        parse_mode, reply_markup, message (the edited Message)."""
        self.chat_actions: list[JSONDict] = []
        """sendChatAction calls: chat_id, action."""
        self.callback_answers: list[JSONDict] = []
        """answerCallbackQuery calls: callback_query_id, text."""
        self.commands: list[JSONDict] = []
        """setMyCommands calls: commands, scope (default ``{"type": "default"}``)."""
        self.calls: list[JSONDict] = []
        """Every API call in arrival order: method, params (as received), ok, error_code,
        description. Refused calls are here and nowhere else."""
        self.webhook: JSONDict | None = None
        """The webhook the bot set: url, secret_token and the other setWebhook parameters."""
        self.webhook_posts: list[JSONDict] = []
        """Every attempt to POST an update to the webhook: update (as posted), status (the
        HTTP status, or the connection error's name)."""

        self._runner: web.AppRunner | None = None
        self._root: str | None = None
        self._closing = False
        self._chats: dict[int, _ChatState] = {}
        self._files: dict[str, _StoredFile] = {}
        self._updates: list[JSONDict] = []
        self._update_ids = itertools.count(100_000)
        self._file_numbers = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._open_callback_queries: set[str] = set()
        self._failures: dict[str, deque[BotApiError]] = defaultdict(deque)
        self._updates_signal = _Signal()
        self._activity_signal = _Signal()
        self._delivery: asyncio.Task[None] | None = None
        self._shown_drafts: dict[int, JSONDict] = {}
        self._methods: dict[str, Callable[[Params], Awaitable[Any]]] = {
            "getMe": self._get_me,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getUpdates": self._get_updates,
            "setMyCommands": self._set_my_commands,
            "sendMessage": self._send_message,
            "sendMessageDraft": self._send_message_draft,
            "sendChatAction": self._send_chat_action,
            "editMessageText": self._edit_message_text,
            "answerCallbackQuery": self._answer_callback_query,
            "getFile": self._get_file,
        }

    # -- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> TelegramStub:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Listen on 127.0.0.1, on ``port`` (by default a free one)."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("POST", "/bot{token}/{method}", self._handle_api_call)
        app.router.add_route("GET", "/file/bot{token}/{file_path:.+}", self._handle_download)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self._root = f"http://{host}:{port}"
        self._delivery = asyncio.create_task(self._deliver_to_webhook())

    async def stop(self) -> None:
        """Answer pending long polls and shut the server down."""
        if self._runner is None:
            return
        self._closing = True
        self._updates_signal.notify()
        if self._delivery is not None:
            self._delivery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._delivery
        await self._runner.cleanup()
        self._runner = None

    @property
    def root(self) -> str:
        """Base URL of the running server, e.g. ``http://127.0.0.1:41234``."""
        if self._root is None:
            raise RuntimeError("TelegramStub is not running; use 'async with TelegramStub()'")
        return self._root

    # -- what users do -----------------------------------------------------------------------

    def send_text(
        self, chat: Chat, user: User, text: str, reply_to: Mapping[str, Any] | None = None
    ) -> JSONDict:
        """``user`` writes ``text`` in ``chat``, optionally replying to a message there.

        ``reply_to`` is any message of that chat: a dict returned by these methods, an entry
        of ``sent`` or the ``message`` inside it. ``/commands`` and ``@mentions`` get the
        entities Telegram would attach. Returns the user's Message object.
        """
        state = self._chat_state(chat, user)
        replied = None if reply_to is None else self._stored_message(state, reply_to)
        message = self._new_message(state, user.to_json())
        if replied is not None:
            message["reply_to_message"] = _without_reply(replied)
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
        message = self._new_message(self._chat_state(chat, user), user.to_json())
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
            ValueError: if the message is unknown or has no such button.
        """
        current = self._stored_message(self._chat_state(chat, user), message)
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
        self._open_callback_queries.add(query["id"])
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
            AssertionError: on timeout, listing what the bot did send and any refused calls.
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
        refused = [call for call in self.calls if "error_code" in call]
        raise AssertionError(
            f"expected {count} bot message(s){where} within {timeout}s, "
            f"{len(matching())} matched.\n"
            f"bot messages: {json.dumps(received, ensure_ascii=False, indent=1)}\n"
            f"refused API calls: {json.dumps(refused, ensure_ascii=False)}"
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

    def shown_draft(self, chat_id: int) -> JSONDict | None:
        """The draft the user sees in chat_id, or None (none sent, or replaced by a message)."""
        return self._shown_drafts.get(chat_id)

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
        if method not in self._methods:
            raise ValueError(f"the stub does not implement {method!r}")
        parameters = {"retry_after": retry_after} if retry_after is not None else None
        if description is None:
            description = (
                f"Too Many Requests: retry after {retry_after}"
                if error_code == 429
                else f"Injected failure of {method}"
            )
        self._failures[method].append(BotApiError(error_code, description, parameters))

    # -- chats, messages and updates ---------------------------------------------------------

    def _chat_state(self, chat: Chat, user: User) -> _ChatState:
        state = self._chats.get(chat.id)
        if state is None:
            chat_json: JSONDict = {"id": chat.id, "type": chat.type}
            if chat.type == "private":
                chat_json["first_name"] = user.first_name
                if user.username:
                    chat_json["username"] = user.username
            else:
                chat_json["title"] = chat.title or f"Group {chat.id}"
            state = self._chats[chat.id] = _ChatState(chat=chat_json, messages={})
        return state

    @staticmethod
    def _stored_message(state: _ChatState, message: Mapping[str, Any]) -> JSONDict:
        message_id = message.get("message_id")
        if message_id not in state.messages:
            raise ValueError(f"message {message_id} is not in chat {state.chat['id']}")
        return state.messages[message_id]

    @staticmethod
    def _new_message(state: _ChatState, sender: JSONDict) -> JSONDict:
        message = {
            "message_id": state.next_message_id,
            "from": sender,
            "chat": state.chat,
            "date": int(time.time()),
        }
        state.messages[state.next_message_id] = message
        state.next_message_id += 1
        return message

    def _enqueue(self, payload: JSONDict) -> None:
        self._updates.append({"update_id": next(self._update_ids), **payload})
        self._updates_signal.notify()

    def _chat(self, params: Params) -> _ChatState:
        state = self._chats.get(_json(params, "chat_id"))
        if state is None:
            raise _bad_request("chat not found")
        return state

    # -- HTTP plumbing -----------------------------------------------------------------------

    async def _handle_api_call(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _json_error(BotApiError(401, "Unauthorized"))
        method = request.match_info["method"]
        handler = self._methods.get(method)
        if handler is None:
            return _json_error(BotApiError(404, "Not Found: method not found"))
        params = dict(await request.post())
        call: JSONDict = {"method": method, "params": params, "ok": False}
        self.calls.append(call)
        self._activity_signal.notify()
        try:
            if self._failures[method]:
                raise self._failures[method].popleft()
            result = await handler(params)
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

    # -- Bot API methods ---------------------------------------------------------------------

    async def _get_me(self, params: Params) -> JSONDict:
        return self.bot_user

    async def _set_webhook(self, params: Params) -> bool:
        if not params.get("url"):
            return await self._delete_webhook(params)
        self.webhook = {"url": params["url"], **{k: v for k, v in params.items() if k != "url"}}
        if _json(params, "drop_pending_updates", False):
            self._updates.clear()
        self._updates_signal.notify()
        return True

    async def _delete_webhook(self, params: Params) -> bool:
        self.webhook = None
        if _json(params, "drop_pending_updates", False):
            self._updates.clear()
        return True

    async def _deliver_to_webhook(self) -> None:
        """While a webhook is set, POSTs each update to it in order, as Telegram does, trying
        again until the bot's server answers 200."""
        async with ClientSession() as session:
            while not self._closing:
                await self._updates_signal.wait_until(
                    lambda: self._closing or (self.webhook is not None and bool(self._updates)), 3600
                )
                if self._closing or self.webhook is None or not self._updates:
                    continue
                update, webhook = self._updates[0], self.webhook
                secret = webhook.get("secret_token")
                headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
                try:
                    async with session.post(webhook["url"], json=update, headers=headers) as response:
                        status: int | str = response.status
                except ClientError as error:
                    status = type(error).__name__
                self.webhook_posts.append({"update": update, "status": status})
                self._activity_signal.notify()
                if status == 200:
                    with contextlib.suppress(ValueError):  # dropped meanwhile
                        self._updates.remove(update)
                else:
                    await asyncio.sleep(WEBHOOK_RETRY_SECONDS)

    async def _get_updates(self, params: Params) -> list[JSONDict]:
        if self.webhook is not None:
            raise BotApiError(
                409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
            )
        offset = _json(params, "offset", 0)
        # An offset confirms the updates before it, which Telegram then forgets.
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        await self._updates_signal.wait_until(
            lambda: self._closing or bool(self._updates), _json(params, "timeout", 0)
        )
        return self._updates[:MAX_UPDATES_PER_CALL]

    async def _set_my_commands(self, params: Params) -> bool:
        commands = _json(params, "commands")
        for command in commands:
            if not _COMMAND_NAME.fullmatch(command["command"]):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(command["description"]) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands.append(
            {"commands": commands, "scope": _json(params, "scope", {"type": "default"})}
        )
        return True

    @staticmethod
    def _visible_text(params: Params) -> tuple[str, list[JSONDict]]:
        """What the user sees of the text and its entities, or Telegram's refusal."""
        parse_mode = params.get("parse_mode")
        if parse_mode is None:
            text, entities = params.get("text", ""), []
        elif parse_mode.lower() == "html":
            try:
                text, entities = parse_html(params.get("text", ""))
            except EntityParseError as error:
                raise _bad_request(f"can't parse entities: {error}") from None
        else:
            raise _bad_request(f"the stub implements parse_mode HTML only, not {parse_mode}")
        text, entities = _trim(text, entities)
        if not text:
            raise _bad_request("message text is empty")
        if utf16_len(text) > MAX_MESSAGE_LENGTH:
            raise _bad_request("message is too long")
        return text, entities

    @staticmethod
    def _reply_markup(params: Params) -> JSONDict | None:
        markup = _json(params, "reply_markup")
        for row in (markup or {}).get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES:
                    raise _bad_request("BUTTON_DATA_INVALID")
        return markup

    async def _send_message(self, params: Params) -> JSONDict:
        state = self._chat(params)
        text, entities = self._visible_text(params)
        markup = self._reply_markup(params)
        # Telegram refuses a reply to a missing message unless allow_sending_without_reply is
        # set, which the bot always does; the message then goes out as no reply.
        reply_to = _json(params, "reply_parameters", {}).get("message_id")
        replied = state.messages.get(reply_to)

        message = self._new_message(state, self.bot_user)
        message["text"] = text
        if entities:
            message["entities"] = entities
        self._shown_drafts.pop(state.chat["id"], None)  # the message replaces the draft
        if replied is not None:
            message["reply_to_message"] = _without_reply(replied)
        if markup:
            message["reply_markup"] = markup
        self.sent.append(
            {
                "chat_id": state.chat["id"],
                "message_id": message["message_id"],
                "text": params.get("text"),
                "parse_mode": params.get("parse_mode"),
                "reply_to_message_id": None if replied is None else replied["message_id"],
                "reply_markup": markup,
                "message": message,
            }
        )
        return message

    async def _send_message_draft(self, params: Params) -> bool:
        state = self._chat(params)
        if state.chat["type"] != "private":
            raise _bad_request("drafts can be sent to private chats only")  # the stub's wording
        draft_id = _json(params, "draft_id", 0)
        if not draft_id:
            raise _bad_request("draft_id must be non-zero")
        # An empty text shows Telegram's "Thinking…" placeholder.
        shown = self._visible_text(params)[0] if params.get("text") else ""
        draft = {
            "chat_id": state.chat["id"],
            "draft_id": draft_id,
            "text": params.get("text"),
            "shown": shown,
            "sent_before": len(self.sent),
        }
        self.drafts.append(draft)
        self._shown_drafts[state.chat["id"]] = draft
        return True

    async def _edit_message_text(self, params: Params) -> JSONDict:
        state = self._chat(params)
        current = state.messages.get(_json(params, "message_id"))
        if current is None:
            raise _bad_request("message to edit not found")
        text, entities = self._visible_text(params)
        markup = self._reply_markup(params)
        # Telegram drops entities and keyboard the edit does not repeat.
        edited = {k: v for k, v in current.items() if k not in ("entities", "reply_markup")}
        edited.update(text=text, edit_date=int(time.time()))
        if entities:
            edited["entities"] = entities
        if markup:
            edited["reply_markup"] = markup
        if _content(edited) == _content(current):
            raise _bad_request(NOT_MODIFIED)
        state.messages[edited["message_id"]] = edited
        self.edits.append(
            {
                "chat_id": state.chat["id"],
                "message_id": edited["message_id"],
                "text": params.get("text"),
                "parse_mode": params.get("parse_mode"),
                "reply_markup": markup,
                "message": edited,
            }
        )
        return edited

    async def _send_chat_action(self, params: Params) -> bool:
        state = self._chat(params)
        self.chat_actions.append({"chat_id": state.chat["id"], "action": params.get("action")})
        return True

    async def _answer_callback_query(self, params: Params) -> bool:
        query_id = params.get("callback_query_id", "")
        if query_id not in self._open_callback_queries:
            raise _bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        self._open_callback_queries.remove(query_id)
        self.callback_answers.append({"callback_query_id": query_id, "text": params.get("text")})
        return True

    async def _get_file(self, params: Params) -> JSONDict:
        stored = self._files.get(params.get("file_id", ""))
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
