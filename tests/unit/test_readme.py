"""The README stays true to the code: its configuration table (flags, commands, defaults), its
metrics (names, types, labels), its Events table (topics, schemas, fields), its commands and
the files and modules it names; and its links, and those of docs/*.md, reach their headings."""

import argparse
import ast
import json
import re
from pathlib import Path
from typing import Any

from newsflow.cli import build_parser, command_settings
from newsflow.kafka.settings import Topics
from newsflow.rejection import REASONS

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


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


DEFAULT_CELL = re.compile(r"^\| `(NEWSFLOW_\w+)` \| `--[\w-]+` \| ([^|]*) \|", re.M)
# The cells the table writes in prose: the store is a path per command, the workers the CPU count.
PROSE_DEFAULTS = {"NEWSFLOW_STORE_URL", "NEWSFLOW_WORKERS"}


def test_the_configuration_table_gives_each_setting_its_default() -> None:
    defaults: dict[str, list[object]] = {}
    for settings in command_settings().values():
        for setting in settings:
            if setting.default not in defaults.setdefault(setting.env, []):
                defaults[setting.env].append(setting.default)
    cells = {env: default.strip() for env, default in DEFAULT_CELL.findall(README)}
    wrong: dict[str, tuple[str, object]] = {}
    for env, values in defaults.items():
        if env in PROSE_DEFAULTS:
            continue
        cell = cells[env]
        if len(values) == 1:
            expected = "" if values[0] is None else str(values[0])
            if cell.lower() != expected.lower():
                wrong[env] = (cell, expected)
        elif not all(str(value) in cell for value in values):  # one per command: every one named
            wrong[env] = (cell, values)
    assert wrong == {}


def registered_metrics() -> dict[str, tuple[str, set[str]]]:
    """Each metric `service/metrics.py` registers: its type and its labels."""
    source = (ROOT / "src/newsflow/service/metrics.py").read_text()
    found: dict[str, tuple[str, set[str]]] = {}
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("Counter", "Gauge", "Histogram", "Summary", "Info", "Enum")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            labels = {"service"}  # every metric's first label (`s`)
            if len(node.args) > 2:
                labels |= {
                    c.value
                    for c in ast.walk(node.args[2])
                    if isinstance(c, ast.Constant) and isinstance(c.value, str)
                }
            found[node.args[0].value] = (node.func.id.lower(), labels)
    assert found
    return found


def test_the_metrics_table_names_every_metric_with_its_type_and_nothing_else() -> None:
    rows = dict(re.findall(r"^\| `(newsflow_\w+)` \| (\w+) \|", README, re.M))
    assert rows == {name: kind for name, (kind, _) in registered_metrics().items()}


def test_the_metric_labels_are_the_ones_the_readme_lists() -> None:
    listed = re.search(r"\*\*Metrics\*\* \(Prometheus, labels bounded: ([^—]*)—", README)
    assert listed
    documented = {label.strip() for label in listed[1].replace("\n", " ").split(",")}
    used = set().union(*(labels for _, labels in registered_metrics().values()))
    assert documented == used


def events_table() -> list[tuple[list[str], str, str]]:
    """Each row of the Events table: its topics, its schema and its fields cell."""
    section = README.split("\n## Events\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (`articles\.[^|]*) \| `(\w+)` \| [^|]* \| ([^|]*) \|$", section, re.M)
    return [(re.findall(r"`([\w.]+)`", topics), schema, fields) for topics, schema, fields in rows]


SCHEMAS = ROOT / "src/newsflow/contracts/schemas"


def schema(kind: str) -> dict[str, Any]:
    path = SCHEMAS / f"{kind}.schema.json"
    return json.loads(path.read_text())


def test_the_events_table_has_a_row_for_every_topic_and_schema() -> None:
    rows = events_table()
    assert sorted(t for topics, _, _ in rows for t in topics) == sorted(Topics().all())
    schemas = {p.name.removesuffix(".schema.json") for p in SCHEMAS.glob("*.json")}
    assert {kind for _, kind, _ in rows} == schemas


def test_every_field_the_events_table_names_is_in_its_schema() -> None:
    wrong = {}
    for _, kind, fields in events_table():
        properties = schema(kind)["properties"]
        known = set(properties)
        for spec in properties.values():  # values such as the method's `exact` / `near`
            known |= {str(v) for v in spec.get("enum", [])}
        named = set(re.findall(r"`([a-z_]+)`", fields))
        for name, inner in re.findall(r"`(\w+)` \{([\w, ]+)\}", fields):  # `dedup` {status, …}
            named |= {f"{name}.{sub.strip()}" for sub in inner.split(",")}
            known |= {f"{name}.{sub}" for sub in properties[name].get("properties", {})}
        if unknown := named - known:
            wrong[kind] = sorted(unknown)
    assert wrong == {}


IDS_AND_URLS = {"article_id", "source_id", "url", "canonical_url", "source"}


def test_the_ingested_and_clean_rows_name_every_field_of_their_events() -> None:
    for _, kind, fields in events_table():
        if kind not in ("ingested", "clean"):
            continue
        named = set(re.findall(r"`([a-z_]+)`", fields))
        if "ids and URLs" in fields:
            named |= IDS_AND_URLS
        assert named == set(schema(kind)["properties"]) - {"schema_version"}, kind


def test_every_command_is_in_the_commands_table_and_every_row_is_a_command() -> None:
    section = README.split("\n## Commands\n", 1)[1].split("\n## ", 1)[0]
    rows = {
        " ".join(w for w in words.split() if re.fullmatch(r"[a-z]+", w))
        for words in re.findall(r"^\| `newsflow ([^`]*)` \|", section, re.M)
    }
    assert rows == set(subcommands(build_parser()))


def subcommands(parser: argparse.ArgumentParser, prefix: str = "") -> list[str]:
    """The parser's commands, a group's by its actions (`topics create`)."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += subcommands(sub, f"{prefix}{name} ") or [prefix + name]
    return found


# A path the README names as of this repository (not one a command writes, such as `out/…`).
REPO_PATH = re.compile(
    r"`((?:tests|src|services|benchmarks|deploy|docs|samples|stages|store)/[\w./-]*)"
    r"(?:\{([\w,]+)\})?`"
)


def test_every_file_and_module_the_readme_names_exists() -> None:
    missing = []
    for named, choices in set(REPO_PATH.findall(README)):  # `soak.{json,md}`: both
        for path in [named + choice for choice in choices.split(",")] if choices else [named]:
            if path.startswith(("stages/", "store/")):
                path = "src/newsflow/" + path
            if not (ROOT / path).exists():
                missing.append(path)
    for name in set(re.findall(r"`(test_\w+\.py)`", README)):
        if not any((ROOT / "tests").rglob(name)):
            missing.append(name)
    for module in set(re.findall(r"python -m (benchmarks(?:\.\w+)*)", README)):
        path = ROOT / module.replace(".", "/")
        if not (path.with_suffix(".py").is_file() or (path / "__main__.py").is_file()):
            missing.append(module)
    for module in set(re.findall(r"`(newsflow(?:\.\w+)+)`", README)) - {"newsflow.sqlite"}:
        path = ROOT / "src" / module.replace(".", "/")
        if not (path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()):
            missing.append(module)
    assert sorted(missing) == []


def test_every_option_and_input_of_every_command_says_in_its_help_what_it_is() -> None:
    """ "Every command has `--help`": one that lists `--partitions` or `--dry-run` bare says
    neither what they do nor their default."""

    def unexplained(parser: argparse.ArgumentParser, prefix: str = "") -> list[str]:
        found = []
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    found += unexplained(sub, f"{prefix}{name} ")
            elif not action.help:
                found.append(prefix + (action.option_strings or [action.dest])[0])
        return found

    assert unexplained(build_parser()) == []


def test_publish_help_and_the_commands_table_give_its_default_base_url() -> None:
    from newsflow.tools.publish import DEFAULT_BASE_URL

    (publish,) = [
        sub
        for action in build_parser()._actions
        if isinstance(action, argparse._SubParsersAction)
        for name, sub in action.choices.items()
        if name == "publish"
    ]
    assert DEFAULT_BASE_URL in publish.format_help()
    (row,) = [line for line in README.splitlines() if line.startswith("| `newsflow publish")]
    assert f"`--base-url` default `{DEFAULT_BASE_URL}`" in row


DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s:]+)\)")  # relative only: a scheme has a colon


def headings(page: str) -> list[str]:
    """The page's heading lines outside code blocks, in order."""
    found, in_code = [], False
    for line in page.splitlines():
        in_code ^= line.startswith("```")
        if not in_code and re.match(r"#{1,6} ", line):
            found.append(line)
    return found


def anchors(page: str) -> set[str]:
    """The anchors GitHub gives the page's headings (a repeated one gets -1, -2…)."""
    made: set[str] = set()
    times: dict[str, int] = {}
    for heading in headings(page):
        text = re.sub(r"\[([^]]*)\]\([^)]*\)", r"\1", heading.lstrip("#")).replace("`", "")
        slug = re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")
        made.add(f"{slug}-{times[slug]}" if slug in times else slug)
        times[slug] = times.get(slug, 0) + 1
    return made


def test_every_relative_link_of_the_readme_and_docs_reaches_its_file_and_heading() -> None:
    broken = []
    for doc in DOCS:
        for target in LINK.findall(re.sub(r"```.*?```", "", doc.read_text(), flags=re.S)):
            path, _, anchor = target.partition("#")
            linked = (doc.parent / path).resolve() if path else doc
            if not linked.exists() or (
                anchor and linked.suffix == ".md" and anchor not in anchors(linked.read_text())
            ):
                broken.append(f"{doc.name}: {target}")
    assert broken == []


def test_every_docs_page_opens_with_its_title() -> None:
    """A section moved out of the README goes under the page's title, not above it."""
    assert [doc.name for doc in DOCS if not headings(doc.read_text())[0].startswith("# ")] == []
