"""Fakes that speak the real protocols on loopback: Slack's Web API and Slack's signing.

`slack.FakeSlack` plays Slack's side of the Web API; `signing` builds and signs the
requests Slack sends the bot.
"""
