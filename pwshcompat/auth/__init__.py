"""Microsoft.Graph.Authentication in Python: environments, the connection context, sign-in."""
