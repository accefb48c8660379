"""The one composition root: `newsflow <command>` builds what each command needs and runs it."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence

from newsflow import __version__
from newsflow.batch_commands import LISTING_SETTINGS, PROCESS_SETTINGS, add_batch_commands
from newsflow.commands import add_streaming_commands
from newsflow.config import Setting, misspelt_variables
from newsflow.errors import CONFIG_ERROR_EXIT, ConfigError, NewsflowError

log = logging.getLogger(__name__)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `newsflow` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    handler: Callable[[argparse.Namespace], int] = args.handler
    known = {setting.env for settings in command_settings().values() for setting in settings}
    for name, setting in misspelt_variables(os.environ, known):
        print(f"newsflow: warning: {name} is no setting, ignored ({setting}?)", file=sys.stderr)
    try:
        return handler(args)
    except ConfigError as exc:
        print(f"newsflow: configuration error: {exc}", file=sys.stderr)
        return CONFIG_ERROR_EXIT
    except NewsflowError as exc:
        print(f"newsflow: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if not _is_kafka_error(exc):
            raise
        hint = " (is NEWSFLOW_KAFKA_BOOTSTRAP right, and the broker up?)" if _unreached(exc) else ""
        print(f"newsflow: Kafka: {exc}{hint}", file=sys.stderr)
        return 1


def _is_kafka_error(exc: Exception) -> bool:
    """Whether kafka-python raised `exc` (a broker not reached, a request timed out); kafka
    is not imported for it: a command that never imported it cannot have raised its error."""
    errors = sys.modules.get("kafka.errors")
    return errors is not None and isinstance(exc, errors.KafkaError)


def _unreached(exc: Exception) -> bool:
    """Whether a Kafka error says the broker was not reached (not a refusal by a broker that
    answered, as an authorization failure or a record too large)."""
    import kafka.errors

    return isinstance(
        exc,
        kafka.errors.KafkaTimeoutError
        | kafka.errors.KafkaConnectionError
        | kafka.errors.NodeNotReadyError
        | kafka.errors.BrokerNotAvailableError,
    )


def command_settings() -> dict[str, tuple[Setting, ...]]:
    """The settings each command reads (the README's configuration table says the same)."""
    from newsflow.commands import PUBLISH_SETTINGS, TOOL_SETTINGS, extract_settings, ingest_settings
    from newsflow.kafka.settings import KAFKA_SETTINGS

    return {
        "process": PROCESS_SETTINGS,
        "stories": LISTING_SETTINGS,
        "ingest": ingest_settings(),
        "extract": extract_settings(),
        "topics create": TOOL_SETTINGS,
        "publish": PUBLISH_SETTINGS,
        "replay": TOOL_SETTINGS,
        "tail": KAFKA_SETTINGS,
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsflow",
        description="Raw crawled news pages in; clean, deduplicated article events out.",
    )
    parser.add_argument("--version", action="version", version=f"newsflow {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    add_batch_commands(commands)
    add_streaming_commands(commands)
    return parser
