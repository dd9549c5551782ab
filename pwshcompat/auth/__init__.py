"""Microsoft.Graph.Authentication in Python: environments, the connection context, sign-in.

Public surface for the rest of pwshcompat:

* :func:`pwshcompat.auth.context.current` -> the :class:`~pwshcompat.auth.context.GraphContext` of
  the last Connect-MgGraph, or None. Connect-MgGraph installs it as the process's connection
  (:mod:`pwshcompat.graph.connection`), where the Graph client finds it: this package sits above
  ``pwshcompat.graph``, which never imports it.
* The commands (Connect-MgGraph, Disconnect-MgGraph, Get-MgContext, the environment cmdlets,
  Invoke-MgGraphRequest) are in :mod:`pwshcompat.cmdlets`; Connect-MgGraph runs :func:`.connect.connect`.

* :func:`pwshcompat.auth.connect.restore` reconnects a new process silently from a
  ``-ContextScope CurrentUser`` sign-in (for hosts such as the command line).

Importing this package does not import msal; only a sign-in flow does. FLOWS.md in this directory
lists every flow, the test that covers it, and what is not supported.
"""

from .context import GraphContext, current

__all__ = ["GraphContext", "current"]
