"""Loaded by every Python process the tests start (the tests put this folder on PYTHONPATH),
including the Jupyter kernels that run the notebooks.

With GATELAB_NO_NETWORK=1 any attempt to reach a host other than this machine raises, so a
notebook that downloads anything fails its test. With GATELAB_WARNINGS=error, warnings raised
by the lessons' own code (gatelab, the notebook's cells, matplotlib, torch) are errors too.
"""

import os
import sys

LOCAL = {None, "", "localhost", "127.0.0.1", "::1", "0.0.0.0", "ip6-localhost"}


class NetworkBlocked(OSError):
    pass


def _is_local(host) -> bool:
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    return host in LOCAL or (isinstance(host, str) and host.startswith("127."))


def _guard(event, args):
    if event == "socket.getaddrinfo" and not _is_local(args[0]):
        raise NetworkBlocked(f"gatelab test guard: network access blocked (lookup of {args[0]!r})")
    if event == "socket.connect":
        address = args[1]
        if isinstance(address, tuple) and not _is_local(address[0]):
            raise NetworkBlocked(f"gatelab test guard: network access blocked (connect to {address!r})")


if os.environ.get("GATELAB_NO_NETWORK") == "1":
    sys.addaudithook(_guard)

if os.environ.get("GATELAB_WARNINGS") == "error":
    import warnings

    warnings.simplefilter("error")
    # the Jupyter machinery's own deprecation notices are not the lessons' concern
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=PendingDeprecationWarning)
    for ours in ("gatelab", "__main__"):
        warnings.filterwarnings("error", category=DeprecationWarning, module=ours)
