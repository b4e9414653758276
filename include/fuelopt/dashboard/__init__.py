"""The read-only Streamlit dashboard over the marts (``fuelopt dashboard``)."""
