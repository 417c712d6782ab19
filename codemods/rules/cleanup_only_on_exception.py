from __future__ import annotations

import ast
from collections.abc import Sequence

import libcst as cst

from codemods.analysis.blocks import bound_names, referenced_names, statements
from codemods.analysis.cancellers import cleaned_up_by_canceller, may_start_or_cancel_tasks
from codemods.analysis.compensation import (
    Effect,
    Judge,
    compensation,
    deleted_entry_owners,
    held_before,
    rebound_outside_init,
    repeated_elsewhere,
)
from codemods.analysis.exits import Exit, handler_exits
from codemods.analysis.handler_rule import HandlerRule
from codemods.analysis.sessions import borrowed_session_clients, releases_nothing
from codemods.analysis.suspension import cancellable_coroutine, may_never_suspend
from codemods.model import FixSafety, RuleOptions
from codemods.prefilter.statements import (
    CoroutineCode,
    binds_attribute,
    does_more_than_log,
    last_name,
    with_aliases,
)


class CleanupOnlyOnException(HandlerRule):
    """
    ## What it does
    Flags `except Exception:` in a coroutine when every path through the handler compensates
    and then re-raises, and the `try` body contains a cancellation point: the rollback
    pattern. Compensation is judged by what the handler does, whatever its names: a cleanup
    call (`rollback`, `close`, `release`... see `cleanup-names`), resetting a reference or
    flag (`self._connection = None`), undoing a count, removing a registry entry (`del
    self._clients[key]`), giving back what the function took (`self._queue.put_nowait(holder)`)
    or calling the object's own private helper (`self._abort()`). A handler that only logs,
    counts or hands the exception on is not compensating.

    ## Why is this bad?
    Since Python 3.8 `asyncio.CancelledError` derives from `BaseException`, not `Exception`.
    The handler that rolls back a transaction or hands a broken connection back never runs
    when the coroutine is cancelled mid-transaction: the transaction stays open, the pooled
    connection is returned dirty or never returned.

    ## Example
    ```python
    async def transfer(conn, amount):
        tx = conn.transaction()
        await tx.start()
        try:
            await conn.execute("UPDATE accounts SET ...", amount)
            await tx.commit()
        except Exception:
            await tx.rollback()
            raise
    ```

    Use instead:
    ```python
    async def transfer(conn, amount):
        tx = conn.transaction()
        await tx.start()
        try:
            await conn.execute("UPDATE accounts SET ...", amount)
            await tx.commit()
        except BaseException:
            await tx.rollback()
            raise
    ```

    ## Fix safety
    The fix widens `except Exception` to `except BaseException`. The cleanup stays in the
    handler rather than moving to `finally`: on success the transaction is committed, the
    connection kept, the subscription alive; only failures must undo them. (When the success
    path runs the same cleanup, CF201 moves it to `finally` instead.)

    The fix is safe when the handler does nothing but compensate, log at debug or info level
    and re-raise: only cancellation and interpreter exit change path, and they now clean up too
    before propagating unchanged. It is unsafe when the handler does more (logs an error, counts
    failures, notifies someone, calls something else): that now happens on every cancellation
    too, and a cancellation would be reported as an error. Recording a failure status
    (`self._read_error = exc`, `self._errored = True`, `await self._set_state(State.ERROR)`)
    undoes nothing: a handler that only does that is no finding.

    Not flagged when the coroutine runs as a task (`self._poll = create_task(self._poll_loop())`)
    whose canceller makes the handler's cleanup calls itself (`self._poll.cancel()`, then
    `await self._api.unsubscribe()`): the cleanup is not skipped, it is the canceller's job,
    and widening would run it twice on every designed stop. Nor when no await of the `try`
    can suspend (each awaits a coroutine function that has no await of its own, defined in
    the module or in another module of its package that it imports).
    Nor when the handler only closes clients built by a plain call of their class on a
    session the function was given (`api = Api(host, session=session)`, then `except
    Exception: await api.close(); raise`) and only awaited for requests: such a client's
    `close()` closes only a session it created itself, and it created none, so a
    cancellation that skips it leaks nothing. An awaited build (`ws = await ws_connect(url,
    session=session)`, `await Api.connect(...)`) or a client the function opens, listens
    on, runs or hands to a task holds a connection: still reported.

    Report only, without a fix (the message says why), when widening would turn a cancellation
    into another error: a path raises another exception (`raise DBError() from exc`); the
    handler uses a name the `try` binds (`tx = await conn.begin()` inside it), which a
    cancellation may arrive before; a later handler catches what `Exception` does not
    (`except KeyboardInterrupt:`); or the handler deletes an entry of an attribute that
    another method of the class binds anew (`del self._pending[key]`, and
    `self._pending = {}` in `stop()`): when that method is what cancels the coroutine, the
    entry is gone already and the `del` would raise KeyError in place of the cancellation.

    ## Options
    - `cleanup-names`, `extend-cleanup-names`: the calls that count as cleanup.

    ## See also
    - CF201: the same cleanup on the success path too, which belongs in `finally`.
    """

    code = "CF202"
    name = "cleanup-only-on-exception"
    message = "`except Exception` cleanup is skipped on cancellation; catch `BaseException`"
    fix_kinds = (FixSafety.SAFE, FixSafety.UNSAFE)
    required_bytes = (b"async", b"except", b"Exception")
    reads_context_in_class = True

    @classmethod
    def is_candidate(cls, code: CoroutineCode, options: RuleOptions) -> bool:
        return options.target_version >= (3, 8) and may_compensate_then_raise(code)

    @classmethod
    def is_context(cls, code: CoroutineCode, options: RuleOptions) -> bool:
        """A method that binds the object's attributes or empties one: whether it resets a
        registry a handler deletes from is read in it. A coroutine that may never suspend:
        whether an await of the `try` suspends is read in it. A function that starts or
        cancels tasks: whether the canceller of the coroutine's task cleans up is read in it."""
        if may_never_suspend(code.coroutines) or may_start_or_cancel_tasks(code):
            return True
        return any(binds_attribute(node) for node in code.bindings) or any(
            isinstance(call.func, ast.Attribute)
            and call.func.attr == "clear"
            and isinstance(call.func.value, ast.Attribute)
            for call in code.discarded_calls
        )

    def leave_Try(self, original_node: cst.Try, updated_node: cst.Try) -> cst.Try:
        if self.options.target_version < (3, 8):
            return updated_node  # CancelledError was an Exception: the handler runs
        if (
            cancellable_coroutine(
                original_node, self.parents(original_node), self.module, self.context.filename
            )
            is None
        ):
            return updated_node
        if self.first_cancellation_handler(original_node) is not None:
            return updated_node
        handlers = list(updated_node.handlers)
        for index, handler in enumerate(original_node.handlers):
            if not self._cleans_up_then_raises(original_node, handler):
                continue
            why_no_fix = self._why_no_fix(original_node, index)
            safety = None if why_no_fix else self._safety(original_node, handler)
            if self.report_handler(handler, safety, why_no_fix=why_no_fix):
                handlers[index] = _widened(handlers[index])
        return updated_node.with_changes(handlers=handlers)

    def _judge(self, node: cst.Try, handler: cst.ExceptHandler) -> Judge:
        error = handler.name.name if handler.name is not None else None
        return Judge(
            held_before(self.coroutine(node), node),
            error.value if isinstance(error, cst.Name) else None,
            self.options.cleanup_names,
        )

    def _cleans_up_then_raises(self, node: cst.Try, handler: cst.ExceptHandler) -> bool:
        """Whether the handler compensates on every path and raises, and the success path
        or `finally` does not run the same (CF201's case, or no bug)."""
        if handler.type is None or "builtins.Exception" not in self.names.names_of(handler.type):
            return False
        function, cleanup_names = self.coroutine(node), self.options.cleanup_names
        undo = compensation(node, handler, function, self.names, cleanup_names)
        return (
            undo is not None
            and not repeated_elsewhere(node, undo.lines)
            and not cleaned_up_by_canceller(self.module, self.parents(node), function, undo.lines)
            and not _only_closes_borrowed_clients(function, undo.lines)
        )

    def _why_no_fix(self, node: cst.Try, index: int) -> str | None:
        """Why widening would turn a cancellation into another error, if it would: the
        handler raises one, uses a name the `try` may not have bound yet, or takes the
        `KeyboardInterrupt` (or other `BaseException`) a later handler was there for."""
        handler = node.handlers[index]
        if Exit.RAISE_OTHER in handler_exits(handler, self.names).kinds:
            return "the handler raises another exception, which a cancellation would become"
        if index + 1 < len(node.handlers):
            return "a later handler catches what `BaseException` would now take first"
        if not referenced_names(handler.body).isdisjoint(bound_names(statements(node.body))):
            return "the handler uses a name the `try` binds, unbound if cancelled before it"
        if self._deletes_what_may_be_gone(node, statements(handler.body)):
            return (
                "the handler deletes an entry of a registry another method replaces; cancelled"
                " by that method, the `del` would raise KeyError in place of the cancellation"
            )
        return None

    def _safety(self, node: cst.Try, handler: cst.ExceptHandler) -> FixSafety:
        """Safe when the handler only undoes state and logs quietly; unsafe when it also
        reports the error or does something else, which every cancellation would now do."""
        effects = self._judge(node, handler).effects(statements(handler.body))
        return FixSafety.SAFE if effects <= {Effect.QUIET, Effect.UNDO} else FixSafety.UNSAFE

    def _deletes_what_may_be_gone(self, node: cst.Try, lines: list[cst.BaseStatement]) -> bool:
        """`del self._pending[key]` where another method binds `self._pending` anew (a
        `stop()` that resets it): on a cancellation from that method the entry is gone
        already, and the `del` raises KeyError in place of the CancelledError."""
        owners = deleted_entry_owners(lines)
        if not owners:
            return False
        cls = next((a for a in self.parents(node) if isinstance(a, cst.ClassDef)), None)
        return cls is not None and rebound_outside_init(cls, owners)


def _only_closes_borrowed_clients(
    function: cst.FunctionDef, lines: Sequence[cst.BaseStatement]
) -> bool:
    """Whether the undo only closes clients built on a session the function was given: their
    close owns nothing, so a cancellation that skips it leaks nothing."""
    borrowed = borrowed_session_clients(function)
    return bool(borrowed) and all(releases_nothing(line, borrowed) for line in lines)


def _widened(handler: cst.ExceptHandler) -> cst.ExceptHandler:
    assert handler.type is not None
    if isinstance(handler.type, cst.Name):
        return handler.with_changes(type=handler.type.with_changes(value="BaseException"))
    return handler.with_changes(type=cst.Name("BaseException"))


# The gates: what a file needs for this rule to have a finding (False: certainly none).


def may_compensate_then_raise(code: CoroutineCode) -> bool:
    """Whether some coroutine `try` has an `except Exception` that raises and does something
    besides logging (the rollback pattern, CF202's shape)."""
    names = with_aliases(code, frozenset({"Exception"}))
    return any(
        handler.type is not None
        and last_name(handler.type) in names
        and any(isinstance(node, ast.Raise) for node in ast.walk(handler))
        and does_more_than_log(handler.body)
        for try_node in code.tries
        for handler in try_node.handlers
    )
