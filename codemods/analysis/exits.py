"""How control can leave an exception handler: "does it re-raise on every path?"

The judgement is over statements, not text: `if`/`elif`/`else`, `match`, loops (whose body may
run zero times), nested `try`/`except`/`else`/`finally`, `with contextlib.suppress(...)`, and
the different kinds of `raise`.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import libcst as cst
from libcst.helpers import get_full_name_for_node

from codemods.analysis.names import ExceptionNames
from codemods.analysis.scope import assigned_targets, children, dotted_name, walk_same_frame


class Exit(enum.Enum):
    FALLTHROUGH = "falls off the end"
    RERAISE = "re-raises the caught exception"
    RAISE_OTHER = "raises another exception"
    RETURN = "returns"
    BREAK = "breaks out of the loop"
    CONTINUE = "continues the loop"


@dataclass(frozen=True)
class Jump:
    """A `return`/`break`/`continue` that leaves the handler."""

    statement: cst.Return | cst.Break | cst.Continue
    in_nested_handler: bool
    """Inside an `except` nested in the handler, where a bare `raise` means another exception."""


@dataclass
class ExitPaths:
    kinds: set[Exit] = field(default_factory=set)
    jumps: list[Jump] = field(default_factory=list)

    @property
    def always_reraises(self) -> bool:
        return self.kinds <= {Exit.RERAISE}

    def merge(self, other: ExitPaths) -> None:
        self.kinds |= other.kinds
        self.jumps += other.jumps


@dataclass(frozen=True)
class _Context:
    reraise_names: frozenset[str]
    """Names bound to the exception being handled (`as exc`)."""
    bare_raise_reraises: bool
    in_loop: bool
    in_nested_handler: bool


def handler_exits(
    handler: cst.ExceptHandler | cst.ExceptStarHandler,
    names: ExceptionNames,
    *,
    as_cancellation: bool = False,
) -> ExitPaths:
    """Every way control can leave `handler`'s body, with the jumps that do it.

    With `as_cancellation`, the ways a CancelledError takes: an `isinstance` test for a class
    the module does not know (`ProtocolError`) is taken to be false for it, and raising a
    stored exception object (`raise self._exception`) may raise the cancellation itself."""
    bound = _bound_name(handler)
    context = _Context(
        reraise_names=frozenset({bound} if bound else ()),
        bare_raise_reraises=True,
        in_loop=False,
        in_nested_handler=False,
    )
    stored = _stored_exceptions(handler) if as_cancellation else frozenset()
    return _Walker(names, as_cancellation, stored).block(handler.body, context)


def _bound_name(handler: cst.ExceptHandler | cst.ExceptStarHandler) -> str | None:
    if handler.name is not None and isinstance(handler.name.name, cst.Name):
        return handler.name.name.value
    return None


def _names_caught(exc: cst.BaseExpression, reraise_names: frozenset[str]) -> bool:
    """`raise exc` of the bound name, or `raise group.exceptions[i]` of an `except*` group."""
    if (
        isinstance(exc, cst.Subscript)
        and isinstance(exc.value, cst.Attribute)
        and exc.value.attr.value == "exceptions"
    ):
        exc = exc.value.value
    return isinstance(exc, cst.Name) and exc.value in reraise_names


def _stored_exceptions(handler: cst.ExceptHandler | cst.ExceptStarHandler) -> frozenset[str]:
    """The exception objects a `raise` in the handler might name whose value the handler
    does not make: names and attribute chains ending in a lower-case name (`self._exception`,
    `error`; a class is `CapWords`) that the handler neither assigns nor binds in a nested
    `except ... as`. Kept from elsewhere
    (the reason an object was closed with, which defaults to the cancellation), they may be
    the CancelledError itself: raising one is no proof of swallowing."""
    made = [
        target
        for node in walk_same_frame(handler.body)
        for target in (
            [node.name.name]
            if isinstance(node, cst.ExceptHandler | cst.ExceptStarHandler) and node.name
            else assigned_targets(node)
        )
    ]
    assigned = {dotted for target in made if (dotted := dotted_name(target))}
    raised = {
        dotted
        for node in walk_same_frame(handler.body)
        if isinstance(node, cst.Raise) and node.exc is not None
        if (dotted := dotted_name(node.exc))
    }
    return frozenset(
        name for name in raised - assigned if not name.rsplit(".", 1)[-1].lstrip("_")[:1].isupper()
    )


def _is_infinite(test: cst.BaseExpression) -> bool:
    if isinstance(test, cst.Name):
        return test.value == "True"
    if isinstance(test, cst.Integer):
        return test.evaluated_value != 0
    return False


class _Walker:
    def __init__(
        self, names: ExceptionNames, as_cancellation: bool, stored: frozenset[str]
    ) -> None:
        self.names = names
        self.as_cancellation = as_cancellation
        self.stored = stored

    def block(self, body: cst.BaseSuite, context: _Context) -> ExitPaths:
        statements: Sequence[cst.BaseStatement | cst.BaseSmallStatement]
        statements = (
            body.body if isinstance(body, cst.IndentedBlock | cst.SimpleStatementSuite) else ()
        )
        return self.sequence(statements, context)

    def sequence(
        self, statements: Iterable[cst.BaseStatement | cst.BaseSmallStatement], context: _Context
    ) -> ExitPaths:
        result = ExitPaths()
        for statement in statements:
            paths = self.statement(statement, context)
            result.merge(paths)
            if Exit.FALLTHROUGH not in paths.kinds:
                result.kinds.discard(Exit.FALLTHROUGH)
                return result
            result.kinds.discard(Exit.FALLTHROUGH)
        result.kinds.add(Exit.FALLTHROUGH)
        return result

    def statement(
        self, node: cst.BaseStatement | cst.BaseSmallStatement, context: _Context
    ) -> ExitPaths:
        if isinstance(node, cst.SimpleStatementLine):
            return self.sequence(node.body, context)
        if isinstance(node, cst.Raise):
            return ExitPaths({self._raise_kind(node, context)})
        if isinstance(node, cst.Return | cst.Break | cst.Continue):
            return self._jump(node, context)
        if isinstance(node, cst.If):
            return self._if(node, context)
        if isinstance(node, cst.For | cst.While):
            return self._loop(node, context)
        if isinstance(node, cst.Try | cst.TryStar):
            return self._try(node, context)
        if isinstance(node, cst.With):
            return self._with(node, context)
        if isinstance(node, cst.Match):
            return self._match(node, context)
        return ExitPaths({Exit.FALLTHROUGH})

    def _raise_kind(self, node: cst.Raise, context: _Context) -> Exit:
        exc = node.exc
        if exc is None:
            return Exit.RERAISE if context.bare_raise_reraises else Exit.RAISE_OTHER
        if _names_caught(exc, context.reraise_names) or dotted_name(exc) in self.stored:
            return Exit.RERAISE
        return Exit.RERAISE if self.names.raises_cancellation(exc) else Exit.RAISE_OTHER

    def _jump(self, node: cst.Return | cst.Break | cst.Continue, context: _Context) -> ExitPaths:
        if isinstance(node, cst.Return):
            kind = Exit.RETURN
        elif context.in_loop:
            # break/continue of a loop inside the handler: it does not leave the handler.
            return ExitPaths()
        else:
            kind = Exit.BREAK if isinstance(node, cst.Break) else Exit.CONTINUE
        return ExitPaths({kind}, [Jump(node, context.in_nested_handler)])

    def _if(self, node: cst.If, context: _Context) -> ExitPaths:
        branch = self._branch_taken(node.test, context)
        result = ExitPaths()
        if branch is not False:
            result.merge(self.block(node.body, context))
        if branch is not True:
            orelse = node.orelse
            if orelse is None:
                result.kinds.add(Exit.FALLTHROUGH)
            elif isinstance(orelse, cst.If):
                result.merge(self._if(orelse, context))
            else:
                result.merge(self.block(orelse.body, context))
        return result

    def _branch_taken(self, test: cst.BaseExpression, context: _Context) -> bool | None:
        """How `test` comes out when the handled exception is a CancelledError; None if unknown.

        Understands `isinstance(exc, ...)` of the bound name, `not`, `and` and `or`.
        """
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            inner = self._branch_taken(test.expression, context)
            return None if inner is None else not inner
        if isinstance(test, cst.BooleanOperation):
            left = self._branch_taken(test.left, context)
            right = self._branch_taken(test.right, context)
            decisive = isinstance(test.operator, cst.Or)
            if decisive in (left, right):
                return decisive
            return (not decisive) if left is right is (not decisive) else None
        if not (isinstance(test, cst.Call) and len(test.args) == 2):
            return None
        function = self.names.names_of(test.func)
        subject, classes = test.args[0].value, test.args[1].value
        if "builtins.isinstance" not in function or not _names_caught(
            subject, context.reraise_names
        ):
            return None
        members = (
            [e.value for e in classes.elements] if isinstance(classes, cst.Tuple) else [classes]
        )
        verdicts = [self._is_instance_of(member) for member in members]
        if True in verdicts:
            return True
        return False if all(verdict is False for verdict in verdicts) else None

    def _is_instance_of(self, member: cst.BaseExpression) -> bool | None:
        if self.as_cancellation:
            return _may_be_cancellation_class(member, self.names)
        return self.names.is_instance_of(member)

    def _loop(self, node: cst.For | cst.While, context: _Context) -> ExitPaths:
        inner = self.block(node.body, dataclasses.replace(context, in_loop=True))
        result = ExitPaths(inner.kinds - {Exit.FALLTHROUGH}, inner.jumps)
        finishes_normally = not (isinstance(node, cst.While) and _is_infinite(node.test))
        # A body that runs at least once and never finishes an iteration (it raises or
        # returns on every path) never lets the loop end normally.
        once = _runs_at_least_once(node)
        if once and Exit.FALLTHROUGH not in inner.kinds and not _has_own(node.body, cst.Continue):
            finishes_normally = False
        if finishes_normally:
            if node.orelse is None:
                result.kinds.add(Exit.FALLTHROUGH)
            else:
                result.merge(self.block(node.orelse.body, context))
        if _has_own(node.body, cst.Break):
            result.kinds.add(Exit.FALLTHROUGH)
        return result

    def _try(self, node: cst.Try | cst.TryStar, context: _Context) -> ExitPaths:
        body = self.block(node.body, context)
        catches_ours = any(
            self.names.caught(handler).catches_cancellation for handler in node.handlers
        )
        result = ExitPaths(set(body.kinds), list(body.jumps))
        if catches_ours:
            result.kinds.discard(Exit.RERAISE)
        if Exit.FALLTHROUGH in body.kinds and node.orelse is not None:
            result.kinds.discard(Exit.FALLTHROUGH)
            result.merge(self.block(node.orelse.body, context))
        for handler in node.handlers:
            caught = self.names.caught(handler)
            bound = _bound_name(handler)
            handler_context = _Context(
                reraise_names=(
                    context.reraise_names | {bound}
                    if bound and caught.catches_cancellation
                    else context.reraise_names - {bound}
                ),
                bare_raise_reraises=caught.catches_cancellation,
                in_loop=context.in_loop,
                in_nested_handler=True,
            )
            result.merge(self.block(handler.body, handler_context))
        if node.finalbody is not None:
            final = self.block(node.finalbody.body, context)
            if Exit.FALLTHROUGH not in final.kinds:
                return final
            result.merge(ExitPaths(final.kinds - {Exit.FALLTHROUGH}, final.jumps))
        return result

    def _with(self, node: cst.With, context: _Context) -> ExitPaths:
        result = self.block(node.body, context)
        if any(self.names.suppressed(item.item) is not None for item in node.items):
            result.kinds.add(Exit.FALLTHROUGH)
        return result

    def _match(self, node: cst.Match, context: _Context) -> ExitPaths:
        result = ExitPaths()
        exhaustive = False
        for case in node.cases:
            result.merge(self.block(case.body, context))
            pattern = case.pattern
            if case.guard is None and isinstance(pattern, cst.MatchAs) and pattern.pattern is None:
                exhaustive = True
        if not exhaustive:
            result.kinds.add(Exit.FALLTHROUGH)
        return result


def _has_own(body: cst.BaseSuite, jump: type[cst.Break | cst.Continue]) -> bool:
    """Whether a `break` (or `continue`) in `body` acts on this loop (not a nested one)."""
    stack: list[cst.CSTNode] = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, jump):
            return True
        if isinstance(node, cst.FunctionDef | cst.ClassDef | cst.Lambda):
            continue
        if isinstance(node, cst.For | cst.While):
            # A nested loop's own jumps act on it; only its `else` can jump in ours.
            stack.extend([node.orelse] if node.orelse else [])
            continue
        stack.extend(children(node))
    return False


def loop_runs_forever(node: cst.For | cst.While) -> bool:
    """`while True:` (or `while 1:`) with no `break` of its own: it ends only by an exception
    or a `return`."""
    return (
        isinstance(node, cst.While)
        and _is_infinite(node.test)
        and not _has_own(node.body, cst.Break)
    )


def _runs_at_least_once(node: cst.For | cst.While) -> bool:
    """A `for` over a non-empty literal collection or `range(N)` with a literal N > 0 (as
    flake8-async judges it); an infinite `while`."""
    if isinstance(node, cst.While):
        return _is_infinite(node.test)
    iterable = node.iter
    if isinstance(iterable, cst.List | cst.Tuple | cst.Set):
        return bool(iterable.elements) and not any(
            isinstance(element, cst.StarredElement) for element in iterable.elements
        )
    if isinstance(iterable, cst.SimpleString | cst.ConcatenatedString):
        return bool(iterable.evaluated_value)
    if not (isinstance(iterable, cst.Call) and isinstance(iterable.func, cst.Name)):
        return False
    if iterable.func.value != "range" or any(arg.keyword or arg.star for arg in iterable.args):
        return False
    bounds = [_literal_int(arg.value) for arg in iterable.args]
    if None in bounds or not 1 <= len(bounds) <= 2:
        return False
    start, stop = (0, bounds[0]) if len(bounds) == 1 else (bounds[0], bounds[1])
    assert start is not None and stop is not None
    return stop > start


def _literal_int(expr: cst.BaseExpression) -> int | None:
    if isinstance(expr, cst.Integer):
        return int(expr.evaluated_value)
    if (
        isinstance(expr, cst.UnaryOperation)
        and isinstance(expr.operator, cst.Minus)
        and isinstance(expr.expression, cst.Integer)
    ):
        return -int(expr.expression.evaluated_value)
    return None


def _may_be_cancellation_class(expr: cst.BaseExpression, names: ExceptionNames) -> bool | None:
    """Whether a CancelledError is an instance of class `expr`, for an `isinstance` test.

    A class the module does not know is taken for what it is almost always: an error class
    of the project or a library (`ProtocolError`), which a CancelledError is not. Only a name
    that speaks of cancellation, or an expression that is no plain name, stays unknown.
    """
    known = names.is_instance_of(expr)
    if known is not None:
        return known
    dotted = get_full_name_for_node(expr)
    if dotted is None or "cancel" in dotted.lower():
        return None
    return False
