"""SQLite through sqlite-utils: schema, migrations, the metrics mirror and bot state."""
