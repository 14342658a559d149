"""Command line: ``python -m compiler NET --profile loihi2 -o OUT.net [--json]``.

Prints the compile report as a table (or JSON).  Any input, profile or mapping error prints
one line naming the file/layer/key and exits with status 2.
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from hw_profiles import ProfileError
from netx.errors import NetxFormatError

from .errors import CompileError


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="python -m compiler",
        description="Quantize a .net network and partition it onto Loihi-style cores.")
    ap.add_argument("net", help="input .net (hdf5) file")
    ap.add_argument("--profile", default="loihi2",
                    help="hardware profile: a bundled name (loihi1, loihi2) or a .toml path "
                         "(default: loihi2)")
    ap.add_argument("-o", "--output", help="write the compiled .net here")
    ap.add_argument("--json", action="store_true", help="print the report as JSON")
    ap.add_argument("--force-quantize", action="store_true",
                    help="quantize even if the network is already fixed point")
    ap.add_argument("--no-weight-exp", action="store_true",
                    help="keep every weight exponent at 0 (no wgtExp needed by the reader)")
    return ap


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    from .compile import compile as run
    try:
        _, report = run(args.net, profile=args.profile, output=args.output,
                        force_quantize=args.force_quantize,
                        weight_exp=not args.no_weight_exp)
    except (NetxFormatError, CompileError, ProfileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the input could not be read or the output not written
        print(f"error: {exc.filename or args.net}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(report.to_json() if args.json else report.to_table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
