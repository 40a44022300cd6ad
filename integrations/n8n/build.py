"""Every Code node of every template is a copy of one file in ``snippets/``; this keeps it so.

    python integrations/n8n/build.py          # copy the snippets into the templates
    python integrations/n8n/build.py --check  # exit 1 naming each node that differs

The snippets are the source (read, reviewed and tested once); the templates are what users
import, so each must embed them byte for byte. ``make test`` runs the check.
"""

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
SNIPPETS = HERE / "snippets"
CODE_NODE = "n8n-nodes-base.code"

# Code node name -> snippet file; the node names are also what the README tells users to edit.
SNIPPET_OF_NODE = {
    "Sign for PromoterOS": "sign.js",
    "Batch observations": "batch-observations.js",
    "Read signed delivery": "read-delivery.js",
    "Read Slack request": "read-slack.js",
    "Check signature": "check-signature.js",
}


def templates() -> dict[str, dict]:
    """Every template by file name."""
    return {path.name: json.loads(path.read_text()) for path in sorted(TEMPLATES.glob("*.json"))}


def drift() -> list[str]:
    """One line per Code node that is not an exact copy of its snippet (empty: all in sync)."""
    problems = []
    for name, workflow in templates().items():
        for node in workflow["nodes"]:
            if node["type"] != CODE_NODE:
                continue
            snippet = SNIPPET_OF_NODE.get(node["name"])
            if snippet is None:
                problems.append(f"{name}: Code node '{node['name']}' has no snippet file")
            elif node["parameters"]["jsCode"] != (SNIPPETS / snippet).read_text():
                problems.append(f"{name}: '{node['name']}' differs from snippets/{snippet}")
    return problems


def write() -> None:
    for path in sorted(TEMPLATES.glob("*.json")):
        workflow = json.loads(path.read_text())
        for node in workflow["nodes"]:
            snippet = SNIPPET_OF_NODE.get(node["name"])
            if node["type"] == CODE_NODE and snippet:
                node["parameters"]["jsCode"] = (SNIPPETS / snippet).read_text()
        path.write_text(json.dumps(workflow, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    if sys.argv[1:] == ["--check"]:
        problems = drift()
        sys.stderr.writelines(f"{problem}\n" for problem in problems)
        sys.exit(1 if problems else 0)
    write()
