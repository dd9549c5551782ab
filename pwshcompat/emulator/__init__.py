"""A local Microsoft Graph presence emulator for tests, dry runs and the demo.

    with Emulator() as emu:
        emu.graph_url        # http://127.0.0.1:<port>
        emu.requests         # every request it received, in order
"""

from .server import Emulator, RecordedRequest

__all__ = ["Emulator", "RecordedRequest"]
