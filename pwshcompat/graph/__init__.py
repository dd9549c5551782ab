"""The HTTP client that talks to Microsoft Graph (or the local emulator)."""
