"""Settings declared once, read from CLI flags and `NEWSFLOW_*` variables, validated at start-up.

Each `Setting` names a field, its flag and its help; the environment variable is derived from the
field (`store_url` → `NEWSFLOW_STORE_URL`). Precedence: flag, then environment, then default.
A value that does not parse is a `ConfigError` naming the flag and the variable.
"""

from __future__ import annotations

import argparse
import difflib
import math
import os
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from newsflow.errors import ConfigError

ENV_PREFIX = "NEWSFLOW_"


@dataclass(frozen=True, slots=True)
class Setting:
    """One configurable value: `--flag` on the command line, `NEWSFLOW_FIELD` in the environment."""

    field: str
    help: str
    default: Any = None
    parse: Callable[[str], Any] = str
    secret: bool = False

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.field.upper()

    @property
    def flag(self) -> str:
        return "--" + self.field.replace("_", "-")


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError("must be at least 1")
    return value


def non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError("must not be negative")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise ValueError("must be greater than 0")
    if not math.isfinite(value):  # `inf` made a shutdown timeout an OverflowError mid-stop
        raise ValueError("must be a finite number")
    return value


def tcp_port(text: str) -> int:
    """A TCP port, 0 (any free port) to 65535."""
    value = int(text)
    if not 0 <= value <= 65535:
        raise ValueError("must be a port from 0 to 65535")
    return value


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def log_level(text: str) -> str:
    """A logging level name, in any case."""
    value = text.strip().upper()
    if value not in LOG_LEVELS:
        raise ValueError(f"expected one of {', '.join(LOG_LEVELS)}")
    return value


def non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise ValueError("must not be negative")
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


def fraction(text: str) -> float:
    value = float(text)
    if not 0.0 < value <= 1.0:
        raise ValueError("must be greater than 0 and at most 1")
    return value


def boolean(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected true or false")


def add_settings(parser: argparse.ArgumentParser, settings: Iterable[Setting]) -> None:
    """Add one flag per setting; its help names the variable and the default. A yes-or-no
    setting is a flag alone too (`--divert-near-duplicates` for `... true`: given alone, it
    was "expected one argument")."""
    for setting in settings:
        shown = "(secret)" if setting.secret and setting.default else setting.default
        default = "" if setting.default is None else f"; default: {shown}"
        help_text = f"{setting.help} [env {setting.env}{default}]"
        if setting.parse is boolean:
            parser.add_argument(
                setting.flag,
                dest=setting.field,
                default=None,
                nargs="?",
                const="true",
                action=_YesOrNo,
                metavar="true|false",
                help=help_text,
            )
            continue
        parser.add_argument(
            setting.flag,
            dest=setting.field,
            default=None,
            metavar=setting.field.split("_")[-1].upper(),
            help=help_text,
        )


class _YesOrNo(argparse.Action):
    """A yes-or-no flag, alone or with its word. Given alone before an input, it takes the
    input for its word: that is said, rather than that the input is missing."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        try:
            boolean(str(values))
        except ValueError:
            parser.error(
                f"{option_string} is true or false, not {values!r} (alone before an input, "
                f"it takes the input for its word: write {option_string}=true, or put it "
                "after the inputs)"
            )
        setattr(namespace, self.dest, values)


def resolve(
    args: argparse.Namespace, settings: Iterable[Setting], environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Every setting's value: flag, else environment, else default; parsed and checked."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for setting in settings:
        given = getattr(args, setting.field, None)
        source = setting.flag
        if given is None:
            given, source = environ.get(setting.env), setting.env
        if given is None or given == "":
            values[setting.field] = setting.default
            continue
        try:
            values[setting.field] = setting.parse(given)
        except (ValueError, TypeError) as exc:
            shown = "(secret)" if setting.secret else repr(given)
            raise ConfigError(f"invalid {source} {shown}: {exc}") from exc
    return values


MISSPELT_CUTOFF = 0.8
"""How alike (difflib's ratio) a variable's name and a setting's must be for the first to be
taken for a misspelling of the second: NEWSFLOW_STORE_URLS, NEWSFLOW_REDIS_URL (0.83) and
NEWSFLOW_KAFKA_BOOTSTRAP_SERVERS (0.86) are; the suite's NEWSFLOW_FAULT_SECONDS (0.79) is not."""
TEST_PREFIX = ENV_PREFIX + "TEST_"
"""Variables of the test suite's own (NEWSFLOW_TEST_REDIS_URL), never taken for settings."""


def misspelt_variables(environ: Mapping[str, str], known: Collection[str]) -> list[tuple[str, str]]:
    """The `NEWSFLOW_*` variables that are no setting but nearly spell one, each with that
    setting: they are ignored, and a setting left at its default by a typo goes unnoticed."""
    return [
        (name, close[0])
        for name in sorted(environ)
        if name.startswith(ENV_PREFIX) and not name.startswith(TEST_PREFIX) and name not in known
        if (close := difflib.get_close_matches(name, known, n=1, cutoff=MISSPELT_CUTOFF))
    ]


def redact(values: Mapping[str, Any], settings: Iterable[Setting]) -> dict[str, Any]:
    """The values with secrets replaced, for logging the effective configuration."""
    secret = {s.field for s in settings if s.secret}
    return {k: ("***" if k in secret and v else v) for k, v in values.items()}
