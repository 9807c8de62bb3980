"""Field execution without strawberry's per-field wrapper for fields that need none.

graphql-core runs every field through the same machinery: a response path, a resolve info,
argument coercion, then strawberry's resolver wrapper (its own Info, argument conversion,
field extensions) and the generic value completion. For a plain attribute, or a method that
takes only ``self`` (and perhaps ``info``), that is ten times the work the field does, and a
page of bookings has six thousand of them. This executor plans each selection set once per
request and reads such fields itself: scalars and enums are coerced on the spot, objects and
lists of them completed by shape (`shapes`). Everything else (arguments, async resolvers,
field extensions, abstract types, ``__typename``) takes graphql-core's path unchanged, and so
does every null and every error: graphql-core completes those and reports them as it always
does.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from operator import attrgetter
from typing import Any

from graphql import ExecutionResult, GraphQLObjectType, GraphQLOutputType, is_non_null_type
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.execution.values import get_argument_values
from graphql.pyutils import AwaitableOrValue, Path, Undefined, gather_with_cancel
from orjson import Fragment
from strawberry.types.base import StrawberryOptional
from strawberry.types.field import StrawberryField

from payable.graphql import shapes
from payable.graphql.shapes import Shape, shape_of
from payable.graphql.shared_events import SharedEventExecutor

_NO_ERROR = object()
_COMPLETED = (dict, list)  # what completion returns when nothing is left to await


class _Direct:
    """A field read without strawberry's wrapper: its definition, reader and value shape."""

    __slots__ = (
        "arguments",
        "details",
        "field",
        "field_def",
        "info_name",
        "leaf",
        "nodes",
        "nullable",
        "read",
        "shape",
        "subplan",
        "text",
    )

    def __init__(
        self,
        details: FieldDetailsList,
        field_def: Any,
        field: StrawberryField,
        read: Callable[..., Any],
        info_name: str | None,
        arguments: dict[str, Any],
    ) -> None:
        self.details = details
        self.nodes = [field_details.node for field_details in details]  # for resolve infos
        self.field_def = field_def
        self.field = field
        self.read = read
        self.info_name = info_name  # the resolver's info parameter, when it asks for one
        # Scalar arguments, coerced once: the same for every object of the selection set.
        self.arguments = arguments
        self.nullable = not is_non_null_type(field_def.type)
        # @stream hands list items out later: graphql-core's business.
        streamed = any(d.name.value == "stream" for d in details[0].node.directives or ())
        self.shape: Shape | None = None if streamed else shape_of(field_def.type)
        self.leaf = self.shape is not None and self.shape.kind == shapes.LEAF
        self.text = self.leaf and self.shape.text  # type: ignore[union-attr]
        # The plan of the object type this field's values have, once one has been completed:
        # the same for every value, as the selection and the type are.
        self.subplan: Plan | None = None


Plan = list[tuple[str, FieldDetailsList, _Direct | None]]
Site = tuple[_Direct, GraphQLObjectType, Path]  # where a value came from, for graphql-core


class ReadExecutor(SharedEventExecutor):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: dict[int, tuple[GroupedFieldSet, Plan]] = {}
        strawberry_schema = getattr(self.schema, "_strawberry_schema", None)
        # Exception handlers and resolve hooks wrap every resolver: then nothing is direct.
        middleware = self.middleware_manager
        self._direct_ok = (
            strawberry_schema is not None
            and not strawberry_schema.exception_handlers
            and not (middleware and middleware.middlewares)
        )
        self._config = strawberry_schema.config if strawberry_schema else None

    def build_response(self, data: dict[str, Any] | None) -> Any:
        response = super().build_response(data)
        if isinstance(response, ExecutionResult):
            # Done (nothing deferred or streamed). graphql-core's executor is part of a
            # reference cycle, so what it holds waits for the garbage collector: let go of the
            # plans and the memoised selection sets now. Rebound, not cleared: a subscription's
            # per-event executors are copies that share them with the next event.
            self._plans = {}
            self._relevant_sub_fields = {}
        return response

    def complete_value(
        self,
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: Any,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> AwaitableOrValue[Any]:
        # JSON text PostgreSQL wrote for the selection (`json_nodes`): complete already.
        if result.__class__ is Fragment:
            return result
        return super().complete_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _plan(self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet) -> Plan:
        # graphql-core memoises selection sets for the whole request, so every booking of a
        # page shares one plan; the set is kept with it so that its id stays its own.
        cached = self._plans.get(id(grouped_field_set))
        if cached is not None and cached[0] is grouped_field_set:
            return cached[1]
        plan = [
            (name, details, self._direct(parent_type, details))
            for name, details in grouped_field_set.items()
        ]
        self._plans[id(grouped_field_set)] = (grouped_field_set, plan)
        return plan

    def _direct(self, parent_type: GraphQLObjectType, details: FieldDetailsList) -> _Direct | None:
        """How to read the field directly, or None for graphql-core's path."""
        node = details[0].node
        field_def = self.schema.get_field(parent_type, node.name.value)
        if not self._direct_ok or field_def is None:
            return None
        field = (field_def.extensions or {}).get("strawberry-definition")
        if not isinstance(field, StrawberryField) or field.extensions:
            return None
        resolver = field.base_resolver
        if resolver is None:
            if field_def.args or node.arguments:
                return None
            return _Direct(details, field_def, field, attrgetter(field.python_name), None, {})
        if (
            resolver.is_async
            or resolver.self_parameter is None
            or resolver.root_parameter is not None
            or resolver.parent_parameter is not None
        ):
            return None
        arguments = self._scalar_arguments(field, field_def, details)
        if arguments is None:
            return None
        info = resolver.info_parameter
        read = resolver.wrapped_func
        if info is None and arguments:
            read = partial(read, **arguments)
        return _Direct(details, field_def, field, read, info.name if info else None, arguments)

    def _scalar_arguments(
        self, field: StrawberryField, field_def: Any, details: FieldDetailsList
    ) -> dict[str, Any] | None:
        """The resolver's keyword arguments when they are all plain scalars (strawberry passes
        those through as they are); None when strawberry must convert them, or when coercing
        them fails (graphql-core then reports it on each field)."""
        if not field.arguments:
            return {}
        if any(_plain_type(argument.type) is None for argument in field.arguments):
            return None
        try:
            values = get_argument_values(
                field_def,
                details[0].node,
                self.variable_values,
                details[0].fragment_variable_values,
                self.hide_suggestions,
            )
        except Exception:
            return None
        names = self._config.name_converter  # type: ignore[union-attr]
        return {
            argument.python_name: values[names.from_argument(argument)]
            for argument in field.arguments
            if names.from_argument(argument) in values
        }

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        plan = self._plan(parent_type, grouped_field_set)
        return self._execute_plan(parent_type, source_value, path, plan, position_context)

    def _execute_plan(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        plan: Plan,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        """graphql-core's execute_fields, with the planned fields read directly."""
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        try:
            for name, details, direct in plan:
                if direct is None:
                    result = self.execute_field(
                        parent_type, source_value, details, Path(path, name, parent_type.name),
                        position_context,
                    )  # fmt: skip
                elif direct.info_name is None:
                    try:
                        value = direct.read(source_value)
                    except Exception as raised:
                        result = self._complete_read(
                            (direct, parent_type, Path(path, name, parent_type.name)), None,
                            raised, position_context,
                        )  # fmt: skip
                    else:
                        if direct.leaf:
                            # The common case, inline: a plain value read and coerced.
                            if direct.text and value.__class__ is str:
                                results[name] = value
                                continue
                            if value is None and direct.nullable:
                                results[name] = None
                                continue
                            if value is not None and not isinstance(value, Exception):
                                try:
                                    coerced = direct.shape.serialize(value)  # type: ignore[union-attr, misc]
                                except Exception:  # graphql-core completes it and says why
                                    coerced = None
                                if coerced is not None and coerced is not Undefined:
                                    results[name] = coerced
                                    continue
                        result = self._complete_read(
                            (direct, parent_type, Path(path, name, parent_type.name)), value,
                            _NO_ERROR, position_context,
                        )  # fmt: skip
                else:
                    result = self._execute_with_info(
                        (direct, parent_type, Path(path, name, parent_type.name)), source_value,
                        position_context,
                    )  # fmt: skip
                if result is not Undefined:
                    results[name] = result
                    if result.__class__ not in _COMPLETED and is_awaitable(result):
                        awaitable_fields.append(name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[name] for name in awaitable_fields])
            raise
        if not awaitable_fields:
            return results
        return _gathered_fields(results, awaitable_fields)

    def _info(self, site: Site) -> Any:
        direct, parent_type, path = site
        return self.build_resolve_info(direct.field_def, direct.nodes, parent_type, path)

    def _execute_with_info(self, site: Site, source: Any, position_context: Any) -> Any:
        """A resolver that asks for info: strawberry's Info is built for it, nothing else."""
        direct = site[0]
        raw_info = _LazyResolveInfo(self, site)
        strawberry_info = self._config.info_class(_raw_info=raw_info, _field=direct.field)  # type: ignore[union-attr]
        arguments = {**direct.arguments, direct.info_name: strawberry_info}
        try:
            value, error = direct.read(source, **arguments), _NO_ERROR
        except Exception as raised:
            value, error = None, raised
        return self._complete_read(site, value, error, position_context)

    def _complete_read(self, site: Site, value: Any, error: Any, position_context: Any) -> Any:
        """graphql-core's execute_field from the point where the resolver has answered."""
        direct, _, path = site
        details = direct.details
        return_type = direct.field_def.type
        try:
            if error is not _NO_ERROR:
                raise error
            if self.is_awaitable(value):
                return self.complete_awaitable_value(
                    return_type, details, self._info(site), path, value, position_context
                )
            completed = self._complete(
                direct.shape, return_type, path, value, position_context, site
            )
            if completed.__class__ not in _COMPLETED and self.is_awaitable(completed):
                return self._await_completed(completed, return_type, details, path)
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, details, path)
            return None
        return completed

    def _complete(
        self,
        shape: Shape | None,
        return_type: GraphQLOutputType,
        path: Path,
        value: Any,
        position_context: Any,
        site: Site,
    ) -> Any:
        """graphql-core's complete_value for values of a known shape; it completes the rest."""
        if shape is None or value is None or value is Undefined or isinstance(value, Exception):
            return self.complete_value(
                return_type, site[0].details, self._info(site), path, value, position_context
            )
        kind = shape.kind
        if kind == shapes.LEAF:
            coerced = _coerced(shape.serialize, value)  # type: ignore[arg-type]
            if coerced is Undefined:
                return self.complete_value(
                    return_type, site[0].details, self._info(site), path, value, position_context
                )
            return coerced
        if kind == shapes.OBJECT:
            if shape.origin is not None and not isinstance(value, shape.origin):
                return self.complete_value(
                    return_type, site[0].details, self._info(site), path, value, position_context
                )
            direct = site[0]
            if position_context is None and direct.subplan is not None:
                return self._execute_plan(shape.type, value, path, direct.subplan, None)
            grouped_field_set, new_defer_usages, _ = self.collect_subfields(
                shape.type, direct.details
            )
            if position_context is None and not new_defer_usages:  # nothing deferred
                direct.subplan = self._plan(shape.type, grouped_field_set)
                return self._execute_plan(shape.type, value, path, direct.subplan, None)
            return self.execute_collected_subfields(
                shape.type, value, path, grouped_field_set, new_defer_usages, position_context
            )
        if not isinstance(value, list | tuple):
            return self.complete_value(
                return_type, site[0].details, self._info(site), path, value, position_context
            )
        return self._complete_items(shape, value, path, position_context, site)

    def _complete_items(
        self, shape: Shape, items: list[Any] | tuple[Any, ...], path: Path, position_context: Any,
        site: Site,
    ) -> Any:  # fmt: skip
        """graphql-core's complete_iterable_value, each item completed by shape."""
        is_awaitable = self.is_awaitable
        details = site[0].details
        item_shape, item_type = shape.item, shape.item_type
        completed: list[Any] = []
        awaitable_indices: list[int] = []
        for index, item in enumerate(items):
            item_path = Path(path, index, None)
            if is_awaitable(item):
                completed.append(
                    self.complete_awaitable_list_item_value(
                        item, item_type, details, self._info(site), item_path, position_context
                    )
                )
                awaitable_indices.append(index)
                continue
            try:
                value = self._complete(
                    item_shape, item_type, item_path, item, position_context, site
                )  # type: ignore[arg-type]
                if value.__class__ not in _COMPLETED and is_awaitable(value):
                    value = self._await_completed(value, item_type, details, item_path)  # type: ignore[arg-type]
                    awaitable_indices.append(index)
            except Exception as raw_error:
                self.handle_field_error(raw_error, item_type, details, item_path)  # type: ignore[arg-type]
                value = None
            completed.append(value)
        if not awaitable_indices:
            return completed
        return _gathered_items(completed, awaitable_indices)

    async def _await_completed(
        self, completed: Any, return_type: GraphQLOutputType, details: FieldDetailsList, path: Path
    ) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, details, path)
            return None


class _LazyResolveInfo:
    """graphql-core's resolve info, built on first use: the relation fields of a listed
    booking ask for info only for the loaders, which they need only when nothing was
    prefetched, and a page has some 900 of them."""

    __slots__ = ("_executor", "_info", "_site")

    def __init__(self, executor: ReadExecutor, site: Site) -> None:
        self._executor = executor
        self._site = site
        self._info: Any = None

    def __getattr__(self, name: str) -> Any:
        info = self._info
        if info is None:
            info = self._info = self._executor._info(self._site)
        return getattr(info, name)


_PLAIN = (int, str, bool, float)


def _plain_type(annotation: Any) -> type | None:
    """The builtin scalar an argument takes (perhaps optional), or None for anything else."""
    if type(annotation) is StrawberryOptional:  # not Maybe: strawberry wraps those
        annotation = annotation.of_type
    return annotation if annotation in _PLAIN else None


def _coerced(serialize: Callable[[Any], Any], value: Any) -> Any:
    """A leaf's output value, or Undefined when graphql-core must complete it (and report why)."""
    if value is None or value is Undefined or isinstance(value, Exception):
        return Undefined
    try:
        coerced = serialize(value)
    except Exception:
        return Undefined
    return Undefined if coerced is None else coerced


async def _gathered_fields(results: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """The awaitable fields of one object, awaited as graphql-core awaits them."""
    if len(names) == 1:
        results[names[0]] = await results[names[0]]
        return results
    awaited = await gather_with_cancel(*(results[name] for name in names))
    results.update(zip(names, awaited, strict=True))
    return results


async def _gathered_items(completed: list[Any], indices: list[int]) -> list[Any]:
    """The awaitable items of one list, awaited as graphql-core awaits them."""
    if len(indices) == 1:
        completed[indices[0]] = await completed[indices[0]]
        return completed
    awaited = await gather_with_cancel(*(completed[index] for index in indices))
    for index, value in zip(indices, awaited, strict=True):
        completed[index] = value
    return completed
