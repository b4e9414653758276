"""Bulk loaders into the warehouse raw layer, watermarks and load audit."""
