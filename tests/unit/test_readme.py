"""The README's configuration table and metric list stay true to the code."""

import re
from pathlib import Path

from newsflow.cli import command_settings
from newsflow.rejection import REASONS

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


TABLE_ROW = re.compile(r"^\| `(NEWSFLOW_\w+)` \| `(--[\w-]+)` \| [^|]* \| ([^|]*) \|", re.M)
TOOLS = ("topics create", "publish", "replay")  # "tools" in the table


def documented_settings() -> dict[str, tuple[str, set[str]]]:
    """Each variable of the configuration table: its flag and the commands it names."""
    return {
        env: (flag, set(used_by.strip().split(", ")))
        for env, flag, used_by in TABLE_ROW.findall(README)
    }


def test_the_configuration_table_names_each_setting_its_flag_and_the_commands_that_read_it() -> (
    None
):
    reading: dict[str, set[str]] = {}
    flags: dict[str, str] = {}
    for command, settings in command_settings().items():
        for setting in settings:
            reading.setdefault(setting.env, set()).add(command)
            flags[setting.env] = setting.flag
    expected = {}
    for env, commands in reading.items():
        named = commands - {*TOOLS, "tail"}
        if all(tool in commands for tool in TOOLS):
            named.add("tools")
        elif "publish" in commands:
            named.add("publish")
        expected[env] = (flags[env], named)
    assert documented_settings() == expected


def test_tail_reads_the_kafka_settings_the_table_says() -> None:
    tail = {s.env for s in command_settings()["tail"]}
    assert tail == {env for env in documented_settings() if env.startswith("NEWSFLOW_KAFKA_")}


def test_every_rejection_reason_is_documented() -> None:
    assert sorted(r for r in REASONS if f"`{r}`" not in README) == []


def test_every_metric_is_documented() -> None:
    source = (Path(__file__).resolve().parents[2] / "src/newsflow/service/metrics.py").read_text()
    names = set(re.findall(r'"(newsflow_[a-z_]+)"', source))
    assert names
    assert sorted(n for n in names if f"`{n}`" not in README) == []
