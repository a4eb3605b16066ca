"""The names that the notebook side and the lessons builder share, with no heavy imports: the
builder reads these from executed notebooks without importing torch or ipywidgets."""

#: an explorer's output: ``{"explorer", "args"}`` (its frames are drawn when the page is built)
#: or ``{"state": …}`` (the page computes it: :mod:`gatelab.explorer`)
SPEC_MIMETYPE = "application/vnd.gatelab.explorer+json"
#: the display metadata of a training run's progress bar (the HTML lesson leaves it out)
PROGRESS_METADATA = {"gatelab": "progress"}
