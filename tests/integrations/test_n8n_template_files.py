"""The template files themselves (no n8n needed; runs in `make test`): each embeds the snippet
files exactly, signs through the one signing snippet and a credential, and holds no secret."""

import importlib.util
import json
from pathlib import Path

import pytest

from promoteros_pipelines.events import EVENT_TYPES

N8N_DIR = Path(__file__).resolve().parents[2] / "integrations" / "n8n"
TEMPLATES = sorted((N8N_DIR / "templates").glob("*.json"))


def load_build():
    spec = importlib.util.spec_from_file_location("n8n_build", N8N_DIR / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def nodes_by_name(path: Path) -> dict[str, dict]:
    return {node["name"]: node for node in json.loads(path.read_text())["nodes"]}


def test_every_code_node_is_an_exact_copy_of_its_snippet():
    assert load_build().drift() == []


@pytest.mark.parametrize(
    "path", [p for p in TEMPLATES if p.name != "verify-outbound.json"], ids=str
)
def test_every_sending_template_signs_with_the_one_snippet_and_a_credential(path):
    nodes = nodes_by_name(path)
    sign = (N8N_DIR / "snippets" / "sign.js").read_text()
    assert nodes["Sign for PromoterOS"]["parameters"]["jsCode"] == sign
    crypto = nodes["HMAC with PromoterOS key"]
    assert crypto["credentials"]["crypto"]["name"] == "PromoterOS signing key"
    assert (
        crypto["parameters"].items()
        >= {"action": "hmac", "type": "SHA256", "encoding": "base64"}.items()
    )
    send = nodes["Send to PromoterOS"]["parameters"]
    event_type = send["url"].rsplit("/", 1)[1]
    assert event_type in EVENT_TYPES
    assert send["url"] == f"http://127.0.0.1:8787/webhooks/n8n/{event_type}"
    headers = {h["name"]: h["value"] for h in send["headerParameters"]["parameters"]}
    assert headers == {
        "webhook-id": "={{ $json.webhook_id }}",
        "webhook-timestamp": "={{ $json.webhook_timestamp }}",
        "webhook-signature": "=v1,{{ $json.signature }}",
    }
    # the signed string itself is sent, not a re-serialised object
    assert (send["contentType"], send["body"]) == ("raw", "={{ $json.body }}")
    assert nodes["Send to PromoterOS"]["retryOnFail"] is True


@pytest.mark.parametrize("path", TEMPLATES, ids=str)
def test_no_template_holds_a_secret_or_needs_relaxed_n8n_settings(path):
    text = path.read_text()
    for needs_a_setting in ("$env", "process.env", "require(", "whsec_"):
        assert needs_a_setting not in text, f"{path.name} contains {needs_a_setting}"
