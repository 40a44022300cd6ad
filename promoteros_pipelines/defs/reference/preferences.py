"""Alert preferences: how each recipient wants to hear about alerts (reference file).

``alert_preferences.csv`` (or ``.yaml``) beside the other reference files, one row per
recipient, identified by organisation slug and email. Recipients without a row get the router's
defaults (email and in-app, every severity, no quiet hours, no cap). Stored in
``alert_preferences`` keyed by ``recipient_id``; loading the same file twice changes nothing.
"""

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal

import polars as pl
from pydantic import BeforeValidator, EmailStr, Field, model_validator

from promoteros_pipelines.defs.reference.loader import (
    ReferenceDataError,
    _find,
    _validate,
    default_reference_dir,
)
from promoteros_pipelines.defs.reference.models import ReferenceRow, Slug
from promoteros_pipelines.resources.warehouse import PostgresWarehouse

Channel = Literal["email", "slack", "sms", "in_app"]
PREFERENCE_COLUMNS = [
    "channels",
    "min_severity",
    "quiet_start",
    "quiet_end",
    "max_per_hour",
    "phone",
    "slack_target",
]


def _split(value: object) -> object:
    return (
        [item.strip() for item in value.split("|") if item.strip()]
        if isinstance(value, str)
        else value
    )


class PreferenceRow(ReferenceRow):
    organisation: Slug
    email: EmailStr
    channels: Annotated[list[Channel], BeforeValidator(_split), Field(min_length=1)]
    min_severity: Literal["info", "warning", "critical"] = "info"
    quiet_start: dt.time | None = None
    quiet_end: dt.time | None = None
    max_per_hour: int | None = Field(default=None, gt=0)
    phone: Annotated[str, Field(pattern=r"^\+[1-9][0-9]{6,14}$")] | None = None
    slack_target: Annotated[str, Field(pattern=r"^[a-z0-9_-]+$")] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "PreferenceRow":
        if (self.quiet_start is None) != (self.quiet_end is None):
            raise ValueError("quiet_start and quiet_end go together (both or neither)")
        if "sms" in self.channels and not self.phone:
            raise ValueError("the sms channel needs a phone number in E.164 form (+44...)")
        return self


def read_preferences(directory: Path | None = None) -> pl.DataFrame:
    """Validated preference rows; a bad row is reported with file, row and field."""
    path = _find(directory or default_reference_dir(), "alert_preferences")
    rows = _validate(path, PreferenceRow)
    keys = [(row["organisation"], row["email"]) for row in rows]
    if len(set(keys)) != len(keys):
        raise ReferenceDataError(f"{path}: a recipient appears twice")
    return pl.DataFrame(
        rows,
        schema={
            "organisation": pl.String,
            "email": pl.String,
            "channels": pl.List(pl.String),
            "min_severity": pl.String,
            "quiet_start": pl.Time,
            "quiet_end": pl.Time,
            "max_per_hour": pl.Int32,
            "phone": pl.String,
            "slack_target": pl.String,
        },
    )


def store_preferences(warehouse: PostgresWarehouse, preferences: pl.DataFrame) -> int:
    """Upsert by recipient; rows naming a recipient the warehouse does not know are an error."""
    known = warehouse.read_frame(
        "SELECT r.recipient_id, o.slug AS organisation, r.email"
        f" FROM {warehouse.qualified('recipients')} r"
        f" JOIN {warehouse.qualified('organisations')} o USING (organisation_id)"
    )
    rows = preferences.join(known, on=["organisation", "email"], how="left")
    unknown = rows.filter(pl.col("recipient_id").is_null())
    if unknown.height:
        who = ", ".join(unknown["email"].head(5).to_list())
        raise ReferenceDataError(
            f"alert preferences name recipients not in the warehouse ({who}); add them to "
            "recipients.csv and load the reference data first."
        )
    return warehouse.upsert(
        "alert_preferences",
        rows.select("recipient_id", *PREFERENCE_COLUMNS),
        key=["recipient_id"],
    )
