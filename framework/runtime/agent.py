"""The Agent: a trained bot loaded from its archive, answering messages.

    from dialogkit import Agent
    agent = Agent.load("models/restaurant")
    agent.handle("book a table for 4", conversation_id="alice")  # -> [{"text": ...}, ...]
    agent.parse("book a table for 4")                             # NLU only

Conversations are kept in a tracker store (in memory by default). Calls for the
same conversation are serialised with a per-conversation lock (in this process, and
across processes with a Redis lock store); different conversations run in parallel.
With an event broker, every stored event is also published (a Redis Stream).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, cast

from ..build.archive import forget_unpacked, unpack_if_tarball
from ..domain.builtins import OFFER
from ..domain.schema import Domain
from ..stores import InMemoryTrackerStore, InProcessLockStore
from ..stores.shared import StoreConflict
from .action_executor import ActionExecutor, run_request
from .decisions import ConversationView, Decision, Decisions, Policy
from .pipeline import Component, Turn, component_errors
from .reminders import EXTERNAL_PREFIX, Fired, fire_due, schedule
from .sessions import expire_session, start_session
from .tracker import BotUttered, SessionStarted, Tracker, UserUttered
from .turn import Entity, Intent, entity
from .user_message import NLUBatcher, clean_message, clean_text, read_payload

__all__ = ["Agent", "NLUBatcher", "clean_text"]

logger = logging.getLogger(__name__)


class Agent:
    """A loaded bot. Build it with :meth:`load`; no I/O happens in ``__init__``."""

    def __init__(
        self,
        domain: Domain,
        components: list[Component],
        manifest: dict[str, Any],
        store: Any = None,
        lock_store: Any = None,
        broker: Any = None,
        executor: ActionExecutor | None = None,
    ):
        self.domain = domain
        self.components = components
        # "now" for a message (UNIX seconds); a conversation test may fix it
        self.clock: Callable[[], float] = time.time
        self.manifest = manifest
        self.executor = executor or ActionExecutor(domain)  # runs the actions the DM decides on
        self.store = store or InMemoryTrackerStore()
        self._local_locks = InProcessLockStore()  # this process's threads queue here, not on Redis
        self.lock_store = lock_store  # shared by several processes (RedisLockStore), or None
        self.broker = broker
        self._batcher: NLUBatcher | None = None
        self.initial_slots = {name: s.initial for name, s in domain.slots.items()}
        self.handoff: Any = None  # a Handoff: where a paused conversation's messages go (endpoints.yml `handoff:`)
        self._endpoints_path: Path | None = None  # the endpoints.yml use_endpoints read (a successor reads it too)

    @classmethod
    def load(cls, path: str | Path, store: Any = None, lock_store: Any = None, broker: Any = None) -> Agent:
        """Load and verify a model archive (directory or .tar.gz). ``store``, ``lock_store``
        and ``broker``: where conversations live, how processes take turns on one, where
        events are published (see :mod:`dialogkit.framework.stores`)."""
        root = unpack_if_tarball(Path(path))
        try:
            return cls._load(root, store, lock_store, broker)
        except BaseException:
            forget_unpacked(root)  # a tarball that does not load leaves nothing in the cache
            raise

    @classmethod
    def _load(cls, root: Path, store: Any, lock_store: Any, broker: Any) -> Agent:
        from .loading import load_parts, warn_about_languages

        domain, components, manifest, executor, handoff = load_parts(root)
        agent = cls(domain, components, manifest, store, lock_store, broker, executor)
        agent.handoff = handoff
        warn_about_languages(domain, agent.describe())
        return agent

    def successor(self, path: str | Path) -> Agent:
        """The model at ``path`` loaded to take over from this agent (``PUT /model``): the same
        conversations (tracker store, lock stores: a conversation is never answered by both at
        once), event broker, endpoints and batching. Raises as :meth:`load`; this agent is untouched."""
        new = Agent.load(path, store=self.store, lock_store=self.lock_store, broker=self.broker)
        new._local_locks, new.clock = self._local_locks, self.clock
        if self._endpoints_path is not None:
            new.use_endpoints(self._endpoints_path)
        if self._batcher is not None:
            new.enable_batching(self._batcher.max_batch, self._batcher.max_wait * 1000)
        return new

    def describe(self) -> dict[str, dict[str, Any]]:
        """What each component says about itself (e.g. the NLU encoder and its languages)."""
        return {c.name: info for c in self.components if (info := c.describe())}

    def use_endpoints(self, path: str | Path) -> None:
        """Serve `remote` actions from the action server named in this Rasa ``endpoints.yml``
        (instead of the one stored in the archive at training time). A file without
        ``action_endpoint`` (only stores, say) leaves the archive's action server in place. Its
        ``handoff:`` section is where a paused conversation's messages are forwarded
        (:mod:`~dialogkit.framework.runtime.handoff`)."""
        from ..rasa.action_server import load_endpoints
        from .handoff import Handoff, load_handoff

        self._endpoints_path = Path(path)
        endpoint = load_endpoints(path)
        if endpoint is not None:
            self.executor.use_endpoint(endpoint)
        handoff = load_handoff(path)
        if handoff is not None:
            self.handoff = Handoff(handoff)

    # --- NLU --------------------------------------------------------------------------

    def enable_batching(self, max_batch: int = 32, max_wait_ms: float = 5.0) -> None:
        """Parse concurrent messages together: one encoder pass for up to ``max_batch``
        messages arriving within ``max_wait_ms`` of each other (for servers)."""
        self._batcher = NLUBatcher(self._nlu_batch, max_batch, max_wait_ms / 1000)

    def _nlu(self, turn: Turn) -> None:
        if read_payload(turn):
            return
        if self._batcher is not None:
            self._batcher.submit(turn)
        else:
            self._nlu_batch([turn])

    def _nlu_batch(self, turns: list[Turn]) -> None:
        for c in self.components:
            if c.stage == "nlu":
                self._run(c, turns)

    def _run(self, component: Component, turns: list[Turn]) -> None:
        """Run one component on ``turns``, naming it in any failure; record its time per turn."""
        t0 = time.perf_counter()
        with component_errors(component.name):
            component.process_batch(turns)
        for turn in turns:
            turn.timings[component.name] = (time.perf_counter() - t0) / len(turns)

    def parse(self, text: str) -> dict[str, Any]:
        """NLU only: ``{"text", "intent", "intent_ranking", "entities"}``."""
        turn = Turn(clean_message(text), time=self.clock())
        self._nlu(turn)
        return _parse_result(turn)

    def parse_batch(self, texts: list[str]) -> list[dict[str, Any]]:
        """NLU for several texts, with one pass of each NLU component over all of them."""
        turns = [Turn(clean_message(t), time=self.clock()) for t in texts]
        rest = [t for t in turns if not read_payload(t)]
        if rest:
            self._nlu_batch(rest)
        return [_parse_result(t) for t in turns]

    # --- dialogue ---------------------------------------------------------------------

    @contextlib.contextmanager
    def _lock(self, conversation_id: str) -> Iterator[None]:
        with self._local_locks.lock(conversation_id):
            if self.lock_store is None:
                yield
            else:
                with self.lock_store.lock(conversation_id):
                    yield

    def tracker(self, conversation_id: str) -> Tracker:
        """The conversation's tracker (a new one if it does not exist yet)."""
        return self.store.get(conversation_id) or self.new_tracker(conversation_id)

    def new_tracker(self, conversation_id: str) -> Tracker:
        """A new conversation's tracker (the domain's initial slots, a session started); not stored."""
        tracker = Tracker(conversation_id, dict(self.initial_slots))
        tracker.add(SessionStarted())
        return tracker

    def handle_turn(
        self,
        text: str,
        conversation_id: str = "default",
        channel: str | None = None,
        parse: dict[str, Any] | None = None,
        executor: ActionExecutor | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Turn:
        """Run one message through NLU, DM and NLG; return the whole :class:`Turn` (for debug views).
        ``parse`` (``{"intent": {"name", "confidence"}, "entities": [...]}``, as :meth:`parse`
        returns it, e.g. corrected by a developer) is taken as the NLU result instead of running NLU.
        ``executor`` runs this turn's actions instead of the agent's (``dialogkit test`` replaying
        a Rasa test story: the story says what its custom actions did). ``metadata``: what the
        channel sent with the message; kept on the ``UserUttered`` event, where actions (local
        and on an action server, as Rasa's ``latest_message["metadata"]``) read it."""
        try:
            return self._handle_turn(text, conversation_id, channel, parse, executor, metadata)
        except StoreConflict:
            # another process wrote the conversation under this turn (its lock expired): nothing of
            # this turn was kept, so it runs once more on the conversation as it is now
            logger.warning("conversation %s changed under a turn; running the message again", conversation_id)
            return self._handle_turn(text, conversation_id, channel, parse, executor, metadata)

    def _handle_turn(self, text: str, conversation_id: str, channel: str | None, parse: dict[str, Any] | None = None,
                     executor: ActionExecutor | None = None, metadata: dict[str, Any] | None = None) -> Turn:
        with self._lock(conversation_id):
            tracker = self.store.get(conversation_id)
            before = len(tracker.events) if tracker is not None else 0  # a new conversation's SessionStarted is new too
            tracker = tracker or self.new_tracker(conversation_id)  # one store read per turn
            try:
                turn = self._turn(tracker, text, channel, parse, executor, metadata)
                new = tracker.events[before:]
                self.store.save(tracker)
            except BaseException:
                # the turn happens whole or not at all: a failure (in a component, or an event the
                # store cannot save) leaves no trace that could poison the conversation's next turn
                del tracker.events[before:]
                raise
            self.saved(tracker, new, channel)
            return turn

    def saved(self, tracker: Tracker, new: list[Any], channel: str | None) -> None:
        """What follows once a conversation's ``new`` events are stored: they are published (an
        event broker), the reminders among them scheduled, and a paused conversation's messages
        forwarded to the handoff webhook."""
        if self.broker is not None:
            self.broker.publish(tracker.conversation_id, new)  # after the store has them, in order
        schedule(self.store, tracker.conversation_id, new, channel)
        if self.handoff is not None:
            self.handoff.forward(tracker, new)

    def fire_reminders(self, now: float | None = None) -> list[Fired]:
        """Fire the reminders due by ``now`` (default: now) that this process claims: each runs
        as ``trigger_intent`` in its conversation (:mod:`~dialogkit.framework.runtime.reminders`).
        ``dialogkit serve`` calls it a few times a second; an app embedding the agent calls it
        from its own timer. Returns what fired, with the bot's messages."""
        return fire_due(self, now)

    def _turn(self, tracker: Tracker, text: str, channel: str | None, parse: dict[str, Any] | None = None,
              executor: ActionExecutor | None = None, metadata: dict[str, Any] | None = None) -> Turn:
        start = len(tracker.events)
        executor = executor or self.executor
        expire_session(self.domain, tracker)
        turn = Turn(clean_message(text), channel=channel, time=self.clock(), metadata=dict(metadata or {}))
        if not tracker.paused:
            policies = [c for c in self.components if isinstance(c, Policy)]
            start_session(self.domain, policies, tracker, turn, executor,
                          lambda policy, decisions: self._converse(policy, decisions, turn, tracker, executor))
        if parse is None:
            self._nlu(turn)
        else:
            turn.intent = cast(Intent, dict(parse["intent"]))
            turn.intent_ranking = [cast(Intent, dict(r)) for r in parse.get("intent_ranking") or [turn.intent]]
            turn.entities = [cast(Entity, dict(e)) for e in parse.get("entities") or []]
            turn.payload = bool(parse.get("payload"))  # not words the user typed (an external intent)
        tracker.add(
            UserUttered(
                text=turn.text,
                parse={"intent": turn.intent, "entities": turn.entities},
                input_channel=channel,
                metadata=turn.metadata,
            )
        )
        if tracker.paused:  # a human has the conversation: the message is kept (and forwarded), not answered
            turn.events = tracker.events[start:]
            return turn
        for c in self.components:
            if isinstance(c, Policy):
                t0 = time.perf_counter()
                with component_errors(c.name):
                    self._converse(c, c.decide(ConversationView(tracker), turn.parse()), turn, tracker, executor)
                turn.timings[c.name] = time.perf_counter() - t0
            elif c.stage == "dm":  # a DM component that only reads the message (no actions, no state)
                self._run(c, [turn])
        self.render(turn, tracker, start)
        return turn

    def render(self, turn: Turn, tracker: Tracker, start: int) -> None:
        """The NLG writes the turn's messages; each goes on the tracker where the DM queued it
        (``start``: where the turn's events begin)."""
        turn.slots = tracker.slots
        for c in self.components:
            if c.stage == "nlg":
                self._run(c, [turn])
        bots = [
            BotUttered(
                text=m.get("text"),
                response=m.get("response"),
                data={k: v for k, v in m.items() if k not in ("text", "response")},
            )
            for m in turn.messages
        ]
        if len(turn.responses) == len(bots):
            # each message goes where the DM queued it: after the action that said it, before later events
            tracker.insert_at([(r.position, bot) for r, bot in zip(turn.responses, bots, strict=True)], since=start)
        else:  # an NLG component that does not answer one message per response: in order, at the end
            for bot in bots:
                tracker.add(bot)
        turn.events = tracker.events[start:]

    def _converse(self, policy: Policy, decisions: Decisions, turn: Turn, tracker: Tracker,
                  executor: ActionExecutor) -> None:
        """Decide → execute → apply, until the policy listens: each decision's events go on the
        tracker, its request runs on ``executor``, and what the action did is appended and sent
        back to the policy (:mod:`dialogkit.framework.runtime.decisions`)."""
        outcome: Any = None
        while True:
            try:
                decision = decisions.send(outcome)
            except StopIteration as done:
                _apply(turn, tracker, done.value)
                return
            _apply(turn, tracker, decision)
            if decision.request is None:
                raise TypeError(
                    f"policy '{policy.name}' yielded a decision without a request (it returns the last one)"
                )
            outcome = run_request(executor, decision.request, tracker, turn)

    def handle(self, text: str, conversation_id: str = "default", channel: str | None = None,
               metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Answer ``text`` in conversation ``conversation_id``; returns the bot's messages.
        ``channel`` (e.g. "rest") selects response variations written for that channel;
        ``metadata`` is what the channel sent with the message (actions read it)."""
        return [_public(m) for m in self.handle_turn(text, conversation_id, channel, metadata=metadata).messages]

    def trigger_intent(
        self,
        intent: str,
        conversation_id: str,
        entities: dict[str, Any] | None = None,
        channel: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Turn:
        """The bot acts as if the user had expressed ``intent`` (with ``entities``) in
        ``conversation_id``, without a message (Rasa's ``trigger_intent``): a reminder, an event
        from another system, the bot speaking first. Logged as ``UserUttered`` "EXTERNAL: <intent>"."""
        parse = {"intent": {"name": intent, "confidence": 1.0}, "payload": True,
                 "entities": [entity(name, value, "external") for name, value in (entities or {}).items()]}
        return self.handle_turn(f"{EXTERNAL_PREFIX}{intent}", conversation_id, channel, parse=parse, metadata=metadata)

    async def handle_async(self, text: str, conversation_id: str = "default", channel: str | None = None,
                           metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return await asyncio.to_thread(self.handle, text, conversation_id, channel, metadata)

    async def parse_async(self, text: str) -> dict[str, Any]:
        return await asyncio.to_thread(self.parse, text)

def _apply(turn: Turn, tracker: Tracker, decision: Decision) -> None:
    """Append a decision's events to the tracker and its responses and notes to the turn."""
    for event in decision.events:
        tracker.add(event)
    turn.responses.extend(decision.responses)
    turn.actions.extend(decision.actions)
    turn.refused.extend(decision.refused)




def _parse_result(turn: Turn) -> dict[str, Any]:
    return {"text": turn.text, "intent": turn.intent, "intent_ranking": turn.intent_ranking, "entities": turn.entities}


def _public(msg: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in msg.items() if v is not None and k not in ("slots", OFFER)}
