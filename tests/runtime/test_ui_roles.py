"""The role tables against Dagster's own schema: nothing unplaced, each role a superset."""

import itertools

import pytest
from dagster_graphql.schema import create_schema

from promoteros_pipelines.runtime.ui_roles import (
    ADMIN,
    DEVELOPER,
    MUTATION_ROLES,
    OPERATOR,
    ROLES,
    VIEWER,
    allows,
    role_for_level,
    role_named,
)


def test_every_mutation_of_dagsters_schema_has_a_role_and_none_is_made_up():
    mutations = set(create_schema().graphql_schema.mutation_type.fields)
    assert set(MUTATION_ROLES) == mutations


def allowed(role: str) -> set[str]:
    return {name for name, needed in MUTATION_ROLES.items() if allows(role, needed)}


def test_each_role_may_do_everything_the_role_below_may():
    for lower, higher in itertools.pairwise(ROLES):
        assert allowed(lower) < allowed(higher)


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


def test_a_viewer_may_launch_nothing_and_an_operator_cannot_wipe_or_reload():
    assert not {"launchRun", "launchPartitionBackfill", "startSchedule"} & allowed(VIEWER)
    operator = allowed(OPERATOR)
    assert {"launchRun", "launchPartitionBackfill", "startSchedule", "startSensor"} <= operator
    assert not {"wipeAssets", "reloadRepositoryLocation"} & operator
    assert "wipeAssets" in allowed(DEVELOPER)


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
