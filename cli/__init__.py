"""The `haggle` command and the offline demo: the top of the import order, talking to the
two services over HTTP (the demo also starts them as processes)."""
