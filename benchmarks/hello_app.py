"""The ceiling for benchmarks/selfservice_load.py: a bare Flask route under the same gunicorn
settings (``gunicorn -w 2 -b 127.0.0.1:PORT benchmarks.hello_app:app``)."""
from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "hello"
