"""``fuelopt warehouse init``: create or update the warehouse database."""

import argparse


def _init(args: argparse.Namespace) -> int:
    from fuelopt.warehouse.bootstrap import init_warehouse

    print(f"warehouse database {init_warehouse(args.uri)} ready")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("warehouse", help="warehouse administration")
    actions = parser.add_subparsers(dest="action", required=True)
    init = actions.add_parser(
        "init", help="create roles, schemas, grants and ops tables (idempotent)"
    )
    init.add_argument("--uri", help="warehouse URI (default: the warehouse Airflow connection)")
    init.set_defaults(handler=_init)
