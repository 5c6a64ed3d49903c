"""The Docker deployment, as far as it can be checked without a Docker engine: compose.yaml's
bot and Chroma commands run as plain processes, against each other and the Bot API
stand-in, the way the containers would; the Dockerfile runs the same bot command; and
.env.example covers every setting the README documents."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from tests.bot_process import BotProcess
from tests.conftest import REPO_ROOT, SEED_ID, clean_env, cli
from tests.telegram_stub import Chat, TelegramStub, User
from tests.test_chroma_server import CHROMA, free_port, server_ids, wait_for_heartbeat

TOKEN = "123:SeCrEtToKeN"
ANN = User(11, "Ann", "ann")
SEED_QUESTION = "How many children have been killed in western Aleppo since the offensive began?"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO_ROOT / "compose.yaml").read_text(encoding="utf-8"))


def dockerfile_cmd() -> list[str]:
    [cmd] = re.findall(r"^CMD (\[.*\])$", (REPO_ROOT / "Dockerfile").read_text(encoding="utf-8"), re.MULTILINE)
    return json.loads(cmd)


def option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_compose_runs_the_images_command_against_its_chroma_service_with_data_on_volumes(compose: dict) -> None:
    bot, chroma = compose["services"]["bot"], compose["services"]["chroma"]

    assert bot["command"] == dockerfile_cmd() == ["incident-bot", "run"]
    assert chroma["command"][:2] == ["chroma", "run"] and option(chroma["command"], "--host") == "0.0.0.0"
    chroma_url = urlsplit(bot["environment"]["CHROMA_URL"])
    assert (chroma_url.hostname, str(chroma_url.port)) == ("chroma", option(chroma["command"], "--port"))
    assert f"bot-data:{bot['environment']['DATA_DIR']}" in bot["volumes"]
    assert f"chroma-data:{option(chroma['command'], '--path')}" in chroma["volumes"]
    assert bot["env_file"] == ".env" and set(compose["volumes"]) == {"bot-data", "chroma-data"}


def test_a_fresh_copy_of_env_example_asks_for_the_token_in_one_line(tmp_path: Path) -> None:
    shutil.copy(REPO_ROOT / ".env.example", tmp_path / ".env")

    result = subprocess.run(cli("run"), cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=120)

    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert "set TELEGRAM_BOT_TOKEN" in line


def test_env_example_lists_every_setting_the_readme_documents() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## Configuration") :]
    table = table[: table.index("\n## ")]
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", table))
    example = (REPO_ROOT / ".env.example").read_text(encoding="utf-8")
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", example, re.MULTILINE))

    assert len(documented) > 20
    assert documented - listed == set()


@pytest.mark.slow
async def test_the_compose_commands_as_processes_answer_a_question_through_the_chroma_server(
    compose: dict, tmp_path: Path
) -> None:
    bot, chroma = compose["services"]["bot"], compose["services"]["chroma"]
    volume = tmp_path / "bot-data"  # the bot's WORKDIR and DATA_DIR in the image
    volume.mkdir()
    port = free_port()
    # The chroma service's command, on a folder and a loopback port of this machine.
    chroma_command = [str(CHROMA), *chroma["command"][1:]]
    chroma_command[chroma_command.index("--path") + 1] = str(tmp_path / "chroma-data")
    chroma_command[chroma_command.index("--host") + 1] = "127.0.0.1"
    chroma_command[chroma_command.index("--port") + 1] = str(port)
    chroma_log = tmp_path / "chroma.log"
    with chroma_log.open("wb") as out:
        server = subprocess.Popen(chroma_command, stdout=out, stderr=subprocess.STDOUT)
    chroma_url = f"http://127.0.0.1:{port}"
    try:
        wait_for_heartbeat(chroma_url, server, chroma_log)
        async with TelegramStub(TOKEN) as stub:
            environment = {
                **bot["environment"],
                "CHROMA_URL": chroma_url,
                "DATA_DIR": str(volume),
                # what .env would hold
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_BASE_URL": stub.root,
            }
            assert bot["command"][0] == "incident-bot"
            process = await BotProcess.start(volume, clean_env(**environment), *bot["command"][1:])
            try:
                question = stub.send_text(Chat(ANN.id), ANN, SEED_QUESTION)
                [answer] = await stub.wait_for_messages(chat_id=ANN.id, timeout=180)
            finally:
                status = await process.interrupt(timeout=60)
        stored = server_ids(chroma_url)
    finally:
        server.terminate()
        server.wait(timeout=30)

    log = process.log
    assert answer["reply_to_message_id"] == question["message_id"], log
    assert "17 children" in answer["message"]["text"]
    assert (volume / "seeds" / f"{SEED_ID}.txt").is_file()  # the shipped seed, on the volume
    assert stored and all(passage_id.startswith(SEED_ID) for passage_id in stored)  # vectors on the server
    assert not (volume / "index" / "chroma").exists()  # none in an embedded store
    assert status == 0 and "Traceback" not in log
