"""A SOQL subset: SELECT fields (parent fields too, child subqueries) FROM obj [WHERE ...] [ORDER BY ...] [LIMIT n]
[OFFSET n], and SOSL's FIND {term} [IN ... FIELDS] [RETURNING obj(fields ...), ...] [LIMIT n].

Conditions (AND/OR/NOT, parentheses, = != < <= > >= IN NOT IN LIKE, null/true/false, strings, numbers,
date and datetime literals, relative date literals such as TODAY and LAST_N_DAYS:n) are also how the org's rules
are written, so one evaluator serves both. As in Salesforce, text compares without regard to case.
"""

from __future__ import annotations

import datetime
import functools
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
    | (?P<nrel>(?:LAST|NEXT)_N_(?:DAYS|WEEKS|MONTHS|YEARS)\s*:\s*[^\s,)]*)
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


DATE_LITERALS = {
    "TODAY",
    "YESTERDAY",
    "TOMORROW",
    "LAST_WEEK",
    "THIS_WEEK",
    "NEXT_WEEK",
    "LAST_MONTH",
    "THIS_MONTH",
    "NEXT_MONTH",
    "LAST_90_DAYS",
    "NEXT_90_DAYS",
    "LAST_YEAR",
    "THIS_YEAR",
    "NEXT_YEAR",
}


@dataclass(frozen=True)
class DateRange:
    """A relative date literal: the days it covers, worked out (in UTC, weeks from Sunday) when it is compared."""

    name: str
    n: int = 0

    def bounds(self) -> tuple[datetime.date, datetime.date]:
        """[first day, day after the last), for today in UTC: worked out once a day, not once a row."""
        return _bounds(self.name, self.n, datetime.datetime.now(datetime.UTC).date())


@functools.lru_cache(maxsize=256)
def _bounds(name: str, n: int, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    day = datetime.timedelta(days=1)
    week_start = today - datetime.timedelta(days=(today.weekday() + 1) % 7)
    month_start = today.replace(day=1)
    year_start = today.replace(month=1, day=1)
    fixed = {
        "TODAY": (today, today + day),
        "YESTERDAY": (today - day, today),
        "TOMORROW": (today + day, today + 2 * day),
        "LAST_WEEK": (week_start - 7 * day, week_start),
        "THIS_WEEK": (week_start, week_start + 7 * day),
        "NEXT_WEEK": (week_start + 7 * day, week_start + 14 * day),
        "LAST_MONTH": (_add_months(month_start, -1), month_start),
        "THIS_MONTH": (month_start, _add_months(month_start, 1)),
        "NEXT_MONTH": (_add_months(month_start, 1), _add_months(month_start, 2)),
        "LAST_90_DAYS": (today - 90 * day, today + day),
        "NEXT_90_DAYS": (today + day, today + 91 * day),
        "LAST_YEAR": (year_start.replace(year=today.year - 1), year_start),
        "THIS_YEAR": (year_start, year_start.replace(year=today.year + 1)),
        "NEXT_YEAR": (year_start.replace(year=today.year + 1), year_start.replace(year=today.year + 2)),
        # LAST_N_DAYS:n runs from n days ago through today; NEXT_N_DAYS:n from tomorrow for n days
        "LAST_N_DAYS": (today - n * day, today + day),
        "NEXT_N_DAYS": (today + day, today + (n + 1) * day),
        # the N_WEEKS / MONTHS / YEARS forms leave out the current one
        "LAST_N_WEEKS": (week_start - 7 * n * day, week_start),
        "NEXT_N_WEEKS": (week_start + 7 * day, week_start + 7 * (n + 1) * day),
        "LAST_N_MONTHS": (_add_months(month_start, -n), month_start),
        "NEXT_N_MONTHS": (_add_months(month_start, 1), _add_months(month_start, n + 1)),
        "LAST_N_YEARS": (year_start.replace(year=today.year - n), year_start),
        "NEXT_N_YEARS": (year_start.replace(year=today.year + 1), year_start.replace(year=today.year + n + 1)),
    }
    return fixed[name]


def _add_months(first_of_month: datetime.date, months: int) -> datetime.date:
    index = first_of_month.year * 12 + first_of_month.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


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
        elif kind == "nrel":
            name, _, number = raw.partition(":")
            if not number.strip().isdigit():
                raise SoqlError(f"{name.strip()} needs a whole number after the colon, not '{number.strip()}'")
            tokens.append(Token("value", DateRange(name.strip().upper(), int(number)), raw))
        elif kind == "op":
            tokens.append(Token("op", "!=" if raw == "<>" else raw, raw))
        elif raw.upper() in DATE_LITERALS:
            tokens.append(Token("value", DateRange(raw.upper()), raw))
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
    children: list[Query] = field(default_factory=list)  # (SELECT ... FROM ChildRelationship) in the field list
    relationship: str = ""  # a child query: the parent's relationship name (FROM Contacts) ...
    link: str = ""  # ... and the child's lookup to the parent (AccountId)


class LikePattern:
    """A LIKE pattern (% any run, _ one character, backslash escapes), matched without backtracking.

    The pattern splits at each % into fixed-length pieces: the first must start the value, the last must end
    it, and each one between is found leftmost after the one before. That is linear in the value for each piece,
    where a regex of .* runs can take exponential time.
    """

    ANY = object()

    def __init__(self, literal: str):
        self.text = literal
        pieces, piece, escaped = [], [], False
        for char in literal:
            if escaped:
                piece.append(char.casefold())
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == "%":
                pieces.append(piece)
                piece = []
            else:
                piece.append(self.ANY if char == "_" else char.casefold())
        pieces.append(piece)
        self.pieces = pieces

    def __repr__(self) -> str:
        return f"LikePattern({self.text!r})"

    def _at(self, piece: list, value: str, start: int) -> bool:
        return all(want is self.ANY or value[start + i] == want for i, want in enumerate(piece))

    def matches(self, value: str) -> bool:
        value = value.casefold()
        if len(self.pieces) == 1:
            return len(value) == len(self.pieces[0]) and self._at(self.pieces[0], value, 0)
        first, *middle, last = self.pieces
        end = len(value) - len(last)
        if end < len(first) or not self._at(first, value, 0) or not self._at(last, value, end):
            return False
        position = len(first)
        for piece in middle:
            starts = range(position, end - len(piece) + 1)
            found = next((i for i in starts if self._at(piece, value, i)), None)
            if found is None:
                return False
            position = found + len(piece)
        return True


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

    def query(self, nested: bool = False) -> Query:
        self.take("kw", "select")
        fields, count, children = self.field_list(nested)
        self.take("kw", "from")
        query = Query(fields=fields, sobject=self.object_name(), count=count, children=children)
        self.clauses(query)
        if self.peek("kw", "offset"):
            self.take()
            query.offset = int(self.take("value").value)
        if self.peek() and not (nested and self.peek("op", ")")):
            raise SoqlError(f"unexpected token: '{self.peek().text}'")
        return query

    def object_name(self) -> str:
        """FROM Order: an object may share its name with a keyword."""
        token = self.peek()
        if token is not None and token.kind == "kw" and token.text.isidentifier():
            self.pos += 1
            return token.text
        return self.take("name").value

    def field_list(self, nested: bool = False) -> tuple[list[str], bool, list[Query]]:
        if self.peek("kw", "count"):
            self.take()
            self.take("op", "(")
            self.take("op", ")")
            return [], True, []
        fields, children = [], []
        while True:
            if self.peek("op", "(") and not nested:
                self.take()
                children.append(self.query(nested=True))
                self.take("op", ")")
            else:
                fields.append(self.take("name").value)
            if not self.peek("op", ","):
                return fields, False, children
            self.take()

    def returning_object(self) -> Query:
        """RETURNING Account or Account(Id, Name [WHERE ...] [ORDER BY ...] [LIMIT n])."""
        query = Query(fields=["Id"], sobject=self.object_name())
        if self.peek("op", "("):
            self.take()
            query.fields = [self.take("name").value]
            while self.peek("op", ","):
                self.take()
                query.fields.append(self.take("name").value)
            self.clauses(query)
            self.take("op", ")")
        return query

    def clauses(self, query: Query) -> None:
        """[WHERE ...] [ORDER BY ...] [LIMIT n], as SOQL and SOSL's RETURNING both take them."""
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
            pattern = self.take("value")
            if not isinstance(pattern.value, str):
                raise SoqlError(f"LIKE needs a text pattern, not '{pattern.text}'")
            return Comparison(name, "like", LikePattern(pattern.text[1:-1]))
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


def comparisons(node):
    """Every comparison in a parsed condition."""
    if isinstance(node, Comparison):
        yield node
    elif node is not None:
        for item in node.items:
            yield from comparisons(item)


SEARCH_SCOPES = {"ALL", "NAME", "EMAIL", "PHONE"}
_FIND = re.compile(
    r"^\s*FIND\s+(?:\{(?P<braces>(?:[^}\\]|\\.)*)\}|'(?P<quoted>(?:[^'\\]|\\.)*)')(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)


@dataclass
class Search:
    """A SOSL search: every word must match a whole word of the searched fields (* any run, ? one character)."""

    words: list[LikePattern]
    scope: str = "ALL"
    returning: list[Query] = field(default_factory=list)
    limit: int | None = None

    def matches(self, text: str) -> bool:
        tokens = re.findall(r"\w+", text)
        return all(any(word.matches(token) for token in tokens) for word in self.words)


def parse_search(text: str) -> Search:
    found = _FIND.match(text or "")
    if not found:
        raise SoqlError("a search starts with FIND {term}")
    term = found["braces"] if found["braces"] is not None else found["quoted"]
    words = [w for w in re.findall(r"[\w*?]+", term) if w.upper() not in ("AND", "OR", "NOT")]
    if not words or any(len(w.strip("*?")) < 2 for w in words):
        raise SoqlError(f"search term must be longer than one character: {term!r}")
    escaped = [w.replace("%", "\\%").replace("_", "\\_").replace("*", "%").replace("?", "_") for w in words]
    search = Search(words=[LikePattern(w) for w in escaped])
    parser = _Parser(tokenize(found["rest"]))
    if parser.peek("kw", "in"):
        parser.take()
        search.scope = str(parser.take("name").value).upper()
        if search.scope not in SEARCH_SCOPES or str(parser.take("name").value).upper() != "FIELDS":
            raise SoqlError(f"IN takes ALL, NAME, EMAIL or PHONE FIELDS, not {search.scope}")
    if parser.peek("name") and str(parser.peek().value).upper() == "RETURNING":
        parser.take()
        while True:
            search.returning.append(parser.returning_object())
            if not parser.peek("op", ","):
                break
            parser.take()
    if parser.peek("kw", "limit"):
        parser.take()
        search.limit = int(parser.take("value").value)
    if parser.peek():
        raise SoqlError(f"unexpected token: '{parser.peek().text}'")
    return search


def _fold(value):
    return value.casefold() if isinstance(value, str) else value


def _in_range(left, op: str, days: DateRange) -> bool:
    if left is None:
        return op == "!="
    if isinstance(left, str):
        try:
            day = datetime.date.fromisoformat(left[:10])
        except ValueError:
            return False
    elif isinstance(left, int | float) and not isinstance(left, bool):
        day = datetime.datetime.fromtimestamp(left / 1000, tz=datetime.UTC).date()  # a datetime, in milliseconds
    else:
        return False
    start, end = days.bounds()
    return {
        "=": start <= day < end,
        "!=": not start <= day < end,
        "<": day < start,
        "<=": day < end,
        ">": day >= end,
        ">=": day >= start,
    }.get(op, False)


def _compare(left, op: str, right) -> bool:
    if isinstance(right, DateRange):
        return _in_range(left, op, right)
    if op == "like":
        return left is not None and right.matches(str(left))
    left = _fold(left)
    right = [_fold(v) for v in right] if op in ("in", "not in") else _fold(right)
    if op == "=":
        return left == right
    if op == "!=":
        return left != right
    if op == "in":
        return left in right
    if op == "not in":
        return left not in right
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
