"""Base class for every configuration section (unknown keys are errors, values are frozen) and
the type of every configured name that goes into SQL as an identifier."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

# A plain SQL name (schema, table, column, role): letters, digits, underscores, at most 63
# characters. Checked at load, so no configured value can carry SQL into a query.
SqlName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
