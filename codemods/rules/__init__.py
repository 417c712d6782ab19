"""One module per rule; `codemods.registry` finds them, nothing lists them by hand."""
