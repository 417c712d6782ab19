from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.helpers import get_full_name_for_node

from codemods.analysis.blocks import (
    bound_names,
    end_comments,
    leaves_block,
    referenced_names,
    try_finally,
)
from codemods.analysis.blocks import statements as suite_statements
from codemods.analysis.cancellers import cancelled_only_at_exit, may_run_only_as_program
from codemods.analysis.cleanup import (
    call_of,
    cleaned_resources,
    cleans_up,
    creates_future,
    deletes,
    words,
)
from codemods.analysis.compensation import Effect, Judge, handles_only_data_errors
from codemods.analysis.exits import handler_exits
from codemods.analysis.handlers import enclosing_guards
from codemods.analysis.scope import (
    enclosing_coroutine,
    has_cancellation_point,
    mentions,
    method_receiver,
    walk_same_frame,
)
from codemods.analysis.sessions import borrowed_session_clients, releases_nothing
from codemods.model import FixSafety, RuleOptions
from codemods.prefilter import statements
from codemods.prefilter.source_text import cleanup_statement
from codemods.prefilter.statements import (
    CoroutineCode,
    Function,
    calls_cleanup,
    full_name,
    without_await,
)
from codemods.rule import Rule


class CleanupSkippedOnCancel(Rule):
    """
    ## What it does
    Flags a coroutine that acquires something (`conn = await connect()`, `reader, writer =
    await asyncio.open_connection(...)`, `await lock.acquire()`), then reaches a cancellation
    point (`await`, `async with`, `async for`), then cleans it up in the same block (`await
    conn.close()`, `lock.release()`, `await pool.release(conn)`, `os.unlink(path)`; see
    "Options") with no `try`/`finally` around the code between.

    ## Why is this bad?
    A cancelled coroutine stops at the `await` it is suspended in: every statement after it
    is skipped, the cleanup included. The connection leaks, the lock stays held forever, the
    subprocess keeps running. Any exception raised in between does the same.

    ## Example
    ```python
    async def fetch_status(host):
        reader, writer = await asyncio.open_connection(host, 80)
        writer.write(b"STATUS\\n")
        status = await reader.readline()
        writer.close()
        await writer.wait_closed()
        return status
    ```

    Use instead:
    ```python
    async def fetch_status(host):
        reader, writer = await asyncio.open_connection(host, 80)
        try:
            writer.write(b"STATUS\\n")
            status = await reader.readline()
        finally:
            writer.close()
            await writer.wait_closed()
        return status
    ```

    ## Fix safety
    The fix leaves the acquisition where it is (if it fails there is nothing to clean up), wraps
    the statements between it and the cleanup in `try:`, and moves the cleanup statements into
    `finally:`. The teardown right after the cleanup moves with it, in order: the statements
    that undo what the block set up before (`self._channel = None`, `self._busy = False`,
    `del self._clients[key]`, `self._in_flight -= 1`), up to the first that does something else
    or reads what the guarded code computed. So does the teardown right before the cleanup,
    after the last await (`for task in pending: task.cancel()`, `self._active = None`), in
    order; where it reads a local the guarded code binds, the lines up to that local's first
    binding, which do not await, stay before the `try` (read unbound in `finally`, it would
    hide the error). Other code after the cleanup (a `return`, a log
    line) stays after the `try`. For an object only constructed
    (`client = Client()`), the call that opens it right after (`await client.connect()`) stays
    outside the `try` too: cleaning up an object that never opened may fail and hide the real
    error. As with any `finally`, a cleanup that itself fails while an error propagates now
    raises its own error instead (with the first as its `__context__`).

    The fix is safe when nothing between acquisition and cleanup leaves the block early: every
    path that ran the cleanup still runs it, at the same point; only cancellation and errors gain
    it (and, in an async generator, closing it early). It is unsafe when a `return`, `break` or
    `continue` in between skipped the cleanup on purpose or by mistake: the fix runs the cleanup
    there too; when the cleanup deletes something (`os.unlink(path)`), which an error used
    to leave in place; and when an enclosing handler catches an error and carries on (a retry
    or polling loop's `except TimeoutError:`): the coroutine then goes on after that error with
    the resource cleaned up, where it went on with it left open.

    No fix is offered when the code in between rebinds the resource (a reconnect), binds a name
    the cleanup uses, returns a value (the resource, or something that needs it open), already
    cleans the resource up on some path, or acquires another resource whose cleanup comes after
    this one (the two `try` blocks would cross); when the cleanup lines clean up another
    resource of the block too; when an enclosing handler goes on to use the resource; and when
    a constructed object is opened only later, after other code, so that where the `try`
    belongs is unclear.

    No finding for a bare future (`asyncio.Future()`, `loop.create_future()`): it holds
    nothing, and cancelling it only resolves it for whoever waits. Nor when the code between
    waits only inside a `try` whose handler for errors cleans the resource up and re-raises:
    the cancellation that handler misses is CF202's or CF205's finding, reported once, there.

    No finding for a client built by a plain call of its class on a session the coroutine
    was given (`client = Api(host, session=session)`, `Api(host, get_shared_session(app))`,
    or `await client.login(..., client_session=self._session)`; the session a parameter
    with no default and no `None` in its annotation, an attribute, or a getter's) when the
    coroutine only awaits its request methods and closes it: such a client's `close()`
    closes only a session it created itself, and it created none, so skipping it leaks
    nothing. Still reported for an awaited build or a factory (`ws = await ws_connect(url,
    session=session)`, `await Api.connect(...)`, `await request(...)`: a websocket, a
    response), a client the coroutine opens, listens on, runs or streams from (`await
    client.connect()`, `create_task(client.run())`, `async for event in client.events()`),
    a session it created itself (`aiohttp.ClientSession()`), or a cleanup that does more
    than the client's own close (`await client.close_session()` ends a login session the
    device holds).

    No finding in a program's main either: a module-level coroutine of a command-line
    program (a module that imports `argparse`, `click`..., reads `sys.argv` or tests
    `__name__ == "__main__"`), private or named as an entry (`main`, `amain`, `_run`),
    whose every use in its module is `asyncio.run(main(...))` or
    `loop.run_until_complete(main(...))`, when the cleanup only closes (`close`, `aclose`,
    `wait_closed`, `disconnect`). It is cancelled only when the program is interrupted, and
    the process exit that follows closes its connections. (A library function wrapping
    `asyncio.run` may be called by a program that lives on; a public coroutine, `probe`,
    may be awaited by another module under a timeout.) Still reported when the main is
    also awaited or made a task in its module; when it may cancel itself (a timeout, a
    cancel scope or a task group in it, `wait_for`, a `.cancel()`, a loop that catches
    `TimeoutError` or `CancelledError`): it carries on after that cancellation; and when the
    cleanup releases a lock, stops a container or a server, deletes a file or kills a child
    process, which outlive the process.

    ## Options
    - `cleanup-names`, `extend-cleanup-names`: the calls that count as cleanup.

    ## See also
    - CF201: cleanup repeated in a `try` body and its handlers.
    """

    code = "CF203"
    name = "cleanup-skipped-on-cancel"
    message = "cleanup is skipped if the coroutine is cancelled before it; use `try`/`finally`"
    fix_kinds = (FixSafety.SAFE, FixSafety.UNSAFE)
    required_bytes = (b"async",)

    @classmethod
    def may_apply(cls, source: bytes, options: RuleOptions) -> bool:
        return super().may_apply(source, options) and cleanup_statement(
            source, options.cleanup_names
        )

    @classmethod
    def is_candidate(cls, code: CoroutineCode, options: RuleOptions) -> bool:
        return may_skip_cleanup(code, options.cleanup_names)

    @classmethod
    def reads_every_function(cls, candidate: Function, top_level: bool) -> bool:
        """A module-level coroutine that may be a program's main: whether it is is read in
        all the uses of its name (a use hidden in any function, `return
        loop.create_task(main())`, makes it no main), and in the whole module for whether it
        is a program (`sys.argv`, `import argparse`, in any function)."""
        return top_level and may_run_only_as_program(candidate)

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        ancestors = self.parents(original_node)
        coroutine = enclosing_coroutine(ancestors)
        if coroutine is None:
            return updated_node
        original, updated = list(original_node.body), list(updated_node.body)
        guards = enclosing_guards(original_node, ancestors)
        rewritten = self._rewrite(original, updated, _Scope(coroutine, guards))
        if rewritten == updated:
            return updated_node
        return updated_node.with_changes(body=rewritten)

    def _rewrite(
        self,
        original: Sequence[cst.BaseStatement],
        updated: Sequence[cst.BaseStatement],
        scope: _Scope,
    ) -> list[cst.BaseStatement]:
        """`updated` with each unguarded acquire...cleanup sequence wrapped; `original` is the
        same block as parsed, where findings are located."""
        result: list[cst.BaseStatement] = []
        index = 0
        while index < len(original):
            guarded = self._find(original, index, scope)
            if guarded is None or not self._report(original, guarded):
                result.append(updated[index])
                index += 1
                continue
            region = slice(guarded.guarded_start, guarded.teardown_start)
            body = self._rewrite(original[region], updated[region], scope)
            cleanup = updated[guarded.teardown_start : guarded.teardown_end]
            result += [*updated[index : guarded.guarded_start], try_finally(body, cleanup)]
            index = guarded.teardown_end
        return result

    def _report(self, lines: Sequence[cst.BaseStatement], guarded: _Unguarded) -> bool:
        first, last = lines[guarded.cleanup_start], lines[guarded.cleanup_end - 1]
        comments = end_comments(lines[guarded.cleanup_start : guarded.cleanup_end])
        return self.report(first, guarded.safety, through=last, comments=comments)

    def _find(
        self, lines: Sequence[cst.BaseStatement], index: int, scope: _Scope
    ) -> _Unguarded | None:
        """The unguarded sequence that starts with an acquisition at `lines[index]`, if any."""
        acquired = _acquired(lines[index])
        if not acquired:
            return None  # (most lines: no need to read every line after them)
        cleanup_names = self.options.cleanup_names
        start = next(
            (
                i
                for i in range(index + 1, len(lines))
                if cleaned_resources(lines[i], cleanup_names) & acquired
            ),
            None,
        )
        if start is None:
            return None
        resource = min(cleaned_resources(lines[start], cleanup_names) & acquired)
        end = start + 1
        while end < len(lines) and resource in cleaned_resources(lines[end], cleanup_names):
            end += 1
        opened, clear = _opened_at(lines, index, start, resource)
        between = lines[opened + 1 : start]
        if not any(map(has_cancellation_point, between)):
            return None
        cleanup = lines[start:end]
        if (
            scope.leaks_nothing(self.module, resource, cleanup)
            or any(cleans_up(guard, resource, cleanup_names) for guard in scope.guards)
            or any(
                isinstance(node, cst.Try) and self._cleans_on_cancellation(node, resource)
                for line in between
                for node in walk_same_frame(line)
            )
            or self._handler_rules_report(between, resource)
        ):
            return None
        guarded = opened + 1
        if (
            not clear
            or any(mentions(guard, {resource}) for guard in scope.guards)
            or self._entangled(resource, between, cleanup, lines[:start], lines[start:])
        ):
            return _Unguarded(guarded, start, end, None, end, start)
        teardown = _teardown_end(lines, guarded, start, end, self.options.cleanup_names)
        first, guarded = _teardown_start(lines, guarded, start, self.options.cleanup_names)
        safety = self._fix_safety(between, cleanup, scope.guards)
        return _Unguarded(guarded, start, end, safety, teardown, first)

    def _fix_safety(
        self,
        between: Sequence[cst.BaseStatement],
        cleanup: Sequence[cst.BaseStatement],
        guards: Sequence[cst.CSTNode],
    ) -> FixSafety:
        """Unsafe when a path that skipped the cleanup without cancellation gains it: a jump
        out of the block, a deletion an error used to leave in place, or an enclosing handler
        that catches an error and carries on (the coroutine went on with the resource open
        after that error, and goes on with it cleaned up)."""
        survives_errors = any(
            isinstance(guard, cst.ExceptHandler | cst.ExceptStarHandler)
            and not handler_exits(guard, self.names).always_reraises
            for guard in guards
        )
        if survives_errors or any(map(leaves_block, between)) or any(map(deletes, cleanup)):
            return FixSafety.UNSAFE
        return FixSafety.SAFE

    def _cleans_on_cancellation(self, node: cst.Try, resource: str) -> bool:
        """A `try` inside the region whose `finally`, or handler catching cancellation,
        cleans the resource up: the author handled it (`except BaseException: release; raise`)."""
        guards: list[cst.CSTNode] = [
            handler for handler in node.handlers if self.names.caught(handler).catches_cancellation
        ]
        if node.finalbody is not None:
            guards.append(node.finalbody)
        return any(cleans_up(guard, resource, self.options.cleanup_names) for guard in guards)

    def _handler_rules_report(self, between: Sequence[cst.BaseStatement], resource: str) -> bool:
        """Whether every cancellation point between acquisition and cleanup is in the body of
        a `try` whose handler, for the errors of an exchange (`except Exception:`, `except
        (OSError, ProtocolError):`), cleans the resource up and re-raises: the cancellation
        path that handler misses is CF202's or CF205's finding, the same bug, reported once
        there (their fix also makes this cleanup run on cancellation)."""
        waiting = [line for line in between if has_cancellation_point(line)]
        return bool(waiting) and all(
            isinstance(line, cst.Try)
            and any(self._compensates(handler, resource) for handler in line.handlers)
            for line in waiting
        )

    def _compensates(self, handler: cst.ExceptHandler, resource: str) -> bool:
        return (
            cleans_up(handler, resource, self.options.cleanup_names)
            and handler_exits(handler, self.names).always_reraises
            and not handles_only_data_errors(handler, self.names)
        )

    def _entangled(
        self,
        resource: str,
        between: Sequence[cst.BaseStatement],
        cleanup: Sequence[cst.BaseStatement],
        before: Sequence[cst.BaseStatement],
        after: Sequence[cst.BaseStatement],
    ) -> bool:
        """Whether the code between acquisition and cleanup is too tied to the resource for
        a `finally` to be right: it rebinds the resource or binds a name the cleanup uses
        (unbound if cancelled first), already cleans the resource up, returns a value (the
        resource, or something that needs it open), or acquires something cleaned up only
        after it; or the cleanup lines clean up something else acquired in the block too."""
        bound = bound_names(between)
        if resource in bound or not bound.isdisjoint(set().union(*map(referenced_names, cleanup))):
            return True
        cleanup_names = self.options.cleanup_names
        if any(cleans_up(line, resource, cleanup_names) for line in between):
            return True
        if any(
            isinstance(node, cst.Return) and not _is_constant(node.value)
            for line in between
            for node in walk_same_frame(line)
        ):
            return True
        others = set().union(*(cleaned_resources(line, cleanup_names) for line in cleanup))
        if any(_acquired(line) & (others - {resource}) for line in before):
            return True
        later = set().union(*(cleaned_resources(line, cleanup_names) for line in after))
        return any(_acquired(line) & later for line in between)


@dataclass(frozen=True)
class _Scope:
    """The coroutine whose block the rule reads, and the enclosing handlers and `finally`
    blocks of that block."""

    coroutine: cst.FunctionDef
    guards: Sequence[cst.CSTNode]

    def leaks_nothing(
        self, module: cst.Module, resource: str, cleanup: Sequence[cst.BaseStatement]
    ) -> bool:
        """Whether skipping the `cleanup` of `resource` leaks nothing: the resource is a client
        built on a session the coroutine was given and the cleanup only closes it (its close
        owns nothing), or the coroutine is a program's main whose process exits when it is
        cancelled."""
        borrowed = borrowed_session_clients(self.coroutine) & {resource}
        return all(releases_nothing(line, borrowed) for line in cleanup) or (
            cancelled_only_at_exit(module, self.coroutine, cleanup)
        )


@dataclass(frozen=True)
class _Unguarded:
    """Cleanup lines `cleanup_start:cleanup_end` of a block, of a resource acquired earlier,
    with the statements from `guarded_start` to them to wrap in `try`."""

    guarded_start: int
    """The first statement the `try` wraps: after the acquisition (and its opening call, and
    the bindings the teardown before the cleanup reads: see `_teardown_start`)."""
    cleanup_start: int
    cleanup_end: int
    safety: FixSafety | None
    teardown_end: int
    """Where the teardown that moves into `finally` with the cleanup ends (see
    `_teardown_end`): at `cleanup_end` or after it."""
    teardown_start: int
    """Where it starts (see `_teardown_start`): at `cleanup_start` or before it."""


def _teardown_end(
    lines: Sequence[cst.BaseStatement],
    guarded: int,
    start: int,
    end: int,
    cleanup_names: frozenset[str],
) -> int:
    """Past the cleanup `lines[start:end]`: the end of the statements right after it that
    undo what the block set up before it (`self._busy = False` after `self._busy = True`,
    `del self._clients[key]`, another close), which move into `finally` with it, in order.
    The run stops at anything else (a `return` stays outside), at a statement that reads a
    local the guarded code binds (unbound if cancelled first), and at the cleanup of another
    resource the block acquired (which has its own `try`)."""
    judge = Judge(frozenset(), None, cleanup_names)
    before = lines[:start]
    set_up = bound_names(before) | set().union(*map(referenced_names, before))
    computed = {name for name in bound_names(lines[guarded:start]) if "." not in name}
    acquired = set().union(*map(_acquired, before))
    while end < len(lines) and _undoes(lines[end], judge, set_up, computed):
        if cleaned_resources(lines[end], cleanup_names) & acquired:
            break
        end += 1
    return end


def _teardown_start(
    lines: Sequence[cst.BaseStatement], guarded: int, start: int, cleanup_names: frozenset[str]
) -> tuple[int, int]:
    """Before the cleanup `lines[start]`, after the last await of the guarded code from
    `lines[guarded]`: where the statements right before it that undo what the function set
    up begin (`for task in pending: task.cancel()`, `self._busy = False`), which move into
    `finally` with it, in order; and where the `try` then starts. A teardown reading a local
    the guarded code binds moves only where each such local is bound, unconditionally, before
    the guarded code first awaits: the statements up to there stay before the `try` (read
    unbound in `finally`, it would hide the error). Otherwise none moves: (start, guarded)."""
    judge = Judge(frozenset(), None, cleanup_names)
    acquired = set().union(*map(_acquired, lines[:start]))
    first = start
    while first > guarded and _undoes_before(lines[first - 1], judge, lines[: first - 1]):
        if cleaned_resources(lines[first - 1], cleanup_names) & acquired:
            break  # another resource's cleanup: it has its own `try`
        first -= 1
    teardown = lines[first:start]
    read = set().union(*map(referenced_names, teardown)) - bound_names(teardown)
    needed = {name for name in bound_names(lines[guarded:first]) & read if "." not in name}
    bindings = [_first_binding(lines, guarded, first, name) for name in needed]
    if None in bindings:
        return start, guarded
    moved = max((index + 1 for index in bindings if index is not None), default=guarded)
    kept = lines[guarded:moved]
    if any(map(has_cancellation_point, kept)) or any(map(leaves_block, kept)):
        return start, guarded
    # An acquisition kept before the `try` whose cleanup stays in it would lose its own.
    cleaned = set().union(*(cleaned_resources(line, cleanup_names) for line in lines[moved:first]))
    if cleaned & set().union(*map(_acquired, kept)):
        return start, guarded
    return first, moved


def _first_binding(
    lines: Sequence[cst.BaseStatement], guarded: int, end: int, name: str
) -> int | None:
    """The index of the statement of `lines[guarded:end]` that first binds `name`, if it is
    a simple statement (its binding is unconditional)."""
    index = next(i for i in range(guarded, end) if name in bound_names([lines[i]]))
    return index if isinstance(lines[index], cst.SimpleStatementLine) else None


def _undoes_before(
    line: cst.BaseStatement, judge: Judge, before: Sequence[cst.BaseStatement]
) -> bool:
    """A line that does not await, made of undo steps (see `Judge`) on what the function set
    up `before` it, or a loop of them over a collection (`for task in pending:
    task.cancel()`)."""
    if has_cancellation_point(line):
        return False
    body: Sequence[cst.BaseStatement] = [line]
    if isinstance(line, cst.For):
        if line.orelse is not None or not isinstance(line.target, cst.Name):
            return False
        body = suite_statements(line.body)
    if not body or not all(isinstance(step, cst.SimpleStatementLine) for step in body):
        return False
    if judge.effects(body) != {Effect.UNDO}:
        return False
    set_up = bound_names(before) | set().union(*map(referenced_names, before))
    return not (referenced_names(line) - bound_names([line])).isdisjoint(set_up)


def _undoes(line: cst.BaseStatement, judge: Judge, set_up: set[str], computed: set[str]) -> bool:
    """A line made of undo steps (see `Judge`) on what was set up before, reading nothing
    the guarded code computed."""
    if not isinstance(line, cst.SimpleStatementLine):
        return False
    if not all(judge.small(small) is Effect.UNDO for small in line.body):
        return False
    targets = bound_names([line])
    read = referenced_names(line) - targets
    return targets <= set_up and read.isdisjoint(computed) and not read.isdisjoint(set_up | targets)


def _acquired(line: cst.BaseStatement) -> set[str]:
    """What a line acquires: the targets of `x = [await] f(...)`, or `lock` in `[await]
    lock.acquire()`; names and attribute chains. Not a bare future (see `creates_future`)."""
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return set()
    small = line.body[0]
    value = (
        call_of(small.value) if isinstance(small, cst.Assign | cst.AnnAssign | cst.Expr) else None
    )
    if value is None or creates_future(value):
        return set()
    if isinstance(small, cst.Expr):
        receiver = method_receiver(value, "acquire")
        name = get_full_name_for_node(receiver) if receiver is not None else None
        return {name} if name else set()
    return bound_names([small])


_OPENING_WORDS = frozenset(
    {
        "auth",
        "authenticate",
        "begin",
        "bind",
        "connect",
        "create",
        "init",
        "initialize",
        "listen",
        "login",
        "new",
        "open",
        "setup",
        "start",
        "subscribe",
    }
)


def _is_constant(value: cst.BaseExpression | None) -> bool:
    return (
        value is None
        or isinstance(value, cst.BaseNumber | cst.SimpleString)
        or (isinstance(value, cst.Name) and value.value in {"None", "True", "False"})
    )


def _opened_at(
    lines: Sequence[cst.BaseStatement], index: int, cleanup: int, resource: str
) -> tuple[int, bool]:
    """Where the resource is ready to clean up: its acquisition at `index`, or, for an object
    merely constructed there (`client = Client()`), the call that opens it right after
    (`await client.connect()`, `status = await gw.connect(port)`): until then the cleanup may
    fail and mask the error. With it, whether that place is clear: not when such a call
    comes later, after other code."""
    line = lines[index]
    constructed = isinstance(line, cst.SimpleStatementLine) and not any(
        isinstance(node, cst.Await) for node in walk_same_frame(line)
    )
    if not constructed or not _acquired_by_assignment(line):
        return index, True
    for position in range(index + 1, cleanup):
        if _opens(lines[position], resource):
            return (position, True) if position == index + 1 else (index, False)
    return index, True


def _acquired_by_assignment(line: cst.BaseStatement) -> bool:
    return isinstance(line, cst.SimpleStatementLine) and isinstance(
        line.body[0], cst.Assign | cst.AnnAssign
    )


def _opens(line: cst.BaseStatement, resource: str) -> bool:
    """`[await] resource.connect(...)` (a method named like opening it), as a statement of
    its own or assigned."""
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return False
    small = line.body[0]
    if not isinstance(small, cst.Expr | cst.Assign):
        return False
    call = call_of(small.value)
    if not (
        call is not None
        and isinstance(call.func, cst.Attribute)
        and get_full_name_for_node(call.func.value) == resource
    ):
        return False
    return not _OPENING_WORDS.isdisjoint(words(call.func.attr.value))


# The gates: what a file needs for this rule to have a finding (False: certainly none).


def may_skip_cleanup(code: CoroutineCode, cleanup_names: frozenset[str]) -> bool:
    """Whether some coroutine block cleans up, as a statement, what an earlier statement of
    the block acquired, with a cancellation point in between (CF203's shape)."""
    for block in code.blocks:
        # The acquisition, a cancellation point and the cleanup are three statements: the
        # cleanup is the third at the earliest.
        cleaned: list[set[str]] = [set(), set()]
        cleaned += [_may_clean(statement, cleanup_names) for statement in block[2:]]
        if not any(cleaned):
            continue  # (what the block acquires matters only to a cleanup after it)
        acquired_at: dict[str, int] = {}
        for index, statement in enumerate(block):
            for name in cleaned[index] & acquired_at.keys():
                if any(
                    map(statements.has_cancellation_point, block[acquired_at[name] + 1 : index])
                ):
                    return True
            acquired_at.update(dict.fromkeys(_may_acquire(statement), index))
    return False


def _may_acquire(statement: ast.stmt) -> set[str]:
    """What `x = ...`, `a, *b = ...`, `x[k] = ...` or `[await] x.acquire()` may take to clean
    up later; with what the assignment binds inside (`:=`, comprehension variables), as the
    rule's `bound_names` counts them."""
    targets: list[ast.expr] = []
    if isinstance(statement, ast.Assign | ast.AnnAssign):
        targets = [target for node in ast.walk(statement) for target in _bound_by(node, statement)]
    elif isinstance(statement, ast.Expr):
        call = without_await(statement.value)
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr == "acquire"
        ):
            targets = [call.func.value]
    found: set[str] = set()
    while targets:
        target = targets.pop()
        if isinstance(target, ast.Tuple | ast.List):
            targets += target.elts
        elif isinstance(target, ast.Starred):
            targets.append(target.value)
        elif (name := full_name(target)) is not None:
            found.add(name)
    return found


def _bound_by(node: ast.AST, statement: ast.Assign | ast.AnnAssign) -> list[ast.expr]:
    """The targets `node`, a part of `statement`, assigns."""
    if node is statement:
        return list(statement.targets) if isinstance(statement, ast.Assign) else [statement.target]
    if isinstance(node, ast.NamedExpr | ast.comprehension):
        return [node.target]
    return []


def _may_clean(statement: ast.stmt, cleanup_names: frozenset[str]) -> set[str]:
    """What a statement `[await] x.close()` or `[await] pool.release(conn)` cleans up."""
    call = without_await(statement.value) if isinstance(statement, ast.Expr) else None
    if not isinstance(call, ast.Call) or not calls_cleanup(call, cleanup_names):
        return set()
    parts = [call.func.value] if isinstance(call.func, ast.Attribute) else []
    parts += [arg.value if isinstance(arg, ast.Starred) else arg for arg in call.args]
    parts += [keyword.value for keyword in call.keywords]
    return {name for part in parts if (name := full_name(part)) is not None}
