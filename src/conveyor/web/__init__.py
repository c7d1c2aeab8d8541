"""The console (``conveyor web``): server-rendered pages over the HTTP API.

It holds no database connection. Every page is built from API calls made with the signed-in
user's own session, so the console can never do more than that user's role allows.
"""
