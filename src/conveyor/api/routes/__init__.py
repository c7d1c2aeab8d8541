"""One module per resource; each route declares its permission through a dependency."""
