"""A Revenium-compatible image metrics API over synthetic data in SQLite.

`seed` makes the data, `core.Sandbox` answers requests (`handle`, usable as an
`httpx.MockTransport`), `server.serve` puts it on 127.0.0.1.
"""

DEFAULT_KEY = "sandbox-key"  # what the sandbox accepts unless told otherwise; not a secret
DEFAULT_TEAM = "Tm8xQp2v"  # a hashid-shaped team id
DEFAULT_PORT = 8090
