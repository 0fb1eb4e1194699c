"""The reference for the ingest benchmark: a Flask app that only parses the JSON body."""

from flask import Flask, request

app = Flask(__name__)


@app.post("/hooks/<connection_id>")
def receive(connection_id: str):
    request.get_json(force=True)
    return {"status": "ok"}, 200


@app.get("/ready")
def ready():
    return "ok"
