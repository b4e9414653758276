"""Subcommands of this area (registered by fuelopt.cli)."""

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add this area's subcommands to the ``fuelopt`` parser."""
