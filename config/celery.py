"""The Celery application; tasks are discovered in each app's tasks.py."""

import logging
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

logger = logging.getLogger(__name__)

app = Celery("ldf")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _survive_a_broker_dropped_with_messages_held() -> None:
    """Keep the worker running when Redis drops while it holds messages it has not acknowledged (a task waiting
    for its countdown: a retry, an index refresh).

    Celery 5.7 (`Consumer.on_connection_error_after_connected`) collects the broken connection and then closes
    it; closing restores the channel's unacknowledged messages, which needs the connection just collected, so
    kombu's Redis transport raises AttributeError ("'NoneType' object has no attribute 'hostname'"). That is not
    a connection error, so it ends the worker ("Unrecoverable error") and every email stops until someone
    restarts it. Here that one failure is logged instead, and the worker reconnects as it does otherwise. The
    messages are not lost with it: they stay in Redis's unacknowledged set and are delivered again once their
    visibility timeout passes, and the outbox's sweep sends any email still pending before then."""
    from kombu.transport import redis as kombu_redis

    restore_unacked = kombu_redis.QoS.restore_unacked
    if getattr(restore_unacked, "survives_a_collected_connection", False):
        return

    def restore_unacked_or_leave_them(self, client=None):
        try:
            return restore_unacked(self, client)
        except AttributeError:
            logger.warning(
                "The broker dropped while %d message(s) were held: they are left for Redis to deliver again",
                len(self._delivered),
            )
            self._delivered.clear()
            return None

    restore_unacked_or_leave_them.survives_a_collected_connection = True
    kombu_redis.QoS.restore_unacked = restore_unacked_or_leave_them


_survive_a_broker_dropped_with_messages_held()
