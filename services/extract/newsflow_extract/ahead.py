"""Extraction ahead of the decisions.

While the extract service decides one record (store round trips, near duplicates, stories),
its sandbox child already extracts the next record of the batch that needs extracting, so
the two overlap. Records that need no extraction (re-crawls, bad events) are stepped over.
Results come back in the order the articles were sent; one that arrives before its record's
turn waits here, so a record is never handed another record's result. The next batch, polled
before this one ends, extends it, so the child also works across the commit between them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from newsflow.model import Article
from newsflow.sandbox import Extracted, Sandbox

Position = tuple[str, int, int]
REACH = 8  # records looked at past the current one for the next extractions
DEPTH = 2  # extractions kept queued past the current one (one would leave the child idle
# whenever a short page finishes before the current record is decided)


def position(record: Any) -> Position:
    return (record.topic, record.partition, record.offset)


class ExtractionQueue:
    """The sandbox's queue, seen per record: what was sent, what came back early."""

    def __init__(self, sandbox: Sandbox, *, reach: int = REACH, depth: int = DEPTH) -> None:
        self.sandbox = sandbox
        self.reach = reach
        self.depth = depth
        self._batch: list[Any] = []
        self._index: dict[Position, int] = {}
        self._sent: deque[Position] = deque()  # mirrors the order of the sandbox's queue
        self._articles: dict[Position, Article] = {}  # of records sent before their turn
        self._early: dict[Position, Extracted] = {}  # results that came before their turn
        self._stepped_over: set[Position] = set()  # of this batch, needing no extraction
        self._at = 0  # the index in the batch of the record being processed

    def start_batch(self, records: list[Any]) -> None:
        """The records about to be processed, in order. Results kept for records that are not
        in it (a batch rewound and polled again differently) are dropped."""
        self._batch = records
        self._index = {position(record): n for n, record in enumerate(records)}
        self._stepped_over = set()
        self._at = 0
        keep = self._index.keys() | set(self._sent)
        self._early = {p: result for p, result in self._early.items() if p in keep}
        self._articles = {p: article for p, article in self._articles.items() if p in keep}

    def extend_batch(self, records: list[Any]) -> None:
        """The records polled next, to follow the batch's remaining ones (the records before
        the one being processed are dropped from it)."""
        self._batch = self._batch[self._at :] + records
        self._index = {position(record): n for n, record in enumerate(self._batch)}
        self._stepped_over &= self._index.keys()
        self._at = 0

    def sent_ahead(self, record: Any) -> Article | None:
        """The record's article if its extraction was started before its turn."""
        return self._articles.get(position(record))

    def send(self, record: Any, article: Article) -> None:
        at = position(record)
        self.sandbox.submit(article)
        self._sent.append(at)
        self._articles[at] = article

    def send_next(self, record: Any, needs: Callable[[Any], Article | None]) -> None:
        """Keep `depth` records after `record` that need extracting on their way (`needs`
        gives a record's article, or None to step over it)."""
        start = self._index.get(position(record))
        if start is None:
            return
        self._at = start
        ahead = 0
        for later in self._batch[start + 1 : start + 1 + self.reach]:
            if ahead >= self.depth:
                return
            at = position(later)
            if at in self._articles:
                ahead += 1  # already on its way
            elif at not in self._stepped_over:
                article = needs(later)
                if article is None:
                    self._stepped_over.add(at)
                else:
                    self.send(later, article)
                    ahead += 1

    def result(self, record: Any) -> Extracted:
        """The record's extraction result (the record must have been sent)."""
        at = position(record)
        self._articles.pop(at, None)
        if at in self._early:
            return self._early.pop(at)
        while self._sent:
            head = self._sent.popleft()
            extracted = self.sandbox.collect()
            if head == at:
                return extracted
            self._early[head] = extracted
        raise LookupError(f"no extraction was started for {at}")
