"""One module per `voice-coach` subcommand; each defines ``register(subparsers)``.

``register`` adds its parser and sets ``run=<function(args) -> int>`` as a default.
"""
