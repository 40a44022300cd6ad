"""The four roles of the Dagster UI and what each may do, as plain tables (no imports).

dagster-authkit's middleware checks every GraphQL mutation by name against ``MUTATION_ROLES``
before Dagster sees it; a mutation not listed needs Admin, so a new Dagster mutation is closed
until someone places it here.

Each role includes everything of the roles before it.
"""

VIEWER, OPERATOR, DEVELOPER, ADMIN = "Viewer", "Operator", "Developer", "Admin"
ROLES = (VIEWER, OPERATOR, DEVELOPER, ADMIN)

# dagster-authkit's role levels (its Role enum: VIEWER, LAUNCHER, EDITOR, ADMIN)
AUTHKIT_LEVELS = {VIEWER: 10, OPERATOR: 20, DEVELOPER: 30, ADMIN: 40}
ROLE_DESCRIPTIONS = {
    VIEWER: "read everything: assets, runs, schedules, sensors, logs",
    OPERATOR: "Viewer + launch and re-execute runs and backfills, terminate runs, "
    "start and stop schedules and sensors",
    DEVELOPER: "Operator + reload code locations, wipe assets, delete runs, report asset "
    "events, set sensor cursors, edit partitions and concurrency limits",
    ADMIN: "Developer + manage users (`promoteros users`) and any action not listed here",
}

# Every mutation of Dagster 1.13's GraphQL schema (tests/runtime/test_ui_roles.py compares).
MUTATION_ROLES: dict[str, str | None] = {
    # None: allowed to anyone signed in (the UI's own bookkeeping)
    "logTelemetry": None,
    "setNuxSeen": None,
    # Operator: run things and switch automation on and off
    "launchRun": OPERATOR,
    "launchPipelineExecution": OPERATOR,
    "launchRunReexecution": OPERATOR,
    "launchPipelineReexecution": OPERATOR,
    "launchMultipleRuns": OPERATOR,
    "terminateRun": OPERATOR,
    "terminateRuns": OPERATOR,
    "terminatePipelineExecution": OPERATOR,
    "launchPartitionBackfill": OPERATOR,
    "cancelPartitionBackfill": OPERATOR,
    "resumePartitionBackfill": OPERATOR,
    "reexecutePartitionBackfill": OPERATOR,
    "startSchedule": OPERATOR,
    "stopRunningSchedule": OPERATOR,
    "resetSchedule": OPERATOR,
    "scheduleDryRun": OPERATOR,
    "startSensor": OPERATOR,
    "stopSensor": OPERATOR,
    "resetSensor": OPERATOR,
    "sensorDryRun": OPERATOR,
    # Developer: change code locations, history and state
    "reloadRepositoryLocation": DEVELOPER,
    "reloadWorkspace": DEVELOPER,
    "shutdownRepositoryLocation": DEVELOPER,
    "refreshComponentState": DEVELOPER,
    "wipeAssets": DEVELOPER,
    "deleteRun": DEVELOPER,
    "deletePipelineRun": DEVELOPER,
    "reportRunlessAssetEvents": DEVELOPER,
    "reportAssetCheckEvaluations": DEVELOPER,
    "setSensorCursor": DEVELOPER,
    "setAutoMaterializePaused": DEVELOPER,
    "addDynamicPartition": DEVELOPER,
    "deleteDynamicPartitions": DEVELOPER,
    "setConcurrencyLimit": DEVELOPER,
    "deleteConcurrencyLimit": DEVELOPER,
    "freeConcurrencySlots": DEVELOPER,
    "freeConcurrencySlotsForRun": DEVELOPER,
    # Admin: app-managed components (a Dagster+ feature, off in open source)
    "setAppManagedComponent": ADMIN,
    "deleteAppManagedComponent": ADMIN,
}


def rank(role: str) -> int:
    return ROLES.index(role)


def role_named(text: str) -> str:
    """The role whose name is ``text`` in any case; ValueError naming the four otherwise."""
    for role in ROLES:
        if role.lower() == text.strip().lower():
            return role
    raise ValueError(f"unknown role {text!r}; use one of {', '.join(ROLES)}")


def role_for_level(level: int) -> str:
    """Our role name for an authkit level (a level between two rounds down)."""
    allowed = [role for role in ROLES if AUTHKIT_LEVELS[role] <= level]
    return allowed[-1] if allowed else VIEWER


def allows(role: str, needed: str | None) -> bool:
    return needed is None or rank(role) >= rank(needed)


def mutations_at_level(role: str) -> set[str]:
    """Mutations whose lowest role is exactly ``role`` (authkit's per-level sets)."""
    return {name for name, needed in MUTATION_ROLES.items() if needed == role}
