"""A SOQL subset: SELECT fields (parent fields too) FROM obj [WHERE ...] [ORDER BY ...] [LIMIT n] [OFFSET n].

Conditions (AND/OR/NOT, parentheses, = != < <= > >= IN NOT IN LIKE, null/true/false, strings, numbers,
date and datetime literals) are also how the org's rules are written, so one evaluator serves both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .timeutil import parse_date_literal, parse_datetime_literal


class SoqlError(ValueError):
    """Raised for a malformed query (the org answers 400 MALFORMED_QUERY)."""


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<dt>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2}))
    | (?P<date>\d{4}-\d{2}-\d{2})
    | (?P<num>-?\d+(?:\.\d+)?)
    | (?P<str>'(?:[^'\\]|\\.)*')
    | (?P<op>!=|<=|>=|<>|=|<|>|\(|\)|,)
    | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)
KEYWORDS = {
    "select",
    "from",
    "where",
    "and",
    "or",
    "not",
    "in",
    "like",
    "order",
    "by",
    "asc",
    "desc",
    "nulls",
    "first",
    "last",
    "limit",
    "offset",
    "null",
    "true",
    "false",
    "count",
}


@dataclass
class Token:
    kind: str
    value: object
    text: str


def tokenize(text: str) -> list[Token]:
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise SoqlError(f"unexpected token at: '{text[pos : pos + 20]}'")
        pos = match.end()
        kind = match.lastgroup
        raw = match.group(kind)
        if kind == "dt":
            tokens.append(Token("value", parse_datetime_literal(raw), raw))
        elif kind == "date":
            tokens.append(Token("value", parse_date_literal(raw), raw))
        elif kind == "num":
            tokens.append(Token("value", float(raw) if "." in raw else int(raw), raw))
        elif kind == "str":
            tokens.append(Token("value", re.sub(r"\\(.)", r"\1", raw[1:-1]), raw))
        elif kind == "op":
            tokens.append(Token("op", "!=" if raw == "<>" else raw, raw))
        elif raw.lower() in KEYWORDS:
            lowered = raw.lower()
            literal = {"null": None, "true": True, "false": False}
            if lowered in literal:
                tokens.append(Token("value", literal[lowered], raw))
            else:
                tokens.append(Token("kw", lowered, raw))
        else:
            tokens.append(Token("name", raw, raw))
    return tokens


@dataclass
class Comparison:
    field: str
    op: str
    value: object


@dataclass
class BoolOp:
    op: str  # and / or / not
    items: list


@dataclass
class Query:
    fields: list[str]
    sobject: str
    where: object = None
    order_by: list[tuple[str, bool, bool | None]] = field(default_factory=list)  # field, descending, nulls_last
    limit: int | None = None
    offset: int = 0
    count: bool = False


class _Parser:
    def __init__(self, tokens: list[Token]):
        self.tokens = tokens
        self.pos = 0

    def peek(self, kind=None, value=None) -> Token | None:
        if self.pos >= len(self.tokens):
            return None
        token = self.tokens[self.pos]
        if kind and token.kind != kind:
            return None
        if value is not None and token.value != value:
            return None
        return token

    def take(self, kind=None, value=None) -> Token:
        token = self.peek(kind, value)
        if token is None:
            found = self.tokens[self.pos].text if self.pos < len(self.tokens) else "end of query"
            raise SoqlError(f"unexpected token: '{found}'" + (f", expected {value or kind}" if value or kind else ""))
        self.pos += 1
        return token

    def query(self) -> Query:
        self.take("kw", "select")
        fields, count = self.field_list()
        self.take("kw", "from")
        query = Query(fields=fields, sobject=self.object_name(), count=count)
        if self.peek("kw", "where"):
            self.take()
            query.where = self.expression()
        if self.peek("kw", "order"):
            self.take()
            self.take("kw", "by")
            query.order_by = self.order_list()
        if self.peek("kw", "limit"):
            self.take()
            query.limit = int(self.take("value").value)
        if self.peek("kw", "offset"):
            self.take()
            query.offset = int(self.take("value").value)
        if self.peek():
            raise SoqlError(f"unexpected token: '{self.peek().text}'")
        return query

    def object_name(self) -> str:
        """FROM Order: an object may share its name with a keyword."""
        token = self.peek()
        if token is not None and token.kind == "kw" and token.text.isidentifier():
            self.pos += 1
            return token.text
        return self.take("name").value

    def field_list(self) -> tuple[list[str], bool]:
        if self.peek("kw", "count"):
            self.take()
            self.take("op", "(")
            self.take("op", ")")
            return [], True
        fields = [self.take("name").value]
        while self.peek("op", ","):
            self.take()
            fields.append(self.take("name").value)
        return fields, False

    def order_list(self):
        items = []
        while True:
            name = self.take("name").value
            descending = False
            if self.peek("kw", "asc") or self.peek("kw", "desc"):
                descending = self.take().value == "desc"
            nulls_last = None
            if self.peek("kw", "nulls"):
                self.take()
                nulls_last = self.take("kw").value == "last"
            items.append((name, descending, nulls_last))
            if not self.peek("op", ","):
                return items
            self.take()

    def expression(self):
        items = [self.conjunction()]
        while self.peek("kw", "or"):
            self.take()
            items.append(self.conjunction())
        return items[0] if len(items) == 1 else BoolOp("or", items)

    def conjunction(self):
        items = [self.negation()]
        while self.peek("kw", "and"):
            self.take()
            items.append(self.negation())
        return items[0] if len(items) == 1 else BoolOp("and", items)

    def negation(self):
        if self.peek("kw", "not"):
            self.take()
            return BoolOp("not", [self.negation()])
        if self.peek("op", "("):
            self.take()
            inner = self.expression()
            self.take("op", ")")
            return inner
        return self.comparison()

    def comparison(self) -> Comparison:
        name = self.take("name").value
        if self.peek("kw", "not"):
            self.take()
            self.take("kw", "in")
            return Comparison(name, "not in", self.value_list())
        if self.peek("kw", "in"):
            self.take()
            return Comparison(name, "in", self.value_list())
        if self.peek("kw", "like"):
            self.take()
            return Comparison(name, "like", self.take("value").value)
        op = self.take("op").value
        if op not in ("=", "!=", "<", "<=", ">", ">="):
            raise SoqlError(f"unexpected token: '{op}'")
        return Comparison(name, op, self.take("value").value)

    def value_list(self) -> list:
        self.take("op", "(")
        values = [self.take("value").value]
        while self.peek("op", ","):
            self.take()
            values.append(self.take("value").value)
        self.take("op", ")")
        return values


def parse_query(text: str) -> Query:
    return _Parser(tokenize(text)).query()


def parse_condition(text: str):
    parser = _Parser(tokenize(text))
    expression = parser.expression()
    if parser.peek():
        raise SoqlError(f"unexpected token: '{parser.peek().text}'")
    return expression


def condition_fields(node) -> set[str]:
    if node is None:
        return set()
    if isinstance(node, Comparison):
        return {node.field}
    return set().union(*(condition_fields(item) for item in node.items))


def _compare(left, op: str, right) -> bool:
    if op == "=":
        return left == right
    if op == "!=":
        return left != right
    if op == "in":
        return left in right
    if op == "not in":
        return left not in right
    if op == "like":
        if left is None:
            return False
        pattern = "^" + re.escape(str(right)).replace("%", ".*").replace("_", ".") + "$"
        return re.match(pattern, str(left), re.IGNORECASE | re.DOTALL) is not None
    if left is None or right is None:
        return False
    try:
        return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]
    except TypeError:
        return False


def evaluate(node, getter) -> bool:
    """Evaluate a parsed condition; `getter(field_name)` returns a record's (comparable) value."""
    if node is None:
        return True
    if isinstance(node, Comparison):
        return _compare(getter(node.field), node.op, node.value)
    if node.op == "and":
        return all(evaluate(item, getter) for item in node.items)
    if node.op == "or":
        return any(evaluate(item, getter) for item in node.items)
    return not evaluate(node.items[0], getter)
