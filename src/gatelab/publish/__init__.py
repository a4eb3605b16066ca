"""The lessons' publisher: chapters -> catalogs -> editions -> executed notebooks -> offline
HTML pages. ``python -m gatelab.publish COMMAND`` (see ``__main__``); one module per job:

    project    where the sources are (the root given with --root, else the checkout around
               the current directory)
    paragraphs what a paragraph is: one definition for the catalogs and the bilingual page
    catalogs   gettext templates (.pot) and catalogs (.po): extract, update, report
    editions   the Bengali and Hindi editions written from the catalogs
    generated  files written into notebooks/ without overwriting a person's work
    index      the index page of each edition
    notebooks  .md -> .ipynb -> executed .ipynb (in parallel, reused while unchanged)
    markdown   markdown and math (MathML) to HTML
    bilingual  a markdown cell with each paragraph's English original
    outputs    a code cell and its outputs
    explorers  an explorer output in the page
    webfonts   the fonts a page needs, subset and embedded
    templates  the Jinja2 page chrome (templates/)
    pages      a chapter's page, an edition's index, the language chooser
    site       writing the site: pages in parallel, kept while their inputs are unchanged
    exporter   the same page for any notebook, as an nbconvert exporter

No module imports torch or ipywidgets (the older precomputed explorers import them when a page
has one).
"""
