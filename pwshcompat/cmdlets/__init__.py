"""The commands written as code: the cmdlets of Microsoft.Graph.Authentication.

* :mod:`.connection`: Connect-MgGraph, Disconnect-MgGraph, Get-MgContext and
  Get-/Add-/Set-/Remove-MgEnvironment (the sign-in flows themselves are :mod:`pwshcompat.auth`);
* :mod:`.invoke_request`: Invoke-MgGraphRequest;
* :mod:`.request_context`: Get-MgRequestContext and Set-MgRequestContext (the settings themselves
  are :mod:`pwshcompat.graph.request_context`, which the Graph client reads);
* :mod:`.graph_option`: Get-MgGraphOption and Set-MgGraphOption (the options saved in ``~/.mg``,
  :mod:`pwshcompat.auth.graph_options`; stored and reported, they change nothing about sign-in).

Each module registers its commands with :func:`pwshcompat.commands.command`; the command table
(:mod:`pwshcompat.commands`) imports a module when one of its commands is first looked up. The
Graph cmdlets (the presence family) are not code: :mod:`pwshcompat.operation` runs them from
their specs.
"""
