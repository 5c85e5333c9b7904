"""A dependency-free progress bar for long commands (on stderr, so stdout stays parseable)."""

import sys
import time


class ProgressBar:
    """``with ProgressBar(total, "purging") as bar: bar.advance(n)``; redraws at most 10x/s."""

    def __init__(self, total: int, label: str, stream=None, width: int = 30):
        self.total, self.label, self.width = max(0, total), label, width
        self.stream = stream or sys.stderr
        self.done = 0
        self._drawn = 0.0
        self._start = time.monotonic()

    def __enter__(self):
        self._draw(force=True)
        return self

    def advance(self, n: int) -> None:
        self.done += n
        self._draw()

    def _draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._drawn < 0.1 and self.done < self.total:
            return
        self._drawn = now
        share = self.done / self.total if self.total else 1.0
        filled = int(self.width * min(1.0, share))
        elapsed = now - self._start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        self.stream.write(
            f"\r{self.label} [{'#' * filled}{'.' * (self.width - filled)}] "
            f"{self.done}/{self.total} {share * 100:5.1f}% {rate:,.0f}/s"
        )
        self.stream.flush()

    def __exit__(self, *exc):
        self._draw(force=True)
        self.stream.write("\n")
        self.stream.flush()
        return False
