"""The API's request and response bodies, one module per resource.

Routes, the Python client, the CLI and the console import them from here, so none of them
imports a route module to learn the shape of a body.
"""
