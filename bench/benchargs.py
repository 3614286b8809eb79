"""The command line every benchmark shares:

    python bench/bench_X.py CONF DB [--size=N] [--repeat=N]

``--size`` is the benchmark's main quantity (its docstring says which); scripts/test
runs each benchmark with a small one as a smoke test, bench/run with the defaults.
Options a benchmark does not know are ignored, so that bench/run can pass one
benchmark's options to all of them."""

import argparse


def parser(doc, size, repeat):
    """An argument parser for a benchmark whose default size and repeat are given;
    the benchmark may add its own options before ``parse``."""
    result = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    result.add_argument("conf", help="Odoo configuration file (addons path, database server)")
    result.add_argument("db", help="database with every CrossDept addon installed")
    result.add_argument(
        "--size", type=int, default=size, help=f"the main quantity (default {size:,})"
    )
    result.add_argument(
        "--repeat",
        type=int,
        default=repeat,
        help=f"measured runs of each timing, after one warm-up (default {repeat})",
    )
    return result


def parse(doc, size, repeat, argv=None):
    args, _ignored = parser(doc, size, repeat).parse_known_args(argv)
    return args
