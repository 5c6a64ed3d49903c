"""A bot command run in a subprocess, as whoever deploys it sees it: its stderr read line
by line, Ctrl-C, its exit status."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from tests.conftest import cli

START_SECONDS = 120  # the engine loads its embedder before the bot connects


class BotProcess:
    """`incident-bot run` (or another command) in a subprocess, its stderr read line by
    line as it comes."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self._changed = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, cwd: Path, env: dict[str, str], *args: str) -> BotProcess:
        process = await asyncio.create_subprocess_exec(
            *cli(*(args or ("run",))), cwd=cwd, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )
        return cls(process)

    async def _read(self) -> None:
        async for line in self.process.stderr:
            self.lines.append(line.decode(errors="replace").rstrip("\n"))
            self._changed.set()
        self._changed.set()

    async def wait_for_lines(self, text: str, count: int = 1, timeout: float = START_SECONDS) -> list[str]:
        """The first count lines of stderr that contain text."""

        async def enough() -> list[str]:
            while True:
                found = [line for line in self.lines if text in line]
                if len(found) >= count:
                    return found[:count]
                if self._reader.done():
                    raise AssertionError(f"exited with {self.process.returncode} before {count}× {text!r}:\n{self.log}")
                self._changed.clear()
                await self._changed.wait()

        try:
            return await asyncio.wait_for(enough(), timeout)
        except TimeoutError:
            raise AssertionError(f"no {count}× {text!r} within {timeout} s:\n{self.log}") from None

    async def interrupt(self, timeout: float = 30) -> int:
        """Ctrl-C, and the exit status."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGINT)
        return await self.exit_status(timeout)

    async def exit_status(self, timeout: float = 30) -> int:
        await asyncio.wait_for(self._reader, timeout)
        return await asyncio.wait_for(self.process.wait(), timeout)

    @property
    def log(self) -> str:
        return "\n".join(self.lines)
