"""dbt transforms of the warehouse: invocation helpers and the Cosmos rendering configuration."""
