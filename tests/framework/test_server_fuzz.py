"""A bounded schemathesis run against the HTTP app: generated requests (valid and not) for
every documented route never get a server error, and every answer matches the OpenAPI schema
(error bodies included)."""

import itertools

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from framework.agent import Agent
from framework.server import create_app
from framework.stores import SQLiteTrackerStore
from framework.training import train
from tests.conftest import MINIMAL


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    bot = root / "bot"
    bot.mkdir()
    (bot / "domain.yml").write_text(MINIMAL.lstrip("\n"), encoding="utf-8")
    train(bot, root / "model")
    agent = Agent.load(root / "model", store=SQLiteTrackerStore(root / "t.sqlite"))
    agent.enable_batching(8, 1)
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(agent))


def test_every_route_answers_generated_requests_without_server_errors(api_schema):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/webhooks/rest/webhook", "/model/parse", "/conversations/{conversation_id}/tracker"}
    for op, mode in itertools.product(operations, GenerationMode):  # valid requests, and invalid ones

        @given(case=op.as_strategy(mode))
        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
        def run(case):
            case.call_and_validate()  # not_a_server_error, status code, content type and body schema

        try:
            run()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE  # a route without parameters or body has no invalid request
