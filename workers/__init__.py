"""Distributed mode: Celery workers and beat fire timers and deliver the outbox (``celery_app``)."""
