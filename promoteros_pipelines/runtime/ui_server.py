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
3. Dagster's own permissions follow the signed-in person's role: each request gets a request
   context whose ``permissions`` come from ``ui_roles.PERMISSION_ROLES``. The UI then greys
   out what the role may not do, and Dagster's resolvers refuse it as well.
"""

import json
import sys
from collections.abc import Mapping
from typing import Any

from dagster._core.workspace.context import WorkspaceRequestContext
from dagster._core.workspace.permissions import LOCATION_SCOPED_PERMISSIONS, PermissionResult

from promoteros_pipelines.runtime.ui_roles import (
    ADMIN,
    DEVELOPER,
    MUTATION_ROLES,
    OPERATOR,
    VIEWER,
    mutations_at_level,
    permissions_of,
    role_for_level,
)

NOT_ALLOWED = "Your role ({role}) does not allow this; ask an Admin (`promoteros users`)."


class RoleScopedRequestContext(WorkspaceRequestContext):
    """A request context whose permissions are those of one role."""

    def __init__(self, *args: Any, role: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role = role

    @property
    def permissions(self) -> Mapping[str, PermissionResult]:
        reason = NOT_ALLOWED.format(role=self.role)
        read_only = self._read_only
        return {
            name: PermissionResult(enabled, None if enabled else reason)
            for name, allowed in permissions_of(self.role).items()
            for enabled in [allowed and not read_only]
        }

    def permissions_for_location(self, *, location_name: str) -> Mapping[str, PermissionResult]:
        return {
            name: result
            for name, result in self.permissions.items()
            if name in LOCATION_SCOPED_PERMISSIONS
        }


def role_of_connection(conn: Any) -> str:
    """The role authkit's middleware found for this request; Viewer when it set none (the
    WebSocket, which carries subscriptions only)."""
    state = conn.scope.get("state")
    user = state.get("user") if isinstance(state, dict) else getattr(state, "user", None)
    return role_for_level(int(user.role)) if user is not None else VIEWER


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
    import dagster_webserver.webserver as webserver
    from dagster_authkit.auth.backends.base import RolePermissions
    from dagster_authkit.core import patch as authkit_patch
    from dagster_authkit.core.middleware import DagsterAuthMiddleware

    original = webserver.DagsterWebserver._make_request_context
    if getattr(original, "_promoteros_roles", False):
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

    def role_scoped(self: Any, conn: Any) -> WorkspaceRequestContext:
        base = original(self, conn)
        return RoleScopedRequestContext(
            instance=base.instance,
            current_workspace=base.get_current_workspace(),
            process_context=base.process_context,
            version=base.version,
            source=conn,
            read_only=base._read_only,
            read_only_locations=base._read_only_locations,
            role=role_of_connection(conn),
        )

    role_scoped._promoteros_roles = True  # type: ignore[attr-defined]
    webserver.DagsterWebserver._make_request_context = role_scoped  # type: ignore[method-assign]


def main(argv: list[str]) -> None:
    install_roles()
    from dagster_authkit.cli.main import main as authkit_main

    sys.argv = ["dagster-authkit", *argv]
    authkit_main()


if __name__ == "__main__":
    main(sys.argv[1:])
