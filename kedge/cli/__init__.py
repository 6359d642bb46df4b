"""The ``kedge`` command: parse, call the engine or the server, render. No logic of its own."""
