"""The table page's handle on its training process: the 2D Worker with the
table runner as the child's main loop. Its `spec` is a TableJob."""

from __future__ import annotations

from playground.dense.table_runner import serve_table
from playground.dense.worker import Worker


class TableWorker(Worker):
    target = staticmethod(serve_table)
