import re

from dialogkit.framework.cli.main import main
from dialogkit.framework.cli.visualize import to_html, to_mermaid
from dialogkit.framework.domain.loader import load_domain
from tests.conftest import DOMAINS


def test_html_is_self_contained_and_shows_every_flow(tmp_path, capsys):
    out = tmp_path / "viz" / "flows.html"
    assert main(["visualize", str(DOMAINS / "banking"), "--out", str(out)]) == 0
    page = out.read_text()
    urls = set(re.findall(r"https?://[^\s\"']+", page))
    assert urls <= {"http://www.w3.org/2000/svg"}, urls  # no CDN, no remote assets
    assert "<script" not in page
    domain = load_domain(DOMAINS / "banking").domain
    for flow in domain.flows:
        assert f">{flow}</text>" in page
    assert "asks with utter_ask_pin" in page  # what each step uses
    assert "actions:transfer" in page
    assert (tmp_path / "viz" / "flows.mmd").read_text().startswith("flowchart TD")
    assert "None" not in page and "set recipient=null, amount=null" in page  # values as the domain writes them
    # a wide graph fits the window (a checkbox shows it at actual size)
    assert ".graph svg { width: 100%; height: auto; }" in page


def test_mermaid_edges_and_escaping(write_bot):
    bot = write_bot({"domain.yml": """
        version: "1"
        intents: {go: {examples: [go]}}
        slots:
          n: {type: int, mappings: [{type: from_text}]}
        responses:
          utter_ask_n: ['How many "things"?']
          utter_big: [big]
        flows:
          main:
            when: {intent: go}
            steps:
              - id: ask
                collect: n
              - if: n > 3
                then: [{say: utter_big}]
                else: [{set: {n: null}}, {goto: ask}]
              - call: helper
          helper:
            steps: [{say: utter_big}]
    """})
    domain = load_domain(bot).domain
    text = to_mermaid(domain)
    assert "-->|then|" in text and "-->|else|" in text and "-->|goto|" in text and "-.->|call|" in text
    assert '"if n #gt; 3"' in text
    page = to_html(domain)
    assert "&quot;things&quot;" in page or "&#x27;" in page or "things" in page
