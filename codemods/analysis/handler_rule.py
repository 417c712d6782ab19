"""The base of the rules that judge exception handlers (CF101, CF102, CF105, CF201, CF202): which
handler catches cancellation, which of its paths swallow it, and how to report on it."""

from __future__ import annotations

import libcst as cst

from codemods.analysis import handlers, swallowing, tasks
from codemods.analysis.exits import ExitPaths
from codemods.analysis.names import Caught
from codemods.analysis.scope import enclosing_coroutine
from codemods.model import FixSafety, RuleOptions
from codemods.prefilter.statements import CoroutineCode, last_name
from codemods.rule import Rule


class HandlerRule(Rule):
    """A rule over `try` statements and their handlers; it knows what a cancellation handler
    is in the module's spelling (`self.names`), and where the visited node stands."""

    def group_binding(self, handler: handlers.Handler) -> cst.AsName | None:
        """The `as NAME` an inserted `except*` re-raise needs: the handler's, or a fresh one."""
        if not isinstance(handler, cst.ExceptStarHandler):
            return None
        if handler.name is not None:
            return handler.name
        return cst.AsName(name=cst.Name(self.fresh_name(handler, "cancelled", self.module)))

    def report_handler(
        self,
        handler: handlers.Handler,
        fix: FixSafety | None,
        *,
        why_no_fix: str | None = None,
        why_unsafe: str | None = None,
    ) -> bool:
        """Report on a handler's header: from `except` to its type or bound name; with
        `why_no_fix`, the message says why the finding is reported only, with `why_unsafe`
        why its (unsafe) fix is."""
        end = handler.name.name if handler.name else handler.type
        comments = handlers.header_comments(handler)
        message = None
        if why_no_fix:
            message = f"{self.message} (report only: {why_no_fix})"
        elif why_unsafe and fix is FixSafety.UNSAFE:
            message = f"{self.message} (unsafe fix: {why_unsafe})"
        if end is not None:
            return self.report(handler, fix, through=end, comments=comments, message=message)
        return self.report(handler, fix, keyword="except", comments=comments, message=message)

    def first_cancellation_handler(self, try_node: handlers.TryNode) -> tuple[int, Caught] | None:
        return handlers.first_cancellation_handler(try_node, self.names)

    def coroutine(self, node: cst.CSTNode) -> cst.FunctionDef:
        """The `async def` around the node being visited (rules only act inside one)."""
        function = enclosing_coroutine(self.parents(node))
        assert function is not None
        return function

    def may_be_childs_cancellation(self, try_node: handlers.TryNode) -> bool:
        return tasks.awaits_only_existing_futures(try_node, self.names)

    def swallowing_paths(
        self, try_node: handlers.TryNode, handler: handlers.Handler
    ) -> ExitPaths | None:
        return handlers.swallowing_paths(try_node, handler, self.parents(try_node), self.names)

    def judge(
        self, try_node: handlers.TryNode, handler: handlers.Handler, exits: ExitPaths
    ) -> swallowing.Judgement:
        """How a swallowing `handler` of `try_node` swallows, and what blocks its fix."""
        function = self.coroutine(try_node)
        parents = self.parents(try_node)
        return swallowing.judge(try_node, handler, exits, parents, function, self.names)

    def yields_when_cancelled(self, try_node: handlers.TryNode, handler: handlers.Handler) -> bool:
        function = handlers.guarded_coroutine(try_node, self.parents(try_node))
        return function is not None and swallowing.yields_when_cancelled(handler, function)


class SwallowingRule(HandlerRule):
    """A rule that asks whether a handler swallows the coroutine's own cancellation (CF101,
    CF102, CF105). A CancelledError may instead be the result of a future the module cancels
    elsewhere (`self._done.cancel()`), and whoever starts the coroutine as a task may rely on
    how it ends, so the functions that cancel something or bind a task are read too."""

    @classmethod
    def is_context(cls, code: CoroutineCode, options: RuleOptions) -> bool:
        return any(last_name(call.func) == "cancel" for call in code.discarded_calls) or bool(
            code.future_names
        )

    tails_to_move: set[handlers.TryNode]
    """`try` statements whose following code moves into their `finally` with the fix."""

    def visit_Module(self, node: cst.Module) -> None:
        super().visit_Module(node)
        self.tails_to_move = set()

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        """The block with the code after each `try` of `tails_to_move` in it moved into its
        `finally`."""
        for line in original_node.body:
            if isinstance(line, cst.Try | cst.TryStar) and line in self.tails_to_move:
                self.tails_to_move.discard(line)
                # The tail holds no other `try` (see `movable_into_finally`): one a block.
                return swallowing.with_tail_in_finally(original_node, updated_node, line)
        return updated_node
