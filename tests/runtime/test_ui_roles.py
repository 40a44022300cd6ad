"""The role tables against Dagster's own schema: nothing unplaced, each role a superset."""

import itertools

import pytest
from dagster._core.workspace.permissions import Permissions
from dagster_graphql.schema import create_schema

from promoteros_pipelines.runtime.ui_roles import (
    ADMIN,
    DEVELOPER,
    MUTATION_ROLES,
    OPERATOR,
    PERMISSION_ROLES,
    ROLES,
    VIEWER,
    allows,
    permissions_of,
    role_for_level,
    role_named,
)


def test_every_mutation_of_dagsters_schema_has_a_role_and_none_is_made_up():
    mutations = set(create_schema().graphql_schema.mutation_type.fields)
    assert set(MUTATION_ROLES) == mutations


def test_every_dagster_permission_has_a_role():
    assert set(PERMISSION_ROLES) == {permission.value for permission in Permissions}


def test_each_role_may_do_everything_the_role_below_may():
    for lower, higher in itertools.pairwise(ROLES):
        below, above = permissions_of(lower), permissions_of(higher)
        assert {p for p, on in below.items() if on} < {p for p, on in above.items() if on}


@pytest.mark.parametrize(
    ("mutation", "lowest"),
    [
        ("launchRun", OPERATOR),
        ("launchRunReexecution", OPERATOR),
        ("launchPartitionBackfill", OPERATOR),
        ("startSchedule", OPERATOR),
        ("stopSensor", OPERATOR),
        ("reloadRepositoryLocation", DEVELOPER),
        ("wipeAssets", DEVELOPER),
        ("setAppManagedComponent", ADMIN),
    ],
)
def test_the_issue_s_roles(mutation, lowest):
    needed = MUTATION_ROLES[mutation]
    assert needed == lowest
    assert [role for role in ROLES if allows(role, needed)] == list(ROLES[ROLES.index(lowest) :])


def test_a_viewer_has_no_dagster_permission_and_an_operator_cannot_wipe_or_reload():
    assert not any(permissions_of(VIEWER).values())
    operator = permissions_of(OPERATOR)
    assert operator["launch_pipeline_execution"] and operator["launch_partition_backfill"]
    assert operator["start_schedule"] and operator["edit_sensor"]
    assert not operator["wipe_assets"] and not operator["reload_repository_location"]
    assert permissions_of(DEVELOPER)["wipe_assets"]


def test_role_names_and_authkit_levels():
    assert role_named(" operator ") == OPERATOR
    with pytest.raises(ValueError, match="Viewer, Operator, Developer, Admin"):
        role_named("root")
    assert [role_for_level(level) for level in (10, 20, 30, 40, 99)] == [
        VIEWER,
        OPERATOR,
        DEVELOPER,
        ADMIN,
        ADMIN,
    ]
