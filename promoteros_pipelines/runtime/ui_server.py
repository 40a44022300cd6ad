"""The Dagster webserver behind dagster-authkit's sign-in, with our four roles.

Run as ``python -m promoteros_pipelines.runtime.ui_server [dagster-webserver options]`` by
``promoteros dev`` and ``promoteros ui``, with the DAGSTER_AUTH_* variables that
``runtime/ui_auth.server_environment`` gives it. authkit wraps the webserver it starts (its
middleware sees every HTTP request and WebSocket before Dagster does); before it starts, two
changes of ours:

1. authkit's per-level mutation sets are replaced by ``ui_roles.MUTATION_ROLES`` (1.2.0's sets
   put backfills and schedule and sensor toggles above a launcher, and know none of Dagster
   1.13's newer mutations).
2. A refusal, and the user menu authkit adds to the UI, name our roles ("Access denied:
   launchRun needs the Operator role; vera is a Viewer"), not authkit's level names.

Dagster OSS has no public API for per-request permissions, so nothing here reaches into
Dagster's private modules: the refusal happens at authkit's middleware, before Dagster sees
the request, and the UI shows it as the mutation's error (its buttons are not greyed out).
"""

import json
import sys
from typing import Any

from promoteros_pipelines.runtime.ui_roles import (
    ADMIN,
    DEVELOPER,
    MUTATION_ROLES,
    OPERATOR,
    mutations_at_level,
    role_for_level,
)


def refusal(user: Any, mutation: str, needed: Any) -> Any:
    """The GraphQL answer to a refused mutation, in the shape the UI shows as an error."""
    from starlette.responses import Response

    have, need = role_for_level(int(user.role)), role_for_level(int(needed))
    article = "an" if have[0] in "AEIOU" else "a"
    message = (
        f"Access denied: {mutation} needs the {need} role; {user.username} is {article} {have}. "
        "An Admin can change roles with `promoteros users set-role`."
    )
    payload = {
        "data": {
            mutation: {
                "__typename": "PythonError",
                "message": message,
                "stack": [],
                "cls_name": "AccessControlError",
            }
        },
        "errors": [{"message": message, "path": [mutation]}],
    }
    return Response(json.dumps(payload), status_code=200, media_type="application/json")


def menu_with_our_role_name(render: Any) -> Any:
    """authkit's user-menu renderer, given our role name instead of its level's
    (Operator, not LAUNCHER)."""
    from dagster_authkit.auth.backends.base import Role

    def render_ours(user_data_json: str, debug: bool, safe_mode: bool) -> str:
        data = json.loads(user_data_json)
        if data.get("role") in Role.__members__:
            data["role"] = role_for_level(Role[data["role"]].value)
        return render(json.dumps(data), debug=debug, safe_mode=safe_mode)

    return render_ours


def install_roles() -> None:
    """Put our role tables into authkit and Dagster (in this process, before the server)."""
    from dagster_authkit.auth.backends.base import RolePermissions
    from dagster_authkit.core import patch as authkit_patch
    from dagster_authkit.core.middleware import DagsterAuthMiddleware

    if getattr(RolePermissions, "_promoteros_roles", False):
        return
    RolePermissions.UNRESTRICTED_MUTATIONS = frozenset(
        name for name, needed in MUTATION_ROLES.items() if needed is None
    )
    RolePermissions.LAUNCHER_MUTATIONS = frozenset(mutations_at_level(OPERATOR))
    RolePermissions.EDITOR_MUTATIONS = frozenset(mutations_at_level(DEVELOPER))
    RolePermissions.ADMIN_MUTATIONS = frozenset(mutations_at_level(ADMIN))
    DagsterAuthMiddleware._generate_dagster_error_response = staticmethod(refusal)
    authkit_patch.render_user_menu_injection = menu_with_our_role_name(
        authkit_patch.render_user_menu_injection
    )

    RolePermissions._promoteros_roles = True  # type: ignore[attr-defined]


def main(argv: list[str]) -> None:
    install_roles()
    from dagster_authkit.cli.main import main as authkit_main

    sys.argv = ["dagster-authkit", *argv]
    authkit_main()


if __name__ == "__main__":
    main(sys.argv[1:])
