"""The second layer on its own: Dagster's resolvers, given a role's request context, refuse
what the role may not do even if a request got past authkit's check."""

import pytest
from dagster import instance_for_test
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import EmptyWorkspaceTarget
from dagster_graphql.test.utils import execute_dagster_graphql

from promoteros_pipelines.runtime.ui_server import RoleScopedRequestContext

WIPE = (
    'mutation { wipeAssets(assetPartitionRanges: [{assetKey: {path: ["alerts"]}}]) { __typename } }'
)
PERMISSIONS = "{ permissions { permission value disabledReason } }"


@pytest.fixture
def context_for():
    with (
        instance_for_test() as instance,
        WorkspaceProcessContext(instance, EmptyWorkspaceTarget()) as process,
    ):
        base = process.create_request_context()

        def make(role: str, read_only: bool = False) -> RoleScopedRequestContext:
            return RoleScopedRequestContext(
                instance=base.instance,
                current_workspace=base.get_current_workspace(),
                process_context=process,
                version=base.version,
                source=None,
                read_only=read_only,
                role=role,
            )

        yield make


@pytest.mark.parametrize(
    ("role", "answer"),
    [
        ("Viewer", "UnauthorizedError"),
        ("Operator", "UnauthorizedError"),
        ("Developer", "AssetWipeSuccess"),
        ("Admin", "AssetWipeSuccess"),
    ],
)
def test_dagster_refuses_a_wipe_below_developer(context_for, role, answer):
    result = execute_dagster_graphql(context_for(role), WIPE)
    assert result.data["wipeAssets"]["__typename"] == answer


def test_a_refused_permission_says_why_and_read_only_refuses_everyone(context_for):
    rows = execute_dagster_graphql(context_for("Viewer"), PERMISSIONS).data["permissions"]
    launch = next(r for r in rows if r["permission"] == "launch_pipeline_execution")
    assert launch["value"] is False
    assert launch["disabledReason"].startswith("Your role (Viewer) does not allow this")
    admin_read_only = execute_dagster_graphql(context_for("Admin", read_only=True), PERMISSIONS)
    assert not any(r["value"] for r in admin_read_only.data["permissions"])
