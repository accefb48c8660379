"""newsflow: raw crawled news pages in, clean, deduplicated, story-grouped article events out."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("newsflow")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"
