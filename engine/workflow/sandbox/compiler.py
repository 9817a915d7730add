"""Compile-time refusal: RestrictedPython's policy, tightened for BPMN scripts, with a cache."""

from __future__ import annotations

import ast
import functools
import textwrap
from types import CodeType
from typing import NamedTuple

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.transformer import IOPERATOR_TO_STR, RestrictingNodeTransformer, copy_locations

from engine.workflow.sandbox.errors import SCRIPT_FILENAME, TIME_CHECK_NAME, ScriptNotAllowed, ScriptTooLarge
from engine.workflow.sandbox.sizes import BINARY_OPERATORS, FORMAT_GUARD_NAME, GUARD_NAMES

# The operators that can build a huge value in one C call (engine.workflow.sandbox.sizes).
GUARDED_OPERATORS: dict[type, str] = {ast.Add: "+", ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<", ast.Mod: "%"}
_CONVERSIONS = {-1: "", ord("r"): "r", ord("s"): "s", ord("a"): "a"}


class ScriptPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy, tightened and extended for BPMN scripts.

    RestrictedPython alone still accepts ``import`` (it relies on a guarded ``__import__`` at run
    time) and ``class``; we refuse both at compile time so deploy-time validation reports them.
    """

    def visit_Import(self, node: ast.Import) -> ast.AST:
        self.error(node, "import statements are not allowed")
        return node

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST:
        self.error(node, "import statements are not allowed")
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        # Class bodies need __build_class__/__metaclass__ and are never needed in a script.
        self.error(node, "class definitions are not allowed")
        return node

    def visit_While(self, node: ast.While) -> ast.AST:
        # CPython 3.11 emits no trace event at all for a loop that compiles to a single jump onto
        # itself (``while True: pass``, ``while 1: ...``), so the trace function never sees it.
        # An explicit time check at the top of every while body closes that gap.
        node = super().visit_While(node)
        node.body.insert(0, self._time_check(node.body[0]))
        return node

    def visit_For(self, node: ast.For) -> ast.AST:
        # Every loop checks the time itself, not only through the trace function: a script can
        # make CPython drop the trace function (a RecursionError raised inside it), and the
        # explicit checks put it back (TimeLimit.check).
        node = super().visit_For(node)
        node.body.insert(0, self._time_check(node.body[0]))
        return node

    def visit_comprehension(self, node: ast.comprehension) -> ast.AST:
        # The check returns True, so as an extra condition it keeps every item.
        node = super().visit_comprehension(node)
        node.ifs.append(self._time_check(node.iter).value)
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        # Recursion without loops (``f(n-1) + f(n-1)``) is checked at every call.
        node = super().visit_FunctionDef(node)
        node.body.insert(0, self._time_check(node.body[0]))
        return node

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        node = super().visit_Lambda(node)
        node.body = ast.BoolOp(ast.And(), [self._time_check(node.body).value, node.body])
        ast.copy_location(node.body, node.body.values[1])
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = super().visit_BinOp(node)
        symbol = GUARDED_OPERATORS.get(type(node.op))
        if symbol is None:
            return node
        try:
            _constant_value(node)
        except ScriptTooLarge as error:
            # Both operands are written in the script: refuse it now (at deploy), not when it runs;
            # once, at the innermost operation that is too large.
            if not any(_too_large(operand) for operand in (node.left, node.right)):
                self.error(node, str(error))
        except (_NotConstant, ArithmeticError, TypeError, ValueError):
            pass  # not constant, or a failure (1 % 0) left to happen at run time, as in Python
        call = ast.Call(func=ast.Name(GUARD_NAMES[symbol], ast.Load()), args=[node.left, node.right], keywords=[])
        copy_locations(call, node)
        return ast.fix_missing_locations(call)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        # f"{value:>{width}}": the format specification sets the result's length; check it first.
        node = super().visit_FormattedValue(node)
        if node.format_spec is None:
            return node
        call = ast.Call(
            func=ast.Name(FORMAT_GUARD_NAME, ast.Load()),
            args=[node.value, ast.Constant(_CONVERSIONS.get(node.conversion, "")), node.format_spec],
            keywords=[],
        )
        copy_locations(call, node)
        node.value, node.conversion, node.format_spec = ast.fix_missing_locations(call), -1, None
        return node

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> ast.AST:
        # The time limit stops a script by raising ScriptTimeout from the trace function, and
        # CPython switches tracing off when a trace function raises. A script that catches the
        # exception (``except Exception:``, bare ``except:``) would then run on unwatched. So
        # every handler starts by re-raising if the time limit has already expired.
        node = super().visit_ExceptHandler(node)
        node.body.insert(0, self._time_check(node))
        return node

    def visit_Try(self, node: ast.Try) -> ast.AST:
        # Same reason: ``finally: continue`` / ``finally: return`` would swallow ScriptTimeout.
        node = super().visit_Try(node)
        if node.finalbody:
            node.finalbody.insert(0, self._time_check(node.finalbody[0]))
        return node

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        # RestrictedPython refuses ``data['count'] += 1``; scripts over task data use it often.
        # Rewrite it to ``_augitem_(data, 'count', '+=', 1)``, which reads and writes through the
        # same guards as ``data['count'] = data['count'] + 1``. Slices keep being refused.
        target = node.target
        if isinstance(target, ast.Subscript) and not any(isinstance(n, ast.Slice) for n in ast.walk(target.slice)):
            call = ast.Call(
                func=ast.Name("_augitem_", ast.Load()),
                args=[
                    self.visit(target.value),
                    self.visit(target.slice),
                    ast.Constant(IOPERATOR_TO_STR[type(node.op)]),
                    self.visit(node.value),
                ],
                keywords=[],
            )
            statement = ast.Expr(call)
            copy_locations(statement, node)
            return ast.fix_missing_locations(statement)
        return super().visit_AugAssign(node)

    @staticmethod
    def _time_check(location: ast.AST) -> ast.Expr:
        statement = ast.Expr(ast.Call(func=ast.Name(TIME_CHECK_NAME, ast.Load()), args=[], keywords=[]))
        copy_locations(statement, location)
        return ast.fix_missing_locations(statement)


class _NotConstant(Exception):
    pass


def _constant_value(node: ast.AST):
    """The value of an expression written only with constants (``10 ** (3 * 10**6)``), computed
    through the size guards; raises _NotConstant for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str, bytes)):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple)) and len(node.elts) <= 16:  # [0] * 10**9
        values = [_constant_value(element) for element in node.elts]
        return values if isinstance(node, ast.List) else tuple(values)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _constant_value(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and len(node.args) == 2:
        # A BinOp already rewritten into its guard by ScriptPolicy.visit_BinOp.
        symbol = next((s for s, name in GUARD_NAMES.items() if name == node.func.id), None)
        if symbol is not None:
            return BINARY_OPERATORS[symbol](_constant_value(node.args[0]), _constant_value(node.args[1]))
    if isinstance(node, ast.BinOp) and type(node.op) in GUARDED_OPERATORS:
        symbol = GUARDED_OPERATORS[type(node.op)]
        return BINARY_OPERATORS[symbol](_constant_value(node.left), _constant_value(node.right))
    raise _NotConstant


def _too_large(node: ast.AST) -> bool:
    try:
        _constant_value(node)
    except ScriptTooLarge:
        return True
    except (_NotConstant, ArithmeticError, TypeError, ValueError):
        pass
    return False


class Compiled(NamedTuple):
    code: CodeType | None
    errors: tuple[str, ...]  # plain-words messages, each "line N: ..."
    is_syntax_error: bool
    first_error_line: int | None
    text: str  # the normalised source the line numbers refer to


_TOO_DEEP = "the code is nested too deeply"


def normalise(source: str | None, mode: str) -> str:
    # BPMN editors and hand-written XML often indent the element text. Plain eval/exec refuse
    # an indented first line; stripping/dedenting only turns such errors into successes.
    source = source or ""
    return source.strip() if mode == "eval" else textwrap.dedent(source)


def _plain_restricted_error(message: str) -> tuple[int | None, str]:
    """RestrictedPython reports 'Line 3: "_x" is an invalid ...'; split off the line number."""
    line_number = None
    if message.startswith("Line "):
        head, _, rest = message.partition(": ")
        try:
            line_number = int(head[len("Line ") :])
        except ValueError:
            pass
        else:
            message = rest
    return line_number, message.rstrip(".")


@functools.lru_cache(maxsize=4096)
def compile_script(source: str | None, mode: str) -> Compiled:
    """Compile (and cache, by exact source text) one script or expression.

    The same few hundred scripts and conditions run for thousands of cases; RestrictedPython's
    AST pass costs far more than running a typical script, so caching matters. Refusals are cached
    too, so a broken condition does not get re-analysed for every case.
    """
    if mode not in ("exec", "eval"):
        raise ValueError(f"mode must be 'exec' or 'eval', not {mode!r}")
    text = normalise(source, mode)
    # Parse ourselves first: RestrictedPython folds syntax errors into a string, we want the parts.
    try:
        tree = ast.parse(text, SCRIPT_FILENAME, mode)
    except SyntaxError as err:
        return Compiled(None, (f"line {err.lineno}: {err.msg}",), True, err.lineno, text)
    except ValueError as err:  # e.g. a NUL byte in the source
        return Compiled(None, (str(err),), True, None, text)
    except (RecursionError, MemoryError):  # the parser's own stack limit
        return Compiled(None, (_TOO_DEEP,), True, None, text)

    # compile_restricted_exec/eval are the same compiler as compile_restricted but return the
    # errors as a list instead of raising SyntaxError(<tuple repr>).
    compile_fn = compile_restricted_exec if mode == "exec" else compile_restricted_eval
    try:
        result = compile_fn(tree, filename=SCRIPT_FILENAME, policy=ScriptPolicy)
    except (RecursionError, MemoryError):  # RestrictedPython's AST walk and compile() recurse
        return Compiled(None, (_TOO_DEEP,), True, None, text)
    if result.errors:
        parsed = [_plain_restricted_error(e) for e in result.errors]
        errors = tuple(f"line {n}: {m}" if n is not None else m for n, m in parsed)
        first_line = next((n for n, _ in parsed if n is not None), None)
        return Compiled(None, errors, False, first_line, text)
    return Compiled(result.code, (), False, None, text)


def compiled_or_raise(source: str | None, mode: str) -> Compiled:
    compiled = compile_script(source, mode)
    if compiled.code is None:
        if compiled.is_syntax_error:
            error = SyntaxError("; ".join(compiled.errors))
            error.lineno = compiled.first_error_line
            raise error
        raise ScriptNotAllowed("; ".join(compiled.errors), line_number=compiled.first_error_line)
    return compiled


def check_script_syntax(source: str, mode: str) -> str | None:
    """Deploy-time check: would this script ('exec') or expression ('eval') be accepted at run time?

    Returns None when it compiles under the sandbox's rules, else a message in plain words with the
    line number, e.g. "Not allowed: line 1: import statements are not allowed".
    """
    compiled = compile_script(source, mode)
    if compiled.code is not None:
        return None
    prefix = "Syntax error" if compiled.is_syntax_error else "Not allowed"
    return f"{prefix}: {'; '.join(compiled.errors)}"
