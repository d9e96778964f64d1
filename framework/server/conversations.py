"""The conversation routes: the bot acts on an intent (``trigger_intent``), events from another
system are appended (``tracker/events``), and the conversation is read back (``tracker``, ``story``);
plus the Rasa shapes of a bot message and of a tracker that every route answers with."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional, Union

from fastapi import Body, FastAPI, Request
from fastapi import Path as FastAPIPath
from fastapi.responses import PlainTextResponse
from pydantic import ConfigDict, Discriminator, Field, Tag, create_model
from starlette.concurrency import run_in_threadpool

from ..domain.builtins import BUILTIN_ACTIONS, BUILTIN_INTENTS
from ..domain.schema import Domain
from ..runtime.events import ReminderEntities, ReminderTime
from .guards import error_response
from .turns import Turns, rasa_message

__all__ = ["add_conversation_routes", "rasa_message", "rasa_tracker", "replace_conversation_routes"]


class YamlResponse(PlainTextResponse):
    media_type = "application/x-yaml"


def add_conversation_routes(app: FastAPI, turns: Turns, in_time: Any) -> None:
    """``in_time(request, work, *args)``: ``work`` in a worker thread, unless the request waited too long."""
    domain = turns.agent.domain  # the schemas name this model's intents, slots and flows (rebuilt when it is replaced)
    # the bot's intents are the schema's: an unknown one is a 422 naming them, and clients see the list
    intents = tuple(sorted(set(domain.intents) | BUILTIN_INTENTS))
    one_of: Any = Literal[intents]
    strict = ConfigDict(extra="ignore", strict=True)  # as typed as the schema says: a bool is no number
    trigger_body = create_model("TriggerIntent", __config__=strict, name=(one_of, ...),
                                entities=(dict[str, Any] | None, None))

    async def trigger_intent(
        body: Any,
        request: Request,
        conversation_id: str = FastAPIPath(min_length=1, max_length=200),
        output_channel: str | None = None,
    ) -> Any:
        """The bot acts on ``name`` as if the user had said it (Rasa's endpoint): its messages and the
        tracker. With ``output_channel`` (a channel's name, or ``latest``: the one the conversation's
        latest message came in on) the messages are also sent to the user through that channel."""
        agent = turns.agent  # one model per request (PUT /model may replace it)
        channel = turns.output_channel(output_channel, conversation_id)
        turn = await run_in_threadpool(
            in_time, request, agent.trigger_intent, body.name, conversation_id, body.entities,
            channel.name if channel else output_channel or "rest",
        )
        return await _acted(turns, agent, channel, conversation_id, turn)

    # a class made here: not a name the annotation string could find
    trigger_intent.__annotations__["body"] = trigger_body
    app.post("/conversations/{conversation_id:path}/trigger_intent")(trigger_intent)

    # the events a bot can take, as the schema says them: its own slot and flow names, Rasa's event types
    events_body, events_list = _events_schema(domain)

    async def append(
        events: Any,
        request: Request,
        conversation_id: str = FastAPIPath(min_length=1),
        execute_side_effects: bool = False,
        output_channel: str | None = None,
    ) -> Any:
        """Append events from another system (Rasa's event JSON, one or a list); the DM's state
        follows. With ``execute_side_effects`` (Rasa's) reminders among them are scheduled and
        ``bot`` events are sent to the user through ``output_channel`` (a channel's name, or
        ``latest``): how a human agent answers in a paused conversation."""
        agent = turns.agent  # one model per request (PUT /model may replace it)
        from ..runtime.events import BotUttered
        from ..runtime.external_events import EventsError, apply_events

        raw = ([e.model_dump(mode="json") for e in events] if isinstance(events, list)
               else events.model_dump(mode="json"))
        channel = turns.output_channel(output_channel, conversation_id)
        try:
            t, new = await run_in_threadpool(in_time, request, apply_events, agent, conversation_id, raw,
                                             execute_side_effects, channel.name if channel else None)
        except EventsError as e:
            return error_response(422, "invalid_events", e.problems)
        if execute_side_effects:
            await turns.push(channel, conversation_id,
                             [{"text": e.text, **e.data} for e in new if isinstance(e, BotUttered)])
        return rasa_tracker(t, agent.domain)

    append.__annotations__["events"] = events_body
    app.post("/conversations/{conversation_id:path}/tracker/events")(append)

    async def replace(events: Any, request: Request, conversation_id: str = FastAPIPath(min_length=1)) -> Any:
        """Replace the conversation's events with these (Rasa's): the conversation goes on from them
        (the store keeps the earlier ones, which no longer count)."""
        agent = turns.agent  # one model per request (PUT /model may replace it)
        from ..runtime.external_events import EventsError, replace_events

        raw = [e.model_dump(mode="json") for e in events]
        try:
            t = await run_in_threadpool(in_time, request, replace_events, agent, conversation_id, raw)
        except EventsError as e:
            return error_response(422, "invalid_events", e.problems)
        return rasa_tracker(t, agent.domain)

    replace.__annotations__["events"] = events_list
    app.put("/conversations/{conversation_id:path}/tracker/events")(replace)

    @app.post("/conversations/{conversation_id:path}/predict")
    async def predict(conversation_id: str) -> Any:
        """What the bot would do next, without doing it (Rasa's endpoint): ``scores`` (the next
        action at 1.0), ``next_actions`` (every action and response up to the next wait), the tracker."""
        agent = turns.agent  # one model per request (PUT /model may replace it)
        from ..runtime.direct import predict as next_actions

        names = await run_in_threadpool(next_actions, agent, conversation_id)
        t = await run_in_threadpool(agent.tracker, conversation_id)
        return {"scores": [{"action": names[0], "score": 1.0}], "policy": _policy_name(turns), "confidence": 1.0,
                "next_actions": names, "tracker": rasa_tracker(t, agent.domain)}

    # the bot's actions and responses are the schema's: an unknown one is a 422 naming them
    runnable: Any = Literal[tuple(sorted({*domain.actions, *domain.responses, *BUILTIN_ACTIONS}))]
    execute_body = create_model("ExecuteAction", __config__=strict,
                                name=(runnable, ...), policy=(str | None, None), confidence=(float | None, None))

    async def execute(body: Any, request: Request, conversation_id: str = FastAPIPath(min_length=1),
                      output_channel: str | None = None) -> Any:
        """Run an action or response now, as if the bot had decided it (Rasa's endpoint): its
        messages (also sent through ``output_channel``, as for ``trigger_intent``) and the tracker."""
        agent = turns.agent  # one model per request (PUT /model may replace it)
        from ..runtime.direct import execute as run_now

        channel = turns.output_channel(output_channel, conversation_id)
        try:
            turn = await run_in_threadpool(in_time, request, run_now, agent, body.name, conversation_id,
                                           channel.name if channel else output_channel)
        except ValueError as e:
            return error_response(422, "unknown_action", str(e))
        return await _acted(turns, agent, channel, conversation_id, turn)

    execute.__annotations__["body"] = execute_body
    app.post("/conversations/{conversation_id:path}/execute")(execute)

    @app.get(
        "/conversations/{conversation_id:path}/story",
        response_model=None,
        responses={200: {"description": "a Rasa stories file", "content": {YamlResponse.media_type: {
            "schema": {"type": "object", "required": ["version", "stories"]}}}}},
    )
    async def story(conversation_id: str) -> Any:
        """The conversation as a Rasa story (YAML)."""
        agent = turns.agent  # one model per request (PUT /model may replace it)
        from ..runtime.external_events import story as as_story

        t = await run_in_threadpool(agent.store.history, conversation_id)
        if t is None:
            return error_response(404, "unknown_conversation", f"no conversation '{conversation_id}'")
        return YamlResponse(as_story(t, agent.domain))

    @app.get("/conversations/{conversation_id:path}/tracker")  # any sender id, `/` included
    async def tracker(conversation_id: str, format: Literal["rasa", "dialogkit"] = "rasa") -> Any:
        agent = turns.agent  # one model per request (PUT /model may replace it)
        t = await run_in_threadpool(agent.store.history, conversation_id)  # every event, not the cached window
        if t is None:
            return error_response(404, "unknown_conversation", f"no conversation '{conversation_id}'")
        return rasa_tracker(t, agent.domain) if format == "rasa" else t.to_json()


async def _acted(turns: Turns, agent: Any, channel: Any, conversation_id: str, turn: Any) -> dict[str, Any]:
    """After the bot acted without a user message (trigger_intent, execute): its messages sent
    through ``channel`` (if any), and the answer: the tracker and the messages."""
    await turns.push(channel, conversation_id, turn.messages)
    t = await run_in_threadpool(agent.tracker, conversation_id)
    return {"tracker": rasa_tracker(t, agent.domain),
            "messages": [{"recipient_id": conversation_id, **rasa_message(m)} for m in turn.messages]}


def replace_conversation_routes(app: FastAPI, turns: Turns, in_time: Any) -> None:
    """The conversation routes again, their schemas from the model now served (after ``PUT /model``).
    Synchronous in the event loop: no request is routed between the removal and the addition."""
    app.router.routes[:] = [r for r in app.router.routes if not getattr(r, "path", "").startswith("/conversations/")]
    add_conversation_routes(app, turns, in_time)
    app.openapi_schema = None


def rasa_tracker(t: Any, domain: Domain) -> dict[str, Any]:
    """The tracker in Rasa's JSON shape (Rasa events, ``sender_id``, ``slots``, ``latest_message``,
    ``active_loop`` = the active flow), plus dialogkit's ``flow_stack``."""
    from ..rasa.protocol import rasa_tracker as as_rasa

    stack = t.stack
    data = as_rasa(t, domain, active_form=stack[-1].flow if stack else None)
    data["slots"].pop("requested_slot", None)
    data["flow_stack"] = [f.__dict__ for f in stack]
    return data


def _events_schema(domain: Domain) -> tuple[Any, Any]:
    """The bodies of ``tracker/events``: one Rasa event or a non-empty list (POST), and a list
    (PUT), each of a type dialogkit applies, naming the bot's own slots and flows."""
    allow = ConfigDict(extra="allow", strict=True)  # a number is not a bool, nor a bool a number

    def tag(*names: str) -> Any:
        return Literal[names]

    text: Any = str | None
    obj: Any = dict[str, Any] | None
    name: Any = Annotated[str, Field(min_length=1)]
    maybe_name: Any = Optional[name]  # noqa: UP045 - an Annotated type, built at run time
    intent: Any = tag(*sorted(set(domain.intents) | BUILTIN_INTENTS))
    kinds: list[Any] = [
        create_model("UserEvent", __config__=allow, event=(tag("user"), ...), text=(text, None),
                     parse_data=(obj, None), input_channel=(text, None), metadata=(obj, None)),
        create_model("BotEvent", __config__=allow, event=(tag("bot"), ...), text=(text, None), data=(obj, None)),
        create_model("ActionEvent", __config__=allow, event=(tag("action"), ...), name=(name, ...)),
        # one model per event type: a discriminator value each (schema checkers mutate one into another)
        *(create_model(kind.title().replace("_", "") + "Event", __config__=allow, event=(tag(kind), ...))
          for kind in ("reset_slots", "restart", "session_started", "rewind", "undo", "pause", "resume")),
        create_model("ReminderEvent", __config__=allow, event=(tag("reminder"), ...), intent=(intent, ...),
                     date_time=(ReminderTime, ...), entities=(ReminderEntities, None), name=(maybe_name, None),
                     kill_on_user_msg=(bool, True)),
        create_model("CancelReminderEvent", __config__=allow, event=(tag("cancel_reminder"), ...),
                     name=(maybe_name, None), intent=(intent | None, None), entities=(ReminderEntities, None)),
    ]
    if domain.slots:
        kinds.append(create_model("SlotEvent", __config__=allow, event=(tag("slot"), ...),
                                  name=(tag(*domain.slots), ...), value=(Any, None)))
    if domain.flows:
        loop: Any = tag(*domain.flows) | None
        kinds.append(create_model("ActiveLoopEvent", __config__=allow, event=(tag("active_loop"), ...),
                                  name=(loop, None)))
    one: Any = Annotated[Union[tuple(kinds)], Field(discriminator="event")]  # noqa: UP007 - built at run time
    many: Any = Annotated[list[one], Field(min_length=1)]
    # one event or a list, told apart by their JSON type (an error names `event` or `events.<i>`)
    either: Any = Union[Annotated[one, Tag("event")], Annotated[many, Tag("events")]]  # noqa: UP007
    return (Annotated[either, Discriminator(lambda v: "events" if isinstance(v, list) else "event"), Body()],
            Annotated[list[one], Body()])


def _policy_name(turns: Turns) -> str | None:
    from ..runtime.decisions import Policy

    return next((c.name for c in turns.agent.components if isinstance(c, Policy)), None)
