"""The platform's event ingestor: one FastAPI app, run by uvicorn on the self-hosted platform and by Lambda
(through Mangum, ``ingestor.lambda_handler.handler``) behind the API Gateway HTTP API after the migration.

Why one code base: the staged producer cutover moves traffic between the two deployments by weight, so both
must accept, reject and key events identically. Modules: ``config`` (env vars), ``schema`` (the event),
``producer`` (confluent-kafka, plain or MSK IAM), ``app`` (the routes), ``lambda_handler`` (Mangum).
"""

__version__ = "1.0.0"
