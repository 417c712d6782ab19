from __future__ import annotations

import ast

import libcst as cst
from libcst.helpers import get_full_name_for_node

from codemods.analysis.blocks import same_code
from codemods.analysis.cleanup import called_name, is_cleanup_name
from codemods.analysis.compensation import (
    Compensation,
    compensation,
    handles_only_data_errors,
    repeated_elsewhere,
)
from codemods.analysis.handler_rule import HandlerRule
from codemods.analysis.handlers import enclosing_guards
from codemods.analysis.names import handler_types as caught_types
from codemods.analysis.reraise import with_reraise
from codemods.analysis.scope import mentions, walk_same_frame
from codemods.analysis.sessions import borrowed_session_clients, releases_nothing
from codemods.analysis.setup import is_setup_name, set_up_before, undoes_only_set_up
from codemods.analysis.suspension import cancellable_coroutine, may_never_suspend
from codemods.model import FixSafety, RuleOptions
from codemods.prefilter.statements import (
    CANCELLATION_NAMES,
    CoroutineCode,
    binds_attribute,
    handler_types,
    last_name,
    may_undo_first,
    undoes_then_raises,
    with_aliases,
)


class CleanupOnlyOnSomeErrors(HandlerRule):
    """
    ## What it does
    Flags a coroutine's handler for particular errors (`except asyncio.TimeoutError:`,
    `except (OSError, ProtocolError):`) that undoes what the function itself set up and then
    raises, when no handler of the `try` catches cancellation and the `try` body contains a
    cancellation point. Undoing is the pairing "set up here / undone in the handler": closing
    the client the function created before the `try`, releasing the lock it acquired,
    removing the entry it registered, lowering the count it raised, disconnecting what it
    (or one of its class's own helpers) connected, tearing down a connection it was given,
    closing the object itself when the `try` was mid-exchange on the object's own
    connection, or repeating a cleanup the function runs after the `try` anyway.

    A handler that acts on nothing the function set up records what the error *means*: a
    device marked unreachable, a negative cache entry, an endpoint disabled for good, a
    shared connection closed because the server stopped answering, a lock token cleared
    because the lock expired, a user notification. A cancellation means none of that: no
    finding.

    ## Why is this bad?
    The code knows that a failure in the middle must be undone, but cancellation is a failure
    in the middle too, and no handler catches it. A timeout is a cancellation: the same
    cleanup that runs when `wait_for` gives up is skipped when the caller cancels, or when an
    enclosing `asyncio.timeout()` expires. The lock stays held and every later call hangs; the
    subscription keeps delivering to nobody.

    Only the undo carries over: a cancelled call holds the same lock, client or registration
    the failed one did. What a handler concludes from the error (the device is gone, the file
    is unreadable, the endpoint is unsupported) does not, and running it on every cancelled
    call would be a bug of its own.

    ## Example
    ```python
    async def command(self, payload):
        await self._lock.acquire()
        try:
            await self._stream.write(payload)
            reply = await self._stream.read()
        except (OSError, ProtocolError):
            self._lock.release()
            raise
        self._lock.release()
        return reply
    ```

    Use instead:
    ```python
    async def command(self, payload):
        await self._lock.acquire()
        try:
            await self._stream.write(payload)
            reply = await self._stream.read()
        except (OSError, ProtocolError):
            self._lock.release()
            raise
        except asyncio.CancelledError:
            self._lock.release()
            raise
        self._lock.release()
        return reply
    ```

    ## Fix safety
    Adds an `except asyncio.CancelledError:` clause after the handlers (spelled as the module
    spells it) that runs the same undo (the handler's statements without log lines and the
    final `raise`) and re-raises. The handlers stay as they are: a timeout or error still
    raises exactly what it raised, and other errors are not caught.

    Safe when every repeated line undoes what the function set up: only cancellation changes
    path, and it propagates unchanged after the same cleanup. Unsafe when such a line also
    reports (a state set to an error value), which every cancellation would now do too.

    Report only, without a fix (the message says why), when the handler does more than the
    undo (counts the failure, notifies, sets a flag: an answer to the error that a
    cancellation must not give); when the undo uses a name or an attribute the `try` binds
    (unset, or another object, if the cancellation comes first) or the exception it caught;
    when it is entangled with a `raise` or a jump; or when several handlers undo different
    things.

    A `try` whose awaits cannot suspend is left alone: each awaits a coroutine function with
    no await of its own, defined in the module or in another module of its package that it
    imports (`from .tracing import trace_request`); no cancellation arrives there.

    A handler only for errors about values (`ValueError`, `KeyError`...) is left alone: what
    it undoes answers bad data, not an exchange stopped midway. So is a timeout handler that
    only cancels the future `asyncio.wait_for` waited on: a cancelled `wait_for` cancels it too.
    Nor is closing a client built by a plain call of its class on a session the function was
    given (`client = Api(host, session=hub.http_session)`, then `except AuthError: await
    client.close(); raise`), and only awaited for requests, an undo: such a client's
    `close()` closes only a session it created itself, and it created none, so a
    cancellation that skips it leaks nothing. An awaited build (`ws = await ws_connect(url,
    session=session)`) or a client the function opened, listens on or runs on that session
    (`await stream.connect()`) holds a connection of its own: its teardown still counts, and
    so does any call but the client's own close (`close_session()`, `disconnect()`).
    """

    code = "CF205"
    name = "cleanup-only-on-some-errors"
    message = "cleanup runs on some errors but is skipped on cancellation"
    fix_kinds = (FixSafety.SAFE, FixSafety.UNSAFE)
    required_bytes = (b"async", b"except", b"raise")
    reads_context_in_class = True
    reads_context_by_name = True

    @classmethod
    def is_candidate(cls, code: CoroutineCode, options: RuleOptions) -> bool:
        return may_clean_up_on_some_errors(code, options.cleanup_names)

    @classmethod
    def is_context(cls, code: CoroutineCode, options: RuleOptions) -> bool:
        """A method that binds the object's attributes or tears something down: whether a
        handler's `await self._cleanup()` undoes what a `self._connect()` of the function set
        up is read in them. A coroutine that may never suspend: whether an await of the `try`
        suspends is read in it."""
        if may_never_suspend(code.coroutines):
            return True
        return any(binds_attribute(node) for node in code.bindings) or any(
            isinstance(call.func, ast.Attribute) and _starts_or_ends(call.func.attr, options)
            for call in code.discarded_calls
        )

    def leave_Try(self, original_node: cst.Try, updated_node: cst.Try) -> cst.Try:
        if self.options.target_version < (3, 8):
            return updated_node  # CancelledError was an Exception: `except Exception` is CF202's
        if (
            cancellable_coroutine(
                original_node, self.parents(original_node), self.module, self.context.filename
            )
            is None
        ):
            return updated_node
        if self.first_cancellation_handler(original_node) is not None:
            return updated_node  # CF101, CF102 or CF204
        undo = self._undo(original_node)
        if not undo:
            return updated_node
        undoes, why_no_fix = self._undoes_set_up(original_node, undo)
        if not undoes:
            return updated_node
        why_no_fix = why_no_fix or undo[0].why_not_repeatable
        if not all(other.same_as(undo[0]) for other in undo):
            why_no_fix = "the handlers undo different things"
        spelling = self.cancellation_spelling_at(original_node)
        if why_no_fix is None and spelling is None:
            why_no_fix = "no spelling of the cancellation exception is usable here"
        safety = None
        if why_no_fix is None:
            safety = FixSafety.SAFE if undo[0].only_undoes else FixSafety.UNSAFE
        if not self.report_handler(undo[0].handler, safety, why_no_fix=why_no_fix):
            return updated_node
        assert spelling is not None
        self.require_import(spelling)
        clause = cst.ExceptHandler(
            body=cst.IndentedBlock(
                body=[line.with_changes(leading_lines=()) for line in undo[0].lines]
            ),
            type=spelling.expression,
        )
        handlers = [*updated_node.handlers, with_reraise(clause)]
        return updated_node.with_changes(handlers=handlers)

    def _undo(self, node: cst.Try) -> list[Compensation]:
        """The undo of the handlers for particular errors that cancellation skips; empty when
        an `except Exception` handler undoes things too (CF202 widens that one)."""
        function, cleanup_names = self.coroutine(node), self.options.cleanup_names
        found: list[Compensation] = []
        for handler in node.handlers:
            undo = compensation(node, handler, function, self.names, cleanup_names)
            if undo is None or repeated_elsewhere(node, undo.lines):
                continue
            if _only_cancels_what_wait_for_cancels(node, undo):
                continue
            assert handler.type is not None  # a bare `except:` catches cancellation
            if _spells_cancellation(handler):
                continue  # `asyncio.CancelledError` with `asyncio` not imported: not particular
            if "builtins.Exception" in self.names.names_of(handler.type):
                return []
            if not handles_only_data_errors(handler, self.names):
                found.append(undo)
        if found and self._undone_outside(node, found[0]):
            return []
        return found

    def _undoes_set_up(self, node: cst.Try, undo: list[Compensation]) -> tuple[bool, str | None]:
        """Whether a handler undoes what the function set up (if none does, the handlers
        answer what the error means: a device marked unreachable, a negative cache entry),
        and why the finding is reported only: a handler does more than that undo, or its
        undo uses an attribute the `try` sets (None: neither)."""
        setup = set_up_before(node, self.parents(node), self.options.cleanup_names)
        borrowed = borrowed_session_clients(self.coroutine(node))
        owning = [
            [line for line in compensation.lines if not releases_nothing(line, borrowed)]
            for compensation in undo
        ]  # closing a client built on a session the function was given releases nothing
        verdicts = [undoes_only_set_up(setup, lines) for lines in owning]
        if not any(undoing for undoing, _ in verdicts):
            return False, None
        other = next((line for _, line in verdicts if line is not None), None)
        if other is not None:
            return True, (
                f"besides undoing what the function set up, the handler runs `{other}`, "
                "an answer to what the error means that a cancellation does not mean"
            )
        unset = [
            chain
            for chain in sorted(setup.set_in_try)
            if any(mentions(line, {chain}) for line in undo[0].lines)
        ]
        if unset:
            return True, (
                f"the handler's undo uses `{unset[0]}`, which the `try` sets: unset, or "
                "another object, if the cancellation comes before that line"
            )
        return True, None

    def _undone_outside(self, node: cst.Try, undo: Compensation) -> bool:
        """Whether an enclosing handler or `finally` already runs one of the undo lines."""
        guards = enclosing_guards(node, self.parents(node))
        return any(
            isinstance(statement, cst.BaseStatement) and same_code(statement, line)
            for guard in guards
            for statement in walk_same_frame(guard)
            for line in undo.lines
        )


def _only_cancels_what_wait_for_cancels(node: cst.Try, undo: Compensation) -> bool:
    """`except asyncio.TimeoutError: fut.cancel(); raise` after `await asyncio.wait_for(fut,
    t)`: a cancelled `wait_for` cancels `fut` itself, so the cancellation path already does
    what the handler does."""
    waited = {
        get_full_name_for_node(call.args[0].value)
        for call in walk_same_frame(node.body)
        if isinstance(call, cst.Call) and called_name(call) == "wait_for" and call.args
    }
    cancelled = [
        small.value.func.value
        for line in undo.lines
        if isinstance(line, cst.SimpleStatementLine)
        for small in line.body
        if isinstance(small, cst.Expr)
        and isinstance(small.value, cst.Call)
        and isinstance(small.value.func, cst.Attribute)
        and small.value.func.attr.value == "cancel"
    ]
    lines = sum(len(line.body) for line in undo.lines if isinstance(line, cst.SimpleStatementLine))
    return (
        bool(cancelled)
        and len(cancelled) == len(undo.lines) == lines
        and all(get_full_name_for_node(receiver) in waited for receiver in cancelled)
    )


def _spells_cancellation(handler: cst.ExceptHandler) -> bool:
    """A handler naming a cancellation class however unresolved (the gate's loose reading)."""
    spelled = (
        get_full_name_for_node(expr.func if isinstance(expr, cst.Call) else expr) or ""
        for expr in caught_types(handler)
    )
    return any(name.rsplit(".", 1)[-1] in CANCELLATION_NAMES for name in spelled)


# The gates: what a file needs for this rule to have a finding (False: certainly none).

_NOT_PARTICULAR = frozenset({"Exception", "BaseException"})


def _starts_or_ends(name: str, options: RuleOptions) -> bool:
    return is_cleanup_name(name, options.cleanup_names, loose=True) or is_setup_name(name)


def may_clean_up_on_some_errors(code: CoroutineCode, cleanup_names: frozenset[str]) -> bool:
    """Whether some coroutine `try` has a handler for particular errors (not `Exception`, not
    everything, not cancellation) that raises and does more than log, and may undo something
    before it first raises or returns (CF205's shape)."""
    broad = with_aliases(code, _NOT_PARTICULAR | CANCELLATION_NAMES)
    return any(
        handler.type is not None
        and not any(last_name(expr) in broad for expr in handler_types(handler))
        and undoes_then_raises(handler)
        and may_undo_first(handler.body, handler.name, cleanup_names)
        for try_node in code.tries
        for handler in try_node.handlers
    )
