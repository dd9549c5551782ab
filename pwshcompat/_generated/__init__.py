"""Files generated from the command specs by ``scripts/generate`` (``--check`` reports stale ones); do not edit."""
