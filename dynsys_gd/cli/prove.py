"""``dynsys-gd prove``: run the proof checks of claims C1–C9 (docs/math/index.md) and print a table.

Every row names the claim, the check, its method (exact symbolic, exact rational, modular,
certified ball arithmetic, certified SDP, numerical (float64), Monte Carlo) and its verdict:
passed, failed (a counterexample or a certified contradiction) or not certified (the method
could not decide; the reason is printed below the table).  A table with one row per claim
follows.  The exit status is 1 only when a check failed; not certified checks do not fail a
run.
"""

from __future__ import annotations

import argparse
import json
import sys

from ._registry import COMMANDS

NAME = "prove"
HELP = COMMANDS[NAME]
DESCRIPTION = (
    "Run the proof checks of the claims of arXiv:2402.13108 as reconstructed in "
    "docs/math/index.md and print claim | check | method | verdict (passed, failed, not "
    "certified), why "
    "each undecided check is not certified, and one row per claim.  Exit status 1 only when a "
    "check failed."
)
EPILOG = """examples:
  dynsys-gd prove --quick
  dynsys-gd prove --claims C1 C5 --verbose
  dynsys-gd prove --json > proofs.json
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--claims",
        nargs="+",
        metavar="CLAIM",
        default=None,
        help="claims to check (C1 ... C10; default: all)",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="smaller cases and Monte-Carlo sizes (well under a minute)",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument(
        "--verbose",
        "-v",
        action="store_true",
        help="print every check's certificate after the table",
    )


def run(args: argparse.Namespace) -> int:
    from ..claims import ClaimResult, run_claims
    from ..claims.registry import _claim_ids

    ids = _claim_ids(args.claims)  # validates before any work

    def progress(r: ClaimResult) -> None:
        if not args.json:
            print(
                f"{r.claim}: {r.verdict}",
                file=sys.stderr,
                flush=True,
            )

    report = run_claims(ids, quick=args.quick, on_result=progress)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(report.summary())
        if args.verbose:
            for r in report.results:
                print()
                print(r.summary())
    return 0 if report.passed else 1
