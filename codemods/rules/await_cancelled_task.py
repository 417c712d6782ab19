from __future__ import annotations

import ast
import dataclasses
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import libcst as cst
from libcst.helpers import get_full_name_for_node, parse_template_statement

from codemods.analysis.blocks import (
    comments_within,
    end_comments,
    header_end,
    leading_lines,
    statements,
)
from codemods.analysis.cleanup import is_logging_call
from codemods.analysis.exits import Exit, handler_exits
from codemods.analysis.handlers import first_cancellation_handler, manages_cancellation
from codemods.analysis.names import (
    ExceptionNames,
    Framework,
    Spelling,
    framework_of,
    handler_types,
)
from codemods.analysis.reraise import is_inert
from codemods.analysis.scope import (
    assigned_targets,
    dotted_name,
    enclosing_coroutine,
    walk,
    walk_same_frame,
)
from codemods.analysis.swallowing import (
    coroutine_ending_normally,
    ends_quietly,
    path_after,
    reached_after,
)
from codemods.analysis.task_groups import (
    BlockStop,
    LoopStop,
    block_stops,
    is_bare_cancel_idiom,
    is_placeholder,
    loop_stop,
)
from codemods.analysis.tasks import (
    Guarded,
    awaited_cancelled_tasks,
    awaits_only_cancelled_tasks,
    cancelled_before,
    is_task_reference,
    waited_task,
)
from codemods.model import FixSafety, RuleOptions
from codemods.prefilter.source_text import awaits_name, calls_cancel
from codemods.prefilter.statements import CoroutineCode, dotted, last_name
from codemods.rule import Rule

Statements = cst.FlattenSentinel[cst.BaseStatement]


class AwaitCancelledTask(Rule):
    """
    ## What it does
    Flags `await task` after `task.cancel()` (the task a name, an attribute chain such as
    `self._task`, or one subscripted by a name or literal such as `self._tasks[name]`) in the
    three shapes it is written: a plain `await task`; `try: await task` / `except
    asyncio.CancelledError: pass`; and `with contextlib.suppress(asyncio.CancelledError):
    await task`. Also inside guards (`if task is not None and not task.done():`), over a list
    of tasks (`for t in tasks: t.cancel()`, then `for t in tasks:` awaiting each), and for
    each task of a literal tuple or list cancelled in a loop (`for t in (self._reader,
    self._writer): t.cancel()`, directly or through a name bound to it). Tasks stopped
    together (a loop cancelling and awaiting each in turn, pairs one after another) have one
    finding per wait and one fix for the group.

    Also flagged, without a fix: `await asyncio.wait_for(task, n)` after `task.cancel()`, and
    a plain `result = await task` or `return await task` (the task may answer its cancel with
    a value). Inside the `try` and `suppress` shapes, `result = await task` is fixed as
    `await task` is.

    Not flagged: an `await` inside `pytest.raises(CancelledError)`, a `Future()` cancelled
    and awaited on purpose to raise, and a subscript whose collection or key is bound anew
    between the `cancel()` and the `await`, or whose key is computed (`tasks[next_id()]`).
    Nor, in the `try` and `suppress` shapes, a task awaited to its end since its cancel
    (`asyncio.wait(tasks)`, `gather(*tasks, return_exceptions=True)`): the `await` of a task
    already done does not suspend, so no cancellation of the caller can arrive there.

    ## Why is this bad?
    `task.cancel()` only asks; `await task` then waits for the task to finish and raises
    *its* `CancelledError` in the caller. A plain `await task` makes the caller look cancelled
    itself: `asyncio.timeout()`, a `TaskGroup` or the caller's own callers take it for theirs.
    The usual remedy, `except asyncio.CancelledError: pass`, swallows every CancelledError
    while waiting, including one meant for the caller (a shutdown, a timeout expiring): the
    caller carries on as if nothing had happened and can no longer be stopped.

    ## Example
    ```python
    import asyncio


    class Poller:
        async def stop(self):
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
    ```

    Use instead:
    ```python
    import asyncio


    class Poller:
        async def stop(self):
            self._task.cancel()
            task = self._task
            await asyncio.wait([task])
            if not task.cancelled():
                task.result()
    ```

    ## Fix safety
    The fix rewrites the `await` into a form that tells the task's cancellation from the
    caller's. For targets below Python 3.11 (as above), `asyncio.wait([task])` waits without
    raising the task's outcome, and `task.result()` raises anything but its cancellation; a
    cancellation of the caller propagates out of `asyncio.wait`. Where the `try` has more
    handlers or an `else`, or `suppress` names more exceptions, that construct stays and
    guards `task.result()` instead of the `await`.

    For Python 3.11 and later:
    ```python
    cancelling = asyncio.current_task().cancelling()
    try:
        await task
    except asyncio.CancelledError:
        if not task.done() or asyncio.current_task().cancelling() > cancelling:
            raise
    ```
    A task that is not done did not raise this CancelledError; a `cancelling()` count above
    its value before the `await` means the caller was cancelled meanwhile. Comparing with
    the earlier value, rather than testing `cancelling()` alone, lets a caller that is
    already being cancelled stop its children from a `finally` and go on cleaning up. One
    case it cannot see: asyncio hands a cancellation of the caller on to the task it
    awaits, and a task that swallows it and returns makes `await task` return normally;
    the caller's cancellation is then lost, as at any `await task` (the form below 3.11
    does not hand it on). An attribute chain is read once into a local first (a done callback
    may reset `self._task` before the caller resumes), and the names introduced collide with
    nothing in scope.

    The fix is safe for the `try` and `suppress` shapes where the wait ends the coroutine (or
    only a `pass` or a bare `return` follows, or the handler's own `return`): the task's own
    outcome is handled as before, and only a cancellation of the caller, which was swallowed,
    now propagates. Where statements follow the wait (`self._task = None`, closing the
    connection, code after an enclosing loop or `try`, or a loop going round), the original
    ran them after swallowing a cancellation of the caller and the fix skips them: the fix is
    unsafe, its message says so. They are not moved into a `finally` around the wait: the
    wait is one statement of a `close()` whose tail often awaits, returns or is shared with
    other paths, and a `finally` holding it would also run it where the task's own error now
    propagates; reporting it as unsafe is the certain choice. It is
    unsafe for a plain `await task`: the caller no longer raises the task's CancelledError, so
    the code after the `await`, which that error used to skip, now runs.

    Below 3.11 the fix is also unsafe unless the task is known to be an asyncio Task or
    Future (its name says so, or the module makes it with `create_task()`, `ensure_future()`
    or annotates it as one): from Python 3.11 `asyncio.wait()` accepts nothing else, and a
    gRPC call, say, has `cancel()` too. There, a caller cancelled while it waits stops
    waiting at once, while the task may still be finishing its cleanup.

    Tasks stopped together are fixed together: waiting for one before cancelling the next
    would leave the next running for ever if the caller is cancelled meanwhile. A loop that
    cancels and awaits each task in turn becomes a loop that cancels them all (noting which,
    under its guard) and one that waits for each noted; pairs and such loops one after
    another in a block (each pair also under an `if` whose test calls nothing, followed by
    what does not await, such as `self._task = None`; statements that do not await between
    them) get their cancels moved before the first wait, a loop's as the loop that cancels
    them all, while every wait and every statement between stays in its place and order.
    The group's fix is unsafe if one of its waits' is, or if statements follow its last
    wait or stand between its waits (other than its cancels): a cancellation of the caller
    in an earlier wait now skips them. The one change besides: a task is now cancelled even
    if the one awaited before it fails. The whole group is reported only where one of its
    waits cannot be fixed (a `# noqa`, a shape below), a cancel would move above a statement
    that rebinds its task (or, for a loop, changes its collection: `tasks.clear()`), or a
    guard calls something (`not task.done()` may read otherwise once every task is
    cancelled first).

    The `try` and `suppress` shapes swallow the caller's cancellation: until they are fixed,
    so does their function, and its other findings (of any rule) are fixed with them or
    reported with them: where a wait's fix is unsafe, a safe fix elsewhere in the function
    waits for `--unsafe-fixes` too; where it is report only, the whole function is reported.

    A subscript is read once into a local, as an attribute chain is; below 3.11 it counts as
    an asyncio Task when its collection's name or binding says so (`self._tasks`).

    No fix is offered for `wait_for(task, n)`: a rewrite must keep its timeout (it cancels
    the task again and raises TimeoutError), which `asyncio.wait()` does not. Nor for an
    assignment outside a `try`: where the task was cancelled before it answered, the name
    would be left unbound instead of the CancelledError raised.

    No fix is offered where the rewrite could not keep the rest of the construct as it was:
    below 3.11, a `finally` or a handler doing more than pass, log or carry on (a cancellation
    of the caller in `asyncio.wait()` would skip it); a handler that also catches other
    exceptions and does more than `pass`, or jumps out midway; `suppress(...) as name`;
    several context managers; a body doing more than the `await`; a module using trio or
    anyio.

    ## Options
    - `target-version`: picks the form of the fix, below or from Python 3.11.

    ## See also
    - CF302: `asyncio.gather()` of tasks just cancelled.
    - CF103: `suppress(BaseException)` or `suppress(CancelledError)` around other `await`s.
    """

    code = "CF301"
    name = "await-cancelled-task"
    message = "`await` of a cancelled task: its CancelledError is taken for the caller's"
    fix_kinds = (FixSafety.SAFE, FixSafety.UNSAFE)
    required_bytes = (b"cancel", b"await")

    @classmethod
    def may_apply(cls, source: bytes, options: RuleOptions) -> bool:
        return (
            super().may_apply(source, options)
            and calls_cancel(source)
            and (
                awaits_name(source)
                or b"wait_for" in source
                or _AWAITED_SUBSCRIPT.search(source) is not None
            )
        )

    @classmethod
    def is_candidate(cls, code: CoroutineCode, options: RuleOptions) -> bool:
        return may_await_cancelled_task(code)

    @classmethod
    def is_context(cls, code: CoroutineCode, options: RuleOptions) -> bool:
        # Below 3.11 the fix is safe for a task known from where it is bound (`_known_future`).
        # A coroutine with an `except` clause may be a task that swallows its cancellation,
        # whose normal end a plain wait relies on (`coroutine_ending_normally`); which
        # coroutine a task runs is read where it is bound (`self._worker =
        # create_task(self._work())`), at any target version.
        if options.target_version < (3, 11) and code.future_names:
            return True
        return any(map(_may_bind_a_run, code.bindings)) or any(
            isinstance(node, ast.ExceptHandler)
            for coroutine in code.coroutines
            for node in ast.walk(coroutine)
        )

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.BaseStatement | Statements:
        found = _awaited_in(original_node, self.names)
        function = enclosing_coroutine(self.parents(original_node))
        if found is None or function is None or self._in_swallowing_guard(original_node):
            return updated_node
        awaited, task = found
        if not cancelled_before(original_node, function, self.names).is_task(task):
            return updated_node
        if self._expects_cancellation(original_node) or _is_local_future(task, function):
            return updated_node
        why_no_fix = _why_no_plain_fix(original_node, awaited) or self._relies_on_normal_end(task)
        rewrite = self._rewrite(original_node, task, function) if why_no_fix is None else None
        new = rewrite.plain(updated_node) if rewrite is not None else None
        message = f"{self.message} (report only: {why_no_fix})" if why_no_fix else None
        return self._apply(
            awaited, rewrite, new, FixSafety.UNSAFE, original_node, updated_node, message=message
        )

    def _relies_on_normal_end(self, task: cst.BaseExpression) -> str | None:
        """Why not, when the task runs a coroutine of the module that swallows its own
        cancellation to end normally: this plain wait is what relies on that end (CF105
        reports the coroutine, report only for the same reason), so the two are one design,
        changed together or not at all; fixing this wait alone would let the next run fix the
        coroutine, which `fix` must have done in one run."""
        coroutine = coroutine_ending_normally(self.module, task, self.names)
        if coroutine is None:
            return None
        return (
            f"the task runs `{coroutine}`, which swallows its cancellation to end normally, "
            "and this wait relies on that end: the two change together"
        )

    def leave_Try(
        self, original_node: cst.Try, updated_node: cst.Try
    ) -> cst.BaseStatement | Statements:
        first = first_cancellation_handler(original_node, self.names)
        if first is None:
            return updated_node
        handler = original_node.handlers[first[0]]
        if manages_cancellation(handler) or handler_exits(handler, self.names).always_reraises:
            return updated_node
        if self._expects_cancellation(original_node):
            return updated_node
        function = enclosing_coroutine(self.parents(original_node))
        awaits = awaited_cancelled_tasks(original_node, function, self.names) if function else []
        if function is None or not awaits:
            return updated_node
        rewrite = self._guarded_rewrite(original_node, updated_node, function)
        new = rewrite.try_statement(updated_node, first[0]) if rewrite is not None else None
        fix = self._fix_safety(original_node, function)
        message = self._waits_with_timeout(awaits[0])
        return self._apply(
            awaits[0], rewrite, new, fix, original_node, updated_node, message, swallows=True
        )

    def leave_With(
        self, original_node: cst.With, updated_node: cst.With
    ) -> cst.BaseStatement | Statements:
        if not self._catches_cancellation(original_node) or self._expects_cancellation(
            original_node
        ):
            return updated_node
        function = enclosing_coroutine(self.parents(original_node))
        # A `suppress` that also swallows other awaits is CF103's.
        if function is None or not awaits_only_cancelled_tasks(original_node, function, self.names):
            return updated_node
        awaits = awaited_cancelled_tasks(original_node, function, self.names)
        if not awaits:
            return updated_node
        rewrite = self._guarded_rewrite(original_node, updated_node, function)
        new = rewrite.with_statement(updated_node) if rewrite is not None else None
        fix = self._fix_safety(original_node, function)
        message = self._waits_with_timeout(awaits[0])
        return self._apply(
            awaits[0], rewrite, new, fix, original_node, updated_node, message, swallows=True
        )

    def _apply(
        self,
        awaited: cst.Await,
        rewrite: _Rewrite | None,
        new: list[cst.BaseStatement] | None,
        fix: FixSafety,
        original_node: cst.BaseStatement,
        updated_node: cst.BaseStatement,
        message: str | None = None,
        *,
        swallows: bool = False,
    ) -> cst.BaseStatement | Statements:
        """Report the `await`; the rewritten statements where the fix applies. A task
        stopped with others is fixed with its group (`_fixed_group`): its rewrite is held.
        The `try` and `suppress` shapes swallow the caller's cancellation (`swallows`): their
        function is fixed whole or reported whole (`codemods.whole_functions`)."""
        comments = _line_end_comments(original_node)
        reported = len(self.findings)
        stopped_with_others = self._stopped_with_others(original_node)
        # A group's tail is judged once the group is known (`_fixed_group`).
        safe = new and fix is FixSafety.SAFE and not stopped_with_others
        if safe and self._skips_tail(original_node, ()):
            fix, message = FixSafety.UNSAFE, _SKIPS_TAIL_MESSAGE
        offered = fix if new else None
        applies = self.report(
            awaited, offered, through=awaited, comments=comments, message=message, swallows=swallows
        )
        if stopped_with_others:
            finding = reported if len(self.findings) > reported else None
            held = _Held(updated_node, original_node, rewrite, new, fix, applies, finding)
            self._held[id(original_node)] = held
            return updated_node
        if not applies:
            return updated_node
        assert rewrite is not None and new is not None
        for spelling in rewrite.imports:
            self.require_import(spelling)
        self.drop_unused_imports(original_node, new)
        return cst.FlattenSentinel(new)

    # Tasks stopped together (`codemods.analysis.task_groups`): one by one, a cancellation
    # of the caller while it waits for one would leave the next running for ever, so every
    # task of the group is cancelled before the first wait, or the group is reported only.

    def leave_For(
        self, original_node: cst.For, updated_node: cst.For
    ) -> cst.BaseStatement | Statements:
        """`for task in tasks:` cancelling and waiting for each in turn becomes a loop that
        cancels them all, noting which, then one that waits for each noted. A loop stopped
        with other tasks of its block is fixed with them (`leave_IndentedBlock`)."""
        stop = loop_stop(original_node, self._waited_task)
        function = enclosing_coroutine(self.parents(original_node))
        # Only a wait inside a coroutine is held: none is, outside one.
        if stop is None or function is None or self._in_block_group(stop):
            return updated_node
        held = self._fixed_group([stop.wait], skips_tail=self._skips_tail(original_node, []))
        if held is None:
            return updated_node
        cancelling, waiting = self._split_loop(stop, updated_node, held[0], function, set())
        return cst.FlattenSentinel([*cancelling, waiting])

    def _split_loop(
        self,
        stop: LoopStop,
        updated: cst.For,
        held: _Held,
        function: cst.FunctionDef,
        taken: set[str],
    ) -> tuple[list[cst.BaseStatement], cst.For]:
        """The two halves of a loop that stops each task in turn: `noted = []` and the loop
        cancelling every task (under its guard), noting which; the loop waiting for each
        noted. `taken`: the names of the lists noted before, in the same group."""
        name, suffix = self.fresh_name(stop.loop, "cancelled", function), 0
        while name in taken:
            suffix += 1
            name = self.fresh_name(stop.loop, f"cancelled_{suffix}", function)
        taken.add(name)
        noted, variable = cst.Name(name), updated.target
        noting = parse_template_statement("{noted}.append({task})", noted=noted, task=variable)
        cancelling = _in_place_of(updated, held.updated, noting)
        waiting = cst.For(target=variable, iter=noted, body=cst.IndentedBlock(body=held.new or ()))
        start = parse_template_statement("{noted} = []", noted=noted)
        start = start.with_changes(leading_lines=updated.leading_lines)
        return [start, cancelling.with_changes(leading_lines=())], waiting

    def _in_block_group(self, stop: LoopStop) -> bool:
        """Whether the loop is stopped with other tasks of its block (`BlockStop.loops`)."""
        block = self.parents(stop.loop)[0]
        return isinstance(block, cst.IndentedBlock) and any(
            member.loop is stop.loop for group in self._block_stops(block) for member in group.loops
        )

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        """Each group of the block whose tasks are cancelled one after another's wait: the
        cancels in it, and the cancelling half of each guarded pair and loop, move before its
        first wait."""
        lines = list(updated_node.body)
        function = enclosing_coroutine(self.parents(original_node))
        for stop in self._block_stops(original_node) if function is not None else ():
            within = [original_node, *self.parents(original_node)]
            skips = self._skips_tail(stop.span[-1], _group_members(stop), within)
            skips = skips or _runs_between(stop)
            held = self._fixed_group(stop.waits, fixable=stop.fixable, skips_tail=skips)
            if held is None or function is None:
                continue
            start = next(i for i, line in enumerate(lines) if _holds(line, held[0].updated))
            end = start + len(stop.span)
            lines[start:end] = self._group_rewrite(stop, held, lines[start:end], function)
        return updated_node.with_changes(body=lines)

    def _group_rewrite(
        self,
        stop: BlockStop,
        held: list[_Held],
        span: list[cst.BaseStatement],
        function: cst.FunctionDef,
    ) -> list[cst.BaseStatement]:
        """The span of a group, its cancels first, then its waits (consecutive ones of the
        same form as one loop)."""
        rewritten = {id(h.updated): h for h in held}
        by_original = {id(h.original): h for h in held}
        loops = {id(member.loop): member for member in stop.loops}
        cancelling: list[cst.BaseStatement] = []
        waiting: list[cst.BaseStatement | _Held] = []
        taken: set[str] = set()
        for original, line in zip(stop.span, span, strict=True):
            first = original is stop.span[0]  # its leading lines go above the cancels
            if original in stop.late_cancels:
                cancelling.append(_comments_only(line))
            elif any(pair.guard is original for pair in stop.guarded):
                assert isinstance(line, cst.If) and isinstance(line.body, cst.IndentedBlock)
                cancel, *rest = line.body.body
                cancelling.append(_comments_only(_with_body(line, [cancel]), first))
                waits = {key: h.new or () for key, h in rewritten.items()}
                waiting.append(_with_body(line, _replacing(rest, waits)))
            elif (member := loops.get(id(original))) is not None:
                assert isinstance(line, cst.For)
                wait = by_original[id(member.wait)]
                noting, loop = self._split_loop(member, line, wait, function, taken)
                cancelling += [_comments_only(noting[0], first), *noting[1:]]
                waiting.append(loop.with_changes(leading_lines=_blank_lines(line)))
            else:
                waiting.append(rewritten.get(id(line), line))
        lines = self._merged_waits(waiting, function)
        cancelling[0] = cancelling[0].with_changes(
            leading_lines=[*leading_lines(span[0]), *leading_lines(cancelling[0])]
        )
        return [*cancelling, lines[0].with_changes(leading_lines=()), *lines[1:]]

    def _merged_waits(
        self, waiting: list[cst.BaseStatement | _Held], function: cst.FunctionDef
    ) -> list[cst.BaseStatement]:
        """The statements of `waiting`, each run of held waits of one form as one loop."""
        lines: list[cst.BaseStatement] = []
        run: list[_Held] = []
        for item in [*waiting, None]:
            if isinstance(item, _Held):
                run.append(item)
                continue
            loop = self._one_loop(run, function) if len(run) > 1 else None
            lines += [loop] if loop is not None else [s for h in run for s in h.new or ()]
            run = []
            if item is not None:
                lines.append(item)
        return lines

    def _one_loop(self, run: list[_Held], function: cst.FunctionDef) -> cst.For | None:
        """`for task in (a, b):` and the rewrite of one wait, where the rewrites of the
        waits in `run` differ in their task alone (and no comment stands above one)."""
        if any(line.comment for h in run for line in leading_lines(h.original)):
            return None
        variable = cst.Name(self.fresh_name(run[0].original, "task", function))
        forms = [self._remade(h, variable) for h in run]
        first = forms[0]
        if first is None or any(
            form is None
            or not cst.IndentedBlock(body=form).deep_equals(cst.IndentedBlock(body=first))
            for form in forms[1:]
        ):
            return None
        tasks = [cst.Element(h.rewrite.task) for h in run if h.rewrite is not None]
        return cst.For(
            target=variable,
            iter=cst.Tuple(elements=tasks),
            body=cst.IndentedBlock(body=first),
        )

    def _remade(self, held: _Held, variable: cst.Name) -> list[cst.BaseStatement] | None:
        """The rewrite of a held wait for the task in `variable`, without leading lines."""
        assert held.rewrite is not None
        rewrite = dataclasses.replace(held.rewrite, task=variable, local=None)
        node = held.updated
        if isinstance(node, cst.Try):
            assert isinstance(held.original, cst.Try)
            index = first_cancellation_handler(held.original, self.names)
            new = rewrite.try_statement(node, index[0]) if index is not None else None
        elif isinstance(node, cst.With):
            new = rewrite.with_statement(node)
        else:
            assert isinstance(node, cst.SimpleStatementLine)
            new = rewrite.plain(node)
        return [new[0].with_changes(leading_lines=()), *new[1:]] if new else None

    def _stopped_with_others(self, statement: cst.BaseStatement) -> bool:
        """Whether `statement` waits for a task of a group: a loop's, a block's, or a
        block's through the `if` it is in."""
        ancestors = [*self.parents(statement)[:4], None, None, None, None]
        blocks = [ancestors[0]]
        if isinstance(ancestors[1], cst.If):
            blocks.append(ancestors[2])
        if any(
            statement in stop.waits
            for block in blocks
            if isinstance(block, cst.IndentedBlock)
            for stop in self._block_stops(block)
        ):
            return True
        owner = ancestors[3] if isinstance(ancestors[1], cst.If) else ancestors[1]
        stop = loop_stop(owner, self._waited_task) if isinstance(owner, cst.For) else None
        return stop is not None and stop.wait is statement

    def _fixed_group(
        self, waits: Sequence[cst.BaseStatement], *, skips_tail: bool, fixable: bool = True
    ) -> list[_Held] | None:
        """The held rewrites of a group's waits when the group is fixed whole; None when
        not. Its findings get the group's fix safety (unsafe if one is, or if a cancellation
        of the caller while it waits now skips what follows: `skips_tail`), or none when one
        of them cannot be fixed; a `# noqa` on one leaves the others unfixed."""
        held = [self._held.pop(id(wait), None) for wait in waits]
        complete = [h for h in held if h is not None]
        fixable = fixable and len(complete) == len(held)
        fixable = fixable and all(h.new is not None for h in complete)
        fixable = fixable and all(h.finding is not None for h in complete)
        unsafe = skips_tail or any(h.fix is FixSafety.UNSAFE for h in complete)
        fix = (FixSafety.UNSAFE if unsafe else FixSafety.SAFE) if fixable else None
        applies = fixable and all(h.applies for h in complete) and self.options.allows(fix)
        for h in complete:
            if h.finding is not None:
                finding = self.findings[h.finding]
                message = finding.message if fixable or h.new is None else _GROUP_MESSAGE
                if fixable and skips_tail and message == self.message:
                    message = _SKIPS_TAIL_MESSAGE
                self.findings[h.finding] = dataclasses.replace(
                    finding, fix=fix, fixed=applies, message=message
                )
        if not applies:
            return None
        for h in complete:
            assert h.rewrite is not None and h.new is not None
            for spelling in h.rewrite.imports:
                self.require_import(spelling)
            self.drop_unused_imports(h.original, h.new)
        return complete

    def _block_stops(self, block: cst.IndentedBlock) -> list[BlockStop]:
        key = id(block)
        if key not in self._stops:
            self._stops[key] = (block, block_stops(block.body, self._waited_task))
        return self._stops[key][1]

    @cached_property
    def _held(self) -> dict[int, _Held]:
        """The rewrites of group members' waits, by the id of the original statement."""
        return {}

    @cached_property
    def _stops(self) -> dict[int, tuple[cst.IndentedBlock, list[BlockStop]]]:
        """The groups of each block (kept with the block, so that its id stays its own)."""
        return {}

    def _waited_task(self, statement: cst.BaseStatement) -> str | None:
        """The task that `statement` waits for, in one of the three shapes the rule flags."""
        line = statement if isinstance(statement, cst.SimpleStatementLine) else None
        if isinstance(statement, cst.Try | cst.With) and self._catches_cancellation(statement):
            line = _sole_line(statement.body)
        awaited = _awaited_task(line)
        return dotted_name(awaited.expression) if awaited is not None else None

    def _guarded_rewrite(
        self, original_node: Guarded, updated_node: Guarded, function: cst.FunctionDef
    ) -> _Rewrite | None:
        """The rewrite of a `try` or `suppress` whose body is just `await task`. None when
        a site inside it was rewritten in this pass: its names would collide with this one's,
        so this one waits for the next pass."""
        awaited = _awaited_task(_sole_line(original_node.body))
        if awaited is None or not updated_node.deep_equals(original_node):
            return None
        return self._rewrite(original_node, awaited.expression, function)

    def _waits_with_timeout(self, awaited: cst.Await) -> str | None:
        """The message for `await asyncio.wait_for(task, n)`, which no rewrite keeps."""
        if is_task_reference(awaited.expression):
            return None
        return f"{self.message} (report only: {_WAIT_FOR_NOT_REWRITTEN})"

    def _fix_safety(self, guarded: Guarded, function: cst.FunctionDef) -> FixSafety:
        """Safe, except below 3.11 for what may not be an asyncio Task or Future: from 3.11,
        `asyncio.wait()` takes nothing else (a gRPC call, say, has no `remove_done_callback`)."""
        if self.options.target_version >= (3, 11):
            return FixSafety.SAFE
        awaited = _awaited_task(_sole_line(guarded.body))
        if awaited is not None and _known_future(awaited.expression, function, self.module):
            return FixSafety.SAFE
        return FixSafety.UNSAFE

    def _skips_tail(
        self,
        last: cst.BaseStatement,
        members: Collection[cst.BaseStatement],
        ancestors: Sequence[cst.CSTNode] | None = None,
    ) -> bool:
        """Whether a cancellation of the caller raised out of the rewritten wait (ending at
        `last`, within `ancestors`, its parents by default) skips what the original, which
        swallowed it, ran next: a statement after it in the coroutine but the group's own
        (`members`) and those that do nothing, or a loop going round. A `for` loop whose
        body is the wait alone goes round to nothing but waits: what follows the loop counts."""
        ancestors = self.parents(last) if ancestors is None else ancestors
        function = enclosing_coroutine(ancestors)
        if function is None:
            return False
        loop = _loop_of_sole(last, ancestors)
        if loop is not None:
            return self._skips_tail(loop, members, ancestors[2:])
        path = reached_after(last, ancestors, function)
        if isinstance(last, cst.Try):
            # The handler's own jump (a `return`) is kept: the 3.11 guard stands before it.
            index = first_cancellation_handler(last, self.names)
            handler = last.handlers[index[0]] if index is not None else None
            exits = handler_exits(handler, self.names) if handler is not None else None
            path = path_after(last, exits, ancestors, function) if exits else path
        return path.loops_back or any(
            line not in members and not ends_quietly(line) for line in path.reached
        )

    def _in_swallowing_guard(self, line: cst.SimpleStatementLine) -> bool:
        """Inside a `try` that catches cancellation or a `suppress` of it: there the `await`
        is judged as part of that construct."""
        child: cst.CSTNode = line
        for ancestor in self.parents(line):
            if isinstance(ancestor, cst.FunctionDef | cst.Lambda | cst.ClassDef):
                return False
            if (
                isinstance(ancestor, cst.Try | cst.TryStar | cst.With)
                and child is ancestor.body
                and self._may_swallow(ancestor)
            ):
                return True
            child = ancestor
        return False

    def _may_swallow(self, guarded: cst.Try | cst.TryStar | cst.With) -> bool:
        """Whether a handler or `suppress(...)` may catch cancellation: named, broad, or not
        known not to (`except LibraryError`, `suppress(*ERRORS)`)."""
        if isinstance(guarded, cst.With):
            caught = [self.names.suppressed(item.item) for item in guarded.items]
            return any(
                arg.star or self.names.is_instance_of(arg.value) is not False
                for args in caught
                if args is not None
                for arg in args
            )
        return any(
            handler.type is None
            or any(self.names.is_instance_of(t) is not False for t in handler_types(handler))
            for handler in guarded.handlers
        )

    def _expects_cancellation(self, line: cst.BaseStatement) -> bool:
        """Inside `with pytest.raises(CancelledError):` or `assertRaises(...)`: the code
        wants the CancelledError that `await` raises."""
        for ancestor in self.parents(line):
            if isinstance(ancestor, cst.FunctionDef | cst.Lambda | cst.ClassDef):
                return False
            if isinstance(ancestor, cst.With) and any(
                isinstance(item.item, cst.Call)
                and any(
                    self.names.is_cancellation(expected)
                    for arg in item.item.args
                    for expected in _flattened(arg.value)
                )
                for item in ancestor.items
            ):
                return True
        return False

    def _catches_cancellation(self, guarded: cst.Try | cst.With) -> bool:
        if isinstance(guarded, cst.Try):
            return first_cancellation_handler(guarded, self.names) is not None
        return any(self.names.suppresses_cancellation(item.item) for item in guarded.items)

    def _rewrite(
        self, statement: cst.BaseStatement, task: cst.BaseExpression, function: cst.FunctionDef
    ) -> _Rewrite | None:
        """How to rewrite the `await task` of `statement`; None where it cannot be spelled."""
        spellings = self._spellings(statement)
        if spellings is None:
            return None
        asyncio, cancellation = spellings
        local = None
        if not isinstance(task, cst.Name):
            local = cst.Name(self.fresh_name(statement, "task", function))
        return _Rewrite(
            task=task,
            local=local,
            asyncio=asyncio.expression,
            cancellation=cancellation.expression,
            baseline=cst.Name(self.fresh_name(statement, "cancelling", function)),
            compare_cancelling=self.options.target_version >= (3, 11),
            names=self.names,
            imports=spellings,
        )

    def _spellings(self, node: cst.CSTNode) -> tuple[Spelling, Spelling] | None:
        """How `node`'s scope spells the asyncio module and CancelledError, in an asyncio
        module (trio and anyio tasks have no `cancel()` to await after)."""
        if framework_of(self.module) is not Framework.ASYNCIO:
            return None
        asyncio = self.module_spelling_at(node, "asyncio")
        cancellation = self.cancellation_spelling_at(node)
        if asyncio is None or cancellation is None:
            return None
        return asyncio, cancellation


_SKIPS_TAIL_MESSAGE = (
    "`await` of a cancelled task: its CancelledError is taken for the caller's (unsafe fix: "
    "a cancellation of the caller while it waits now skips what follows)"
)

_GROUP_MESSAGE = (
    "`await` of a cancelled task: its CancelledError is taken for the caller's (not fixed: "
    "the task is stopped with others, and the group cannot be rewritten as one)"
)


@dataclass(frozen=True)
class _Held:
    """The rewrite of the wait for one task of a group, until the group is fixed."""

    updated: cst.BaseStatement
    original: cst.BaseStatement
    rewrite: _Rewrite | None
    new: list[cst.BaseStatement] | None
    fix: FixSafety
    applies: bool
    """What `report()` said of this finding alone."""
    finding: int | None
    """Its index among the rule's findings; None under a `# noqa`."""


@dataclass(frozen=True)
class _Rewrite:
    """The statements that replace an `await task` construct."""

    task: cst.BaseExpression
    local: cst.Name | None
    """The local the task is read into, for an attribute chain."""
    asyncio: cst.BaseExpression
    cancellation: cst.BaseExpression
    baseline: cst.Name
    """The variable holding `cancelling()` before the `await` (3.11+)."""
    compare_cancelling: bool
    """The 3.11+ form; below 3.11, `asyncio.wait()` then `task.result()`."""
    names: ExceptionNames
    imports: tuple[Spelling, ...]
    """The spellings above, with the imports they need once the rewrite is applied."""

    @property
    def ref(self) -> cst.BaseExpression:
        return self.local or self.task

    def plain(self, line: cst.SimpleStatementLine) -> list[cst.BaseStatement] | None:
        if self.compare_cancelling:
            clause = self._cancellation_clause()
            awaiting = self._awaiting_ref(line).with_changes(leading_lines=())
            body = cst.IndentedBlock(body=[awaiting])
            return self._prologue(line, [cst.Try(body=body, handlers=[clause])])
        return self._prologue(line, [self._waiting(line), self._checked()])

    def try_statement(self, node: cst.Try, index: int) -> list[cst.BaseStatement] | None:
        line = _sole_line(node.body)
        assert line is not None
        if self.compare_cancelling:
            handlers = self._guarded_handlers(node.handlers, index)
            if handlers is None:
                return None
            body = _replaced(node.body, self._awaiting_ref(line))
            return self._prologue(node, [node.with_changes(body=body, handlers=handlers)])
        if node.finalbody is not None or not self._handlers_say_nothing(node):
            # A cancellation of the caller in `asyncio.wait()`, outside the `try`, would skip
            # what the `finally` or the handlers do (their cleanup, their state changes).
            return None
        if is_bare_cancel_idiom(node, self.names) and not _assigns(line):
            return self._prologue(node, [self._waiting(None), self._checked()])
        body = _replaced(node.body, self._getting_result(line))
        return self._prologue(node, [self._waiting(None), node.with_changes(body=body)])

    def with_statement(self, node: cst.With) -> list[cst.BaseStatement] | None:
        line = _sole_line(node.body)
        assert line is not None
        item = node.items[0]
        if len(node.items) != 1 or node.asynchronous or item.asname or comments_within(item):
            return None
        arguments = self.names.suppressed(node.items[0].item)
        if arguments is None or any(argument.star for argument in arguments):
            return None
        others = [a.value for a in arguments if not self.names.is_cancellation(a.value)]
        header = header_end(node.body)
        if self.compare_cancelling:
            handlers = [self._cancellation_clause()]
            if others:
                handlers.append(_pass_clause(others))
            footer = node.body.footer if isinstance(node.body, cst.IndentedBlock) else ()
            awaiting = [self._awaiting_ref(line)]
            body = cst.IndentedBlock(body=awaiting, header=header, footer=footer)
            return self._prologue(node, [cst.Try(body=body, handlers=handlers)])
        if not others and not comments_within(node.body) and not _assigns(line):
            return self._prologue(node, [self._waiting(None), self._checked()])
        body = _replaced(node.body, self._getting_result(line))
        return self._prologue(node, [self._waiting(None), node.with_changes(body=body)])

    def _handlers_say_nothing(self, node: cst.Try) -> bool:
        """Whether the handlers that may catch cancellation only pass, log or carry on."""
        return all(
            all(map(_says_nothing, statements(handler.body)))
            for handler in node.handlers
            if any(self.names.is_instance_of(t) is not False for t in handler_types(handler))
            or handler.type is None
        )

    def _prologue(
        self, replaced: cst.BaseStatement, new: list[cst.BaseStatement]
    ) -> list[cst.BaseStatement]:
        """`task = self._task` and `cancelling = ...` where needed, then `new`; the comments
        above the replaced statement go above the first."""
        lines: list[cst.BaseStatement] = []
        if self.local is not None:
            lines.append(_line(cst.Assign([cst.AssignTarget(self.local)], self.task)))
        if self.compare_cancelling:
            lines.append(
                parse_template_statement(
                    "{baseline} = {asyncio}.current_task().cancelling()",
                    baseline=self.baseline,
                    asyncio=self.asyncio,
                )
            )
        lines += [statement.with_changes(leading_lines=()) for statement in new]
        return [lines[0].with_changes(leading_lines=leading_lines(replaced)), *lines[1:]]

    def _guard(self) -> cst.BaseStatement:
        return parse_template_statement(
            "if not {task}.done() or {asyncio}.current_task().cancelling() > {baseline}:\n"
            "    raise\n",
            task=self.ref,
            asyncio=self.asyncio,
            baseline=self.baseline,
        )

    def _cancellation_clause(self) -> cst.ExceptHandler:
        return cst.ExceptHandler(
            type=self.cancellation, body=cst.IndentedBlock(body=[self._guard()])
        )

    def _guarded_handlers(
        self, handlers: Sequence[cst.ExceptHandler], index: int
    ) -> list[cst.ExceptHandler] | None:
        """The handlers with the guard where the cancellation arrives: in a handler for
        cancellation alone, at its end or before its final jump; before a broader handler
        that only passes, in a clause of its own. None where neither fits."""
        handler = handlers[index]
        caught = self.names.caught(handler)
        lines = statements(handler.body)
        result = list(handlers)
        if caught.is_broad or caught.others:
            if not all(map(is_placeholder, lines)):
                return None
            result.insert(index, self._cancellation_clause())
            return result
        if all(map(is_placeholder, lines)):
            kept = [line for line in lines if _has_comment(line)]
            guard = self._guard().with_changes(leading_lines=leading_lines(lines[0]))
            body = [guard, *(line.with_changes(leading_lines=()) for line in kept)]
        else:
            guarded = self._with_guard(handler, lines)
            if guarded is None:
                return None
            body = guarded
        result[index] = handler.with_changes(body=_block(handler.body, body))
        return result

    def _with_guard(
        self, handler: cst.ExceptHandler, lines: list[cst.BaseStatement]
    ) -> list[cst.BaseStatement] | None:
        exits = handler_exits(handler, self.names)
        raising = {Exit.RERAISE, Exit.RAISE_OTHER}
        if Exit.FALLTHROUGH in exits.kinds and exits.kinds <= raising | {Exit.FALLTHROUGH}:
            return [*lines, self._guard()]
        final = lines[-1]
        if (
            len(exits.jumps) == 1
            and len(exits.kinds - raising) == 1
            and isinstance(final, cst.SimpleStatementLine)
            and final.body[-1] is exits.jumps[0].statement
        ):
            return [*lines[:-1], self._guard(), final]
        return None

    def _awaiting_ref(self, line: cst.SimpleStatementLine) -> cst.SimpleStatementLine:
        """The `await task` line, awaiting the local where there is one."""
        return _with_value(line, cst.Await(self.ref))

    def _waiting(self, line: cst.SimpleStatementLine | None) -> cst.SimpleStatementLine:
        """`await asyncio.wait([task])`, in place of `line` (keeping its comment) if given."""
        waiting = parse_template_statement(
            "await {asyncio}.wait([{task}])", asyncio=self.asyncio, task=self.ref
        )
        assert isinstance(waiting, cst.SimpleStatementLine)
        return waiting if line is None else line.with_changes(body=waiting.body)

    def _checked(self) -> cst.BaseStatement:
        return parse_template_statement(
            "if not {task}.cancelled():\n    {task}.result()\n", task=self.ref
        )

    def _getting_result(self, line: cst.SimpleStatementLine) -> cst.SimpleStatementLine:
        result = cst.Call(func=cst.Attribute(value=self.ref, attr=cst.Name("result")))
        return _with_value(line, result)


def _awaited_task(line: cst.BaseStatement | None) -> cst.Await | None:
    """The `await` of a line that is nothing but `await task` (a name, attribute chain or
    subscript: `self._tasks[name]`), or `result = await task`."""
    awaited = _line_await(line)
    return awaited if awaited is not None and is_task_reference(awaited.expression) else None


def _assigns(line: cst.SimpleStatementLine) -> bool:
    """`result = await task`: a rewrite must keep the assignment."""
    return not isinstance(line.body[0], cst.Expr)


def _awaited_in(
    line: cst.SimpleStatementLine, names: ExceptionNames
) -> tuple[cst.Await, cst.BaseExpression] | None:
    """The `await` of a line that only waits on one task, and that task: `await task`,
    `result = await task`, `return await task`, `await asyncio.wait_for(task, 5)`."""
    returned = line.body[0].value if isinstance(line.body[0], cst.Return) else None
    awaited = returned if isinstance(returned, cst.Await) else _line_await(line)
    task = waited_task(awaited.expression, names) if awaited is not None else None
    return (awaited, task) if awaited is not None and task is not None else None


def _line_await(line: cst.BaseStatement | None) -> cst.Await | None:
    """The `await` of a line that is one `await ...` or one assignment of it (`x = await
    ...`, `x: T = await ...`)."""
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return None
    statement = line.body[0]
    if isinstance(statement, cst.Assign) and len(statement.targets) != 1:
        return None
    value = statement.value if isinstance(statement, cst.Expr | cst.Assign) else None
    if isinstance(statement, cst.AnnAssign):
        value = statement.value
    return value if isinstance(value, cst.Await) else None


_WAIT_FOR_NOT_REWRITTEN = (
    "the fix does not rewrite `wait_for()`, whose timeout must still raise TimeoutError"
)


def _why_no_plain_fix(line: cst.SimpleStatementLine, awaited: cst.Await) -> str | None:
    """Why a plain `await` of a cancelled task gets no fix, if it does not."""
    if not is_task_reference(awaited.expression):
        return _WAIT_FOR_NOT_REWRITTEN
    if isinstance(line.body[0], cst.Return):
        return "the task may answer the cancel with the value returned here"
    if not isinstance(line.body[0], cst.Expr):
        return (
            "the task may answer the cancel with the value assigned here; where it does not, "
            "a rewrite would leave the name unbound"
        )
    return None


def _group_members(stop: BlockStop) -> list[cst.BaseStatement]:
    """The statements of a group's span that only cancel or wait (a guarded pair holding
    nothing else): what a cancellation of the caller skips there is the group's own wait."""
    pairs = [pair.guard for pair in stop.guarded if len(statements(pair.guard.body)) == 2]
    return [*stop.waits, *stop.late_cancels, *pairs, *(member.loop for member in stop.loops)]


def _runs_between(stop: BlockStop) -> bool:
    """Whether a statement of the group's span but its own (`_group_members`) does something
    (`self._task = None` after a wait, a wake-up between two stops): a cancellation of the
    caller in a wait before it now skips it, where the original, which swallowed it, ran it."""
    members = _group_members(stop)
    return any(line not in members and not ends_quietly(line) for line in stop.span)


def _loop_of_sole(statement: cst.BaseStatement, ancestors: Sequence[cst.CSTNode]) -> cst.For | None:
    """The `for` loop (without `else`) whose body is `statement` alone, if it is in one."""
    block, loop = (*ancestors[:2], None, None)[:2]
    if not isinstance(loop, cst.For) or loop.orelse is not None or loop.body is not block:
        return None
    lines = statements(loop.body)
    return loop if len(lines) == 1 and lines[0] is statement else None


def _holds(statement: cst.BaseStatement, inner: cst.BaseStatement) -> bool:
    """Whether `statement` is `inner` or an `if` or `for` whose block holds it (the wait of a
    guarded pair, or of a loop, under its guard or not)."""
    return statement is inner or (
        isinstance(statement, cst.If | cst.For)
        and isinstance(statement.body, cst.IndentedBlock)
        and any(_holds(line, inner) for line in statement.body.body)
    )


def _replacing(
    lines: Sequence[cst.BaseStatement], rewritten: Mapping[int, Sequence[cst.BaseStatement]]
) -> list[cst.BaseStatement]:
    """`lines`, those rewritten (by id) replaced by their rewrite."""
    return [new for line in lines for new in rewritten.get(id(line), [line])]


def _in_place_of(
    statement: cst.For | cst.If, inner: cst.BaseStatement, new: cst.BaseStatement
) -> cst.For | cst.If:
    """`statement` with `new` in place of `inner`, in its block or in that of an `if` there."""
    assert isinstance(statement.body, cst.IndentedBlock)
    lines = [
        new
        if line is inner
        else _in_place_of(line, inner, new)
        if isinstance(line, cst.If)
        else line
        for line in statement.body.body
    ]
    return statement.with_changes(body=statement.body.with_changes(body=lines))


def _with_body(statement: cst.If, lines: Sequence[cst.BaseStatement]) -> cst.If:
    assert isinstance(statement.body, cst.IndentedBlock)
    return statement.with_changes(body=statement.body.with_changes(body=lines))


def _comments_only(statement: cst.BaseStatement, first: bool = False) -> cst.BaseStatement:
    """`statement` with the comment lines above it, not the blank ones: it moves up to join
    the lines that cancel (with none, for the `first` of the span: the span's leading lines
    go above the cancels)."""
    kept = [line for line in leading_lines(statement) if line.comment is not None]
    return statement.with_changes(leading_lines=() if first else kept)


def _blank_lines(statement: cst.BaseStatement) -> list[cst.EmptyLine]:
    """The blank lines above `statement`, without its comments (which moved up)."""
    return [line for line in leading_lines(statement) if line.comment is None]


def _is_local_future(task: cst.BaseExpression, function: cst.FunctionDef) -> bool:
    """`fut = Future()` or `fut = loop.create_future()` in the function: a future cancelled
    and awaited there is a way of raising CancelledError, not a task being stopped."""
    name = dotted_name(task)
    if name is None:
        return False
    for node in walk_same_frame(function.body):
        value = node.value if isinstance(node, cst.Assign | cst.AnnAssign) else None
        if (
            isinstance(value, cst.Call)
            and any(dotted_name(target) == name for target in assigned_targets(node))
            and (get_full_name_for_node(value.func) or "").rsplit(".", 1)[-1]
            in {"Future", "create_future"}
        ):
            return True
    return False


def _flattened(expr: cst.BaseExpression) -> list[cst.BaseExpression]:
    """`(A, (B, C))` -> [A, B, C]; anything else alone."""
    if isinstance(expr, cst.Tuple):
        return [item for element in expr.elements for item in _flattened(element.value)]
    return [expr]


_FUTURE_MAKERS = ("task", "future")
"""What the names of calls making asyncio Tasks and Futures contain: `create_task`,
`async_create_task`, `ensure_future`, `create_future`, `Task`, `Future`."""


def _known_future(task: cst.BaseExpression, function: cst.FunctionDef, module: cst.Module) -> bool:
    """Whether `task` is known to be an asyncio Task or Future: its name says so (`task`,
    `self._reader_task`, `pending_futures`), the module binds or annotates it as one
    (`self._call = asyncio.create_task(...)`, `worker: asyncio.Task`), or it is the variable
    of a loop over such a collection."""
    # `self._tasks[name]`: what the collection's name or binding says of its items.
    name = dotted_name(task.value if isinstance(task, cst.Subscript) else task)
    if name is None:
        return False
    loops = [
        node.iter
        for node in walk_same_frame(function.body)
        if isinstance(node, cst.For) and dotted_name(node.target) == name
    ]
    candidates = {name, *filter(None, map(dotted_name, loops))}
    return any(_says_future(candidate) for candidate in candidates) or any(
        _binds_future(node, candidates) for node in walk(module)
    )


def _says_future(dotted: str) -> bool:
    """A name whose last part says Task or Future: `self._task`, `create_future`."""
    last = dotted.rsplit(".", 1)[-1].lower()
    return any(maker in last for maker in _FUTURE_MAKERS)


def _binds_future(node: cst.CSTNode, candidates: set[str]) -> bool:
    """`x = asyncio.create_task(...)`, `x: asyncio.Task[None] | None = None` or a parameter
    `x: asyncio.Task`, for `x` among `candidates`."""
    if isinstance(node, cst.Param):
        return node.name.value in candidates and _annotates_future(node.annotation)
    if (
        isinstance(node, cst.AnnAssign)
        and dotted_name(node.target) in candidates
        and _annotates_future(node.annotation)
    ):
        return True
    value = node.value if isinstance(node, cst.Assign | cst.AnnAssign) else None
    if isinstance(value, cst.ListComp | cst.SetComp | cst.GeneratorExp):
        value = value.elt  # `[asyncio.create_task(f()) for f in fetchers]`
    if not isinstance(value, cst.Call):
        return False
    bound = any(dotted_name(target) in candidates for target in assigned_targets(node))
    return bound and _says_future(get_full_name_for_node(value.func) or "")


def _annotates_future(annotation: cst.Annotation | None) -> bool:
    return annotation is not None and any(
        isinstance(node, cst.Name) and node.value in {"Task", "Future"} for node in walk(annotation)
    )


def _sole_line(body: cst.BaseSuite) -> cst.SimpleStatementLine | None:
    lines = statements(body)
    only = lines[0] if len(lines) == 1 else None
    return only if isinstance(only, cst.SimpleStatementLine) else None


def _block(body: cst.BaseSuite, lines: Sequence[cst.BaseStatement]) -> cst.IndentedBlock:
    """`body` with new lines (a one-line suite becomes an indented block)."""
    if isinstance(body, cst.IndentedBlock):
        return body.with_changes(body=lines)
    return cst.IndentedBlock(body=lines, header=header_end(body))


def _replaced(body: cst.BaseSuite, line: cst.SimpleStatementLine) -> cst.IndentedBlock:
    """A one-statement block with `line` instead of its statement."""
    return _block(body, [line])


def _line(statement: cst.BaseSmallStatement) -> cst.SimpleStatementLine:
    return cst.SimpleStatementLine(body=[statement])


def _with_value(
    line: cst.SimpleStatementLine, value: cst.BaseExpression
) -> cst.SimpleStatementLine:
    """`line`, an expression statement or an assignment (`result = await task`),
    evaluating `value` instead (comments kept)."""
    expression = line.body[0]
    assert isinstance(expression, cst.Expr | cst.Assign | cst.AnnAssign)
    return line.with_changes(
        body=[expression.with_changes(value=value, semicolon=cst.MaybeSentinel.DEFAULT)]
    )


def _says_nothing(line: cst.BaseStatement) -> bool:
    """A line whose skipping loses nothing but a swallow: `pass`, logging, and the `return`,
    `break` or `continue` (of a plain value) that carried on after the cancellation."""
    return is_placeholder(line) or (
        isinstance(line, cst.SimpleStatementLine)
        and all(
            (isinstance(small, cst.Expr) and is_logging_call(small.value))
            or isinstance(small, cst.Break | cst.Continue)
            or (isinstance(small, cst.Return) and is_inert(small.value))
            for small in line.body
        )
    )


def _has_comment(line: cst.BaseStatement) -> bool:
    trailing = line.trailing_whitespace if isinstance(line, cst.SimpleStatementLine) else None
    return bool(
        (trailing is not None and trailing.comment is not None)
        or any(empty.comment for empty in leading_lines(line))
    )


def _pass_clause(types: Sequence[cst.BaseExpression]) -> cst.ExceptHandler:
    """`except X: pass` or `except (X, Y): pass`."""
    caught = (
        types[0] if len(types) == 1 else cst.Tuple(elements=[cst.Element(value=t) for t in types])
    )
    return cst.ExceptHandler(type=caught, body=cst.IndentedBlock(body=[_line(cst.Pass())]))


def _line_end_comments(statement: cst.BaseStatement) -> list[cst.Comment]:
    """The end-of-line comments where a `# noqa` for the finding may stand: on the `await`
    line, and on the header lines of its `try`, handlers or `with`."""
    if isinstance(statement, cst.SimpleStatementLine):
        return end_comments([statement])
    assert isinstance(statement, cst.Try | cst.With)
    bodies = [statement.body]
    if isinstance(statement, cst.Try):
        bodies += [handler.body for handler in statement.handlers]
    headers = [comment for body in bodies if (comment := header_end(body).comment) is not None]
    return headers + end_comments(statements(statement.body))


# The gates: what a file needs for this rule to have a finding (False: certainly none).


_AWAITED_SUBSCRIPT = re.compile(rb"await[\s\\(]+[\w.\x80-\xff]+[ \t]*\[")
"""`await self._tasks[name]`, for the byte prefilter."""


def may_await_cancelled_task(code: CoroutineCode) -> bool:
    """Whether some coroutine cancels something (`x.cancel()`) and awaits a task reference
    (`await task`, `await self._task`, `await self._tasks[name]`) or `wait_for()`s one:
    CF301's shape."""
    return "cancel" in code.coroutine_calls and any(map(_may_wait_on_task, code.awaited))


def _may_wait_on_task(awaited: ast.expr) -> bool:
    if isinstance(awaited, ast.Call) and last_name(awaited.func) == "wait_for":
        awaited = awaited.args[0] if awaited.args else awaited
    if isinstance(awaited, ast.Subscript):
        awaited = awaited.value
    return dotted(awaited) is not None


def _may_bind_a_run(node: ast.arg | ast.Assign | ast.AnnAssign) -> bool:
    """An assignment of a call handed a call (`t = create_task(work())`): the binding of a
    task running a coroutine, as `coroutines_run_by` reads it."""
    if not isinstance(node, ast.Assign) or not isinstance(node.value, ast.Call):
        return False
    arguments = [*node.value.args, *(keyword.value for keyword in node.value.keywords)]
    return any(
        isinstance(argument.value if isinstance(argument, ast.Starred) else argument, ast.Call)
        for argument in arguments
    )
