"""``python -m gatelab.publish COMMAND``: the lessons' build steps (the Makefile calls these).

    extract    write locales/*.pot from the English chapters and the package
    update     merge the templates into locales/{bn,hi}/LC_MESSAGES/*.po (changed -> fuzzy)
    report     count translated, fuzzy and missing messages per language
    editions   write notebooks/{bn,hi}/*.md from the English chapters and the catalogs, and
               notebooks/{en,bn,hi}/index.md (the chapters' titles, linked)
    notebooks  write the .ipynb of every edition (for JupyterLab and nbval)
    clean      delete those .ipynb
    (editions, notebooks and clean keep a file that was run or edited since it was written,
    and say so)
    execute    run every edition's notebook into build/executed/, in parallel, reusing those
               whose .md and package are unchanged
    html       execute, then write the self-contained lessons into site/
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import catalogs, editions, generated, index, notebooks, site
from .project import current, use


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gatelab.publish", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["extract", "update", "report", "editions",
                                            "notebooks", "clean", "execute", "html"])
    parser.add_argument("--lang", action="append", help="only this edition (repeatable)")
    parser.add_argument("--root", type=Path, default=None,
                        help="the checkout to build (default: the one around the current "
                             "directory)")
    parser.add_argument("--jobs", type=int, default=None,
                        help="editions executed at once (default: one per core)")
    parser.add_argument("--force", action="store_true",
                        help="execute every edition and write every page, even one whose "
                             "inputs are unchanged")
    args = parser.parse_args(argv)
    # without --root: the project already chosen (the checkout around the current directory)
    root = (use(args.root) if args.root is not None else current()).root
    langs = tuple(args.lang) if args.lang else None

    if args.command == "extract":
        for path in catalogs.extract():
            print(f"wrote {path.relative_to(root)}")
    elif args.command == "update":
        catalogs.extract()
        changed = catalogs.update(langs or catalogs.TARGET_LANGUAGES)
        print("\n".join(f"updated {p.relative_to(root)}" for p in changed)
              or "catalogs already current")
        _print_report()
    elif args.command == "report":
        return _print_report()
    elif args.command == "editions":
        changed = editions.write_editions(
            tuple(lang for lang in langs or catalogs.TARGET_LANGUAGES if lang != "en"))
        changed += [o for o in index.write_indexes(langs) if o.status != generated.CURRENT]
        print("\n".join(o.message(root) for o in changed) or "editions already current")
    elif args.command == "notebooks":
        for outcome in notebooks.write_ipynb(langs):
            print(outcome.message(root))
    elif args.command == "clean":
        for outcome in notebooks.clean_ipynb(langs):
            print(outcome.message(root))
    elif args.command in ("execute", "html"):
        started = time.perf_counter()
        _execute(langs, args.jobs, args.force)
        if args.command == "html":
            _html(langs, args.jobs, args.force)
            print(f"the lessons are in {root / 'site'} ({time.perf_counter() - started:.0f} s); "
                  f"open {root / 'site' / 'index.html'}", flush=True)
    return 0


def _execute(langs, jobs, force) -> None:
    started = time.perf_counter()
    done = notebooks.execute_all(langs, workers=jobs, force=force)
    reused = sum(e.reused for e in done)
    print(f"{len(done)} editions ready in {time.perf_counter() - started:.0f} s "
          f"({len(done) - reused} executed, {reused} reused)", flush=True)


def _html(langs, jobs, force) -> None:
    started = time.perf_counter()
    print("writing the pages into site/", flush=True)
    written = site.build_site(langs, workers=jobs, force=force)
    print(f"{len(written)} pages written in {time.perf_counter() - started:.0f} s (the "
          "indexes and the language chooser included)", flush=True)


def _print_report() -> int:
    """Print the counts; exit status 1 when anything is fuzzy or missing."""
    incomplete = 0
    print(f"{'language':8} {'catalog':10} {'messages':>8} {'translated':>10} {'fuzzy':>5} {'missing':>7}")
    for (lang, domain), c in catalogs.report().items():
        print(f"{lang:8} {domain:10} {c['messages']:8} {c['translated']:10} {c['fuzzy']:5} "
              f"{c['missing']:7}")
        incomplete += c["fuzzy"] + c["missing"]
    return 1 if incomplete else 0


if __name__ == "__main__":
    sys.exit(main())
