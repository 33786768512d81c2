"""The Lambda entry point (``ingestor.lambda_handler.handler``): the same FastAPI app, adapted by Mangum.

API Gateway HTTP API sends payload format 2.0 events; Mangum turns them into ASGI requests and the app's
responses back. ``lifespan="off"``: the app has no startup work, the producer is created at the first event
and reused while the container stays warm.
"""

from __future__ import annotations

from mangum import Mangum

from ingestor.app import create_app

handler = Mangum(create_app(), lifespan="off")
