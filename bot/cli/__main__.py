"""`python -m bot.cli`: the `imgmetrics` command without its console script."""

from bot.cli.main import main

main()
