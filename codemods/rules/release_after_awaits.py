from __future__ import annotations

import ast
from collections.abc import Sequence

import libcst as cst
from libcst.helpers import get_full_name_for_node

from codemods.analysis.blocks import (
    bound_names,
    end_comments,
    leaves_block,
    referenced_names,
    try_finally,
)
from codemods.analysis.cancellers import cancelled_only_at_exit, may_run_only_as_program
from codemods.analysis.cleanup import (
    called_name,
    cleaned_resources,
    cleans_up,
    is_cleanup_line,
    is_cleanup_name,
    words,
)
from codemods.analysis.compensation import Effect, Judge
from codemods.analysis.scope import method_receiver, walk_same_frame
from codemods.analysis.suspension import (
    Suspending,
    may_never_suspend,
    may_only_run_shielded,
    suspending,
    suspensions,
)
from codemods.model import FixSafety, RuleOptions
from codemods.prefilter import statements
from codemods.prefilter.source_text import cleanup_statement
from codemods.prefilter.statements import (
    CoroutineCode,
    Function,
    full_name,
    last_name,
    may_undo,
    without_await,
)
from codemods.prefilter.statements import has_cancellation_point as has_cancellation_point_ast
from codemods.rule import Rule


class ReleaseAfterAwaits(Rule):
    """
    ## What it does
    Flags the cleanup that ends a coroutine (`await self.pool.release(self.connection)`,
    `self._writer.close()`, `self._lock.release()`; see `cleanup-names`) when it cleans up
    something the coroutine did not acquire itself (an attribute of `self`, a parameter) and
    cancellation points come before it with no `try` around them: the end of a `close()` or
    `reset()` method.

    ## Why is this bad?
    A close or reset method first talks to the other side (`await self._send("UNWATCH")`,
    `await self._writer.drain()`), then releases. Cancelled while it talks, it never
    releases: the pooled connection stays checked out for ever, the socket stays open, the
    lock stays held and every later call waits on it.

    ## Example
    ```python
    async def reset(self):
        if self.watching:
            await self.connection.send_command("UNWATCH")
            await self.connection.read_response()
        await self.pool.release(self.connection)
        self.connection = None
    ```

    Use instead:
    ```python
    async def reset(self):
        try:
            if self.watching:
                await self.connection.send_command("UNWATCH")
                await self.connection.read_response()
        finally:
            await self.pool.release(self.connection)
            self.connection = None
    ```

    ## Fix safety
    Wraps the statements from the first cancellation point up to the teardown in `try:` and
    moves the teardown into `finally:` as a unit, in order: the cleanup calls and the resets
    around them after the last await (`self.watching = False`, `self.connection = None`). A
    `return` after them stays outside.

    Unsafe: an error raised before the cleanup now runs it too, where the original left the
    object alone; releasing a connection whose conversation failed midway may hand a broken
    connection to the next user (a pool that checks connections on release does not mind).

    Not flagged when no await before the cleanup can suspend (`await self.reset()` of a
    method of the class with no await of its own, or `await record(...)` of a metrics hook
    that another module of the package defines without an await, imported by
    `from .metrics import record`: no cancellation arrives there), nor in a
    private coroutine that its module only runs shielded (`asyncio.shield(self._close())`, or
    awaited in `trio.CancelScope(shield=True)`): no caller's cancellation reaches it. Nor in
    a program's main, a private or entry-named (`main`, `amain`) module-level coroutine of a
    command-line program (it imports `argparse`, `click`..., reads `sys.argv` or tests
    `__name__ == "__main__"`) whose every use in its module is `asyncio.run(main(...))` or
    `loop.run_until_complete(main(...))`, when the cleanup only closes (`close`, `aclose`,
    `wait_closed`, `disconnect`): it is cancelled only when the program is interrupted, and
    the process exit that follows closes what the cleanup would (still reported when the
    cleanup stops, shuts down or releases something, deletes a file or kills a child
    process, which may outlive the process, when the main may cancel itself, with a timeout,
    a task group or a `.cancel()`, or when the module also awaits the coroutine).

    Not flagged when the code before stops tasks (`task.cancel()`: CF301's) or catches
    cancellation itself (CF1's fixes move what follows into `finally`), nor for the object's
    own cleanup method (`await self.close()`). Nor when the ending is the coroutine's action
    rather than a release: after a loop that only sleeps while it waits for a condition
    (`while not idle: await asyncio.sleep(1)`, then `server.stop()`), or ending a cancel scope
    (`tg.cancel_scope.cancel()`).

    Report only, without a fix, when the code before the cleanup may return, break or
    continue (it skips the cleanup on purpose), or rebinds something the cleanup reads. Not
    flagged when the code before already cleans up on some path (a handler: CF205 judges
    that).
    """

    code = "CF207"
    name = "release-after-awaits"
    message = "the cleanup at the end is skipped if the coroutine is cancelled before it"
    fix_kinds = (FixSafety.UNSAFE,)
    required_bytes = (b"async",)

    @classmethod
    def may_apply(cls, source: bytes, options: RuleOptions) -> bool:
        return super().may_apply(source, options) and cleanup_statement(
            source, options.cleanup_names
        )

    @classmethod
    def is_candidate(cls, code: CoroutineCode, options: RuleOptions) -> bool:
        return may_release_at_the_end(code, options.cleanup_names)

    reads_context_by_name = True

    @classmethod
    def is_context(cls, code: CoroutineCode, options: RuleOptions) -> bool:
        """A coroutine that may never suspend: whether an await before the cleanup suspends
        is read in it."""
        return may_never_suspend(code.coroutines)

    @classmethod
    def reads_every_function(cls, candidate: Function, top_level: bool) -> bool:
        """A coroutine that may only run shielded, or be a program's main: whether it is is
        read in all the uses of its name (and for a main, in the whole module)."""
        return may_only_run_shielded(candidate) or (
            top_level and may_run_only_as_program(candidate)
        )

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        if original_node.asynchronous is None:
            return updated_node
        body = original_node.body
        if not isinstance(body, cst.IndentedBlock):
            return updated_node
        if suspensions(self.module, self.context.filename).only_runs_shielded(original_node):
            return updated_node  # no caller's cancellation reaches it
        tail = self._tail(
            list(body.body), suspending(self.module, original_node, self.context.filename)
        )
        if tail is None:
            return updated_node
        lines = list(body.body)
        region_start, start, end, safety = tail
        if cancelled_only_at_exit(self.module, original_node, lines[start:end]):
            return updated_node  # a program's main: the process exits when it is cancelled
        comments = end_comments(lines[start:end])
        if not self.report(lines[start], safety, through=lines[end - 1], comments=comments):
            return updated_node
        updated_body = updated_node.body
        assert isinstance(updated_body, cst.IndentedBlock)
        new = list(updated_body.body)
        wrapped = try_finally(new[region_start:start], new[start:end])
        return updated_node.with_changes(
            body=updated_body.with_changes(body=[*new[:region_start], wrapped, *new[end:]])
        )

    def _tail(
        self, lines: list[cst.BaseStatement], suspending: Suspending
    ) -> tuple[int, int, int, FixSafety | None] | None:
        """(first statement to wrap, cleanup start, teardown end, safety) of the cleanup that
        ends the body, if any."""
        cleanup_names = self.options.cleanup_names
        end = len(lines)
        if end and _is_plain_return(lines[end - 1]):
            end -= 1
        judge = Judge(frozenset(), None, cleanup_names)
        start = end
        while start and (
            is_cleanup_line(lines[start - 1], cleanup_names) or _resets(lines[start - 1], judge)
        ):
            start -= 1
        if not any(is_cleanup_line(line, cleanup_names) for line in lines[start:end]):
            return None
        before = lines[:start]
        region_start = next((i for i, line in enumerate(before) if suspending.within(line)), None)
        if region_start is None:
            return None
        resources = set().union(
            *(cleaned_resources(line, cleanup_names) for line in lines[start:end])
        )
        if not resources or not self._held_on_entry(resources, before):
            return None
        region = before[region_start:]
        if self._owned_by_other_rules(before):
            return None
        if _polls(region, suspending) or all(map(_cancels_a_scope, lines[start:end])):
            return None  # the tail is the coroutine's action, not the release of a resource
        if any(
            cleans_up(line, resource, cleanup_names) for line in region for resource in resources
        ):
            return None  # the code handles that path itself (CF205 judges it)
        read = set().union(*map(referenced_names, lines[start:end]))
        if any(map(leaves_block, region)) or not read.isdisjoint(bound_names(region)):
            return region_start, start, end, None
        return region_start, start, end, FixSafety.UNSAFE

    def _owned_by_other_rules(self, region: Sequence[cst.BaseStatement]) -> bool:
        """A region that stops tasks (`task.cancel()`: CF301 makes that wait
        cancellation-proof) or catches cancellation itself (CF1 moves what follows into
        `finally` when it fixes the handler): two fixes of one path would interleave."""
        for line in region:
            for node in walk_same_frame(line):
                if method_receiver(node, "cancel") is not None:
                    return True
                if isinstance(node, cst.ExceptHandler | cst.ExceptStarHandler) and (
                    self.names.caught(node).catches_cancellation
                ):
                    return True
                if isinstance(node, cst.With) and any(
                    self.names.suppresses_cancellation(item.item) for item in node.items
                ):
                    return True
        return False

    def _held_on_entry(self, resources: set[str], before: Sequence[cst.BaseStatement]) -> bool:
        """Whether the coroutine cleans up only what it was given (an attribute of `self`, a
        parameter), not what it acquired itself (CF203's case)."""
        bound = bound_names(before)
        acquired = {
            name
            for line in before
            for node in walk_same_frame(line)
            if (receiver := method_receiver(node, "acquire")) is not None
            for name in referenced_names(receiver)
        }
        return "self" not in resources and not any(
            resource in bound
            or resource in acquired
            or any(resource.startswith(f"{name}.") for name in bound if name != "self")
            for resource in resources
        )


def _polls(region: Sequence[cst.BaseStatement], suspending: Suspending) -> bool:
    """Whether the region waits only by sleeping (`while not done: await asyncio.sleep(1)`):
    a coroutine that waits for a condition and then acts holds nothing while it waits; if it
    is cancelled, whoever cancels it has taken the action over."""
    points = [node for line in region for node in walk_same_frame(line) if suspending.at(node)]
    return all(
        isinstance(node, cst.Await)
        and isinstance(node.expression, cst.Call)
        and called_name(node.expression) == "sleep"
        for node in points
    )


def _cancels_a_scope(line: cst.BaseStatement) -> bool:
    """`tg.cancel_scope.cancel()`: ending a cancel scope is control flow, not a release; the
    coroutine cancelled inside it is cancelled because that scope (or an outer one) is."""
    if not isinstance(line, cst.SimpleStatementLine):
        return False
    return all(
        isinstance(small, cst.Expr)
        and (receiver := method_receiver(small.value, "cancel")) is not None
        and "scope" in words(get_full_name_for_node(receiver) or "")
        for small in line.body
    )


def _is_plain_return(line: cst.BaseStatement) -> bool:
    return (
        isinstance(line, cst.SimpleStatementLine)
        and len(line.body) == 1
        and isinstance(line.body[0], cst.Return)
        and (line.body[0].value is None or isinstance(line.body[0].value, cst.Name))
    )


def _resets(line: cst.BaseStatement, judge: Judge) -> bool:
    """`self.connection = None`: teardown that goes with the cleanup before it."""
    return isinstance(line, cst.SimpleStatementLine) and all(
        isinstance(small, cst.Assign | cst.Del | cst.AugAssign)
        and judge.small(small) is Effect.UNDO
        for small in line.body
    )


# The gates: what a file needs for this rule to have a finding (False: certainly none).


def may_release_at_the_end(code: CoroutineCode, cleanup_names: frozenset[str]) -> bool:
    """Whether some coroutine ends (before a final plain `return`) with cleanup and reset
    lines, one of which cleans up, after a cancellation point, nothing the coroutine bound
    itself nor `self` (CF207's shape: the release of what the coroutine was given)."""
    for coroutine in code.coroutines:
        body = coroutine.body
        end = len(body)
        if end and _may_be_plain_return(body[end - 1]):
            end -= 1
        start = end
        while start and (
            _may_be_cleanup(body[start - 1], cleanup_names) or _may_reset(body[start - 1])
        ):
            start -= 1
        cleanups = [i for i in range(start, end) if _may_be_cleanup(body[i], cleanup_names)]
        # Loosely named, a call that suspends before the cleanup may look like one too.
        if not cleanups or not any(map(has_cancellation_point_ast, body[: cleanups[-1]])):
            continue
        bound = statements.bound_names(body[:start])
        if not all(_cleans_up_own(body[i], bound) for i in cleanups):
            return True
    return False


def _may_be_plain_return(statement: ast.stmt) -> bool:
    """A `return` that `_is_plain_return` may take for plain (`return None` too)."""
    return isinstance(statement, ast.Return) and (
        statement.value is None or isinstance(statement.value, ast.Name | ast.Constant)
    )


def _may_reset(statement: ast.stmt) -> bool:
    """A line `_resets` may take for teardown (`self.connection = None`)."""
    return isinstance(statement, ast.Assign | ast.Delete | ast.AugAssign) and may_undo(statement)


def _may_be_cleanup(statement: ast.stmt, cleanup_names: frozenset[str]) -> bool:
    """An expression statement that calls (or awaits a call of) a cleanup, as
    `is_cleanup_line` reads each part of a line."""
    call = without_await(statement.value) if isinstance(statement, ast.Expr) else None
    return (
        isinstance(call, ast.Call)
        and (name := last_name(call.func)) is not None
        and is_cleanup_name(name, cleanup_names)
    )


def _cleans_up_own(statement: ast.stmt, bound: set[str]) -> bool:
    """Whether the cleanup call of `statement` names `self`, or something in `bound` (or an
    attribute of it), as its receiver or an argument: what `_held_on_entry` rejects."""
    resources = _cleanup_operands(statement)
    return "self" in resources or any(
        resource in bound
        or any(resource.startswith(f"{name}.") for name in bound if name != "self")
        for resource in resources
    )


def _cleanup_operands(statement: ast.stmt) -> set[str]:
    """The receiver and arguments of the call an expression statement makes, named as
    `cleaned_resources` names them (a part of what it finds on a cleanup line)."""
    call = without_await(statement.value) if isinstance(statement, ast.Expr) else None
    if not isinstance(call, ast.Call):
        return set()
    named = [call.func.value] if isinstance(call.func, ast.Attribute) else []
    named += [*call.args, *(keyword.value for keyword in call.keywords)]
    return {name for expr in named if (name := full_name(expr)) is not None}
