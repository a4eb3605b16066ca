"""``python -m gatelab.build COMMAND``: the lessons' build steps (the Makefile calls these).

    extract    write locales/*.pot from the English chapters and the package
    update     merge the templates into locales/{bn,hi}/LC_MESSAGES/*.po (changed -> fuzzy)
    report     count translated, fuzzy and missing messages per language
    editions   write notebooks/{bn,hi}/*.md from the English chapters and the catalogs, and
               notebooks/{en,bn,hi}/index.md (the chapters' titles, linked)
    notebooks  write the .ipynb of every edition (for JupyterLab and nbval)
    clean      delete those .ipynb
    (editions, notebooks and clean keep a file that was run or edited since it was written,
    and say so)
    execute    run every edition's notebook into build/executed/
    html       execute, then write the self-contained lessons into site/
"""

from __future__ import annotations

import argparse
import sys

from . import catalogs, generated, index, notebooks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gatelab.build", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["extract", "update", "report", "editions",
                                            "notebooks", "clean", "execute", "html"])
    parser.add_argument("--lang", action="append", help="only this edition (repeatable)")
    args = parser.parse_args(argv)
    langs = tuple(args.lang) if args.lang else None

    if args.command == "extract":
        for path in catalogs.extract():
            print(f"wrote {path.relative_to(catalogs.ROOT)}")
    elif args.command == "update":
        catalogs.extract()
        changed = catalogs.update(langs or catalogs.TARGET_LANGUAGES)
        print("\n".join(f"updated {p.relative_to(catalogs.ROOT)}" for p in changed)
              or "catalogs already current")
        _print_report()
    elif args.command == "report":
        return _print_report()
    elif args.command == "editions":
        changed = catalogs.write_editions(
            tuple(lang for lang in langs or catalogs.TARGET_LANGUAGES if lang != "en"))
        changed += [o for o in index.write_indexes(langs) if o.status != generated.CURRENT]
        print("\n".join(o.message(catalogs.ROOT) for o in changed)
              or "editions already current")
    elif args.command == "notebooks":
        for outcome in notebooks.write_ipynb(langs):
            print(outcome.message(catalogs.ROOT))
    elif args.command == "clean":
        for outcome in notebooks.clean_ipynb(langs):
            print(outcome.message(catalogs.ROOT))
    elif args.command == "execute":
        notebooks.execute_all(langs)
    elif args.command == "html":
        from . import html

        notebooks.execute_all(langs)
        for path in html.build_site(langs):
            print(f"wrote {path.relative_to(catalogs.ROOT)} ({path.stat().st_size / 1e6:.2f} MB)")
    return 0


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
