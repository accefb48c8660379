"""The one root exception type. Expected failures are values (`Rejection`), not exceptions."""


class NewsflowError(Exception):
    """Something unexpected went wrong. `retriable` says whether trying again may help."""

    retriable = False


class ConfigError(NewsflowError):
    """Configuration is invalid; raised at start-up with a message meant for the operator."""


CONFIG_ERROR_EXIT = 2
"""The exit status of a command, or of a service's worker, stopped by a `ConfigError`."""


class StoreUnavailable(NewsflowError):
    """The dedup/story store cannot be reached right now."""

    retriable = True
