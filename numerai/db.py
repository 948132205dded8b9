"""Database work from async code (sockets, replies, SSE), and queries compiled once."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.db import DEFAULT_DB_ALIAS, close_old_connections, connection
from django.db.models import QuerySet


def db_async(fn):
    """`fn` (a self-contained service or selector) as a coroutine function.

    Channels' `database_sync_to_async` runs every such call of a process on ONE thread, so
    concurrent sockets and replies queue behind each other. On PostgreSQL each call runs on the
    loop's thread pool instead, taking a pooled connection and giving it back. SQLite (the
    embedded default) has one writer anyway: it keeps the one thread.

    The connection is released inside the call: Django keeps connections per async context, so
    releasing it after `sync_to_async` returns (as channels does) would miss it off the
    sync thread and leak it from the pool.
    """

    @functools.wraps(fn)
    def call(*args, **kwargs):
        close_old_connections()
        try:
            return fn(*args, **kwargs)
        finally:
            close_old_connections()

    return sync_to_async(call, thread_sensitive=connection.vendor == "sqlite")


class CompiledQuery:
    """A queryset that the ORM builds and compiles to SQL once, then runs with other values.

    Django builds and compiles a queryset's SQL again on every run: for the user read on each
    chat turn's way to the model that was about half of the read (fix 26 in
    docs/performance.md). `build(**values)` returns the queryset. It is compiled on first use
    with the `samples` as values, and each run puts its own values where the samples are in the
    compiled parameters; the queryset's own iterable turns the rows into what it would give
    (instances, `select_related` ones included, or `values_list` tuples). So `build` must use
    its values only as query parameters, never to shape the SQL (no None, lists or branches
    on them), and each sample must differ from every other parameter of the query.

    Where the database's parameters are not the values themselves (SQLite stores UUIDs as
    text), or a value is not of its sample's type, the queryset is built and run as usual.
    """

    def __init__(self, build: Callable[..., QuerySet], **samples: Any):
        if any(a == b for a, b in itertools.combinations(samples.values(), 2)):
            raise ValueError("The samples must differ from each other.")
        self._build = build
        self._samples = samples
        self._compiled: tuple | None = None  # (queryset, sql, slots, compiler state), or ()

    def __call__(self, **values: Any) -> list:
        compiled = self._compiled if self._compiled is not None else self._compile()
        if not compiled or any(
            type(value) is not type(self._samples[name]) for name, value in values.items()
        ):
            return list(self._build(**values))
        queryset, sql, slots, state = compiled
        params = tuple(values[slot] if isinstance(slot, str) else slot[0] for slot in slots)
        run = queryset.all()  # a copy: the compiled queryset is shared between threads
        compiler = run.query.get_compiler(DEFAULT_DB_ALIAS)  # on this thread's connection
        compiler.__dict__.update(state)
        compiler.as_sql = lambda *args, **kwargs: (sql, params)
        run.query.get_compiler = lambda *args, **kwargs: compiler
        try:
            return list(run._iterable_class(run))
        finally:
            del run.query.get_compiler  # a cycle (query, compiler) left to the collector otherwise

    def _compile(self) -> tuple:
        queryset = self._build(**self._samples)
        compiler = queryset.query.get_compiler(DEFAULT_DB_ALIAS)
        sql, params = compiler.as_sql()
        by_sample = {id(sample): name for name, sample in self._samples.items()}
        slots = [by_sample.get(id(param), (param,)) for param in params]
        state = {name: getattr(compiler, name) for name in (
            "select", "klass_info", "annotation_col_map", "col_count", "has_extra_select")}
        # Every sample must be passed as is, once at least; no other parameter may equal one.
        constants = [slot[0] for slot in slots if not isinstance(slot, str)]
        clean = {slot for slot in slots if isinstance(slot, str)} == set(self._samples) and not any(
            constant == sample for constant in constants for sample in self._samples.values())
        self._compiled = (queryset, sql, slots, state) if clean else ()
        return self._compiled
