"""Input a route does not expect is refused with a clear 4xx before any query runs (issue 21).

:func:`check_request` is an app-level dependency (``FastAPI(dependencies=...)``): it runs before every route's own
dependencies (the signed-in user, the request's transaction) and looks at what the route declares:

- an integer path parameter outside PostgreSQL's ``integer`` (the type of every id and case number, 32 bits) is
  a 404 "no such …": no row can have it, and PostgreSQL would refuse the query;
- an integer query parameter outside that range is a 422 naming the parameter;
- a path or query value, a JSON body string (or key) or a form field holding a NUL character or a lone UTF-16
  surrogate (``"\\ud800"`` in JSON) is a 400 naming where: PostgreSQL cannot store either.

A body that is not JSON, or too deeply nested to parse, is already a 400 from FastAPI; a body too large is a 413
from :mod:`compris.web.body_limit`; webhooks check their own body (:mod:`compris.web.webhooks`).
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import HTTPException
from fastapi.routing import APIRoute

from compris.kit.errors import Invalid, NotFound

#: PostgreSQL's ``integer``: every id and case number
INT_MIN = -(2**31)
INT_MAX = 2**31 - 1
#: JSON nested deeper than this is refused (no request of ours goes past a few levels)
MAX_JSON_DEPTH = 64


class BadInput(HTTPException):
    """A 400 with a message that says what is wrong and where."""

    def __init__(self, message: str) -> None:
        super().__init__(400, message)


@dataclass(frozen=True)
class _Shape:
    int_path: tuple[str, ...]
    int_query: tuple[str, ...]
    has_body: bool


_SHAPE_ATTRIBUTE = "_compris_input_shape"  # kept on the route itself (an id() could be reused once it is gone)


def _is_int(annotation: Any) -> bool:
    """``int``, ``int | None``, ``list[int]``, ``Annotated[int, ...]``… (never ``bool``)."""
    if annotation is int:
        return True
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _is_int(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, list, tuple, set, frozenset):
        return any(_is_int(a) for a in typing.get_args(annotation) if a is not type(None) and a is not Ellipsis)
    return False


def _dependants(root: Dependant) -> Iterator[Dependant]:
    stack, seen = [root], set()
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        stack.extend(current.dependencies)


def _shape(route: APIRoute) -> _Shape:
    shape: _Shape | None = getattr(route, _SHAPE_ATTRIBUTE, None)
    if shape is None:
        int_path: list[str] = []
        int_query: list[str] = []
        has_body = False
        for dep in _dependants(route.dependant):
            int_path += [f.alias for f in dep.path_params if _is_int(f.field_info.annotation)]
            int_query += [f.alias for f in dep.query_params if _is_int(f.field_info.annotation)]
            has_body = has_body or bool(dep.body_params)
        shape = _Shape(tuple(int_path), tuple(int_query), has_body)
        setattr(route, _SHAPE_ATTRIBUTE, shape)
    return shape


def bad_text(value: str) -> str | None:
    """Why PostgreSQL cannot store this text, or None."""
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a lone surrogate (not valid Unicode)"
    return None


def _as_int(value: str) -> int | None:
    text = value.strip()
    if not text or len(text) > 4300 or not text.lstrip("+-").isascii() or not text.lstrip("+-").isdigit():
        return None
    try:
        return int(text)
    except ValueError:
        return None


def _thing(name: str) -> str:
    """``case_id`` → ``case``, ``number`` → ``case`` (case numbers), ``id`` → ``item``."""
    if name == "number":
        return "case"
    base = name.removesuffix("_id").removesuffix("_number").replace("_", " ")
    return base if base and base != "id" else "item"


def _strings(value: Any, where: str, depth: int = 0) -> Iterable[tuple[str, str]]:
    """Every string in a parsed JSON document (keys too), with where it is."""
    if depth > MAX_JSON_DEPTH:
        raise BadInput(f"the JSON body is nested too deeply (more than {MAX_JSON_DEPTH} levels)")
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            inner = f"{where}.{key}" if where else str(key)
            yield inner, str(key)
            yield from _strings(item, inner, depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{where}[{i}]", depth + 1)


def _where(name: str) -> str:
    # the field's name as the message shows it: bad characters in it are shown escaped
    return name.encode("unicode_escape", "backslashreplace").decode("ascii")[:100]


async def check_request(request: Request) -> None:
    """The app-level dependency (see the module's documentation)."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    shape = _shape(route)
    for name, value in request.path_params.items():
        if isinstance(value, int):  # a ``{name:int}`` converter: already a number
            number: int | None = value
        elif isinstance(value, str):
            if (problem := bad_text(value)) is not None:
                raise BadInput(f"the address {problem}")
            number = _as_int(value) if name in shape.int_path else None
        else:
            continue
        if number is not None and not INT_MIN <= number <= INT_MAX:
            raise NotFound(f"no such {_thing(name)}")
    for name, value in request.query_params.multi_items():
        if (problem := bad_text(name) or bad_text(value)) is not None:
            raise BadInput(f"query parameter {_where(name)} {problem}")
        if name in shape.int_query:
            number = _as_int(value)
            if number is not None and not INT_MIN <= number <= INT_MAX:
                raise Invalid(f"query parameter {name}: out of range ({INT_MIN} to {INT_MAX})")
    if shape.has_body and request.method not in ("GET", "HEAD", "OPTIONS"):
        await _check_body(request)


async def _check_body(request: Request) -> None:
    content_type = request.headers.get("content-type", "")
    if "json" in content_type:
        body = await request.body()  # already read (and parsed) by FastAPI: cached
        if not body:
            return
        try:
            document = json.loads(body)
        except (ValueError, RecursionError):
            raise BadInput("the body is not valid JSON") from None
        for where, text in _strings(document, ""):
            if (problem := bad_text(text)) is not None:
                raise BadInput(f"{_where(where) or 'the body'} {problem}")
    elif content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()  # already parsed by FastAPI: cached
        for name, value in form.multi_items():
            problem = bad_text(name) or (bad_text(value) if isinstance(value, str) else None)
            if problem is not None:
                raise BadInput(f"form field {_where(name)} {problem}")
