"""The yardstick of the HTTP benchmark: a bare Flask app with one JSON endpoint.

Served by the same gunicorn configuration (gunicorn.conf.py) as the real app, in the same
run, so the ratio of an API endpoint's requests/s to this one's is the machine-independent
figure (``gunicorn -c gunicorn.conf.py benchmarks.bare_app:app``).
"""
from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/bare")
def bare():
    """A small JSON answer, about the size of a scan's, built per request."""
    return jsonify({"ok": True, "name": "红色驿站", "items": [1, 2, 3]})
