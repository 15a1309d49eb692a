"""The edge: Slack (Bolt), the command line, the grammar, rendering and delivery."""
